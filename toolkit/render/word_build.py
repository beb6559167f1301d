"""Word: build a form's docxtpl template from its schema.

The template holds one content control per answer (``w:tag`` = field path, ``w:alias`` =
Danish label) whose text is a Jinja expression; lists are ``{%tr for %}`` rows or
``{%p for %}`` blocks.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
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

from ..catalogue import Field, Form, template_dir
from ..doc_labels import document_label
from ..errors import SchemaError
from ..layout_refs import minor_path, profile_text_path
from ..profile import BUNDLED_FONT
from .doc_title import document_title
from .keep import fields_kept_whole, kept_with_drawing
from .letterhead import footer_title
from .ooxml import (
    NSDECL,
    PLACEHOLDER_STYLE,
    attr,
    rewrite_package,
    w,
)

FONT = BUNDLED_FONT  # as in the PDF; a profile's font replaces it when filled
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
LABEL_SHADE = "EEF2F6"
PAGE_WIDTH_CM = 17.0  # A4 minus 2 cm margins each side

REF = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
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
        builder.keep_table = kept_with_drawing(form.layout, i)
        builder.block(block)
    # python-docx starts with one empty paragraph; drop it when unused.
    body = doc.element.body
    first = body[0]
    if first.tag == w("p") and not "".join(first.itertext()).strip():
        body.remove(first)
    props = doc.core_properties
    props.title = document_title(form, {})  # no placeholder: Handleplan, not [kommune]
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
    return rewrite_package(buf.getvalue(), custom=identity(form), fixed_time=True)


def image_key(block: dict) -> str:
    """How a template names an ``image`` block's picture: ``images['<image>:<field>']``."""
    return f"{block['image']}:{block.get('field') or ''}"


def identity(form: Form) -> dict[str, str]:
    return {"skema_form": form.id, "skema_version": form.version}


#: the PDF's table lines (pdf_flowables.GRID)
GRID_HEX = "8C949E"


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
    normal.font.size = Pt(9.5)  # the sizes of the PDF (pdf_flowables.styles)
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
    svar.font.size = Pt(9)
    etiket = styles.add_style("Etiket", WD_STYLE_TYPE.PARAGRAPH)
    etiket.base_style = normal
    etiket.font.bold = True
    etiket.font.size = Pt(8.5)
    etiket.paragraph_format.space_after = Pt(0)
    hjaelp = styles.add_style("Hjaelp", WD_STYLE_TYPE.PARAGRAPH)
    hjaelp.base_style = normal
    hjaelp.font.size = Pt(7.5)
    hjaelp.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    hjaelp.paragraph_format.space_after = Pt(0)
    small = styles.add_style("Lille", WD_STYLE_TYPE.PARAGRAPH)
    small.base_style = normal
    small.font.size = Pt(8.5)
    plc = styles.add_style("PlaceholderText", WD_STYLE_TYPE.CHARACTER)
    plc.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
    blank_answer = styles.add_style(PLACEHOLDER_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    blank_answer.base_style = svar  # a blank answer's placeholder, grey in LibreOffice too
    blank_answer.font.color.rgb = RGBColor(0x80, 0x80, 0x80)

    _table_look(styles["Table Grid"])

    header = section.header.paragraphs[0]
    header.style = small
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    running = form.schema.get("x-running-title", form.title)
    header_run = header.add_run(REF.sub(lambda m: "{{ ref[" + repr(m.group(1)) + "] }}",
                                         running))
    header_run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    footer = section.footer.paragraphs[0]
    footer.style = small
    footer.paragraph_format.tab_stops.add_tab_stop(Cm(PAGE_WIDTH_CM), alignment=2)
    footer.add_run(REF.sub(lambda m: "{{ ref[" + repr(m.group(1)) + "] }}",
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
        self.keep_table = False  # a list's table kept on the page of its drawing

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
        text = REF.sub(lambda m: "{{ ref[" + repr(m.group(1)) + "] }}", text)
        run = para.add_run(text)
        run.italic = italic or None

    def _table(self, rows: int, widths: list[float]):
        table = self.doc.add_table(rows=rows, cols=len(widths))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _widths(table, widths)
        return table

    def _label_cell(self, cell, fld: Field | None, text: str | None = None,
                    header: bool = False) -> None:
        _shade(cell, LABEL_SHADE)
        para = cell.paragraphs[0]
        para.style = self.doc.styles["Etiket"]
        para.add_run(text if text is not None else fld.label if fld is not None else "")
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
            self._label_cell(row.cells[0], fld, document_label(self.form, fld.path))
            self._answer(row.cells[1], fld, None)
            if fld.kind == "long":
                _min_height(row, Cm(3.2))
            if fld.kind == "checkbox" and i < len(flds) - 1:
                _keep_with_next_row(row)  # a yes/no row with what it introduces
        if fields_kept_whole(flds):
            _keep_together(table)
        self._spacer()

    def _rows(self, block: dict) -> None:
        lst, flds = self.form.block_fields(block)
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
        if self.keep_table:  # every row with the next, the last with the drawing's heading
            _keep_together(table)
            for p in table.rows[2]._tr.iter(qn("w:p")):
                Paragraph(p, table.rows[2]).paragraph_format.keep_with_next = True
            self.doc.paragraphs[-1].paragraph_format.keep_with_next = True

    def _blocks(self, block: dict) -> None:
        lst, flds = self.form.block_fields(block)
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
        else:
            self._keep_with_signature()
        gap = 0.6
        width = (PAGE_WIDTH_CM - gap * (len(labels) - 1)) / len(labels)
        widths = []
        for i in range(len(labels)):
            widths.append(width)
            if i < len(labels) - 1:
                widths.append(gap)
        table = self.doc.add_table(rows=2, cols=len(widths))
        table.autofit = False
        _widths(table, widths)
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

    def _keep_with_signature(self) -> None:
        """A signature block never stands alone on a page: the last row of the table before
        it (and the spacer between) is kept with it, and with that row its whole table when
        the table is kept together, and the heading above it."""
        body = self.doc.element.body
        items = [el for el in body.iterchildren() if el.tag in (qn("w:p"), qn("w:tbl"))]
        for el in reversed(items):
            if el.tag == qn("w:p"):
                Paragraph(el, self.doc).paragraph_format.keep_with_next = True
                if "".join(t.text or "" for t in el.iter(qn("w:t"))).strip():
                    return  # a paragraph of text: kept with the signature, that is enough
                continue
            rows = el.findall(qn("w:tr"))
            if rows:
                last = rows[-1]
                trpr = last.find(qn("w:trPr"))
                if trpr is None or trpr.find(qn("w:cantSplit")) is None:
                    last.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {NSDECL}/>"))
                for p in last.iter(qn("w:p")):
                    Paragraph(p, self.doc).paragraph_format.keep_with_next = True
            return

    def _image(self, block: dict) -> None:
        para = self.doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        para.add_run("{{ images[" + repr(image_key(block)) + "] }}")

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


def _table_look(style) -> None:
    """Tables as the PDF draws them: grey 0.5 pt lines and a little room around the
    text (Word's default is black lines with the text touching them)."""
    tbl_pr = style.element.find(w("tblPr"))
    for old in tbl_pr.findall(w("tblBorders")) + tbl_pr.findall(w("tblCellMar")):
        tbl_pr.remove(old)
    lines = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="{GRID_HEX}"/>'
                    for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    tbl_pr.append(parse_xml(f"<w:tblBorders {NSDECL}>{lines}</w:tblBorders>"))
    tbl_pr.append(parse_xml(
        f'<w:tblCellMar {NSDECL}><w:top w:w="40" w:type="dxa"/><w:left w:w="85" '
        'w:type="dxa"/><w:bottom w:w="40" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>'
        "</w:tblCellMar>"))


def _widths(table, widths: list[float]) -> None:
    """Give the table's columns these widths (cm), in the grid as well as in each cell.

    python-docx's ``cell.width`` sets only the cell's own width; LibreOffice lays a
    fixed table out by its grid, which would otherwise stay at equal columns.
    """
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(Cm(width).twips))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)


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
    for row in rows[:-1]:
        _keep_with_next_row(row)
    _cant_split(rows[-1])


def _keep_with_next_row(row) -> None:
    """A row never split and kept on the page of the row after it (also the answer
    paragraphs inside its controls)."""
    _cant_split(row)
    for p in row._tr.iter(qn("w:p")):
        Paragraph(p, row).paragraph_format.keep_with_next = True


def _cant_split(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    if trpr.find(qn("w:cantSplit")) is None:
        trpr.append(parse_xml(f"<w:cantSplit {NSDECL}/>"))


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(parse_xml(f"<w:tblHeader {NSDECL}/>"))


