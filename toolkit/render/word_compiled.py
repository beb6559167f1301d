"""Word: the compiled fill — a template turned into Jinja once, each fill render + zip.

Entry points :func:`render` and :func:`compiled_template`; templates that cannot be
compiled (unusual expressions, a drawing outside the document body) fall back to the
docxtpl path in :mod:`toolkit.render.word_fill`.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import weakref
import zipfile
from pathlib import Path
from typing import Any

from docx.shared import Pt
from lxml import etree
from markupsafe import Markup

from .. import danish
from ..catalogue import Form
from ..derived import drawing
from ..errors import TemplateError
from ..paths import get_value
from ..profile import Profile
from ..profile_defaults import with_profile_defaults
from .cache import Cache
from .letterhead import LOGO_SHAPE_ID, png_size
from .ooxml import (
    CHECKED,
    PLACEHOLDER_STYLE,
    PLACEHOLDERS,
    ZipEntry,
    attr,
    clean_text,
    custom_part,
    custom_properties_xml,
    w,
    w14,
    with_default,
    write_zip,
)
from .word_build import REF, identity, image_key, template_path
from .word_check import JINJA, check_template
from .word_fill import (
    blank_data,
    display,
    lean_markup,
    option_in,
    placeholder_style,
    ref_paths,
    reference_texts,
    render_docxtpl,
    show_placeholder_run,
    tables,
)
from .word_lean import lean_package


def render(form: Form, data: dict | None, template: str | Path | None = None,
           blank: bool = False, profile: Profile | None = None) -> bytes:
    """Fill the form's Word template with data (or blank rows) and return .docx bytes.

    The template is compiled once per (form, template) and cached (see
    :func:`compiled_template`), so ``skema fill`` and ``skema batch`` make the same bytes.
    ``profile``: the municipality's header and footer and its name where the text says
    ``[xx] Kommune`` (see :mod:`toolkit.render.letterhead`).
    """
    from .letterhead import docx_letterhead

    if blank:
        data = blank_data(form)
    out = compiled_template(form, template).render(data or {}, profile=profile, blank=blank)
    return docx_letterhead(out, form, profile, docx_title(form, data or {}, profile))


def docx_title(form: Form, data: dict, profile: Profile | None = None) -> str | None:
    """A filled document's title when it differs from the template's neutral one (the
    data's municipality or the profile's in ``Handleplan for …``), else None."""
    from .doc_title import document_title

    if not REF.search(form.schema.get("x-running-title", "")):
        return None
    named = document_title(form, reference_texts(form, data, profile=profile))
    return named if named != document_title(form, {}) else None


def compiled_template(form: Form, template: str | Path | None = None) -> CompiledTemplate:
    """The form's Word template (or a custom ``template`` file) compiled for fast filling.

    A custom template is checked against the schema first (TemplateError when it does not
    fit). The result is cached per form object and template content.
    """
    if template is not None:
        try:
            raw = Path(template).read_bytes()
        except OSError:
            raise TemplateError(f"{template}: skabelonen kan ikke læses.",
                                hint="Tjek stien til --template.") from None
    else:
        raw = template_path(form).read_bytes()
    key = hashlib.sha256(raw).digest()
    cache = _COMPILED.setdefault(form, {})
    if key not in cache:
        if template is not None:
            problems = check_template(form, raw)
            if problems:
                raise TemplateError(
                    f"{template}: skabelonen passer ikke til formularen \"{form.id}\" "
                    f"(version {form.version}):\n  - " + "\n  - ".join(problems),
                    hint="Byg en ny skabelon med \"skema templates build\" og flyt dine "
                    "tilpasninger over i den.",
                )
        compiled = CompiledTemplate(form, raw)
        if template is not None and not compiled.fast:
            _opens_in_docxtpl(compiled.raw, template)
        cache[key] = compiled
    return cache[key]


def _opens_in_docxtpl(raw: bytes, template: str | Path) -> None:
    """A custom template for the docxtpl path must open as a Word package (python-docx
    refuses a part without a content type, a relationship to a missing part …) before
    the first document, not as an unexpected error in it."""
    from docx import Document

    try:
        Document(io.BytesIO(raw))
    except (KeyError, ValueError, LookupError, zipfile.BadZipFile,
            etree.XMLSyntaxError):
        raise TemplateError(
            f"{template}: skabelonen kan ikke åbnes som Word-dokument (en del af pakken "
            "mangler eller er ugyldig).",
            hint="Byg en ny skabelon med \"skema templates build\" og flyt dine "
            "tilpasninger over i den.") from None


_COMPILED: weakref.WeakKeyDictionary[Form, dict[bytes, CompiledTemplate]] = (
    weakref.WeakKeyDictionary())

#: Word parts whose XML may hold Jinja expressions or content controls.
_STORY = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
_MARK = re.compile(r' w:fullDate="SKEMA:(\d+)"|"SKEMA:(\d+)"|<!--SKEMA:(\d+)-->')
_ONE_EXPR = re.compile(r"\{\{\s*((?:(?!\{\{|\}\}).)+?)\s*\}\}", re.S)
_JINJA_TAG = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
_XML_DECL = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"


class CompiledTemplate:
    """A Word template turned into Jinja templates once; each fill is render + zip.

    What the docxtpl path did per document after rendering (checkbox state, the date a
    date picker holds, placeholder text and style in empty controls) is compiled into the
    Jinja source as conditionals, so a fill never parses XML. Parts without expressions
    are kept deflated and copied as they are. A drawing (the network circle) gets its
    relationship and content type once; each fill adds only its PNG part and the inline
    picture's markup. Templates whose expressions cannot be compiled safely use the docxtpl
    path (``fast`` is False then).
    """

    def __init__(self, form: Form, raw: bytes) -> None:
        self.form = form
        self.raw = lean_package(raw)
        self.identity = identity(form)
        self.fast = True
        self.ref_paths = ref_paths(form)
        self.entries: list[tuple[str, Any]] = []
        self.drawings: list[_Drawing] = []
        if self.fast:
            try:
                self._compile()
            except _NotCompilable:
                self.fast = False
                self.entries = []
                self.drawings = []

    # -- compile ---------------------------------------------------------------------------
    def _compile(self) -> None:
        from docxtpl import DocxTemplate
        from jinja2 import Environment, TemplateSyntaxError

        env = Environment(autoescape=True)
        patcher = DocxTemplate.__new__(DocxTemplate)
        src = zipfile.ZipFile(io.BytesIO(self.raw))
        parts: list[tuple[str, bytes]] = []
        patched: dict[str, str] = {}  # the story parts with expressions, as docxtpl reads them
        for info in src.infolist():
            name = info.filename
            if name.endswith("/"):
                continue
            body = custom_part(name, src.read(name))
            if body is None:
                continue
            parts.append((name, body))
            if _STORY.fullmatch(name) and (b"{" in body or b"<w:sdt" in body):
                patched[name] = patcher.patch_xml(
                    etree.tostring(etree.fromstring(body), encoding="unicode"))
        self.drawings = self._drawing_slots(src, patched)
        for name, body in parts:
            if name in patched:
                try:
                    self.entries.append((name, env.from_string(
                        self._compile_part(patched[name]))))
                except TemplateSyntaxError:
                    raise _NotCompilable from None
            elif name == "word/_rels/document.xml.rels" and self.drawings:
                self.entries.append((name, _DrawingRels(body, self.drawings)))
            elif name == "[Content_Types].xml" and self.drawings:
                self.entries.append((name, ZipEntry(name, with_default(body, "png",
                                                                       "image/png"))))
            else:
                self.entries.append((name, ZipEntry(name, body)))
        self.entries.append(("docProps/custom.xml", ZipEntry(
            "docProps/custom.xml", custom_properties_xml(self.identity).encode("utf-8"))))

    def _drawing_slots(self, src: zipfile.ZipFile, patched: dict[str, str]) -> list[_Drawing]:
        """The drawings the body shows, each with its relationship id, part name and shape
        id (above every ``id`` in the template and the letterhead's logo).

        Only the plain ``{{ images['…'] }}`` of one of the form's drawings, once, in the
        body, is compiled; any other mention of ``images`` (in a header, a ``{% set %}``,
        a comment, a filter, twice) leaves the template to docxtpl, which handles each."""
        keys = {image_key(b): b for b in self.form.layout if "image" in b}
        found: list[str] = []
        for name, xml in patched.items():
            for m in _ANY_TAG.finditer(xml):
                if not _IMAGES.search(m.group(0)):
                    continue
                shown = _SHOW_IMAGE.fullmatch(m.group(0))
                if name != "word/document.xml" or shown is None \
                        or shown.group(2) not in keys or shown.group(2) in found:
                    raise _NotCompilable
                found.append(shown.group(2))
        if not found:
            return []
        rels = src.read("word/_rels/document.xml.rels").decode("utf-8", "replace")
        names = set(src.namelist())
        ids = [int(v) for xml in patched.values() for v in _SHAPE_ID.findall(xml)]
        ids += [int(v) for name in names if _STORY.fullmatch(name) and name not in patched
                for v in _SHAPE_ID.findall(src.read(name).decode("utf-8", "replace"))]
        first = max([*ids, LOGO_SHAPE_ID]) + 1
        slots = [_Drawing(keys[key], key, n + 1, first + n)
                 for n, key in enumerate(k for k in keys if k in found)]
        for slot in slots:
            if f'"{slot.rel}"' in rels or f"word/{slot.target}" in names \
                    or slot.shape > 0x7FFFFFFF:
                raise _NotCompilable
        return slots

    def _compile_part(self, xml: str) -> str:
        for m in _JINJA_TAG.finditer(xml):
            if any(c in (m.group(1) or m.group(2)) for c in "<>&"):
                raise _NotCompilable  # would need docxtpl's lenient re-parse
        try:
            root = etree.fromstring(xml)
        except etree.XMLSyntaxError:
            raise _NotCompilable from None
        code: list[str] = []

        def mark(jinja: str) -> str:
            code.append(jinja)
            return f"SKEMA:{len(code) - 1}"

        lean_markup(root)
        for sdt in list(root.iter(w("sdt"))):
            self._compile_control(sdt, mark)
        out = etree.tostring(root, encoding="unicode")
        def unmark(m: re.Match) -> str:
            if m.group(2):  # an attribute value
                return '"' + code[int(m.group(2))] + '"'
            return code[int(m.group(1) or m.group(3))]

        out = _MARK.sub(unmark, out)
        return _XML_DECL + out

    def _compile_control(self, sdt, mark) -> None:
        pr = sdt.find(w("sdtPr"))
        tag_el = pr.find(w("tag")) if pr is not None else None
        if tag_el is None:
            return
        tag = tag_el.get(w("val"), "")
        if "{%" in tag:
            return
        path, _, _option = JINJA.sub("*", tag).partition(":")
        try:
            fld = self.form.field(path)
        except KeyError:
            return
        expr = _tag_jinja(tag)
        content = sdt.find(w("sdtContent"))
        t_el = next(content.iter(w("t")), None) if content is not None else None
        # The generated templates show exactly the field's display value; then its
        # emptiness and glyph decide, with no function call per control.
        match = _ONE_EXPR.fullmatch(t_el.text or "") if t_el is not None else None
        shown = f"({match.group(1)})" if match else None
        box = pr.find(w14("checkbox"))
        if box is not None:
            checked = box.find(w14("checked"))
            if checked is not None:
                test = (f"'1' if {shown} == {CHECKED!r} else '0'" if shown
                        else f"_cb({expr})")
                checked.set(w14("val"), mark("{{ " + test + " }}"))
            return
        # Placeholder text only in a blank form: a filled document shows an empty answer.
        empty_test = "_blank and " + (f"not {shown}" if shown else f"_e({expr})")
        date = pr.find(w("date"))
        if date is not None:
            old = date.get(w("fullDate"))
            date.attrib.pop(w("fullDate"), None)
            date.set(w("fullDate"), mark("{{ _fd(" + expr + ", " + repr(old or "") + ") }}"))
        if pr.find(w("showingPlcHdr")) is None:
            pr.append(etree.Comment(mark("{% if " + empty_test + " %}")))
            pr.append(etree.Element(w("showingPlcHdr")))
            pr.append(etree.Comment(mark("{% endif %}")))
        if t_el is None or t_el.getparent() is None:
            return
        run = t_el.getparent()
        empty = copy.deepcopy(run)
        empty.tail = None
        show_placeholder_run(empty, next(empty.iter(w("t"))),
                              PLACEHOLDERS.get(fld.kind, PLACEHOLDERS["text"]))
        style = placeholder_style(run)
        if style is not None:  # grey in LibreOffice too (see placeholder_style)
            old_style = style.get(w("val"), "")
            style.set(w("val"), mark("{{ " + repr(PLACEHOLDER_STYLE) + " if " + empty_test
                                     + " else " + repr(old_style) + " }}"))
        run.addprevious(etree.Comment(mark("{% if " + empty_test + " %}")))
        run.addprevious(empty)
        run.addprevious(etree.Comment(mark("{% else %}")))
        tail, run.tail = run.tail, None
        end = etree.Comment(mark("{% endif %}"))
        end.tail = tail
        run.addnext(end)

    # -- fill ------------------------------------------------------------------------------
    def render(self, data: dict, profile: Profile | None = None, blank: bool = False) -> bytes:
        """The filled .docx of one form's data (no validation here; ``profile``: its
        texts for ``{profil.…}`` references, the letterhead is added by :func:`render`).
        ``blank``: empty controls show their grey placeholder text (never when filled)."""
        data = _clean(data)
        if not blank:
            data = with_profile_defaults(self.form, data, profile)
        if not self.fast:
            return render_docxtpl(self.form, data, self.raw, profile, blank=blank)
        form = self.form
        state = _ControlState(data)
        pngs = {slot.number: drawing(slot.block, data) for slot in self.drawings}
        context = {
            "v": display(form, form.schema, data, ""),
            "ref": reference_texts(form, data, paths=self.ref_paths, profile=profile),
            "images": {slot.key: slot.markup(pngs[slot.number]) for slot in self.drawings},
            "tables": tables(form, data),
            "_cb": state.checked, "_fd": state.full_date, "_e": state.empty,
            "_blank": blank,
        }
        rendered = {name: item.render(context) for name, item in self.entries
                    if not isinstance(item, ZipEntry | _DrawingRels)}
        shown = []
        for slot in self.drawings:
            count = rendered["word/document.xml"].count(f'r:embed="{slot.rel}"')
            if count > 1:  # a loop shows it twice: docxtpl gives each picture its own id
                return render_docxtpl(form, data, self.raw, profile, blank=blank)
            if count:  # not added where the template leaves it out (a condition)
                shown.append(slot)
        entries = []
        for name, item in self.entries:
            if isinstance(item, ZipEntry):
                entries.append(item)
            elif isinstance(item, _DrawingRels):
                entries.append(item.entry(tuple(slot.number for slot in shown)))
            else:
                entries.append(ZipEntry(name, rendered[name].encode("utf-8"), level=1))
        return write_zip(entries + [slot.part(pngs[slot.number]) for slot in shown])



class _NotCompilable(Exception):
    """The template needs the docxtpl path."""


_ANY_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_IMAGES = re.compile(r"\bimages\b")
_SHOW_IMAGE = re.compile(r"\{\{\s*images\[\s*(['\"])([^'\"]*)\1\s*\]\s*\}\}")
_SHAPE_ID = re.compile(r"[\s<]id=[\"'](\d+)[\"']")  # wp:docPr, pic:cNvPr (not w:id)
_IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
#: docxtpl's inline picture (python-docx ``CT_Inline.new_pic_inline``), without its
#: indentation; ``InlineImage`` closes the text run around it the same way.
_INLINE = (
    '</w:t></w:r><w:r><w:drawing><wp:inline '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{shape}" name="Picture {number}"/>'
    '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
    '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="image.png"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip r:embed="{rel}"/><a:stretch><a:fillRect/></a:stretch>'
    '</pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/>'
    '</a:xfrm><a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic>'
    '</wp:inline></w:drawing></w:r><w:r><w:t xml:space="preserve">')


class _Drawing:
    """One drawing of a compiled template: its picture markup and PNG part per fill."""

    def __init__(self, block: dict, key: str, number: int, shape: int) -> None:
        self.block = block
        self.key = key  # as the template names it: images['netvaerkscirkel:netvaerk']
        self.number = number
        self.shape = shape
        self.rel = f"rIdSkemaDrawing{number}"
        self.target = f"media/skema-drawing{number}.png"
        self.parts: Cache[bytes, ZipEntry] = Cache(8)

    def markup(self, png: bytes) -> Markup:
        """The inline picture, printed at the drawing's width with the PNG's proportions."""
        from ..network_circle import PRINTED_WIDTH_PT

        width, height = png_size(png)
        cx = int(Pt(PRINTED_WIDTH_PT))  # as docxtpl's InlineImage sizes it
        cy = int(round(cx * height / width))
        return Markup(_INLINE.format(cx=cx, cy=cy, shape=self.shape, number=self.number,
                                     rel=self.rel))

    def part(self, png: bytes) -> ZipEntry:
        """The PNG as a stored-alike zip member (PNG is compressed already), kept for the
        drawings that recur (a blank circle, the strategy's)."""
        entry = self.parts.get(png)
        if entry is None:
            entry = self.parts.put(png, ZipEntry(f"word/{self.target}", png, level=1))
        return entry


class _DrawingRels:
    """The body's relationships, with those of the drawings a fill shows."""

    def __init__(self, body: bytes, drawings: list[_Drawing]) -> None:
        self.body = body
        self.drawings = drawings
        self.made: dict[tuple[int, ...], ZipEntry] = {}

    def entry(self, shown: tuple[int, ...]) -> ZipEntry:
        """The relationships part naming the drawings numbered ``shown``."""
        entry = self.made.get(shown)
        if entry is None:
            rels = "".join(f'<Relationship Id="{d.rel}" Type="{_IMAGE_REL}" '
                           f'Target="{d.target}"/>' for d in self.drawings if d.number in shown)
            entry = self.made[shown] = ZipEntry("word/_rels/document.xml.rels",
                                                self.body.replace(b"</Relationships>", rels.encode()
                                                                  + b"</Relationships>"))
        return entry


def _tag_jinja(tag: str) -> str:
    """A tag attribute with ``{{ }}`` expressions as one Jinja string expression."""
    parts, pos = [], 0
    for m in JINJA.finditer(tag):
        if m.start() > pos:
            parts.append(repr(tag[pos:m.start()]))
        parts.append(f"({m.group(0)[2:-2].strip()})")
        pos = m.end()
    if pos < len(tag) or not parts:
        parts.append(repr(tag[pos:]))
    return " ~ ".join(parts)


class _ControlState:
    """Per-document answers to what a control shows: checked, date, empty."""

    def __init__(self, data: dict) -> None:
        self.data = data

    def checked(self, tag: str) -> str:
        path, _, option = tag.partition(":")
        value = get_value(self.data, path)
        on = (value is True) if not option else (
            isinstance(value, list) and option_in(option, value))
        return "1" if on else "0"

    def full_date(self, tag: str, old: str = "") -> Markup:
        value = get_value(self.data, tag.partition(":")[0])
        if value not in (None, "") and danish.is_iso_date(str(value)):
            return Markup(f' w:fullDate="{value}T00:00:00Z"')
        return Markup(f" w:fullDate={attr(old)}") if old else Markup("")

    def empty(self, tag: str) -> bool:
        value = get_value(self.data, tag.partition(":")[0])
        return value is None or value == ""


def _clean(value: Any) -> Any:
    """The data with every string made XML-safe (control characters out, CR/CRLF → LF)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


