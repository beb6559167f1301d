"""Issue 15, point 2: .xlsx sheets read as a stream, list rows joined without an index in
memory. The streamed reading must give what python-calamine gave (the reader it replaces
for .xlsx), and a list sheet out of the main sheet's order the same records as one in
order."""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from toolkit.catalogue import load_form
from toolkit.sources import excel
from toolkit.sources.excel import (
    MAX_COLUMNS,
    SIDE_BY_SIDE,
    SPILLED,
    XlsxBook,
    read_workbook,
    stream_workbook,
)
from toolkit.sources.xlsx_stream import DATE, DURATION, format_kind

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def calamine_rows(path: Path, name: str) -> list[list]:
    """The sheet's rows as python-calamine gives them (from A1), trailing blanks cut."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    sheet = book.get_sheet_by_name(name)
    pad = [""] * (sheet.start[1] if sheet.start else 0)
    return _trim([pad + list(row) for row in sheet.iter_rows()])


def stream_rows(path: Path, name: str) -> list[list]:
    book = XlsxBook(path)
    out: list[list] = []
    for r, values in book.rows(name, 1_048_576, MAX_COLUMNS):
        out.extend([] for _ in range(r - len(out)))
        out.append(list(values))
    return _trim(out)


def _trim(rows: list[list]) -> list[list]:
    rows = [list(row) for row in rows]
    for row in rows:
        while row and row[-1] == "":
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def typed_workbook(path: Path) -> Path:
    """Every kind of cell value an input workbook may hold, in shared and inline form."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Typer"
    ws.append(["tekst", 1, 1.5, True, False, dt.date(2024, 2, 29),
               dt.datetime(2024, 1, 2, 3, 4), dt.time(13, 30), "  ", "æøå ÆØÅ & <tag>"])
    ws["A3"] = dt.timedelta(hours=30)
    for col, (value, fmt) in enumerate([(45000, "dd/mm/yyyy"), (45000.5, "yyyy-mm-dd hh:mm"),
                                        (0.25, "hh:mm"), (1.5, "[h]:mm:ss"),
                                        (45000, '"Dato" 0'), (45000, "0.00"),
                                        (45000, "d. mmmm yyyy"), (59, "dd-mm-yyyy"),
                                        (61, "dd-mm-yyyy")], start=2):
        cell = ws.cell(row=3, column=col, value=value)
        cell.number_format = fmt
    ws["B5"] = CellRichText(["fed ", TextBlock(InlineFont(b=True), "tekst"), " slut"])
    ws["D6"] = "linje 1\nlinje 2"
    ws["C7"] = 12345678901
    ws["E7"] = -3.25
    ws.merge_cells("A9:C10")
    ws["A9"] = "flettet"
    ws["F12"] = "sidst"
    second = wb.create_sheet("Andet ark")
    second["C4"] = "starter ved C4"
    second["D5"] = 7
    wb.save(path)
    return path


@pytest.fixture(autouse=True)
def _always_streamed(monkeypatch):
    """Every workbook here streamed, however small (large ones are; see STREAM_FROM_BYTES)."""
    monkeypatch.setattr(excel, "STREAM_FROM_BYTES", 0)


def test_small_and_streamed_readings_agree_on_the_sample_workbook(monkeypatch):
    form = load_form("indsatsskema")
    sample = ROOT / "samples" / "indsatsplaner.xlsx"
    streamed = read_workbook(sample, form)
    opened: list[Path] = []

    class Spy(XlsxBook):
        def __init__(self, path):
            opened.append(path)
            super().__init__(path)

    monkeypatch.setattr(excel, "XlsxBook", Spy)
    monkeypatch.setattr(excel, "STREAM_FROM_BYTES", 1 << 40)
    whole = read_workbook(sample, form)  # by calamine
    assert opened == []
    assert [(r.row, r.data) for r in streamed.records] == [(r.row, r.data) for r in whole.records]
    assert streamed.report().problems == whole.report().problems
    assert len(whole.records) == 212


def test_format_kinds_as_calamine_tells_them():
    assert format_kind("dd-mm-yyyy") == DATE
    assert format_kind("[h]:mm:ss") == DURATION
    assert format_kind('"Dato" 0') == 0
    assert format_kind("0.00") == 0
    assert format_kind("#,##0 kr.;-#,##0 kr.") == 0
    assert format_kind("[Red]0.00") == 0
    assert format_kind("h:mm AM/PM") == DATE


def test_typed_cells_read_as_calamine_reads_them(tmp_path):
    book = typed_workbook(tmp_path / "typer.xlsx")
    for name in ("Typer", "Andet ark"):
        assert stream_rows(book, name) == calamine_rows(book, name)
    rows = stream_rows(book, "Typer")
    assert rows[0][5] == dt.date(2024, 2, 29) and rows[0][7] == dt.time(13, 30)
    assert rows[2][4] == dt.timedelta(hours=36)
    assert rows[4][1] == "fed tekst slut"


def test_workbooks_skema_writes_read_as_calamine_reads_them(tmp_path):
    from fakedata import write_indsats_workbook

    book = tmp_path / "indsats.xlsx"
    write_indsats_workbook(book, 40, mistakes=8)
    sample = ROOT / "samples" / "indsatsplaner.xlsx"
    for path in (book, sample):
        for name in XlsxBook(path).sheet_names:
            assert stream_rows(path, name) == calamine_rows(path, name), (path, name)


def test_a_workbook_saved_by_libreoffice_reads_as_calamine_reads_it(tmp_path):
    from conftest import _need

    _need("soffice")
    import subprocess

    book = typed_workbook(tmp_path / "typer.xlsx")
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/p",
                    "--convert-to", "xlsx", "--outdir", str(out), str(book)],
                   check=True, capture_output=True, timeout=180)
    saved = out / "typer.xlsx"
    with zipfile.ZipFile(saved) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()  # LibreOffice shares strings
    for name in ("Typer", "Andet ark"):
        assert stream_rows(saved, name) == calamine_rows(saved, name)


def _runs_reversed(src: Path, dst: Path, sheet: str) -> None:
    """The list sheet with its runs of rows (one key each) in reverse order, each run's
    rows kept in their order."""
    wb = openpyxl.load_workbook(src)
    ws = wb[sheet]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    runs: list[list] = []
    for row in rows:
        if runs and runs[-1][0][0] == row[0]:
            runs[-1].append(row)
        else:
            runs.append([row])
    reordered = [row for run in reversed(runs) for row in run]
    for r, row in enumerate(reordered, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    wb.save(dst)


@pytest.mark.parametrize("sort_step", [None, 3])  # 3: the key hashes sorted in steps, merged
def test_a_list_sheet_out_of_order_gives_the_same_records(tmp_path, monkeypatch, sort_step):
    from fakedata import write_indsats_workbook

    if sort_step:
        monkeypatch.setattr(excel, "_SORT_STEP", sort_step)

    form = load_form("indsatsskema")
    book = tmp_path / "i-orden.xlsx"
    write_indsats_workbook(book, 25)
    shuffled = tmp_path / "omvendt.xlsx"
    _runs_reversed(book, shuffled, "Indsatser")

    in_order = stream_workbook(book, form)
    assert in_order.joined == {"indsatser": SIDE_BY_SIDE, "maal.delmaal": SIDE_BY_SIDE}
    out_of_order = stream_workbook(shuffled, form)
    assert out_of_order.joined == {"indsatser": SPILLED, "maal.delmaal": SIDE_BY_SIDE}
    first = [(r.row, r.key, r.data) for r in in_order]
    second = [(r.row, r.key, r.data) for r in out_of_order]
    assert first == second
    assert sum(len(data.get("indsatser", [])) for _row, _key, data in first) > 25
    assert read_workbook(shuffled, form).report().problems == []


@pytest.mark.parametrize("sort_step", [None, 3])
def test_a_duplicate_key_with_list_rows_keeps_them_on_its_first_row(tmp_path, monkeypatch,
                                                                     sort_step):
    if sort_step:
        monkeypatch.setattr(excel, "_SORT_STEP", sort_step)
    form = load_form("indsatsskema")
    from fakedata import write_indsats_workbook

    book = tmp_path / "dublet.xlsx"
    write_indsats_workbook(book, 6)
    wb = openpyxl.load_workbook(book)
    wb["Borgere"]["A5"] = 2  # row 5 (key 4) now repeats key 2
    wb.save(book)
    stream = stream_workbook(book, form)
    assert stream.joined["indsatser"] == SPILLED  # a repeated key is never side by side
    records = {r.row: r for r in read_workbook(book, form).records}
    assert records[3].data.get("indsatser") and not records[5].data.get("indsatser")
    assert records[5].problems[0].code == "duplicate_key"
    assert records[5].problems[0].message.endswith("står også i række 3; hver række skal "
                                                   "have sit eget.")
    assert records[5].problems[0].place == "Borgere!A5"
    orphans = [p for p in stream.problems if p.code == "unknown_key"]
    assert any(p.place.startswith("Indsatser!A") for p in orphans)
    assert all(p.message.startswith('Nr. "4" findes ikke') for p in orphans)


def test_a_doctype_in_a_sheet_is_refused(tmp_path):
    book = typed_workbook(tmp_path / "typer.xlsx")
    doctored = tmp_path / "dtd.xlsx"
    buf = io.BytesIO()
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "aaaa">]>'
                                    b"<worksheet", 1)
            dst.writestr(info, data)
    doctored.write_bytes(buf.getvalue())
    from toolkit.sources.xlsx_stream import BrokenPart

    with pytest.raises(BrokenPart):
        list(XlsxBook(doctored).rows("Typer", 1000, 1000))


def test_a_row_longer_than_the_last_64_kb_of_a_block_reads_as_calamine_reads_it(
        tmp_path, monkeypatch):
    """A block is cut after its last row end, looked for in its last 64 KB first: a row
    that starts before them and ends blocks later is read whole, and so are the rows
    before and after it."""
    from toolkit.sources import xlsx_stream

    monkeypatch.setattr(xlsx_stream, "CHUNK", 1 << 17)
    path = tmp_path / "lang.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Lang"
    for r in range(1, 6):
        ws.append([f"kort {r}", r])
    ws.append([1 / 3 + c for c in range(5000)])  # ~200 KB of XML in one row
    for r in range(7, 12):
        ws.append([f"kort {r}", r])
    wb.save(path)
    book = XlsxBook(path)
    got: list[list] = []
    for r, values in book.rows("Lang", 1_048_576, 16_384):
        got.extend([] for _ in range(r - len(got)))
        got.append(list(values))
    assert len(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")) > 200_000
    assert _trim(got) == calamine_rows(path, "Lang")
    assert _trim(got)[5][4999] == 1 / 3 + 4999 and _trim(got)[10] == ["kort 11", 11]


def test_rows_with_a_namespace_prefix_read_as_rows_without(tmp_path):
    """Row ends are found by a byte search where no row tag has a prefix; a sheet written
    with one (``<x:row>``, valid XML) reads the same."""
    import re

    book = typed_workbook(tmp_path / "typer.xlsx")
    prefixed = tmp_path / "praefiks.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(prefixed, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<(/?)(row|c|v|is|t)\b", rb"<\1x:\2", data)
                main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
                data = data.replace(b"<worksheet ", b'<worksheet xmlns:x="' + main + b'" ', 1)
                assert b"<x:row " in data and b"</x:row>" in data
            dst.writestr(info, data)
    assert stream_rows(prefixed, "Typer") == stream_rows(book, "Typer") == calamine_rows(
        book, "Typer")


def _calamine_read(book: Path, form, monkeypatch):
    """The workbook read whole by calamine (the reference the streamed reading matches)."""
    with monkeypatch.context() as m:
        m.setattr(excel, "STREAM_FROM_BYTES", 1 << 40)
        return read_workbook(book, form)


def _odd_list_rows(book: Path) -> None:
    """Indsatser with what the joining must get right: a blank row inside a run, a row
    with only its key, a run whose key no main row has (99) between known runs."""
    wb = openpyxl.load_workbook(book)
    ws = wb["Indsatser"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    odd = rows[:1] + [[None] * 9, [rows[0][0]] + [None] * 8] + rows[1:3] + \
        [[99, "Social", "Bostøtte", "Ukendt nøgle", "2025-01", "2025-02"]] + rows[3:]
    for r, row in enumerate(odd, start=2):
        for c in range(1, 10):
            ws.cell(row=r, column=c, value=row[c - 1] if c - 1 < len(row) else None)
    wb.save(book)


def test_list_rows_in_order_reach_the_record_undecoded(tmp_path, monkeypatch):
    """Issue 15, point 3: the list rows of a sheet in the main order are handed on as
    their XML (the batch's workers decode them, not the parent); the records are those
    calamine's whole reading gives, with every problem."""
    from fakedata import write_indsats_workbook

    form = load_form("indsatsskema")
    book = tmp_path / "i-orden.xlsx"
    write_indsats_workbook(book, 12)
    _odd_list_rows(book)
    stream = stream_workbook(book, form)
    assert stream.joined == {"indsatser": SIDE_BY_SIDE, "maal.delmaal": SIDE_BY_SIDE}
    assert stream.raw is not None and stream.build is not None
    raws = list(stream.raw)
    handed = [cells for raw in raws for rows in raw.items.values() for _r, cells in rows]
    assert handed and all(isinstance(cells, bytes) for cells in handed)
    records = [stream.build(raw) for raw in raws]
    whole = _calamine_read(book, form, monkeypatch)
    assert [(r.row, r.key, r.data, r.problems, r.cells.item_rows) for r in records] == \
        [(r.row, r.key, r.data, r.problems, r.cells.item_rows) for r in whole.records]
    assert [p.place for p in stream.problems if p.code == "unknown_key"] == ["Indsatser!A7"]


def test_a_list_sheet_with_a_row_that_is_not_plain_is_decoded_as_before(tmp_path,
                                                                        monkeypatch):
    """A cell the plain reading does not take (here a formula) makes the whole sheet go
    the decoded way; the records stay those calamine gives."""
    from fakedata import write_indsats_workbook

    form = load_form("indsatsskema")
    book = tmp_path / "formel.xlsx"
    write_indsats_workbook(book, 6)
    wb = openpyxl.load_workbook(book)
    wb["Indsatser"]["D3"] = '="Modul "&"4"'
    wb.save(book)
    stream = stream_workbook(book, form)
    assert stream.raw is not None and stream.build is not None
    raws = list(stream.raw)
    kinds = {lpath: {type(cells) for raw in raws for _r, cells in raw.items.get(lpath, [])}
             for lpath in ("indsatser", "maal.delmaal")}
    assert kinds == {"indsatser": {list}, "maal.delmaal": {bytes}}
    assert [(r.row, r.data) for r in map(stream.build, raws)] == \
        [(r.row, r.data) for r in _calamine_read(book, form, monkeypatch).records]


def test_a_list_row_changed_while_the_workbook_is_read_is_reported_not_guessed(tmp_path):
    """A list row whose key differs in the second reading from the first (the file was
    saved meanwhile) gives a problem on its record, not a value of another citizen."""
    from fakedata import write_indsats_workbook

    form = load_form("indsatsskema")
    book = tmp_path / "aendret.xlsx"
    write_indsats_workbook(book, 6)
    stream = stream_workbook(book, form)  # the first pass is done here
    wb = openpyxl.load_workbook(book)
    ws = wb["Indsatser"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == 3)
    ws.cell(row, 1).value = 5
    wb.save(tmp_path / "gemt.xlsx")
    os.replace(tmp_path / "gemt.xlsx", book)  # saved in Excel: a new file in its place
    records = list(stream)
    changed = [p for r in records for p in r.problems if p.code == "changed_row"]
    assert [(p.place, p.message) for p in changed] == [(
        f"Indsatser!{row}:{row}", "Rækken på arket \"Indsatser\" er ændret, mens projektmappen "
        "blev læst; luk den i Excel, og kør igen.")]
    assert records[2].problems == changed


def test_a_list_row_written_twice_is_refused_not_read_twice(tmp_path):
    """A hostile sheet with one row element twice (the same row number and key): the
    reading by key and the undecoded one refuse it before the first record, as the
    decoded reading does, instead of giving the citizen an intervention twice."""
    import re

    from fakedata import write_indsats_workbook

    from toolkit.errors import DataFileError

    form = load_form("indsatsskema")
    book = tmp_path / "to-gange.xlsx"
    write_indsats_workbook(book, 6)

    def again(xml: str) -> str:
        row = list(re.finditer(r'<row r="\d+"[^>]*>.*?</row>', xml))[20]
        return xml[:row.end()] + row.group(0) + xml[row.end():]

    twice = _sheet_rewritten(book, tmp_path / "to-gange-2.xlsx", "xl/worksheets/sheet3.xml",
                             again)  # Indsatser
    with pytest.raises(DataFileError) as err:
        stream_workbook(twice, form)
    assert str(err.value) == (f"{twice}: arket \"Indsatser\" kan ikke læses (filen er "
                              "beskadiget eller har ugyldigt indhold).")


def test_a_list_row_with_a_boolean_or_an_error_value_is_read_not_called_changed(
        tmp_path, monkeypatch):
    """The first pass decodes only a list row's key and first value, so a later cell the
    fast reading leaves to the general one (a boolean, an error value) is met first in
    the worker: it is read there by the general reading, with the values calamine gives,
    not reported as a row changed while the workbook was read."""
    from fakedata import write_indsats_workbook

    form = load_form("indsatsskema")
    book = tmp_path / "typer.xlsx"
    write_indsats_workbook(book, 6)
    wb = openpyxl.load_workbook(book)
    wb["Indsatser"]["F3"] = True  # openpyxl writes t="b"
    wb["Indsatser"]["F4"] = "#N/A"  # and t="e"
    wb.save(book)
    stream = stream_workbook(book, form)
    assert stream.joined["indsatser"] == SIDE_BY_SIDE
    records = list(stream)
    whole = _calamine_read(book, form, monkeypatch).records
    assert [r.data for r in records] == [r.data for r in whole]
    codes = [(p.code, p.place) for r in records for p in r.problems]
    assert ("changed_row", "Indsatser!3:3") not in codes
    assert ("read", "Indsatser!F3") in codes  # TRUE is no month, as calamine's reading says
    assert ("excel_error", "Indsatser!F4") in codes  # said, where calamine gives a blank


def _sheet_rewritten(src: Path, dst: Path, member: str, change) -> Path:
    """A copy of the workbook with one part's XML changed by ``change(text)``."""
    with zipfile.ZipFile(src) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts[member] = change(parts[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return dst


def test_a_cell_with_a_namespace_prefix_in_a_plain_row_is_read(tmp_path, monkeypatch):
    """One cell written <x:c> among plain ones: the row goes to the general reading,
    which reads it (the plain reading would have missed it without a word)."""
    import re

    from fakedata import write_indsats_workbook

    form = load_form("indsatsskema")
    book = tmp_path / "i.xlsx"
    write_indsats_workbook(book, 6)

    def prefixed(xml: str) -> str:
        xml = xml.replace("<worksheet ", '<worksheet xmlns:x="http://schemas.openxmlformats'
                          '.org/spreadsheetml/2006/main" ', 1)
        return re.sub(r'<c r="G3"[^>]*?(/>|>.*?</c>)', '<x:c r="G3" t="inlineStr"><x:is>'
                      '<x:t>Anden Person</x:t></x:is></x:c>', xml, count=1)

    odd = _sheet_rewritten(book, tmp_path / "x.xlsx", "xl/worksheets/sheet3.xml", prefixed)
    streamed = [r.data for r in stream_workbook(odd, form)]
    assert streamed[0]["indsatser"][1]["ansvarlig"] == "Anden Person"
    assert streamed == [r.data for r in _calamine_read(odd, form, monkeypatch).records]


@pytest.mark.parametrize("hidden", ['<!--<c r="A3"><v>2</v></c>-->',
                                    '<c r="J3" t="inlineStr"><is><t><![CDATA[a & b]]></t>'
                                    '</is></c>'])
def test_a_sheet_with_a_comment_or_cdata_is_refused_not_read_by_pattern(tmp_path, hidden):
    """A cell inside an XML comment would be read by the rows' patterns (here: the row
    moved to citizen 2); Excel never writes comments or CDATA in a sheet: refused."""
    import re

    from fakedata import write_indsats_workbook

    from toolkit.errors import DataFileError

    form = load_form("indsatsskema")
    book = tmp_path / "i.xlsx"
    write_indsats_workbook(book, 6)
    odd = _sheet_rewritten(book, tmp_path / "x.xlsx", "xl/worksheets/sheet3.xml",
                           lambda xml: re.sub(r'(<c r="A3"[^>]*?>.*?</c>)',
                                              lambda m: m.group(1) + hidden, xml, count=1))
    with pytest.raises(DataFileError) as err:
        stream_workbook(odd, form)
    assert str(err.value) == (f"{odd}: arket \"Indsatser\" kan ikke læses (filen er "
                              "beskadiget eller har ugyldigt indhold).")


def test_a_citizen_added_while_the_workbook_is_read_is_reported_not_left_without_rows(
        tmp_path):
    """The workbook saved between the two passes with a new citizen and its interventions:
    the first pass marked no list rows for it, so its record says the sheet changed
    instead of going out without interventions."""
    from fakedata import write_indsats_workbook

    form = load_form("indsatsskema")
    book = tmp_path / "ny-borger.xlsx"
    write_indsats_workbook(book, 6)
    stream = stream_workbook(book, form)
    wb = openpyxl.load_workbook(book)
    main, items = wb["Borgere"], wb["Indsatser"]
    new = main.max_row + 1
    for c in range(1, main.max_column + 1):
        main.cell(new, c).value = main.cell(new - 1, c).value
    main.cell(new, 1).value = 9
    item = items.max_row + 1
    for c in range(1, items.max_column + 1):
        items.cell(item, c).value = items.cell(2, c).value
    items.cell(item, 1).value = 9
    wb.save(tmp_path / "gemt.xlsx")
    os.replace(tmp_path / "gemt.xlsx", book)
    records = list(stream)
    assert [(p.code, p.place) for p in records[-1].problems] == [
        ("changed_row", f"Borgere!{new}:{new}")]
    assert [p for r in records[:-1] for p in r.problems] == []
