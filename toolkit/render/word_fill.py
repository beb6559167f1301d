"""Word: the docxtpl fill, and what both fill paths share.

Filling renders the template with docxtpl (autoescape on), then sets what a Jinja
expression cannot reach in a Word-valid way: checkbox state, the date a date picker
holds, and placeholder text in empty controls. The display tree, reference texts and
tables built here are also the context of the compiled fill (:mod:`.word_compiled`).
"""

from __future__ import annotations

import io
import re
import weakref
from typing import Any

from docx.shared import Pt
from lxml import etree

from .. import danish
from ..catalogue import Form
from ..layout_refs import default_texts, show_minor, special_paths
from ..paths import get_value
from ..profile import Profile, neutral_refs
from .ooxml import (
    CHECKED,
    PLACEHOLDER_STYLE,
    PLACEHOLDERS,
    UNCHECKED,
    rewrite_package,
    runs_xml,
    w,
    w14,
)
from .word_build import REF, identity, image_key


def blank_data(form: Form) -> dict:
    """Data for a blank form: nothing filled in, each list with its blank rows."""
    data: dict = {}
    for lst in form.lists.values():
        node = data
        parts = lst.path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = [("" if lst.scalar else {}) for _ in range(lst.blank_rows)]
    return data



_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_NEEDS_PRESERVE = re.compile(r"^\s|\s$|\s\s|[\t\n\r]")


def lean_markup(root) -> None:
    """Drop markup that Word and LibreOffice do not need, in a story part before compiling.

    * ``xml:space="preserve"`` on static text without leading, trailing or double spaces
      (docxtpl puts it on every ``w:t``); text with a Jinja expression keeps it;
    * empty ``w:rPr`` (a run without properties);
    * ``w:color="auto"`` on cell shading (the default).

    Content controls keep every tag, alias and type; nothing that is shown changes.
    """
    for t_el in root.iter(w("t")):
        text = t_el.text or ""
        if (t_el.get(_XML_SPACE) == "preserve" and "{" not in text
                and not _NEEDS_PRESERVE.search(text)):
            del t_el.attrib[_XML_SPACE]
    for rpr in list(root.iter(w("rPr"))):
        if len(rpr) == 0 and not rpr.attrib and rpr.text is None:
            rpr.getparent().remove(rpr)
    for shd in root.iter(w("shd")):
        if shd.get(w("color")) == "auto":
            del shd.attrib[w("color")]


def render_docxtpl(form: Form, data: dict, raw: bytes,
                   profile: Profile | None = None, blank: bool = False) -> bytes:
    """The slow path: docxtpl renders, lxml sets the controls (for templates the
    compiled fill cannot take: a drawing outside the body, unusual expressions).
    ``blank``: empty controls show their placeholder text (never in a filled document)."""
    from docxtpl import DocxTemplate
    from jinja2 import Environment

    tpl = DocxTemplate(io.BytesIO(raw))
    context = {
        "v": display(form, form.schema, data, ""),
        "ref": reference_texts(form, data, profile=profile),
        "images": _images(form, data, tpl),
        "tables": tables(form, data),
    }
    tpl.render(context, Environment(autoescape=True), autoescape=True)
    for root in _rendered_roots(tpl):
        finalize_controls(form, data, root, blank=blank)
        lean_markup(root)
    buf = io.BytesIO()
    tpl.save(buf)
    return rewrite_package(buf.getvalue(), custom=identity(form), fixed_time=True)


def _rendered_roots(tpl) -> list:
    doc = tpl.docx
    roots = [doc.element.body]
    for section in doc.sections:
        for part in (section.header, section.footer, section.first_page_header,
                     section.first_page_footer, section.even_page_header,
                     section.even_page_footer):
            if not part.is_linked_to_previous:
                roots.append(part._element)
    return roots


class _Text(str):
    """A text value already escaped for ``w:t`` (LF → paragraph, TAB → tab)."""

    def __html__(self) -> str:
        return str(self)


def display(form: Form, node: dict, value: Any, path: str) -> Any:
    """The display tree the template's Jinja expressions read (Danish text, glyphs)."""
    if node is form.schema and not path:
        build = _DISPLAY.get(form)
        if build is None:
            build = _DISPLAY[form] = _display_builder(form, node, "")
        return build(value)
    return _display_builder(form, node, path)(value)


_DISPLAY: weakref.WeakKeyDictionary[Form, Any] = weakref.WeakKeyDictionary()


def _display_builder(form: Form, node: dict, path: str) -> Any:
    """A function value -> display tree for the schema node at ``path`` (built once)."""
    typ = node.get("type")
    if typ == "object":
        subs = [(k, _display_builder(form, sub, f"{path}.{k}" if path else k))
                for k, sub in node.get("properties", {}).items()]

        def obj(value: Any) -> dict:
            get = value.get if isinstance(value, dict) else {}.get
            return {k: build(get(k)) for k, build in subs}
        return obj
    if typ == "array" and "enum" in node.get("items", {}):
        options = list(node["items"]["enum"])

        def multi(value: Any) -> dict:
            chosen = value if isinstance(value, list) else []
            return {opt: (CHECKED if opt in chosen else UNCHECKED) for opt in options}
        return multi
    if typ == "array":
        item = _display_builder(form, node.get("items", {}), f"{path}.*")

        def array(value: Any) -> list:
            return [item(it) for it in value] if isinstance(value, list) else []
        return array
    fld = form.fields.get(path) or form.field(path)
    if fld.kind == "checkbox":
        return lambda value: CHECKED if value is True else UNCHECKED

    def leaf(value: Any) -> Any:
        if value is None or value == "":
            return ""
        if fld.kind == "date":
            return danish.format_date(value) if danish.is_iso_date(str(value)) else str(value)
        if fld.kind == "dropdown":
            return fld.choice_title(value)
        if fld.format == "month" and danish.is_month(str(value)):
            return danish.format_month(value)
        return _Text(runs_xml(str(value)))
    return leaf


def ref_paths(form: Form) -> list[str]:
    """Field paths that static text refers to with ``{path}`` (and the special paths of
    :mod:`toolkit.layout_refs`)."""
    texts = [form.schema.get("x-running-title", form.title)]
    texts += [b.get("heading", "") + b.get("text", "") for b in form.layout]
    texts += [i for b in form.layout for i in b.get("bullets", [])]
    found = {m.group(1) for t in texts for m in REF.finditer(t)}
    return sorted(found) + special_paths(form)


def reference_texts(form: Form, data: dict, blank: bool = False,
                    paths: list[str] | None = None,
                    profile: Profile | None = None) -> dict[str, str]:
    """Display text of every ``{path}`` reference (``paths``: precomputed ref paths).

    ``{profil.…}`` takes the profile's text (a line to fill in without a profile); an
    empty municipality field shows the profile's name, or ``[xx] Kommune`` without one.
    """
    refs: dict[str, str] = {}
    from_profile = profile.refs() if profile is not None else neutral_refs()
    later = []
    for path in paths if paths is not None else ref_paths(form):
        if path.startswith("minor:"):
            refs[path] = "1" if blank else show_minor(lambda p: get_value(data, p), path)
            continue
        if path.startswith("profil.samtykke."):
            later.append(path)
            continue
        if path.startswith("profil."):
            refs[path] = from_profile.get(path, "[……….]")
            continue
        value = get_value(data, path)
        fld = form.fields.get(path)
        if fld is not None and fld.format == "kommune":
            if value and profile is not None and value in profile.kommune_names():
                refs[path] = profile.name  # the profile's own (fictitious) municipality
            else:
                refs[path] = (danish.kommune_official(value) if value
                              else from_profile["profil.navn"])
        elif fld is not None and fld.kind == "date" and value \
                and danish.is_iso_date(str(value)):
            refs[path] = danish.format_date(value)
        else:
            refs[path] = str(value) if value not in (None, "") else "[…]"
    defaults = default_texts(form)
    for path in later:  # a replaceable text: the profile's wording or the schema's
        text = from_profile.get(path) or defaults.get(path, "")
        refs[path] = REF.sub(lambda m: refs.get(m.group(1), from_profile.get(
            m.group(1), "[…]")), text)
    return refs


def _images(form: Form, data: dict, tpl) -> dict:
    from docxtpl import InlineImage

    from ..derived import drawing
    from ..network_circle import PRINTED_WIDTH_PT

    images = {}
    for block in form.layout:
        if "image" not in block:
            continue
        images[image_key(block)] = InlineImage(tpl, io.BytesIO(drawing(block, data)),
                                  width=Pt(PRINTED_WIDTH_PT))
    return images


def tables(form: Form, data: dict) -> dict:
    from ..derived import month_overview_xml

    tables = {}
    for block in form.layout:
        if "month_overview" in block:
            key = f"month_overview:{block['month_overview']}"
            tables[key] = _Text(month_overview_xml(form, block, data))
    return tables


def finalize_controls(form: Form, data: dict, root, blank: bool = False) -> None:
    """Set checkbox states, date-picker dates and placeholders from the data, by tag.

    Placeholder text goes into empty controls of a ``blank`` form only; in a filled
    document an unanswered control stays empty (no "Klik eller tryk her …" on paper).
    """
    for sdt in list(root.iter(w("sdt"))):
        pr = sdt.find(w("sdtPr"))
        tag_el = pr.find(w("tag")) if pr is not None else None
        if tag_el is None:
            continue
        tag = tag_el.get(w("val"), "")
        path, _, option = tag.partition(":")
        try:
            fld = form.field(path)
        except KeyError:
            continue
        value = get_value(data, path)
        box = pr.find(w14("checkbox"))
        if box is not None:
            checked = (value is True) if not option else (
                isinstance(value, list) and option_in(option, value))
            box.find(w14("checked")).set(w14("val"), "1" if checked else "0")
            continue
        empty = value is None or value == ""
        date = pr.find(w("date"))
        if date is not None and not empty and danish.is_iso_date(str(value)):
            date.set(w("fullDate"), f"{value}T00:00:00Z")
        if empty and blank:
            _show_placeholder(sdt, pr, PLACEHOLDERS.get(fld.kind, PLACEHOLDERS["text"]))


def option_in(option: str, values: list) -> bool:
    return any(str(v) == option for v in values)


def _show_placeholder(sdt, pr, text: str) -> None:
    if pr.find(w("showingPlcHdr")) is None:
        pr.append(etree.Element(w("showingPlcHdr")))
    content = sdt.find(w("sdtContent"))
    t_elements = list(content.iter(w("t")))
    if not t_elements:
        return
    run = t_elements[0].getparent()
    show_placeholder_run(run, t_elements[0], text)
    style = placeholder_style(run)
    if style is not None:
        style.set(w("val"), PLACEHOLDER_STYLE)


def placeholder_style(run):
    """The ``w:pStyle`` of the paragraph of ``run`` when that paragraph is the content of
    a block-level control (a text or long answer), else None.

    LibreOffice ignores the run properties inside a block-level control and shows its
    placeholder black; it honours the paragraph's style, so a blank answer's paragraph
    takes the grey :data:`~toolkit.render.ooxml.PLACEHOLDER_STYLE`.
    """
    para = run.getparent()
    if para is None or para.tag != w("p") or para.getparent() is None \
            or para.getparent().tag != w("sdtContent"):
        return None
    ppr = para.find(w("pPr"))
    return ppr.find(w("pStyle")) if ppr is not None else None


def show_placeholder_run(run, t_el, text: str) -> None:
    """Placeholder text in grey ``PlaceholderText`` style in the run holding ``t_el``."""
    t_el.text = text
    rpr = run.find(w("rPr"))
    if rpr is None:
        rpr = etree.SubElement(run, w("rPr"))
        run.remove(rpr)
        run.insert(0, rpr)
    style = etree.SubElement(rpr, w("rStyle"))
    style.set(w("val"), "PlaceholderText")
    rpr.remove(style)
    rpr.insert(0, style)
    if rpr.find(w("color")) is None:  # LibreOffice ignores the style inside block controls
        etree.SubElement(rpr, w("color")).set(w("val"), "808080")
