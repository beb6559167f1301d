"""The rule of issue 11, per reading path: every value is read exactly or reported as
unreadable, never a different value in silence (the full matrix of programs is in
tests/test_returned_matrix.py; these are the single cases it found)."""

from __future__ import annotations

import copy
import subprocess

import pytest
from conftest import _need, proeve_data
from docx_edit import edit_document
from pypdf import PdfReader, PdfWriter

from toolkit.readers.docx import UNCONTROLLED_LIST, extract_docx
from toolkit.readers.pdf import GARBLED, REDRAWN_LIST, extract_pdf, text_garbled
from toolkit.render.docx import render
from toolkit.render.ooxml import w
from toolkit.render.pdf import render_pdf


def _unmarked(pdf: bytes, names: set[str]) -> bytes:
    """The PDF with the answer marks of some widgets' appearances removed (what a program
    that redraws the widgets it filled leaves), then flattened by pdftk."""
    import io

    from pypdf.generic import ContentStream, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        for annot in page.get("/Annots") or []:
            widget = annot.get_object()
            parent = widget.get("/Parent")
            name = widget.get("/T") or ""
            node = widget
            while parent is not None:
                node = parent.get_object()
                name = f"{node.get('/T')}.{name}" if node.get("/T") else name
                parent = node.get("/Parent")
            if name not in names:
                continue
            stream = widget["/AP"]["/N"]
            stream = stream.get_object()
            if hasattr(stream, "get_data"):
                content = ContentStream(stream, writer)
                content.operations = [(o, op) for o, op in content.operations
                                      if op not in (b"BDC", b"EMC")]
                stream.set_data(content.get_data())
            else:  # a checkbox: /Yes and /Off streams
                for key in list(stream.keys()):
                    state = stream[key].get_object()
                    content = ContentStream(state, writer)
                    content.operations = [(o, op) for o, op in content.operations
                                          if op not in (b"BDC", b"EMC")]
                    state.set_data(content.get_data())
            widget[NameObject("/Skema_touched")] = NameObject("/Yes")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdftk_flatten(pdf: bytes, tmp_path) -> bytes:
    exe = _need("pdftk", "pdftk-java")
    src, dst = tmp_path / "in.pdf", tmp_path / "flat.pdf"
    src.write_bytes(pdf)
    subprocess.run([exe, str(src), "output", str(dst), "flatten"], check=True,
                   capture_output=True)
    return dst.read_bytes()


def test_flat_copy_list_with_redrawn_cells_is_reported_whole(proeve, tmp_path):
    """Cells another program redrew before flattening carry no marks: the list is
    reported whole, not read with its rows shifted or options gone."""
    data = proeve_data()
    pdf = render_pdf(proeve, data)
    flat = _pdftk_flatten(_unmarked(pdf, {"aktiviteter.0.aktivitet",
                                          "aktiviteter.0.maal:a"}), tmp_path)
    got = extract_pdf(flat)
    assert "aktiviteter" not in got.data
    messages = {p.path: p.message for p in got.report if p.code == "unreadable"}
    assert messages["aktiviteter"] == REDRAWN_LIST
    assert got.data["navn"] == "Hans Hansen"


def test_flat_copy_single_field_without_mark_is_reported(proeve, tmp_path):
    flat = _pdftk_flatten(_unmarked(render_pdf(proeve, proeve_data()), {"kontakt.ok"}),
                          tmp_path)
    got = extract_pdf(flat)
    assert "ok" not in got.data.get("kontakt", {})
    assert "kontakt.ok" in {p.path for p in got.report if p.code == "unreadable"}
    assert got.data["aktiviteter"] == proeve_data()["aktiviteter"]


def test_ghostscript_text_is_checked_not_read_garbled(proeve, tmp_path):
    """Ghostscript rewrites the fonts so that æ, ø, å no longer map to Unicode: every
    field is reported, none read with other letters."""
    exe = _need("gs", "ghostscript")
    src, dst = tmp_path / "in.pdf", tmp_path / "gs.pdf"
    src.write_bytes(render_pdf(proeve, proeve_data("Åse Østergård"), flatten=True))
    subprocess.run([exe, "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=pdfwrite",
                    f"-sOutputFile={dst}", str(src)], check=True, capture_output=True)
    got = extract_pdf(dst.read_bytes(), form_id="proeve")
    for path in ("navn", "kommune", "cpr"):
        assert path not in got.data
        assert any(p.path == path and p.message == GARBLED for p in got.report)


def test_garbled_text_detection(proeve):
    good = ["Kontaktperson – OK ☒", "Delmål", "Navn  Hans"]
    assert not text_garbled(proeve, good)
    assert text_garbled(proeve, ["Kontaktperson  OK", "Delml", "Navn  Hans"])
    assert text_garbled(proeve, ["Delmål", "Navn  J\x02rgen"])


def test_printed_word_copy_reads_ticked_box(proeve, tmp_path, soffice):
    """LibreOffice prints a ticked box as ☒: read as ticked, not as "no"."""
    src = tmp_path / "udfyldt.docx"
    src.write_bytes(render(proeve, proeve_data()))
    got = extract_pdf(soffice(src, "pdf").read_bytes(), form_id="proeve")
    assert got.data["kontakt"]["ok"] is True
    data = proeve_data()
    data["kontakt"]["ok"] = False
    src.write_bytes(render(proeve, data))
    got = extract_pdf(soffice(src, "pdf").read_bytes(), form_id="proeve")
    assert got.data["kontakt"]["ok"] is False


def _add_row(doc: bytes, text: str | None = None) -> bytes:
    """A row added under the last row of the delmaal table without content controls."""
    def add(root) -> None:
        for sdt in root.iter(w("sdt")):
            tag = sdt.find(f"{w('sdtPr')}/{w('tag')}")
            if tag is not None and tag.get(w("val")) == "delmaal.1":
                tr = sdt.getparent()
                while tr.tag != w("tr"):
                    tr = tr.getparent()
                row = copy.deepcopy(tr)
                for inner in list(row.iter(w("sdt"))):
                    content = inner.find(w("sdtContent"))
                    parent = inner.getparent()
                    at = parent.index(inner)
                    parent.remove(inner)
                    for k, child in enumerate(list(content)):
                        parent.insert(at + k, child)
                if text is not None:
                    ts = list(row.iter(w("t")))
                    ts[0].text = text
                    for t in ts[1:]:
                        t.text = ""
                tr.addnext(row)
                return
        raise AssertionError("no delmaal.1")

    return edit_document(doc, add)


def test_word_row_without_controls_is_read_by_columns(proeve):
    data = proeve_data()
    got = extract_docx(_add_row(render(proeve, data), "tredje delmål"))
    assert got.data["delmaal"] == ["Hans Hansen", "andet delmål", "tredje delmål"]
    assert any("uden indholdskontroller er læst ud fra tabellens kolonner" in str(n)
               for n in got.notes)


def test_word_row_without_controls_that_disagrees_is_reported(proeve):
    """When the table's columns do not give the rows the controls gave, the list is
    reported (with the rows the controls gave), not read as if complete."""
    data = proeve_data()

    def rename_header(root) -> None:  # the table no longer has the list's header
        for t in root.iter(w("t")):
            if t.text == "Delmål":
                t.text = "Delmål (ændret)"

    doc = edit_document(_add_row(render(proeve, data), "tredje delmål"), rename_header)
    got = extract_docx(doc)
    assert got.data["delmaal"] == ["Hans Hansen", "andet delmål"]  # the controls' rows
    assert {p.path: p.message for p in got.report}["delmaal"] == UNCONTROLLED_LIST


@pytest.mark.parametrize("target", ["odt"])
def test_odt_round_trip_binds_lists_by_table(target, tmp_path, soffice):
    """Saved as .odt and back: text controls become fields, drop-downs lose their tags;
    the lists are still read from their own tables."""
    import json

    from conftest import ROOT

    from toolkit import fill

    data = json.loads((ROOT / "samples" / "forberedende-skema.json").read_text("utf-8"))
    src = tmp_path / "form.docx"
    src.write_bytes(fill("forberedende-skema", data, "docx"))
    odt = soffice(src, target)
    back = soffice(odt, "docx")
    got = extract_docx(back.read_bytes())
    assert got.data["kontakter"] == data["kontakter"]
    assert got.data["netvaerk"] == data["netvaerk"]


def test_programs_that_redraw_fields_shrink_long_answers():
    """Text fields ask for automatic font size, so PDFium (Chrome) and PyMuPDF shrink a
    long answer to the box instead of clipping it."""
    import ctypes
    import io
    import re

    import test_returned_matrix as matrix

    from toolkit.render.pdf_acro import FieldFont

    pdfium = matrix._module("pypdfium2", "pypdfium2")
    long = "Åse Østergård " * 8
    pdf = pdfium.PdfDocument(matrix._blank("handleplan"))
    pdf.init_forms()
    raw, handle, page = pdfium.raw, pdf.formenv.raw, pdf[0]
    for i in range(raw.FPDFPage_GetAnnotCount(page.raw)):
        annot = raw.FPDFPage_GetAnnot(page.raw, i)
        size = raw.FPDFAnnot_GetFormFieldName(handle, annot, None, 0)
        buf = ctypes.create_string_buffer(size)
        raw.FPDFAnnot_GetFormFieldName(handle, annot, matrix._u16(buf), size)
        if buf.raw[:size - 2].decode("utf-16-le") == "projektleder":
            raw.FORM_SetFocusedAnnot(handle, annot)
            raw.FORM_SelectAllText(handle, page.raw)
            raw.FORM_ReplaceSelection(handle, page.raw, matrix._u16(
                ctypes.create_string_buffer((long + "\0").encode("utf-16-le"))))
            raw.FORM_ForceToKillFocus(handle)
        raw.FPDFPage_CloseAnnot(annot)
    out = io.BytesIO()
    pdf.save(out)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    widget = next(a.get_object() for a in reader.pages[0]["/Annots"]
                  if a.get_object().get("/T") == "projektleder")
    stream = widget["/AP"]["/N"].get_object().get_data().decode("latin-1")
    drawn = float(re.findall(r"([\d.]+) Tf", stream)[-1])
    x0, _, x1, _ = (float(v) for v in widget["/Rect"])
    assert FieldFont().width(long.strip(), drawn) <= x1 - x0


@pytest.mark.parametrize("form_id", ["forberedende-skema", "samtykke", "handleplan"])
def test_drop_down_labels_use_glyphs_every_viewer_draws(form_id):
    """PDFium lists the options with the form's WinAnsi font and falls back to another font
    for codes 0x80-0x9F (the "–" of "1 – tættest"): labels avoid them."""
    import io

    from toolkit import blank
    from toolkit.readers.pdf import read_fields

    fields = read_fields(PdfReader(io.BytesIO(blank(form_id, "pdf"))))
    labels = [label for pf in fields.values() for _, label in pf.options]
    assert labels
    for label in labels:
        assert all(not 0x80 <= b <= 0x9f for b in label.encode("cp1252")), label


@pytest.mark.parametrize("edit", ["note-after-heading", "heading-deleted"])
def test_word_blocks_without_controls_survive_partner_paragraphs(edit):
    """Controls gone (LibreOffice drops them): a note typed between a block's heading
    ``Aktivitet 5`` and its table, or the heading deleted, loses no block (the UNO case
    of the matrix lost the last activity in silence)."""
    import json

    from conftest import ROOT
    from docx_edit import strip_controls

    from toolkit import fill

    data = json.loads((ROOT / "samples" / "handleplan.json").read_text("utf-8"))

    def change(root) -> None:
        strip_controls(root)
        heading = [p for p in root.iter(w("p"))
                   if "".join(t.text or "" for t in p.iter(w("t"))) == "Aktivitet 5"][0]
        if edit == "heading-deleted":
            heading.getparent().remove(heading)
        else:
            note = copy.deepcopy(heading)
            for t in note.iter(w("t")):
                t.text = ""
            note.find(f".//{w('t')}").text = "Bemærkning fra partneren."
            heading.addnext(note)

    got = extract_docx(edit_document(fill("handleplan", data, "docx"), change))
    assert got.data["aktiviteter"] == data["aktiviteter"]
    assert not got.report.problems


@pytest.mark.parametrize("form_id", ["forberedende-skema", "samtykke", "handleplan",
                                     "indsatsskema"])
def test_drop_down_labels_only_use_glyphs_of_the_embedded_field_font(form_id):
    """Every character of every drop-down label, and of every choice widget's value, has a
    real glyph in the font program the field's /DA names (embedded, WinAnsi): no viewer
    falls back to a missing glyph when it lists or draws the options."""
    import io
    import re

    import pikepdf
    from fontTools.ttLib import TTFont

    from toolkit import blank
    from toolkit.readers.pdf import read_fields

    pdf = blank(form_id, "pdf")
    labels = [label for pf in read_fields(PdfReader(io.BytesIO(pdf))).values()
              for _, label in pf.options]
    assert labels
    doc = pikepdf.open(io.BytesIO(pdf))
    fonts = doc.Root.AcroForm.DR.Font
    das = {str(a.get("/DA")) for page in doc.pages for a in page.get("/Annots", [])
           if a.get("/FT") == "/Ch" or (a.get("/Parent") is not None
                                        and a.Parent.get("/FT") == "/Ch")}
    das |= {str(doc.Root.AcroForm.get("/DA", ""))}
    names = {m for da in das for m in re.findall(r"/([A-Za-z0-9_+-]+)\s+[\d.]+\s+Tf", da)}
    assert names
    for name in names:
        font = fonts[f"/{name}"]
        assert font.get("/Encoding") == "/WinAnsiEncoding", name
        program = TTFont(io.BytesIO(font.FontDescriptor.FontFile2.read_bytes()))
        cmap = {u for u, g in program.getBestCmap().items() if g != ".notdef"}
        for label in labels:
            missing = [c for c in label if c.strip() and ord(c) not in cmap]
            assert not missing, (name, label, missing)
            label.encode("cp1252")  # every code the WinAnsi font can show


def test_pymupdf_shrinks_long_answers_to_the_box():
    """Text fields ask for automatic font size: PyMuPDF, which redraws a field it fills,
    draws a long answer in a size that fits the box instead of clipping it."""
    import io
    import re

    import test_returned_matrix as matrix

    from toolkit.render.pdf_acro import FieldFont

    fitz = matrix._module("pymupdf", "pymupdf")
    long = "Åse Østergård " * 8
    doc = fitz.open(stream=matrix._blank("handleplan"), filetype="pdf")
    for widget in doc[0].widgets():
        if widget.field_name == "projektleder":
            widget.field_value = long
            widget.update()
    reader = PdfReader(io.BytesIO(doc.tobytes()))
    widget = next(a.get_object() for a in reader.pages[0]["/Annots"]
                  if a.get_object().get("/T") == "projektleder")
    stream = widget["/AP"]["/N"].get_object().get_data().decode("latin-1")
    font, drawn = re.findall(r"/(\S+) ([\d.]+) Tf", stream)[-1]
    x0, _, x1, _ = (float(v) for v in widget["/Rect"])
    if font == "Helv":  # PyMuPDF draws with its Helvetica
        from reportlab.pdfbase.pdfmetrics import stringWidth

        assert stringWidth(long.strip(), "Helvetica", float(drawn)) <= x1 - x0
    else:
        assert FieldFont().width(long.strip(), float(drawn)) <= x1 - x0


def test_position_reader_decodes_text_as_poppler_and_reports_what_it_cannot():
    """The glyph reader of flat copies maps codes like poppler: ToUnicode (single codes,
    ranges, arrays), an encoding with differences; a glyph name that says nothing (a
    private-use name, as Ghostscript writes) is unknown — reported, never a guessed
    letter."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    from toolkit.readers.pdf_glyphs import UNKNOWN, Font, parse_tounicode

    cmap = (b"2 beginbfchar <01> <00F8> <02> <00660066> endbfchar 2 beginbfrange "
            b"<10> <12> <0061> <20> <21> [<00C6> <00D8>] endbfrange")
    assert parse_tounicode(cmap) == {b"\x01": "ø", b"\x02": "ff", b"\x10": "a",
                                     b"\x11": "b", b"\x12": "c", b"\x20": "Æ",
                                     b"\x21": "Ø"}
    font = Font(DictionaryObject({
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): DictionaryObject({
            NameObject("/BaseEncoding"): NameObject("/WinAnsiEncoding"),
            NameObject("/Differences"): ArrayObject([NumberObject(1), NameObject("/oslash"),
                                                     NameObject("/uniF020")])})}))
    assert [c for c, _, _ in font.decode(b"\x01\x02J\xe5")] == ["ø", UNKNOWN, "J", "å"]
    widths = [w for _, w, _ in font.decode(b"il")]
    assert widths == [222, 222]  # Helvetica's own widths, not one guessed for all
