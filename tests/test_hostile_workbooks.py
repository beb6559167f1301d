"""Issue 13, point 3: workbooks that lie about their size, and what batch says about them.

Cells and rows may leave out their ``r`` reference (a reader then counts on from the one
before): a scan of references alone let a cell at row 1,048,576 through (27 s and 490 MB
from an 11 KB file)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from test_hostile import Bound, doctored, invalid_dates, invoke

TIP = ("  Tip: Slet de tomme rækker og kolonner under og til højre for dataene (markér dem i "
       "Excel og vælg Slet), og gem projektmappen igen.\n")


def refused(book: Path, corner: str, rows: str, columns: str) -> str:
    return (f"Fejl: {book}: arket \"Borgere\" har celler helt ud til {corner} ({rows} rækker "
            f"og {columns} kolonner); skema læser højst 100.000 rækker og 1.000 kolonner pr. "
            f"ark, og arket læses ikke.\n{TIP}")


INLINE = '<c t="inlineStr"><is><t>x</t></is></c>'


@pytest.mark.parametrize("cells, corner, rows, columns", [
    (f'<row r="1048576">{INLINE}</row>', "R1048576", "1.048.576", "18"),
    (f'<row r="200000">{INLINE}</row>', "R200000", "200.000", "18"),
    (f'<row r="5">{INLINE * 2000}</row>', "BXX5", "5", "2.000"),
    ('<row r="3"><c r="B3"/>' + INLINE * 1200 + "</row>", "ATF3", "3", "1.202"),
    ('<row><c r="a12345678" t="inlineStr"><is><t>x</t></is></c></row>', "R12345678",
     "12.345.678", "18"),
], ids=["last-row", "row-200000", "2000-columns", "after-B3", "eight-digit-row"])
def test_cells_without_a_reference_are_placed_and_refused(tmp_path, cells, corner, rows,
                                                          columns):
    book = doctored(tmp_path, "uden-r.xlsx", cells)
    assert book.stat().st_size < 20_000
    with Bound():
        result = invoke("validate", "indsatsskema", book)
    assert result.exit_code == 1
    assert result.stderr == refused(book, corner, rows, columns)


def test_empty_rows_far_down_cost_nothing_and_are_not_refused(tmp_path):
    """A row element without cells (Excel writes them for a row's height or format)."""
    book = doctored(tmp_path, "tom.xlsx", '<row r="1048576" spans="1:16384" ht="20"/>')
    with Bound():
        result = invoke("validate", "indsatsskema", book)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"{book}: 1 rækker, ingen problemer\n"


def test_a_declared_dimension_beyond_the_content_is_not_read(tmp_path):
    """``<dimension ref="A1:XFD1048576"/>`` over one row of cells: only the cells there
    are read (the declaration is never used to size anything), so the sheet is read as it
    is, in bounded time and memory, and not refused for a size it does not have."""
    base = doctored(tmp_path, "ærlig.xlsx")
    lying = tmp_path / "dimension.xlsx"
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<sheetViews>",
                                    b'<dimension ref="A1:XFD1048576"/><sheetViews>', 1)
                assert b"XFD1048576" in body
            dst.writestr(info.filename, body)
    lying.write_bytes(out.getvalue())
    with Bound():
        result = invoke("validate", "indsatsskema", lying)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"{lying}: 1 rækker, ingen problemer\n"


def test_batch_says_when_a_hidden_main_sheet_is_read(tmp_path):
    book = doctored(tmp_path, "skjult.xlsx", hidden=True)
    result = invoke("batch", "indsatsskema", book, "-o", tmp_path / "ud")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"Bemærk: {book}: Borgere: Arket \"Borgere\" er skjult i "
                             "projektmappen, men det er det, der er læst; vis det i Excel og "
                             "kontrollér, at det er de rigtige rækker.\n")


def test_batch_prints_problems_in_bounded_numbers(tmp_path):
    book = invalid_dates(tmp_path / "mange.xlsx", 30)
    result = invoke("batch", "indsatsskema", book, "-o", tmp_path / "ud", "--jobs", "1")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert sum(line.startswith("Række ") for line in lines) == 20
    assert lines[-1] == (f"{book}: … og 10 problemer mere af samme slags (read); se dem "
                         f"alle med 'skema validate indsatsskema {book} --report "
                         "rapport.xlsx'.")
    assert result.stdout.endswith("0 filer skrevet, 30 ugyldige rækker sprunget over (30 "
                                  f"rækker); manifest: {tmp_path / 'ud' / 'manifest.csv'}\n")


def with_shared_strings(tmp_path: Path, count: int) -> Path:
    """The input workbook with a shared-strings part of ``count`` short texts."""
    book = doctored(tmp_path, "tekster.xlsx")
    out = io.BytesIO()
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" '
                    b'Target="sharedStrings.xml"/></Relationships>'))
            dst.writestr(info.filename, body)
        dst.writestr("xl/sharedStrings.xml", (
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + b"".join(b"<si><t>%d</t></si>" % i for i in range(count)) + b"</sst>"))
    book.write_bytes(out.getvalue())
    return book


def test_too_many_shared_strings_are_refused_before_reading(tmp_path, monkeypatch):
    """Each shared string costs the reader ~40 bytes however short: 9 million in a 4.4 MB
    workbook took 330 MB, so 90 million (44 MB) would take 3 GB. Counted, then refused."""
    from toolkit.sources import excel

    monkeypatch.setattr(excel, "MAX_SHARED_STRINGS", 5_000)
    book = with_shared_strings(tmp_path, 5_000)
    result = invoke("validate", "indsatsskema", book)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    book = with_shared_strings(tmp_path, 5_001)
    with Bound():
        result = invoke("validate", "indsatsskema", book)
    assert result.exit_code == 1
    assert result.stderr == (f"Fejl: {book}: projektmappen har over 5.000 forskellige tekster "
                             "(delte strenge); skema læser højst 5.000, og projektmappen "
                             "læses ikke.\n  Tip: Tjek filen; gem den igen i Excel, hvis den "
                             "er ægte.\n")
    batch = invoke("batch", "indsatsskema", book, "-o", tmp_path / "ud")
    assert batch.exit_code == 1 and batch.stderr.startswith(f"Fejl: {book}: projektmappen har")
