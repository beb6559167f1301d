"""``skema collect``: a folder of returned forms into one workbook, every case of the issue."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import _need
from pypdf import PdfReader, PdfWriter

from toolkit import blank, fill
from toolkit.collect import (
    INVALID,
    MISSING,
    NOT_A_FORM,
    OK,
    UNREADABLE,
    collect,
    find_files,
    read_entry,
    workbook,
)
from toolkit.readers.docx import LAYOUT_NOTE

ROOT = Path(__file__).resolve().parent.parent
#: The sheet of samarbejdsmodel in the collected workbook: the form's title.
RAMME = "Den overordnede ramme"
SAMPLES = ROOT / "samples"

_spec = importlib.util.spec_from_file_location("make_returnerede",
                                               SAMPLES / "make_returnerede.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


def sample(form_id: str) -> dict:
    return json.loads((SAMPLES / f"{form_id}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def good() -> dict[str, bytes]:
    """Two good returned forms that must be read whatever else lies in the folder."""
    return {
        "god/samarbejdsmodel.docx": fill("samarbejdsmodel", sample("samarbejdsmodel"), "docx"),
        "god/strategi.pdf": fill("strategi", sample("strategi"), "pdf"),
    }


def folder(tmp_path: Path, good: dict[str, bytes], extra: dict[str, bytes]) -> Path:
    root = tmp_path / "returnerede"
    for name, data in {**good, **extra}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def by_path(result) -> dict:
    return {e.path: e for e in result.entries}


def check_others_read(entries: dict) -> None:
    """The good files were read in full, whatever the bad one did."""
    doc, pdf = entries["god/samarbejdsmodel.docx"], entries["god/strategi.pdf"]
    assert (doc.status, pdf.status) == (OK, OK)
    assert doc.data == sample("samarbejdsmodel")
    assert pdf.data == sample("strategi")


def one_case(tmp_path, good, name: str, data: bytes, form_id: str | None = None):
    result = collect(folder(tmp_path, good, {name: data}), form_id=form_id, workers=1)
    entries = by_path(result)
    check_others_read(entries) if form_id is None else None
    return entries[name], result


# ---------------------------------------------------------------------------------------
# Every case of point 4: status and message of the file, and the others were read
# ---------------------------------------------------------------------------------------
def test_word_saved_by_libreoffice(tmp_path, good, soffice):
    src = tmp_path / "lo" / "form.docx"
    src.parent.mkdir()
    src.write_bytes(good["god/samarbejdsmodel.docx"])
    saved = soffice(src, "docx").read_bytes()
    assert b"w:tag " not in zipfile.ZipFile(io.BytesIO(saved)).read("word/document.xml")
    entry, _ = one_case(tmp_path, good, "lo/samarbejdsmodel.docx", saved)
    assert entry.status == OK
    assert entry.data == sample("samarbejdsmodel")
    assert any("ingen tags" in note.message for note in entry.notes)


def test_word_without_content_controls_read_by_layout(tmp_path, good):
    stripped = make.strip_controls(good["god/samarbejdsmodel.docx"])
    assert b"<w:sdt>" not in zipfile.ZipFile(io.BytesIO(stripped)).read("word/document.xml")
    entry, result = one_case(tmp_path, good, "uden/samarbejdsmodel.docx", stripped)
    assert entry.status == OK
    assert entry.data == sample("samarbejdsmodel")
    assert [n.message for n in entry.notes] == [LAYOUT_NOTE]
    status = _rows(workbook(result), "Status")
    assert ["uden/samarbejdsmodel.docx", RAMME, "1.0.0", "ok", None, LAYOUT_NOTE, None,
            None] in status


@pytest.mark.parametrize("form_id", ["handleplan", "forberedende-skema", "samtykke",
                                     "indsatsskema"])
def test_layout_fallback_every_form(form_id):
    """Multi-selects, checkboxes, dates, drop-downs and block lists come back too."""
    from toolkit.readers.docx import extract_docx

    data = sample(form_id)
    got = extract_docx(make.strip_controls(fill(form_id, data, "docx")), "x")
    assert got.data == data
    assert [n.message for n in got.notes] == [LAYOUT_NOTE]


def test_pdf_filled_by_another_program(tmp_path, good):
    pdf = make.pdf_by_other_program("samarbejdsmodel", make.PARTNERS["randers"])
    entry, _ = one_case(tmp_path, good, "andet/samarbejdsmodel.pdf", pdf)
    assert entry.status == OK
    assert entry.data["projektleder"] == "Lone Bach"
    assert entry.data["godkendt_af_styregruppen_dato"] == "2024-05-14"
    assert entry.data["tilbud"] == {"kommunale": [{"navn": "Jobcenter Randers"}],
                                    "private_frivillige": [{"navn": "Kofoeds Skole"}]}


def test_pdf_filled_by_pdftk(tmp_path, good):
    exe = _need("pdftk", "pdftk-java")
    import subprocess

    (tmp_path / "blank.pdf").write_bytes(blank("strategi", "pdf"))
    (tmp_path / "v.xfdf").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><xfdf xmlns="http://ns.adobe.com/xfdf/">'
        '<fields><field name="kontaktperson.navn"><value>Åse Østergård</value></field>'
        "</fields></xfdf>", encoding="utf-8")
    subprocess.run([exe, str(tmp_path / "blank.pdf"), "fill_form", str(tmp_path / "v.xfdf"),
                    "output", str(tmp_path / "out.pdf")], check=True, capture_output=True)
    entry, _ = one_case(tmp_path, good, "pdftk/strategi.pdf",
                        (tmp_path / "out.pdf").read_bytes())
    assert entry.status == MISSING
    assert entry.data["kontaktperson"]["navn"] == "Åse Østergård"
    assert ("kommune", "Kommune", "skal udfyldes") in [
        (p.path, p.label, p.message) for p in entry.problems]


def test_flattened_pdf(tmp_path, good):
    flat = fill("samarbejdsmodel", sample("samarbejdsmodel"), "pdf", flatten=True)
    entry, _ = one_case(tmp_path, good, "flad/samarbejdsmodel.pdf", flat)
    assert entry.status == OK
    assert entry.data == sample("samarbejdsmodel")
    assert any("flad kopi" in note.message for note in entry.notes)


def test_form_of_another_kind_than_form_option(tmp_path, good):
    entry, result = one_case(tmp_path, good, "x/strategi.docx",
                             fill("strategi", sample("strategi"), "docx"),
                             form_id="samarbejdsmodel")
    assert entry.status == NOT_A_FORM
    assert entry.message == (
        'filen er en "strategi"-formular (Lokal strategi for inddragelse af borgerens '
        'netværk), ikke en "samarbejdsmodel"-formular som angivet med --form; den er '
        "sprunget over")
    assert entry.hint == "Kør uden --form for at samle alle slags formularer."
    entries = by_path(result)
    assert entries["god/samarbejdsmodel.docx"].status == OK
    assert entries["god/strategi.pdf"].status == NOT_A_FORM
    assert _sheet_names(workbook(result)) == [
        "Status", RAMME, "Hvem har adgang til hvilke pla…", "Kommunale tilbud",
        "Private og frivillige tilbud", "Mulige tovholdere", "Tilbudsoversigt"]


def test_old_doc(tmp_path, good):
    entry, _ = one_case(tmp_path, good, "gammel.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" * 64)
    assert entry.status == UNREADABLE
    assert entry.message == "gamle Word-filer (.doc) kan ikke læses"
    assert entry.hint == "Åbn filen i Word og gem den som Word-dokument (.docx)."


@pytest.mark.parametrize("name", ["tom.docx", "tom.pdf"])
def test_empty_file(tmp_path, good, name):
    entry, _ = one_case(tmp_path, good, name, b"")
    assert (entry.status, entry.message) == (UNREADABLE, "filen er tom (0 byte)")


@pytest.mark.parametrize("name, message", [
    ("afkortet.docx", "filen er ikke et Word-dokument (.docx) eller er beskadiget"),
    ("afkortet.pdf", "PDF-filen er afkortet eller beskadiget (filens slutning mangler)"),
])
def test_truncated_file(tmp_path, good, name, message):
    whole = good["god/samarbejdsmodel.docx"] if name.endswith("docx") else \
        good["god/strategi.pdf"]
    entry, _ = one_case(tmp_path, good, name, whole[: len(whole) // 2])
    assert (entry.status, entry.message) == (UNREADABLE, message)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory, good) -> Path:
    """A real .docx whose document.xml inflates to 1.1 GB (about 1 MB on disk)."""
    path = tmp_path_factory.mktemp("bomb") / "zipbombe.docx"
    make.zip_bomb(path, good["god/samarbejdsmodel.docx"])
    return path


def _lying(path: Path, tmp: Path) -> Path:
    """The bomb with its directory claiming document.xml is 1 000 bytes."""
    data = bytearray(path.read_bytes())
    name = b"word/document.xml"
    for sig, size_at in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (pos := data.find(sig, start)) >= 0:
            name_at = pos + (46 if sig == b"PK\x01\x02" else 30)
            if data[name_at:name_at + len(name)] == name:
                data[pos + size_at:pos + size_at + 4] = struct.pack("<I", 1000)
            start = pos + 4
    out = tmp / "luskebombe.docx"
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("lying", [False, True], ids=["ærlig", "lyver-om-størrelsen"])
def test_zip_bomb_refused_fast_with_bounded_memory(tmp_path, good, bomb, lying):
    path = _lying(bomb, tmp_path) if lying else bomb
    assert path.stat().st_size < 2_000_000
    info = zipfile.ZipFile(path).getinfo("word/document.xml")
    assert info.file_size == 1000 if lying else info.file_size > 1024 ** 3
    tracemalloc.start()
    start = time.perf_counter()
    entry = read_entry(path, "zipbombe.docx")
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 16 * 1024 * 1024
    assert entry.status == UNREADABLE
    assert entry.message == (
        "dokumentets del word/document.xml er beskadiget eller afkortet" if lying else
        "filen pakker sig ud til en mistænkeligt stor størrelse (zip-bombe) og læses ikke")
    root = folder(tmp_path, good, {})
    shutil.copy(path, root / "bombe.docx")
    entries = by_path(collect(root, workers=1))
    check_others_read(entries)
    assert entries["bombe.docx"].status == UNREADABLE


def test_doctype_and_external_entity_never_resolved(tmp_path, good):
    secret = tmp_path / "hemmelig.txt"
    secret.write_text("HEMMELIGT-INDHOLD", encoding="utf-8")
    bad = make.doctype_docx(good["god/samarbejdsmodel.docx"], secret.as_uri())
    entry, result = one_case(tmp_path, good, "doctype.docx", bad)
    assert entry.status == UNREADABLE
    assert entry.message == ("dokumentet indeholder en DOCTYPE/ENTITY-erklæring, som ikke "
                             "er tilladt i Word-filer, og læses ikke af sikkerhedshensyn")
    assert b"HEMMELIGT" not in _all_text(workbook(result))


def test_doctype_hidden_behind_a_long_comment(tmp_path, good):
    """The quick byte check sees only the start; the parsed tree is checked too."""
    docx = good["god/samarbejdsmodel.docx"]
    body = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")
    decl, rest = body.split(b"?>", 1)
    hidden = decl + b"?><!--" + b"x" * 70_000 + b'--><!DOCTYPE w:document [<!ENTITY a "b">]>' \
        + rest
    entry, _ = one_case(tmp_path, good, "skjult.docx",
                        make.replace_part(docx, "word/document.xml", hidden))
    assert entry.status == UNREADABLE
    assert "DOCTYPE/ENTITY" in entry.message


def test_doctype_in_custom_properties(tmp_path, good):
    docx = good["god/samarbejdsmodel.docx"]
    custom = zipfile.ZipFile(io.BytesIO(docx)).read("docProps/custom.xml")
    decl, rest = custom.split(b"?>", 1)
    bad = decl + b'?><!DOCTYPE Properties [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + rest
    entry, _ = one_case(tmp_path, good, "egenskaber.docx",
                        make.replace_part(docx, "docProps/custom.xml", bad))
    assert entry.status == UNREADABLE
    assert "DOCTYPE/ENTITY" in entry.message


@pytest.mark.parametrize("user, message", [
    ("hemmelig", "PDF-filen er beskyttet med en adgangskode og kan ikke læses"),
    ("", "PDF-filen er krypteret (beskyttet mod ændringer), og skema læser kun "
         "ukrypterede formularer"),
])
def test_encrypted_pdf(tmp_path, good, user, message):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good["god/strategi.pdf"])))
    writer.encrypt(user_password=user, owner_password="ejer")
    out = io.BytesIO()
    writer.write(out)
    entry, _ = one_case(tmp_path, good, "krypteret.pdf", out.getvalue())
    assert (entry.status, entry.message) == (UNREADABLE, message)


@pytest.mark.parametrize("name, message", [
    ("brev.docx", "dokumentet er ikke en skema-formular (formularens id mangler i "
                  "dokumentegenskaberne)"),
    ("brochure.pdf", "PDF-filen indeholder ingen formularfelter og er ikke en skema-formular"),
])
def test_not_a_form(tmp_path, good, name, message):
    data = make.plain_docx() if name.endswith("docx") else make.plain_pdf()
    entry, _ = one_case(tmp_path, good, name, data)
    assert (entry.status, entry.message) == (NOT_A_FORM, message)


def test_renamed_file(tmp_path, good):
    entry, _ = one_case(tmp_path, good, "omdøbt.pdf", good["god/samarbejdsmodel.docx"])
    assert (entry.status, entry.message) == (UNREADABLE, "filen er ikke en PDF-fil")
    assert entry.hint == "Filen ligner et Word-dokument; gem den som .docx og læs den som sådan."


def test_missing_answers_and_invalid(tmp_path, good):
    bad = sample("forberedende-skema")
    bad["borger"]["email"] = "camilla@"
    result = collect(folder(tmp_path, good, {
        "tom.docx": blank("samarbejdsmodel", "docx"),
        "fejl.pdf": fill("forberedende-skema", bad, "pdf"),
    }), workers=1)
    entries = by_path(result)
    check_others_read(entries)
    assert entries["tom.docx"].status == MISSING
    assert [(p.path, p.label, p.message) for p in entries["tom.docx"].problems] == [
        ("kommune", "Kommune", "skal udfyldes"),
        ("projektleder", "Projektleder", "skal udfyldes")]
    assert entries["tom.docx"].report().codes() == ["required", "required"]
    assert entries["fejl.pdf"].status == INVALID
    assert [(p.path, p.label, p.message) for p in entries["fejl.pdf"].problems] == [
        ("borger.email", "Borger – e-mail",
         "skal være en e-mailadresse, fx navn@kommune.dk")]
    assert entries["fejl.pdf"].report().codes() == ["format"]
    status = _rows(workbook(result), "Status")
    assert ["fejl.pdf", "Forberedende skema", "1.0.0", "ugyldig", "Borger – e-mail",
            "skal være en e-mailadresse, fx navn@kommune.dk", None, "borger.email"] in status


# ---------------------------------------------------------------------------------------
# Formulas stay text
# ---------------------------------------------------------------------------------------
HOSTILE_CELLS = ['=HYPERLINK("http://x","klik")', "+1+2", "-3+4", "@SUM(1,2)"]


@pytest.fixture(scope="module")
def formula_book(tmp_path_factory) -> Path:
    data = sample("samarbejdsmodel")
    data["projektleder"] = HOSTILE_CELLS[0]
    for item, text in zip(data["tilbud"]["kommunale"], HOSTILE_CELLS[1:]):
        item["navn"] = text
    root = tmp_path_factory.mktemp("formel")
    (root / "ind").mkdir()
    (root / "ind" / "formel.docx").write_bytes(fill("samarbejdsmodel", data, "docx"))
    out = root / "samlet.xlsx"
    out.write_bytes(workbook(collect(root / "ind", workers=1)))
    return out


def test_formulas_are_plain_text_for_openpyxl(formula_book):
    book = openpyxl.load_workbook(formula_book)
    cell = book[RAMME]["E2"]
    assert book[RAMME]["E1"].value == "Projektleder"
    assert (cell.value, cell.data_type, cell.quotePrefix) == (HOSTILE_CELLS[0], "s", True)
    assert book[RAMME]["D2"].quotePrefix is False  # plain text has no prefix
    names = [(c.value, c.data_type) for c in book["Kommunale tilbud"]["C"][1:4]]
    assert names == [(text, "s") for text in HOSTILE_CELLS[1:]]
    for ws in book:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)
    sheet_xml = _all_text(formula_book.read_bytes())
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_formulas_are_plain_text_for_libreoffice_calc(formula_book, tmp_path):
    """Calc's CSV export of every sheet, cells as shown: a live formula would show its
    result (klik); a date shows in the workbook's format."""
    import subprocess

    exe = _need("soffice")
    folder_ = tmp_path / "csv"
    subprocess.run([exe, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,"
                    "true,true,false,false,-1", "--outdir", str(folder_), str(formula_book)],
                   check=True, capture_output=True, timeout=180)
    rows = list(csv.reader((folder_ / f"samlet-{RAMME}.csv")
                           .read_text(encoding="utf-8").splitlines()))
    assert rows[0][4:6] == ["Projektleder", "Godkendt af styregruppen den"]
    assert rows[1][4:6] == [HOSTILE_CELLS[0], "25-08-2026"]  # a date shown dd-mm-åååå
    rows = list(csv.reader((folder_ / "samlet-Kommunale tilbud.csv")
                           .read_text(encoding="utf-8").splitlines()))
    assert [r[2] for r in rows[1:4]] == HOSTILE_CELLS[1:]


# ---------------------------------------------------------------------------------------
# A workbook a caseworker can use: labels, dates, numbers, print set-up
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def usable_book(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("brugbar")
    (root / "ind").mkdir()
    for form_id in ("samarbejdsmodel", "forberedende-skema"):
        (root / "ind" / f"{form_id}.docx").write_bytes(fill(form_id, sample(form_id), "docx"))
    out = root / "samlet.xlsx"
    out.write_bytes(workbook(collect(root / "ind", workers=1)))
    return out


def test_sheet_names_are_the_danish_labels(usable_book):
    assert _sheet_names(usable_book.read_bytes()) == [
        "Status", "Forberedende skema", "Nuværende kontakter", "Netværk", RAMME,
        "Hvem har adgang til hvilke pla…", "Kommunale tilbud", "Private og frivillige tilbud",
        "Mulige tovholdere", "Tilbudsoversigt"]


def test_sheet_name_rules():
    from toolkit.render.collected import sheet_name

    taken = {"status"}
    names = [sheet_name(w, taken) for w in [
        "Status", "Netværk", "netværk", "Mål [1/2]: hvem? *\\", "'Citat'", "", "History",
        "Lokal strategi for inddragelse af borgerens netværk",
        "Lokal strategi for inddragelse af borgerens netværk"]]
    assert names == ["Status (2)", "Netværk", "netværk (2)", "Mål 1 2 hvem", "Citat", "Ark",
                     "History (2)", "Lokal strategi for inddragelse…",
                     "Lokal strategi for inddrage (2)"]
    assert all(len(n) <= 31 for n in names)


def test_dates_are_dates_and_numbers_numbers(usable_book):
    import datetime as dt

    book = openpyxl.load_workbook(usable_book)
    ws = book[RAMME]
    assert ws["F1"].value == "Godkendt af styregruppen den"
    cell = ws["F2"]
    assert (cell.value, cell.is_date, cell.number_format) == (
        dt.datetime(2026, 8, 25), True, "dd-mm-yyyy")
    netvaerk = book["Netværk"]
    assert [c.value for c in netvaerk[1]][:3] == ["Fil", "Nr.", "Navn"]
    assert [(c.value, c.data_type) for c in netvaerk["B"][1:3]] == [(1, "n"), (2, "n")]
    assert netvaerk["C2"].data_type == "s"


def test_cell_values_as_in_the_input_workbook():
    import datetime as dt

    from toolkit.catalogue import load_form
    from toolkit.render.collected import cell_value

    fld = load_form("samarbejdsmodel").fields["godkendt_af_styregruppen_dato"]
    assert cell_value(fld, "2024-05-14") == dt.date(2024, 5, 14)
    assert cell_value(fld, "2019-02-31") == "2019-02-31"  # impossible: kept as written
    assert cell_value(fld, "14. maj 2024") == "14. maj 2024"
    assert cell_value(fld, None) is None
    samtykke = load_form("samtykke")
    assert cell_value(samtykke.fields["oplysninger.typer"], ["misbrug", "andet"]) == \
        "Misbrug; Andet"
    box = load_form("forberedende-skema").fields["udfordringer.bolig.beroert"]
    assert (cell_value(box, True), cell_value(box, False)) == ("ja", "nej")
    assert cell_value(None, {"a": "ø"}) == '{"a": "ø"}'
    assert cell_value(None, 3) == 3


def test_headers_are_labels_with_the_field_path_in_a_comment(usable_book):
    from toolkit.catalogue import load_form
    from toolkit.render.collected import field_path_of

    book = openpyxl.load_workbook(usable_book)
    for sheet, form_id in ((RAMME, "samarbejdsmodel"), ("Forberedende skema",
                                                        "forberedende-skema")):
        form = load_form(form_id)
        header = list(book[sheet][1])
        assert [c.value for c in header[:3]] == ["Fil", "Status", "Version"]
        assert all(c.comment is None for c in header[:3])
        paths = [field_path_of(c.comment.text) for c in header[3:]]
        assert paths == [f.path for f in form.fields.values() if f.list_path is None]
        assert [c.value for c in header[3:]] == [form.fields[p].label for p in paths]
    assert field_path_of(book["Netværk"]["C1"].comment.text) == "netvaerk.*.navn"


def test_print_setup_frozen_header_and_autofilter(usable_book):
    book = openpyxl.load_workbook(usable_book)
    for ws in book:
        last = f"{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.print_title_rows == "$1:$1"
        assert ws.freeze_panes == "B2"  # the header row and the file (or name) column
        assert ws.auto_filter.ref == f"A1:{last}"
    # a label longer than its column wraps, and the header row is made tall enough
    assert book["Tilbudsoversigt"].row_dimensions[1].height == 30
    assert book["Netværk"].row_dimensions[1].height is None


def test_collected_workbook_in_libreoffice_prints_landscape(usable_book, soffice):
    pdf = PdfReader(soffice(usable_book, "pdf"))
    box = pdf.pages[0].mediabox
    assert box.width > box.height
    text = pdf.pages[0].extract_text()
    assert "Status" in text or "Fil" in text


# ---------------------------------------------------------------------------------------
# Re-runs, duplicates, order, the overview
# ---------------------------------------------------------------------------------------
def test_rerun_same_bytes_and_duplicate_counted_once(tmp_path, good):
    root = folder(tmp_path, good, {"kopi/samarbejdsmodel.docx": good["god/samarbejdsmodel.docx"]})
    first = collect(root, workers=1)
    second = collect(root, workers=2)
    assert workbook(first) == workbook(second)
    entries = by_path(first)
    assert entries["god/samarbejdsmodel.docx"].duplicate_of is None
    assert entries["kopi/samarbejdsmodel.docx"].duplicate_of == "god/samarbejdsmodel.docx"
    assert len(first.unique()) == 2
    assert first.counts()[OK] == 2
    rows = _rows(workbook(first), RAMME)
    assert [r[0] for r in rows[1:]] == ["god/samarbejdsmodel.docx"]
    status = _rows(workbook(first), "Status")
    assert ["kopi/samarbejdsmodel.docx", RAMME, "1.0.0", "ok", None,
            "samme indhold som god/samarbejdsmodel.docx; tælles kun én gang",
            None, None] in status


def test_find_files_sorted_and_skips_lock_files(tmp_path):
    for name in ["b.docx", "a/z.pdf", "a/~$lås.docx", ".skjult.pdf", ".git/x.docx", "c.txt",
                 "D.DOCX", "e.doc"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in find_files(tmp_path)] == [
        "D.DOCX", "a/z.pdf", "b.docx", "e.doc"]


def test_tilbudsoversigt_danish_order_and_duplicates(tmp_path):
    partners = {
        "a.docx": make.partner("Aarhus", "A", ["Zonen", "Aaben Rådgivning"], ["Østerbro"]),
        "b.docx": make.partner("Odense", "B", ["Ærø Hus"], ["Åbo", "zonen ", "Alfa"]),
    }
    root = tmp_path / "ind"
    root.mkdir()
    for name, data in partners.items():
        (root / name).write_bytes(fill("samarbejdsmodel", data, "docx"))
    rows = _rows(workbook(collect(root, workers=1)), "Tilbudsoversigt")
    assert rows[0] == ["Navn på tilbud", "Type", "Beskriv tilbud (målgruppe, indhold, "
                       "eventuel visitation)", "Kontaktoplysninger", "Fil", "Nr.", "Dublet"]
    assert [(r[0], r[4], r[6]) for r in rows[1:]] == [
        ("Alfa", "b.docx", None),
        ("Zonen", "a.docx", "ja (2 gange)"),
        ("zonen", "b.docx", "ja (2 gange)"),
        ("Ærø Hus", "b.docx", None),
        ("Østerbro", "a.docx", None),
        ("Aaben Rådgivning", "a.docx", None),
        ("Åbo", "b.docx", None),
    ]
    assert rows[1][1] == "Privat eller frivilligt tilbud"
    assert rows[2][1] == "Kommunalt tilbud"


def test_cpr_never_in_file_names_or_messages(tmp_path, good, run):
    root = folder(tmp_path, good, {"borger 010190-1234.docx": b""})
    out = tmp_path / "samlet.xlsx"
    result = run("collect", root, "-o", out)
    assert "010190-1234" not in result.output
    assert "borger 010190-xxxx.docx: ulæselig: filen er tom (0 byte)" in result.stderr
    assert b"010190-1234" not in _all_text(out.read_bytes())


# ---------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------


def test_cli_collects_and_reports(tmp_path, good, run):
    root = folder(tmp_path, good, {"defekt/tom.docx": b""})
    out = tmp_path / "samlet.xlsx"
    result = run("collect", root, "-o", out)
    assert result.exit_code == 1
    assert result.stdout == (f"{out}: 3 fil(er) samlet (2 ok, 1 ulæselig)\n")
    assert result.stderr == ("defekt/tom.docx: ulæselig: filen er tom (0 byte)\n"
                             "  Tip: Bed afsenderen om at sende den udfyldte formular igen.\n")
    assert _sheet_names(out.read_bytes())[:2] == ["Status", RAMME]
    again = run("collect", root, "-o", out)
    assert again.exit_code == 1
    assert again.stderr == (f"Fejl: {out}: filen findes allerede og overskrives ikke.\n"
                            "  Tip: Brug --overwrite for at overskrive, eller vælg et andet "
                            "filnavn.\n")
    before = out.read_bytes()
    assert run("collect", root, "-o", out, "--overwrite").exit_code == 1
    assert out.read_bytes() == before


def test_cli_all_ok_exit_zero(tmp_path, good, run):
    result = run("collect", folder(tmp_path, good, {}), "-o", tmp_path / "s.xlsx")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_cli_usage_errors(tmp_path, run):
    result = run("collect", tmp_path, "-o", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert "Resultatet skrives som regneark; brug -o samlet.xlsx." in result.stderr
    result = run("collect", tmp_path, "-o", tmp_path / "s.xlsx", "--form", "strategy")
    assert result.exit_code == 2
    assert 'Ukendt formular: "strategy".' in result.stderr
    result = run("collect", tmp_path / "findes-ikke", "-o", tmp_path / "s.xlsx")
    assert result.exit_code == 2
    assert "findes ikke" in result.stderr


def test_cli_empty_folder(tmp_path, run):
    (tmp_path / "tom").mkdir()
    result = run("collect", tmp_path / "tom", "-o", tmp_path / "s.xlsx")
    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path / 's.xlsx'}: 0 fil(er) samlet (ingen filer)\n"
    assert "ingen .docx- eller .pdf-filer fundet" in result.stderr
    assert _rows((tmp_path / "s.xlsx").read_bytes(), "Status") == [
        ["Fil", "Formular", "Version", "Status", "Felt", "Besked", "Tip", "Feltsti"]]


# ---------------------------------------------------------------------------------------
# samples/returnerede: every case, as committed
# ---------------------------------------------------------------------------------------
def test_samples_returnerede_every_case():
    root = SAMPLES / "returnerede"
    result = collect(root, workers=2)
    got = {e.path: e.status for e in result.entries}
    assert got == {name: status for name, (status, _) in make.EXPECTED.items()}
    assert (root / "defekte" / "zipbombe.docx").stat().st_size < 2_000_000
    entries = by_path(result)
    assert entries["sendt-igen/samarbejdsmodel-aarhus.docx"].duplicate_of == \
        "aarhus/samarbejdsmodel.docx"
    assert [n.message for n in entries["odense/samarbejdsmodel-uden-felter.docx"].notes] == [
        LAYOUT_NOTE]
    only = by_path(collect(root, form_id="samarbejdsmodel", workers=1))
    assert only["strategi.docx"].status == NOT_A_FORM
    assert only["forberedende-skema.pdf"].status == NOT_A_FORM


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _book(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _sheet_names(data: bytes) -> list[str]:
    return _book(data).sheetnames


def _rows(data: bytes, sheet: str) -> list[list]:
    return [list(r) for r in _book(data)[sheet].iter_rows(values_only=True)]


def _all_text(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as pkg:
        return b"".join(pkg.read(n) for n in pkg.namelist())


# ---------------------------------------------------------------------------------------
# Speed: the qpdf fast path reads exactly what the pypdf path reads
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["randers/samarbejdsmodel.pdf",
                                  "randers/samarbejdsmodel-andet-program.pdf",
                                  "forberedende-skema.pdf"])
def test_pdf_fast_path_same_as_pypdf(monkeypatch, name):
    from toolkit.readers import pdf as reader

    data = (SAMPLES / "returnerede" / name).read_bytes()
    assert reader.fast_fields(data) is not None
    fast = reader.extract_pdf(data, name)
    monkeypatch.setattr(reader, "fast_fields", lambda _data: None)
    slow = reader.extract_pdf(data, name)
    assert (fast.data, fast.version, fast.notes, fast.report.problems) == \
        (slow.data, slow.version, slow.notes, slow.report.problems)


def test_pdf_fast_path_declines_what_is_unusual(good):
    from toolkit.readers import pdf as reader

    pdf = good["god/strategi.pdf"]
    assert reader.fast_fields(pdf) is not None
    assert reader.fast_fields(make.plain_pdf()) is None  # no form id
    assert reader.fast_fields(make.encrypted_pdf(pdf)) is None
    assert reader.fast_fields(pdf.replace(b"xref", b"xrex")) is None  # repaired by qpdf


# ---------------------------------------------------------------------------------------
# Nothing stops the run
# ---------------------------------------------------------------------------------------
def test_a_reader_crash_takes_down_only_its_file(tmp_path, good, monkeypatch):
    import os

    import toolkit.collect as collect_module

    real = collect_module.read_entry

    def crashing(path, rel, form_id=None):
        if rel == "crash.docx":
            os._exit(3)  # what a segfault in a C parser would do to the worker
        return real(path, rel, form_id)

    monkeypatch.setattr(collect_module, "read_entry", crashing)
    extra = {f"kopi{i}/strategi.pdf": good["god/strategi.pdf"] for i in range(8)}
    extra["crash.docx"] = good["god/samarbejdsmodel.docx"]
    result = collect(folder(tmp_path, good, extra), workers=2)
    entries = by_path(result)
    check_others_read(entries)
    assert entries["crash.docx"].status == UNREADABLE
    assert entries["crash.docx"].message == "filen fik læseren til at gå ned og kan ikke læses"
    assert entries["crash.docx"].report().codes() == ["crashed"]
    assert all(entries[f"kopi{i}/strategi.pdf"].duplicate_of == "god/strategi.pdf"
               for i in range(8))


def test_fifo_and_devices_are_not_read(tmp_path):
    import os

    os.mkfifo(tmp_path / "rør.docx")
    (tmp_path / "ok.pdf").write_bytes(b"")
    assert [p.name for p in find_files(tmp_path)] == ["ok.pdf"]


def test_escapes_and_odd_numbers_in_cells(tmp_path, soffice):
    """A literal _x0041_ is not turned into "A" by Calc; NaN is written as text."""
    from toolkit.render.collected import CollectedBook, Column

    book = CollectedBook()
    ws = book.sheet("T", [Column("a", 10), Column("b", 10), Column("c", 10)])
    book.row(ws, ["_x0041_", float("nan"), "<&>\"'"])
    path = tmp_path / "t.xlsx"
    path.write_bytes(book.package())
    rows = list(csv.reader(soffice(path, "csv").read_text(encoding="utf-8").splitlines()))
    assert rows[1] == ["_x0041_", "nan", "<&>\"'"]


def test_some_controls_deleted_rest_kept(tmp_path, good):
    """A partner pasted over two answers (their controls are gone, the text stays)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from docx_edit import edit_document, sdt_by_tag

    from toolkit.render.ooxml import w

    def unwrap(root):
        for tag in ("projektleder", "formidling.opdateret_af"):
            sdt = sdt_by_tag(root, tag)
            parent, index = sdt.getparent(), sdt.getparent().index(sdt)
            for child in list(sdt.find(w("sdtContent"))):
                parent.insert(index, child)
                index += 1
            parent.remove(sdt)

    edited = edit_document(good["god/samarbejdsmodel.docx"], unwrap)
    entry, _ = one_case(tmp_path, good, "delvis.docx", edited)
    assert entry.status == OK
    assert entry.data == sample("samarbejdsmodel")
    assert [(n.code, n.message) for n in entry.notes] == [(
        "by_layout", "2 felt(er) uden indholdskontrol er læst ud fra formularens opbygning "
        "(svaret ud for feltnavnet)")]


def test_a_file_that_hangs_its_reader_is_given_up(tmp_path, good, monkeypatch):
    import toolkit.collect as collect_module

    real = collect_module._read

    def hanging(path, entry, form_id):
        if entry.path == "hænger.pdf":
            while True:  # what a parser caught in a loop would do
                pass
        return real(path, entry, form_id)

    monkeypatch.setattr(collect_module, "_read", hanging)
    monkeypatch.setenv("SKEMA_READ_SECONDS", "1")
    extra = {f"kopi{i}/strategi.pdf": good["god/strategi.pdf"] for i in range(8)}
    extra["hænger.pdf"] = good["god/strategi.pdf"]
    start = time.perf_counter()
    entries = by_path(collect(folder(tmp_path, good, extra), workers=2))
    assert time.perf_counter() - start < 20
    check_others_read(entries)
    assert entries["hænger.pdf"].status == UNREADABLE
    assert entries["hænger.pdf"].message == ("filen tog for lang tid at læse (over 1 sekunder) "
                                             "og er sprunget over")
    assert entries["hænger.pdf"].report().codes() == ["too_slow"]


# ---------------------------------------------------------------------------------------
# Issue 11: what a returned copy cannot say for sure is in the Status sheet, per field
# ---------------------------------------------------------------------------------------
def test_unread_list_option_and_mark_in_status_sheet_and_result(tmp_path, good):
    """A printed copy (Ghostscript) of a form another program filled, and a flattened one
    (pdftk): a list whose text crosses a cell border, an option box holding a sign that is
    no tick, and a box with a drawn shape are reported on their field with the reason —
    in the library's entries and in the Status sheet — and never read as a value."""
    import test_returned_matrix as matrix

    from toolkit import load_form
    from toolkit.readers import pdf_cells
    from toolkit.readers.docx import unread_option

    form = load_form("forberedende-skema")
    multi = form.fields["team_forslag.kompetencer"]
    data = sample("forberedende-skema")
    option = next(v for v, _ in multi.choices if v not in data["team_forslag"]["kompetencer"])
    box = next(f for f in form.fields.values() if f.kind == "checkbox"
               and f.list_path is None and not _get(data, f.path))
    page, (x0, y0, _, _) = matrix._cell(form.id, f"{multi.path}:{option}")
    printed = matrix._draw(_named(matrix.PDF_MAKERS["pymupdf+gs"](form.id), form.id), page,
                           matrix._text_at(x0 + 2, y0 + 2, "?"))
    page, (x0, y0, _, _) = matrix._cell(form.id, box.path)
    printed = matrix._draw(printed, page, f"0 g {x0 + 2:.2f} {y0 + 2:.2f} 3 3 re f".encode())
    page, (_, y0, x1, _) = matrix._cell("handleplan", "aktiviteter.1.hvem")
    flat = matrix._draw(matrix.PDF_MAKERS["pymupdf+pdftk-flatten"]("handleplan"), page,
                        matrix._text_at(x1 - 8, y0 + 4, "Kommunen"))
    result = collect(folder(tmp_path, good, {"udskrevet.pdf": printed, "flad.pdf": flat}),
                     workers=1)
    entries = by_path(result)
    check_others_read(entries)
    lst = load_form("handleplan").lists["aktiviteter"]
    option_problem = unread_option(multi, multi.path, option)
    wanted = {
        "flad.pdf": ("aktiviteter", lst.label, pdf_cells.CROSSING),
        "udskrevet.pdf": (multi.path, multi.label, option_problem.message),
    }
    for name, (path, label, message) in wanted.items():
        entry = entries[name]
        assert entry.status != OK
        assert (path, label, message) in [(p.path, p.label, p.message)
                                          for p in entry.report()]
    assert (box.path, box.label, pdf_cells.MARK) in [
        (p.path, p.label, p.message) for p in entries["udskrevet.pdf"].report()]
    assert "aktiviteter" not in entries["flad.pdf"].data
    assert option not in entries["udskrevet.pdf"].data["team_forslag"]["kompetencer"]
    assert _get(entries["udskrevet.pdf"].data, box.path) is None
    status = _rows(workbook(result), "Status")
    for name, (path, label, message) in [*wanted.items(),
                                         ("udskrevet.pdf", (box.path, box.label,
                                                            pdf_cells.MARK))]:
        assert [row for row in status if row[0] == name and row[4] == label
                and row[5] == message and row[7] == path], (name, path)


def _named(pdf: bytes, form_id: str) -> bytes:
    """The PDF with the form id in its document information (Ghostscript drops it; a
    printing program that keeps it is what makes a copy recognisable in a folder)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/skema_form": form_id})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _get(data: dict, path: str):
    from toolkit.paths import get_value

    return get_value(data, path)
