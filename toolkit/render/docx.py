"""Word: build a docxtpl template from a form's schema, and fill it (or leave it blank).

The template holds one content control per answer (``w:tag`` = field path, ``w:alias`` =
Danish label) whose text is a Jinja expression; lists are ``{%tr for %}`` rows or
``{%p for %}`` blocks. Filling renders it with docxtpl (autoescape on), then sets what a
Jinja expression cannot reach in a Word-valid way: checkbox state, the date a date picker
holds, and placeholder text in empty controls.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import io
import re
import weakref
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree
from markupsafe import Markup

from .. import danish
from ..errors import SchemaError, TemplateError
from ..forms import Field, Form, Slot, template_dir
from ..layout_refs import default_texts, minor_path, profile_text_path, show_minor, special_paths
from ..profile import Profile, neutral_refs
from .letterhead import docx_letterhead, footer_title
from .ooxml import (
    CHECKED,
    CUSTOM_PROPS_CT,
    CUSTOM_PROPS_REL,
    NSDECL,
    PLACEHOLDERS,
    UNCHECKED,
    ZipEntry,
    attr,
    clean_text,
    custom_properties_xml,
    rewrite_package,
    runs_xml,
    w,
    w14,
    write_zip,
)

FONT = "Arial"
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
LABEL_SHADE = "EEF2F6"
PAGE_WIDTH_CM = 17.0  # A4 minus 2 cm margins each side
KEEP_TOGETHER_ROWS = 8  # a fields table this short moves to the next page whole

_REF = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
_ITALIC = re.compile(r"\*([^*]+)\*")


# ---------------------------------------------------------------------------------------
# Template build
# ---------------------------------------------------------------------------------------
def template_path(form: Form) -> Path:
    """The committed template of a form: ``form_templates/<form>.docx``."""
    return template_dir() / f"{form.id}.docx"


def build_template(form: Form) -> bytes:
    """Generate the Word template of a form from its schema (deterministic bytes)."""
    doc = Document()
    _setup_page_and_styles(doc, form)
    builder = _Builder(doc, form)
    tables = ("fields", "rows", "blocks", "static_table", "month_overview", "image",
              "signature")
    for i, block in enumerate(form.layout):
        following = form.layout[i + 1] if i + 1 < len(form.layout) else {}
        builder.keep_next = any(k in following for k in tables)
        builder.block(block)
    # python-docx starts with one empty paragraph; drop it when unused.
    body = doc.element.body
    first = body[0]
    if first.tag == w("p") and not "".join(first.itertext()).strip():
        body.remove(first)
    props = doc.core_properties
    props.title = form.title
    props.author = "skema"
    props.last_modified_by = "skema"
    props.comments = f"Skabelon genereret fra schemas/{form.id}.schema.json"
    props.revision = 1
    fixed = _dt.datetime(2019, 2, 26)
    props.created = fixed
    props.modified = fixed
    props.language = "da-DK"
    buf = io.BytesIO()
    doc.save(buf)
    return rewrite_package(buf.getvalue(), custom=_identity(form), fixed_time=True)


def _identity(form: Form) -> dict[str, str]:
    return {"skema_form": form.id, "skema_version": form.version}


def _setup_page_and_styles(doc, form: Form) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.header_distance = section.footer_distance = Cm(1)

    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(w("rFonts"))
    for key in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(w(key), FONT)
    lang = parse_xml(f'<w:lang {NSDECL} w:val="da-DK" w:eastAsia="da-DK" w:bidi="ar-SA"/>')
    rpr.append(lang)

    for name, size, before in (("Title", 20, 0), ("Heading 1", 14, 14), ("Heading 2", 12, 10),
                               ("Heading 3", 11, 8)):
        st = styles[name]
        st.font.name = FONT
        st.font.size = Pt(size)
        st.font.bold = True
        st.font.italic = False
        st.font.color.rgb = ACCENT
        st.paragraph_format.space_before = Pt(before)
        st.paragraph_format.space_after = Pt(6)
        st_rpr = st.element.get_or_add_rPr()
        st_fonts = st_rpr.find(w("rFonts"))
        if st_fonts is None:
            st_fonts = parse_xml(f"<w:rFonts {NSDECL}/>")
            st_rpr.insert(0, st_fonts)
        for key in list(st_fonts.attrib):
            del st_fonts.attrib[key]
        for key in ("ascii", "hAnsi", "cs", "eastAsia"):
            st_fonts.set(w(key), FONT)
    title = styles["Title"]
    title_ppr = title.element.get_or_add_pPr()
    for border in title_ppr.findall(w("pBdr")):
        title_ppr.remove(border)

    svar = styles.add_style("Svar", WD_STYLE_TYPE.PARAGRAPH)
    svar.base_style = normal
    svar.paragraph_format.space_after = Pt(0)
    svar.paragraph_format.space_before = Pt(0)
    etiket = styles.add_style("Etiket", WD_STYLE_TYPE.PARAGRAPH)
    etiket.base_style = normal
    etiket.font.bold = True
    etiket.paragraph_format.space_after = Pt(0)
    hjaelp = styles.add_style("Hjaelp", WD_STYLE_TYPE.PARAGRAPH)
    hjaelp.base_style = normal
    hjaelp.font.size = Pt(8.5)
    hjaelp.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    hjaelp.paragraph_format.space_after = Pt(0)
    small = styles.add_style("Lille", WD_STYLE_TYPE.PARAGRAPH)
    small.base_style = normal
    small.font.size = Pt(9)
    plc = styles.add_style("PlaceholderText", WD_STYLE_TYPE.CHARACTER)
    plc.font.color.rgb = RGBColor(0x80, 0x80, 0x80)

    header = section.header.paragraphs[0]
    header.style = small
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    running = form.schema.get("x-running-title", form.title)
    header_run = header.add_run(_REF.sub(lambda m: "{{ ref[" + repr(m.group(1)) + "] }}",
                                         running))
    header_run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    footer = section.footer.paragraphs[0]
    footer.style = small
    footer.paragraph_format.tab_stops.add_tab_stop(Cm(PAGE_WIDTH_CM), alignment=2)
    footer.add_run(_REF.sub(lambda m: "{{ ref[" + repr(m.group(1)) + "] }}",
                            footer_title(form, running)))
    footer.add_run("\tSide ")
    footer._p.append(_field_xml("PAGE"))
    footer.add_run(" af ")
    footer._p.append(_field_xml("NUMPAGES"))


def _field_xml(instr: str):
    return parse_xml(f'<w:fldSimple {NSDECL} w:instr="{instr}"><w:r><w:t>1</w:t></w:r>'
                     "</w:fldSimple>")


class _Builder:
    """Turns layout blocks into Word content with Jinja expressions and content controls."""

    def __init__(self, doc, form: Form) -> None:
        self.doc = doc
        self.form = form
        self.keep_next = False

    # -- blocks --------------------------------------------------------------------------
    def block(self, block: dict) -> None:
        if "heading" in block:
            level = int(block.get("level", 1))
            para = self.doc.add_paragraph(style="Title" if level == 0 else f"Heading {level}")
            self._inline(para, block["heading"])
        elif "text" in block:
            style = {"small": "Lille", "note": "Hjaelp"}.get(block.get("style", ""), None)
            para = self.doc.add_paragraph(style=style)
            self._inline(para, "{" + profile_text_path(block) + "}" if "profile_text" in block
                         else block["text"])
            if style == "Hjaelp" or block["text"].rstrip().endswith(":") or self.keep_next:
                para.paragraph_format.keep_with_next = True  # stays with what it introduces
        elif "bullets" in block:
            marker = block.get("marker", "•")
            for i, item in enumerate(block["bullets"], start=1):
                para = self.doc.add_paragraph()
                fmt = para.paragraph_format
                fmt.left_indent, fmt.first_line_indent = Cm(0.8), Cm(-0.6)
                fmt.space_after = Pt(4)
                para.add_run((f"{i}." if marker == "1." else marker) + "\t")
                fmt.tab_stops.add_tab_stop(Cm(0.8))
                self._inline(para, item)
        elif "rows" in block:
            self._rows(block)
        elif "blocks" in block:
            self._blocks(block)
        elif "fields" in block:
            self._fields(block)
        elif "static_table" in block:
            self._static_table(block)
        elif "signature" in block and "minor" in block:
            self.doc.add_paragraph("{%p if ref[" + repr(minor_path(block)) + "] %}")
            self._signature(block["signature"])
            self.doc.add_paragraph("{%p endif %}")
        elif "signature" in block:
            self._signature(block["signature"])
        elif "page_break" in block:
            self.doc.add_page_break()
        elif "image" in block:
            self._image(block)
        elif "month_overview" in block:
            self._month_overview(block)
        else:
            raise SchemaError(f"Skemaet for \"{self.form.id}\" har en ukendt layoutblok i "
                              f"x-layout: {block!r}.",
                              hint="Ret blokken i skemaets x-layout (se schemas/README.md).")

    def _inline(self, para, text: str) -> None:
        """Text with ``*italic*`` spans and ``{path}`` references to field values."""
        pos = 0
        for match in _ITALIC.finditer(text):
            self._plain(para, text[pos:match.start()])
            self._plain(para, match.group(1), italic=True)
            pos = match.end()
        self._plain(para, text[pos:])

    def _plain(self, para, text: str, italic: bool = False) -> None:
        if not text:
            return
        text = _REF.sub(lambda m: "{{ ref[" + repr(m.group(1)) + "] }}", text)
        run = para.add_run(text)
        run.italic = italic or None

    def _table(self, rows: int, widths: list[float]):
        table = self.doc.add_table(rows=rows, cols=len(widths))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
        return table

    def _label_cell(self, cell, fld: Field | None, text: str | None = None,
                    header: bool = False) -> None:
        _shade(cell, LABEL_SHADE)
        para = cell.paragraphs[0]
        para.style = self.doc.styles["Etiket"]
        para.add_run(text if text is not None else fld.label)
        if fld is not None and fld.help and not header:
            helper = cell.add_paragraph(style="Hjaelp")
            helper.add_run(fld.help)

    def _fields(self, block: dict) -> None:
        flds = [f for p in block["fields"] for f in self.form.expand(p)]
        header = block.get("header")
        long_table = any(f.kind == "long" for f in flds)
        widths = [6.8, 10.2] if long_table else [5.5, 11.5]
        table = self._table(len(flds) + (1 if header else 0), widths)
        offset = 0
        if header:
            for cell, text in zip(table.rows[0].cells, header):
                self._label_cell(cell, None, text, header=True)
            _repeat_header(table.rows[0])
            offset = 1
        for i, fld in enumerate(flds):
            row = table.rows[i + offset]
            self._label_cell(row.cells[0], fld)
            self._answer(row.cells[1], fld, None)
            if fld.kind == "long":
                _min_height(row, Cm(3.2))
        if len(flds) <= KEEP_TOGETHER_ROWS and sum(f.kind == "long" for f in flds) <= 2:
            _keep_together(table)
        self._spacer()

    def _rows(self, block: dict) -> None:
        lst = self.form.lists[block["rows"]]
        names = block.get("columns")
        flds = list(lst.fields) if not names else [
            f for n in names for f in self.form.expand(n, f"{lst.path}.*")
        ]
        if block.get("title"):
            para = self.doc.add_paragraph(style="Etiket")
            para.add_run(block["title"])
            para.paragraph_format.keep_with_next = True
        total = PAGE_WIDTH_CM
        weights = [3 if f.kind == "long" else 2 if f.kind == "multi" else 1.4 for f in flds]
        widths = [total * wt / sum(weights) for wt in weights]
        table = self._table(4, widths)
        for cell, fld in zip(table.rows[0].cells, flds):
            title = lst.label if lst.scalar else fld.schema.get("title", fld.key)
            self._label_cell(cell, None, title, header=True)
        _repeat_header(table.rows[0])
        table.rows[1].cells[0].paragraphs[0].add_run(
            "{%tr for it in " + _expr(lst.path) + " %}")
        for cell, fld in zip(table.rows[2].cells, flds):
            self._answer(cell, fld, lst.path)
        table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
        self._spacer()

    def _blocks(self, block: dict) -> None:
        lst = self.form.lists[block["blocks"]]
        names = block.get("fields")
        flds = list(lst.fields) if not names else [
            f for n in names for f in self.form.expand(n, f"{lst.path}.*")
        ]
        self.doc.add_paragraph().add_run("{%p for it in " + _expr(lst.path) + " %}")
        head = self.doc.add_paragraph(style="Heading 3")
        head.add_run(lst.item_title + " {{ loop.index }}")
        head.paragraph_format.keep_with_next = True
        table = self._table(len(flds), [5.5, 11.5])
        for row, fld in zip(table.rows, flds):
            self._label_cell(row.cells[0], None, fld.schema.get("title", fld.key))
            self._answer(row.cells[1], fld, lst.path)
            if fld.kind == "long":
                _min_height(row, Cm(2.5))
        _keep_together(table)  # one item's block is never split over two pages
        self.doc.add_paragraph().add_run("{%p endfor %}")

    def _static_table(self, block: dict) -> None:
        rows = block["static_table"]
        table = self._table(len(rows), [5.5, 11.5])
        for row, cells in zip(table.rows, rows):
            for j, (cell, text) in enumerate(zip(row.cells, cells)):
                if j == 0 or (block.get("header") and row is table.rows[0]):
                    self._label_cell(cell, None, text)
                    continue
                lines = text.split("\n")
                cell.paragraphs[0].add_run(lines[0])
                for line in lines[1:]:
                    cell.add_paragraph().add_run(line)
                for para in cell.paragraphs:
                    para.paragraph_format.space_after = Pt(2)
        self._spacer()

    def _signature(self, labels: list[str]) -> None:
        previous = getattr(self, "_last_signature", None)
        if previous is not None and self.doc.paragraphs[-1]._p is previous[1]._p:
            # signature lines that follow each other stay on one page together
            for cell in previous[0].rows[1].cells:
                cell.paragraphs[0].paragraph_format.keep_with_next = True
            previous[1].paragraph_format.keep_with_next = True
        gap = 0.6
        width = (PAGE_WIDTH_CM - gap * (len(labels) - 1)) / len(labels)
        widths = []
        for i in range(len(labels)):
            widths.append(width)
            if i < len(labels) - 1:
                widths.append(gap)
        table = self.doc.add_table(rows=2, cols=len(widths))
        table.autofit = False
        for row in table.rows:
            for cell, wd in zip(row.cells, widths):
                cell.width = Cm(wd)
        _min_height(table.rows[0], Cm(1.6))
        for cell in table.rows[0].cells:  # never lines on one page, labels on the next
            cell.paragraphs[0].paragraph_format.keep_with_next = True
        for row in table.rows:
            row._tr.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {NSDECL}/>"))
        for i, label in enumerate(labels):
            top = table.rows[0].cells[i * 2]
            _borders(top, bottom=True)
            para = table.rows[1].cells[i * 2].paragraphs[0]
            para.style = self.doc.styles["Lille"]
            para.add_run(label)
        self._spacer()
        self._last_signature = (table, self.doc.paragraphs[-1])

    def _image(self, block: dict) -> None:
        para = self.doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        key = block.get("field") or ""
        para.add_run("{{ images[" + repr(f"{block['image']}:{key}") + "] }}")

    def _month_overview(self, block: dict) -> None:
        para = self.doc.add_paragraph()
        para.add_run("{{p tables[" + repr(f"month_overview:{block['month_overview']}") + "] }}")

    def _spacer(self) -> None:
        para = self.doc.add_paragraph()
        para.paragraph_format.space_after = Pt(4)

    # -- controls ------------------------------------------------------------------------
    def _answer(self, cell, fld: Field, region: str | None) -> None:
        """Fill an answer cell with the content control(s) of one field."""
        tc = cell._tc
        for para in list(tc.findall(w("p"))):
            tc.remove(para)
        for xml in control_xml(fld, region):
            tc.append(parse_xml(xml))


def _expr(path: str, base: str = "v") -> str:
    return base + "".join(f"[{p!r}]" for p in path.split("."))


def _value_expr(fld: Field, region: str | None) -> str:
    if region is None:
        return _expr(fld.path)
    key = fld.key
    return "it" if not key else _expr(key, "it")


def _tag_expr(fld: Field, region: str | None, option: Any = None) -> str:
    tag = fld.path if region is None else fld.path.replace(
        f"{region}.*", region + ".{{ loop.index0 }}", 1)
    return tag if option is None else f"{tag}:{option}"


def control_xml(fld: Field, region: str | None) -> list[str]:
    """XML of the block-level content (paragraphs/controls) of one answer cell."""
    value = _value_expr(fld, region)
    alias = attr(fld.label)
    if fld.kind in ("text", "long"):
        return [
            f'<w:sdt {NSDECL}><w:sdtPr><w:alias w:val={alias}/>'
            f'<w:tag w:val={attr(_tag_expr(fld, region))}/></w:sdtPr><w:sdtContent>'
            f'<w:p><w:pPr><w:pStyle w:val="Svar"/></w:pPr><w:r><w:t xml:space="preserve">'
            f"{{{{ {value} }}}}</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        ]
    if fld.kind == "multi":
        paras = []
        for option, title in fld.choices:
            box = _checkbox_sdt(f"{fld.label}: {title}", _tag_expr(fld, region, option),
                                f"{value}[{option!r}]")
            paras.append(
                f'<w:p {NSDECL}><w:pPr><w:pStyle w:val="Svar"/><w:ind w:left="340" '
                f'w:hanging="340"/><w:spacing w:after="40"/></w:pPr>{box}'
                f'<w:r><w:tab/><w:t xml:space="preserve">{escape(title)}</w:t></w:r></w:p>'
            )
        return paras
    if fld.kind == "checkbox":
        box = _checkbox_sdt(fld.label, _tag_expr(fld, region), value)
        return [f'<w:p {NSDECL}><w:pPr><w:pStyle w:val="Svar"/></w:pPr>{box}</w:p>']
    if fld.kind == "date":
        pr = ('<w:date><w:dateFormat w:val="d. MMMM yyyy"/><w:lid w:val="da-DK"/>'
              '<w:storeMappedDataAs w:val="date"/><w:calendar w:val="gregorian"/></w:date>')
    else:  # dropdown
        items = "".join(
            f"<w:listItem w:displayText={attr(title)} w:value={attr(str(val))}/>"
            for val, title in fld.choices
        )
        pr = f"<w:dropDownList>{items}</w:dropDownList>"
    return [
        f'<w:p {NSDECL}><w:pPr><w:pStyle w:val="Svar"/></w:pPr><w:sdt><w:sdtPr>'
        f'<w:alias w:val={alias}/><w:tag w:val={attr(_tag_expr(fld, region))}/>{pr}'
        f'</w:sdtPr><w:sdtContent><w:r><w:t xml:space="preserve">{{{{ {value} }}}}</w:t>'
        f"</w:r></w:sdtContent></w:sdt></w:p>"
    ]


def _checkbox_sdt(alias: str, tag: str, value: str) -> str:
    return (
        f"<w:sdt><w:sdtPr><w:alias w:val={attr(alias)}/><w:tag w:val={attr(tag)}/>"
        '<w14:checkbox><w14:checked w14:val="0"/>'
        '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
        '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox>'
        '</w:sdtPr><w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="MS Gothic" '
        'w:hAnsi="MS Gothic" w:eastAsia="MS Gothic"/></w:rPr>'
        f"<w:t>{{{{ {value} }}}}</w:t></w:r></w:sdtContent></w:sdt>"
    )


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    tcpr.append(parse_xml(f'<w:shd {NSDECL} w:val="clear" w:color="auto" w:fill="{fill}"/>'))


def _borders(cell, bottom: bool = False) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    edge = '<w:bottom w:val="single" w:sz="6" w:space="0" w:color="000000"/>' if bottom else ""
    tcpr.append(parse_xml(f"<w:tcBorders {NSDECL}>{edge}</w:tcBorders>"))


def _min_height(row, height) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(parse_xml(f'<w:trHeight {NSDECL} w:val="{int(height.twips)}" '
                          'w:hRule="atLeast"/>'))


def _keep_together(table) -> None:
    """Keep a short table on one page: rows unsplit, every row kept with the next one."""
    rows = list(table.rows)
    for row in rows:
        row._tr.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {NSDECL}/>"))
    for row in rows[:-1]:
        for p in row._tr.iter(qn("w:p")):  # also the answer paragraphs inside controls
            Paragraph(p, None).paragraph_format.keep_with_next = True


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(parse_xml(f"<w:tblHeader {NSDECL}/>"))


# ---------------------------------------------------------------------------------------
# Template check
# ---------------------------------------------------------------------------------------
_JINJA = re.compile(r"\{\{.*?\}\}")


def template_tags(data: bytes) -> list[str]:
    """Shape ids (``aktiviteter.*.hvem``, ``x.y:option``) of every tagged control in a template."""
    from ..extract.docx import open_package, story_parts

    tags = []
    with open_package(data) as pkg:
        for root in story_parts(pkg):
            for tag in root.iter(w("tag")):
                value = tag.get(w("val"), "")
                tags.append(_JINJA.sub("*", value))
    return tags


def check_template(form: Form, data: bytes) -> list[str]:
    """What is wrong with a custom template: missing fields and fields the schema lacks."""
    found = template_tags(data)
    expected = {s.ident: s for s in form.slots()}
    problems = []
    for ident, slot in expected.items():
        if ident not in found:
            problems.append(f"mangler feltet {ident} (\"{_slot_label(slot)}\")")
    for ident in sorted(set(found) - set(expected)):
        problems.append(f"har feltet {ident}, som formularen \"{form.id}\" ikke kender")
    return problems


def _slot_label(slot: Slot) -> str:
    if slot.option is None:
        return slot.field.label
    return f"{slot.field.label}: {slot.field.choice_title(slot.option)}"


# ---------------------------------------------------------------------------------------
# Fill
# ---------------------------------------------------------------------------------------
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


def render(form: Form, data: dict | None, template: str | Path | None = None,
           blank: bool = False, profile: Profile | None = None) -> bytes:
    """Fill the form's Word template with data (or blank rows) and return .docx bytes.

    The template is compiled once per (form, template) and cached (see
    :func:`compiled_template`), so ``skema fill`` and ``skema batch`` make the same bytes.
    ``profile``: the municipality's header and footer and its name where the text says
    ``[xx] Kommune`` (see :mod:`toolkit.render.letterhead`).
    """
    if blank:
        data = blank_data(form)
    out = compiled_template(form, template).render(data or {}, profile=profile)
    return docx_letterhead(out, form, profile)


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
        cache[key] = CompiledTemplate(form, raw)
    return cache[key]


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
    are kept deflated and copied as they are. Forms with images (network circle) and
    templates whose expressions cannot be compiled safely use the docxtpl path
    (``fast`` is False then).
    """

    def __init__(self, form: Form, raw: bytes) -> None:
        self.form = form
        self.raw = raw
        self.identity = _identity(form)
        self.fast = not any("image" in b for b in form.layout)
        self.ref_paths = _ref_paths(form)
        self.entries: list[tuple[str, Any]] = []
        if self.fast:
            try:
                self._compile()
            except _NotCompilable:
                self.fast = False
                self.entries = []

    # -- compile ---------------------------------------------------------------------------
    def _compile(self) -> None:
        from docxtpl import DocxTemplate
        from jinja2 import Environment, TemplateSyntaxError

        env = Environment(autoescape=True)
        patcher = DocxTemplate.__new__(DocxTemplate)
        src = zipfile.ZipFile(io.BytesIO(self.raw))
        for info in src.infolist():
            name = info.filename
            if name == "docProps/custom.xml" or name.endswith("/"):
                continue
            body = src.read(name)
            if name == "[Content_Types].xml" and b"/docProps/custom.xml" not in body:
                body = body.replace(
                    b"</Types>", f'<Override PartName="/docProps/custom.xml" '
                    f'ContentType="{CUSTOM_PROPS_CT}"/></Types>'.encode())
            elif name == "_rels/.rels" and b"docProps/custom.xml" not in body:
                body = body.replace(
                    b"</Relationships>", f'<Relationship Id="rIdSkemaCustom" '
                    f'Type="{CUSTOM_PROPS_REL}" Target="docProps/custom.xml"/>'
                    "</Relationships>".encode())
            if _STORY.fullmatch(name) and (b"{" in body or b"<w:sdt" in body):
                source = self._compile_part(patcher, body)
                try:
                    self.entries.append((name, env.from_string(source)))
                except TemplateSyntaxError:
                    raise _NotCompilable from None
            else:
                self.entries.append((name, ZipEntry(name, body)))
        self.entries.append(("docProps/custom.xml", ZipEntry(
            "docProps/custom.xml", custom_properties_xml(self.identity).encode("utf-8"))))

    def _compile_part(self, patcher, body: bytes) -> str:
        root = etree.fromstring(body)
        xml = patcher.patch_xml(etree.tostring(root, encoding="unicode"))
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
        path, _, _option = _JINJA.sub("*", tag).partition(":")
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
        empty_test = f"not {shown}" if shown else f"_e({expr})"
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
        _show_placeholder_run(empty, next(empty.iter(w("t"))),
                              PLACEHOLDERS.get(fld.kind, PLACEHOLDERS["text"]))
        run.addprevious(etree.Comment(mark("{% if " + empty_test + " %}")))
        run.addprevious(empty)
        run.addprevious(etree.Comment(mark("{% else %}")))
        tail, run.tail = run.tail, None
        end = etree.Comment(mark("{% endif %}"))
        end.tail = tail
        run.addnext(end)

    # -- fill ------------------------------------------------------------------------------
    def render(self, data: dict, profile: Profile | None = None) -> bytes:
        """The filled .docx of one form's data (no validation here)."""
        data = _clean(data)
        if not self.fast:
            return _render_docxtpl(self.form, data, self.raw, profile)
        form = self.form
        state = _ControlState(data)
        context = {
            "v": _display(form, form.schema, data, ""),
            "ref": _refs(form, data, paths=self.ref_paths, profile=profile),
            "images": {},
            "tables": _tables(form, data),
            "_cb": state.checked, "_fd": state.full_date, "_e": state.empty,
        }
        entries = []
        for name, item in self.entries:
            if isinstance(item, ZipEntry):
                entries.append(item)
            else:
                entries.append(ZipEntry(name, item.render(context).encode("utf-8"), level=1))
        return write_zip(entries)


class _NotCompilable(Exception):
    """The template needs the docxtpl path."""


def _tag_jinja(tag: str) -> str:
    """A tag attribute with ``{{ }}`` expressions as one Jinja string expression."""
    parts, pos = [], 0
    for m in _JINJA.finditer(tag):
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
            isinstance(value, list) and _option_in(option, value))
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


def _render_docxtpl(form: Form, data: dict, raw: bytes,
                    profile: Profile | None = None) -> bytes:
    """The slow path: docxtpl renders, lxml sets the controls (images need it)."""
    from docxtpl import DocxTemplate
    from jinja2 import Environment

    tpl = DocxTemplate(io.BytesIO(raw))
    context = {
        "v": _display(form, form.schema, data, ""),
        "ref": _refs(form, data, profile=profile),
        "images": _images(form, data, tpl),
        "tables": _tables(form, data),
    }
    tpl.render(context, Environment(autoescape=True), autoescape=True)
    for root in _rendered_roots(tpl):
        finalize_controls(form, data, root)
    buf = io.BytesIO()
    tpl.save(buf)
    return rewrite_package(buf.getvalue(), custom=_identity(form), fixed_time=True)


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


def _display(form: Form, node: dict, value: Any, path: str) -> Any:
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


def _ref_paths(form: Form) -> list[str]:
    """Field paths that static text refers to with ``{path}`` (and the special paths of
    :mod:`toolkit.layout_refs`)."""
    texts = [form.schema.get("x-running-title", form.title)]
    texts += [b.get("heading", "") + b.get("text", "") for b in form.layout]
    texts += [i for b in form.layout for i in b.get("bullets", [])]
    found = {m.group(1) for t in texts for m in _REF.finditer(t)}
    return sorted(found) + special_paths(form)


def _refs(form: Form, data: dict, blank: bool = False,
          paths: list[str] | None = None, profile: Profile | None = None) -> dict[str, str]:
    """Display text of every ``{path}`` reference (``paths``: precomputed ref paths).

    ``{profil.…}`` takes the profile's text (a line to fill in without a profile); an
    empty municipality field shows the profile's name, or ``[xx] Kommune`` without one.
    """
    refs: dict[str, str] = {}
    from_profile = profile.refs() if profile is not None else neutral_refs()
    later = []
    for path in paths if paths is not None else _ref_paths(form):
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
        refs[path] = _REF.sub(lambda m: refs.get(m.group(1), from_profile.get(
            m.group(1), "[…]")), text)
    return refs


def _images(form: Form, data: dict, tpl) -> dict:
    from docxtpl import InlineImage

    from ..derived import drawing

    images = {}
    for block in form.layout:
        if "image" not in block:
            continue
        key = f"{block['image']}:{block.get('field') or ''}"
        images[key] = InlineImage(tpl, io.BytesIO(drawing(block, data)), width=Mm(150))
    return images


def _tables(form: Form, data: dict) -> dict:
    from ..derived import month_overview_xml

    tables = {}
    for block in form.layout:
        if "month_overview" in block:
            key = f"month_overview:{block['month_overview']}"
            tables[key] = _Text(month_overview_xml(form, block, data))
    return tables


def get_value(data: Any, path: str) -> Any:
    """The value at a concrete dotted path, or None."""
    node = data
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def finalize_controls(form: Form, data: dict, root) -> None:
    """Set checkbox states, date-picker dates and placeholders from the data, by tag."""
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
                isinstance(value, list) and _option_in(option, value))
            box.find(w14("checked")).set(w14("val"), "1" if checked else "0")
            continue
        empty = value is None or value == ""
        date = pr.find(w("date"))
        if date is not None and not empty and danish.is_iso_date(str(value)):
            date.set(w("fullDate"), f"{value}T00:00:00Z")
        if empty:
            _show_placeholder(sdt, pr, PLACEHOLDERS.get(fld.kind, PLACEHOLDERS["text"]))


def _option_in(option: str, values: list) -> bool:
    return any(str(v) == option for v in values)


def _show_placeholder(sdt, pr, text: str) -> None:
    if pr.find(w("showingPlcHdr")) is None:
        pr.append(etree.Element(w("showingPlcHdr")))
    content = sdt.find(w("sdtContent"))
    t_elements = list(content.iter(w("t")))
    if not t_elements:
        return
    _show_placeholder_run(t_elements[0].getparent(), t_elements[0], text)


def _show_placeholder_run(run, t_el, text: str) -> None:
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
