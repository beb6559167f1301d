"""Word: a template package without what Word and LibreOffice do not need, once per template.

:func:`lean_package` runs when a template is compiled (:mod:`toolkit.render.word_compiled`),
before either fill path, so every filled document is made from the lean package. What it
drops changes nothing a reader or a user sees:

* ``word/stylesWithEffects.xml``: Word 2010's copy of the styles (Word 2013 and later
  neither read nor write it; LibreOffice ignores it). python-docx's default template has
  one of 438 KB;
* ``docProps/thumbnail.jpeg``: the picture of python-docx's default template, not of the
  form (a file manager showed an empty page);
* in ``word/styles.xml``, the built-in table styles no table uses (python-docx's template
  has 99 of them, 340 KB); custom styles, the default table style, every table style a
  part names (and ``w:defaultTableStyle`` in the settings) and every style those are
  based on stay (paragraph, character and numbering styles are all kept);
* in each story part: ``w:tblLook`` of a table whose style has no conditional formatting
  (``w:tblStylePr``; the look only selects which of those apply), ``w:tblW`` of type
  ``auto`` (the default) and namespace declarations no element or attribute uses (those
  ``mc:Ignorable`` names, and the ones a drawing needs, stay).

Content controls (tag, alias, type), text, styles used, widths, shading and every
keep-with-next and can't-split are left as they are.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from lxml import etree

from .ooxml import Package, open_package, w

#: Parts that may hold body content (tables, paragraphs, content controls).
STORY = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
#: Parts dropped with their relationship and content-type override.
DROPPED = ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg")
#: Prefixes kept declared on a story part's root even when unused in the template: what
#: a fill may insert (a drawing: wp, a, pic, r) and what Word's markup compatibility names.
KEEP_PREFIXES = ("w", "r", "wp", "a", "pic", "mc", "w14", "wp14")

#: The relationships parts of the dropped parts (none in python-docx's template).
_DROPPED_RELS = {"{0}/_rels/{2}.rels".format(*n.rpartition("/")) for n in DROPPED}
_MC_IGNORABLE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Ignorable"
_XML_DECL = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"


def lean_package(raw: bytes) -> bytes:
    """The .docx ``raw`` without the parts and markup Word and LibreOffice do not need.

    Parts are read with the size limits and safe XML parser of
    :func:`toolkit.render.ooxml.open_package` (a custom template is a user's file)."""
    with open_package(raw) as pkg:
        return _lean(pkg)


def _lean(pkg: Package) -> bytes:
    src = pkg.zip
    names = set(pkg.names())
    stories = {n: pkg.xml(n) for n in names if STORY.fullmatch(n)}
    styles = pkg.xml("word/styles.xml") if "word/styles.xml" in names else None
    plain_tables: set[str] = set()
    if styles is not None:
        plain_tables = _prune_table_styles(styles, _table_styles_named(pkg, stories))
    for root in stories.values():
        _lean_story(root, plain_tables)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name = info.filename
            if name in DROPPED or name in _DROPPED_RELS:
                continue
            if name in stories:
                body = _XML_DECL + etree.tostring(stories[name], encoding="UTF-8")
            elif name == "word/styles.xml" and styles is not None:
                body = _XML_DECL + etree.tostring(styles, encoding="UTF-8")
            elif name == "[Content_Types].xml":
                body = _drop_overrides(src.read(name))
            elif name.endswith(".rels"):
                body = _drop_relationships(name, src.read(name))
            else:
                body = src.read(name)
            dst.writestr(info, body)
    return out.getvalue()


def _table_styles_named(pkg: Package, stories: dict) -> set[str | None]:
    """The table styles any part of the package names: tables in any part (comments,
    glossary too) and the style Word gives a new table (``w:defaultTableStyle``)."""
    roots = list(stories.values())
    for name in pkg.names():
        if name.startswith("word/") and name.endswith(".xml") and name not in stories \
                and name not in ("word/styles.xml", *DROPPED):
            body = pkg.zip.read(name)
            if b"tblStyle" in body or b"defaultTableStyle" in body:
                roots.append(pkg.xml(name))
    return {el.get(w("val")) for root in roots
            for el in root.iter(w("tblStyle"), w("defaultTableStyle"))}


def _prune_table_styles(styles, used: set[str | None]) -> set[str]:
    """Remove the built-in table styles nothing uses; return the ids of the table styles
    left that have no conditional formatting (themselves or by inheritance)."""
    by_id = {st.get(w("styleId")): st for st in styles.iter(w("style"))}
    keep: set[str] = set()
    todo = [s for s in used if s]
    todo += [sid for sid, st in by_id.items() if st.get(w("type")) == "table"
             and (_on(st, "default") or _on(st, "customStyle"))]
    while todo:
        sid = todo.pop()
        if sid in keep or sid not in by_id:
            continue
        keep.add(sid)
        based = by_id[sid].find(w("basedOn"))
        if based is not None:
            todo.append(based.get(w("val")))
    for sid, st in by_id.items():
        if st.get(w("type")) == "table" and sid not in keep:
            st.getparent().remove(st)

    def conditional(sid: str | None, seen: frozenset[str] = frozenset()) -> bool:
        st = by_id.get(sid) if sid not in seen else None
        if st is None:
            return False
        if st.find(w("tblStylePr")) is not None:
            return True
        based = st.find(w("basedOn"))
        return based is not None and conditional(based.get(w("val")), seen | {sid or ""})

    default = next((sid for sid, st in by_id.items() if st.get(w("type")) == "table"
                    and _on(st, "default")), None)
    plain = {sid for sid in keep if by_id[sid].get(w("type")) == "table"
             and not conditional(sid)}
    if default is None or default in plain:
        plain.add("")  # a table that names no style uses the default one
    return plain


def _on(style, name: str) -> bool:
    """A style's on/off attribute (``w:default``, ``w:customStyle``) is on."""
    return style.get(w(name)) in ("1", "true", "on")


def _lean_story(root, plain_tables: set[str]) -> None:
    """Drop a story part's markup without effect (see the module's docstring)."""
    for tblpr in root.iter(w("tblPr")):
        style = tblpr.find(w("tblStyle"))
        sid = style.get(w("val"), "") if style is not None else ""
        look = tblpr.find(w("tblLook"))
        if look is not None and sid in plain_tables:
            tblpr.remove(look)
        width = tblpr.find(w("tblW"))
        if width is not None and width.get(w("type")) == "auto" and \
                width.get(w("w"), "0") == "0":
            tblpr.remove(width)
    keep = list(KEEP_PREFIXES) + (root.get(_MC_IGNORABLE) or "").split()
    etree.cleanup_namespaces(root, keep_ns_prefixes=[p for p in keep if p in root.nsmap])


def _drop_overrides(body: bytes) -> bytes:
    """``[Content_Types].xml`` without the overrides of the dropped parts."""
    for name in DROPPED:
        body = re.sub(rb'<Override PartName="/' + re.escape(name.encode()) + rb'"[^>]*/>',
                      b"", body)
    return body


def _drop_relationships(name: str, body: bytes) -> bytes:
    """A relationships part (``name``) without the relationships to the dropped parts."""
    folder = name.rpartition("_rels/")[0]

    def keep(m: re.Match) -> bytes:
        target = m.group(1).decode("utf-8", "replace")
        path = target[1:] if target.startswith("/") else posixpath.normpath(folder + target)
        return b"" if path in DROPPED and b'TargetMode="External"' not in m.group(0) \
            else m.group(0)

    return re.sub(rb'<Relationship [^>]*Target="([^"]*)"[^>]*/>', keep, body)
