"""Excel input workbooks: layout, reading rules, problem places, report copy, CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import pickle
import re
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import HOSTILE, ROOT, proeve_data
from openpyxl import Workbook, load_workbook

from toolkit import blank
from toolkit.catalogue import form_ids, load_form
from toolkit.errors import DataFileError
from toolkit.render.xlsx import BAD_FILL, input_workbook
from toolkit.sources.excel import (
    WorkbookData,
    layout,
    parse_place,
    place,
    read_workbook,
    validate_record,
)

if str(ROOT) not in sys.path:  # bench/ is importable as a package from the repository root
    sys.path.insert(0, str(ROOT))

MAIN = "Prøveformular"
PROEVE_HEADERS = ["Nr.", "Navn", "Dato", "Kontaktperson – e-mail", "Kontaktperson – OK",
                  "Kontaktperson – telefon", "Farve", "Hvad er målet?", "Kommune",
                  "CPR-nummer", "Periode – start", "Periode – slut"]
AKT_HEADERS = ["Nr.", "Aktivitet", "Mål", "Hvornår", "Beskrivelse", "Fra måned", "Til måned"]


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def _handmade(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook as a person might make it: plain openpyxl, no styles, no helpers."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def _proeve_row(nr=1, **over) -> list:
    values = {"Nr.": nr, "Navn": "Hans Hansen", "Dato": dt.date(2019, 2, 26),
              "Kontaktperson – e-mail": "hh@kk.dk", "Kontaktperson – OK": "ja",
              "Kontaktperson – telefon": "12 34 56 78", "Farve": "Rød",
              "Hvad er målet?": "Et job", "Kommune": "København",
              "CPR-nummer": "010190-1234", "Periode – start": dt.date(2019, 3, 1),
              "Periode – slut": dt.date(2019, 8, 31)}
    values.update(over)
    return [values[h] for h in PROEVE_HEADERS]


def _akt(nr=1, aktivitet="Møde", maal="Alfa æøå; Gamma", fra="2019-03", til="2019-05"):
    return [nr, aktivitet, maal, None, None, fra, til]


def _proeve_book(path: Path, rows: list[list], akt: list[list] | None = None,
                 headers: list | None = None) -> Path:
    return _handmade(path, {
        MAIN: [headers or PROEVE_HEADERS, *rows],
        "Delmål": [["Nr.", "Delmål"]],
        "Aktiviteter": [AKT_HEADERS, *(akt if akt is not None else [_akt(r[0]) for r in rows])],
    })


def _one(book: WorkbookData):
    assert len(book.records) == 1, book.records
    return book.records[0]


# -- the input workbook -------------------------------------------------------------------

def test_input_workbook_sheets_headers_formats(tmp_path):
    form = load_form("indsatsskema")
    path = tmp_path / "input.xlsx"
    path.write_bytes(blank(form, "xlsx"))
    book = load_workbook(path)
    assert book.sheetnames == ["Borgere", "Delmål", "Indsatser", "Vejledning", "Lister"]
    assert book["Lister"].sheet_state == "hidden"
    main = book["Borgere"]
    headers = [c.value for c in main[1]]
    assert headers == ["Nr.", "Borger – navn", "Borger – CPR-nummer", "Primær tovholder",
                       "Sekundær tovholder/mentor", "Sagsbehandler", "Planperiode – start",
                       "Planperiode – slut", "Mål – job- eller uddannelsesmål",
                       "Tværfagligt team – mødedato", "Tværfagligt team – anbefalinger",
                       "Opfølgning – dato for næste opfølgning",
                       "Opfølgning – kontakt ved fravær", "Opfølgning – aftaler",
                       "Udstedt af – afdeling", "Udstedt af – sagsbehandlerens telefon",
                       "Udstedt af – sagsbehandlerens e-mail", "Udstedt af – planens dato"]
    assert all(c.font.b for c in main[1])
    assert main.freeze_panes == "B2"
    dims = main.column_dimensions
    assert dims["C"].number_format == "@"  # CPR as text
    assert dims["G"].number_format == "DD-MM-YYYY" and dims["H"].number_format == "DD-MM-YYYY"
    assert dims["I"].width >= 40 and 10 <= dims["G"].width <= 25
    ind = book["Indsatser"]
    assert [c.value for c in ind[1]] == ["Nr.", "Område", "Indsats", "Beskrivelse",
                                         "Start (måned)", "Slut (måned)", "Ansvarlig",
                                         "Leverandør", "Status"]
    assert ind.freeze_panes == "B2"
    assert ind.column_dimensions["E"].number_format == "@"  # months stay text
    assert [c.value for c in book["Delmål"][1]] == ["Nr.", "Delmål"]
    rules = {str(dv.sqref): dv for dv in ind.data_validations.dataValidation}
    assert set(rules) == {"B2:B1048576", "I2:I1048576"}
    area = rules["B2:B1048576"]
    assert area.type == "list"
    sheet, rng = area.formula1.split("!")
    col = re.match(r"\$([A-Z]+)\$2:\$\1\$(\d+)", rng)
    values = [c.value for c in book["Lister"][col.group(1)][1:int(col.group(2))]]
    assert sheet == "Lister"
    assert values == ["Beskæftigelse", "Social", "Sundhed", "Uddannelse"]


def test_kommune_and_yes_no_drop_downs(tmp_path):
    path = tmp_path / "input.xlsx"
    path.write_bytes(blank("forberedende-skema", "xlsx"))
    book = load_workbook(path)
    main = book["Borgere"]
    headers = [c.value for c in main[1]]
    letter = lambda h: main.cell(1, headers.index(h) + 1).column_letter  # noqa: E731
    rules = {str(dv.sqref): dv.formula1 for dv in main.data_validations.dataValidation}
    kommune = rules[f"{letter('Sag – kommune')}2:{letter('Sag – kommune')}1048576"]
    rng = kommune.split("!")[1]
    col, last = re.match(r"\$([A-Z]+)\$2:\$\1\$(\d+)", rng).groups()
    names = [c.value for c in book["Lister"][col][1:int(last)]]
    assert len(names) == 98 and "Aarhus" in names and "København" in names
    yes_no = [k for k, v in rules.items() if v == '"ja,nej"']
    col = letter("Beskæftigelse – gælder for mig")
    assert f"{col}2:{col}1048576" in " ".join(yes_no)
    assert main.column_dimensions[letter("Borger – telefon")].number_format == "@"


def test_vejledning_explains_every_column(tmp_path):
    form = load_form("indsatsskema")
    path = tmp_path / "input.xlsx"
    path.write_bytes(blank(form, "xlsx"))
    ws = load_workbook(path)["Vejledning"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = rows.index(["Ark", "Kolonne", "Feltnavn", "Hjælp", "Format", "Skal udfyldes"])
    table = {(r[0], r[1]): r for r in rows[header + 1:]}
    total = sum(len(s.columns) for s in layout(form).sheets)
    assert len(table) == total
    assert table[("Borgere", "Borger – CPR-nummer")][2:] == [
        "borger.cpr", None, "CPR-nummer på formen DDMMÅÅ-XXXX (gemt som tekst).", "ja"]
    assert table[("Borgere", "Primær tovholder")][3] == "Tovholder fra Borger- og Socialservice"
    assert table[("Borgere", "Planperiode – start")][4] == "Dato, fx 26-02-2019."
    assert table[("Indsatser", "Status")][4] == "Vælg fra listen: Planlagt, I gang, " \
        "Afsluttet, Afbrudt."
    assert table[("Indsatser", "Ansvarlig")][5] == "ja"
    assert table[("Indsatser", "Leverandør")][5] == "nej"
    assert table[("Indsatser", "Start (måned)")][4].startswith("Måned, fx 2024-10")


def test_blank_workbook_opens_in_libreoffice(tmp_path, soffice):
    path = tmp_path / "input.xlsx"
    path.write_bytes(blank("indsatsskema", "xlsx"))
    csv = soffice(path, "csv").read_bytes().decode("cp1252")  # LibreOffice's CSV default
    assert csv.splitlines()[0].startswith("Nr.,Borger – navn,Borger – CPR-nummer,")


def test_filled_workbook_saved_by_libreoffice_reads_the_same(tmp_path, soffice):
    form = load_form("indsatsskema")
    data = _sample("indsatsskema")
    path = tmp_path / "input.xlsx"
    path.write_bytes(input_workbook(form, [data]))
    for target in ("xlsx", "ods", "xls"):
        saved = soffice(path, target)
        rec = _one(read_workbook(saved, form))
        assert rec.data == data and rec.valid, target


# -- round trips --------------------------------------------------------------------------

@pytest.mark.parametrize("form_id", form_ids())
def test_round_trip_every_sample(form_id, tmp_path):
    form = load_form(form_id)
    data = _sample(form_id)
    path = tmp_path / "in.xlsx"
    path.write_bytes(input_workbook(form, [data, data]))
    book = read_workbook(path, form)
    assert book.problems == []
    assert [r.key for r in book.records] == ["1", "2"]
    assert [r.row for r in book.records] == [2, 3]
    for rec in book.records:
        assert rec.problems == [] and rec.valid
        assert rec.data == data


def test_round_trip_hostile_text_never_a_formula(proeve, tmp_path):
    rows = []
    for text in [*HOSTILE, '=HYPERLINK("http://x.invalid","klik")', "=1+1"]:
        rows.append(proeve_data(text))
    path = tmp_path / "in.xlsx"
    path.write_bytes(input_workbook(proeve, rows))
    book = read_workbook(path, proeve)
    assert [r.data for r in book.records] == rows
    assert all(r.valid for r in book.records)
    ws = load_workbook(path)[MAIN]
    cell = ws.cell(len(rows), 2)
    assert cell.value == '=HYPERLINK("http://x.invalid","klik")' and cell.data_type == "s"


# -- reading rules --------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    dt.date(2019, 2, 26), dt.datetime(2019, 2, 26, 14, 30), "26-02-2019", "26.2.2019",
    "26. februar 2019", "26. feb. 2019", "2019-02-26", " 2019-02-26 ", 43522,
])
def test_dates_become_iso(proeve, tmp_path, value):
    path = _proeve_book(tmp_path / "d.xlsx", [_proeve_row(Dato=value)])
    rec = _one(read_workbook(path, proeve))
    assert rec.data["dato"] == "2019-02-26"
    assert rec.problems == []


@pytest.mark.parametrize(("value", "message"), [
    ("31-02-2019", 'er en dato, der ikke findes ("31-02-2019"): februar 2019 har kun 28 dage'),
    ("i morgen", 'kan ikke læses som en dato ("i morgen"); skriv fx 26-02-2019'),
])
def test_unreadable_date_is_one_problem_on_its_cell(proeve, tmp_path, value, message):
    path = _proeve_book(tmp_path / "d.xlsx", [_proeve_row(Dato=value)])
    rec = _one(read_workbook(path, proeve))
    assert [(p.place, p.path, p.message) for p in rec.problems] == [
        ("Prøveformular!C2", "dato", message)]


@pytest.mark.parametrize(("value", "month"), [
    ("2019-03", "2019-03"), ("3-2019", "2019-03"), ("03/2019", "2019-03"),
    ("marts 2019", "2019-03"), ("Mar. 2019", "2019-03"), (dt.date(2019, 3, 1), "2019-03"),
    ("1. marts 2019", "2019-03"),
])
def test_months(proeve, tmp_path, value, month):
    path = _proeve_book(tmp_path / "m.xlsx", [_proeve_row()],
                        akt=[_akt(1, fra=value, til="2019-05")])
    rec = _one(read_workbook(path, proeve))
    assert rec.data["aktiviteter"][0]["fra"] == month
    assert rec.problems == []


def test_cpr_that_lost_its_leading_zero_is_restored_with_a_note(proeve, tmp_path):
    path = _proeve_book(tmp_path / "c.xlsx", [_proeve_row(1, **{"CPR-nummer": 101901234}),
                                              _proeve_row(2, **{"CPR-nummer": 2602191234}),
                                              _proeve_row(3, **{"CPR-nummer": "0101901234"})])
    book = read_workbook(path, proeve)
    assert [r.data["cpr"] for r in book.records] == ["010190-1234", "260219-1234",
                                                     "010190-1234"]
    assert all(r.valid for r in book.records)
    note = book.records[0].notes
    assert [(n.place, n.code) for n in note] == [("Prøveformular!J2", "restored")]
    assert "1234" not in note[0].message
    assert book.records[1].notes == [] and book.records[2].notes == []


@pytest.mark.parametrize("value", [12345, 999999999, 12345678.5])
def test_cpr_number_that_cannot_be_restored_is_flagged(proeve, tmp_path, value):
    path = _proeve_book(tmp_path / "c.xlsx", [_proeve_row(**{"CPR-nummer": value})])
    rec = _one(read_workbook(path, proeve))
    assert [(p.place, p.path, p.code) for p in rec.problems] == [
        ("Prøveformular!J2", "cpr", "read")]
    assert rec.problems[0].message == (
        "CPR-nummeret er gemt som et tal og mangler cifre, og det kan ikke gendannes "
        "entydigt; skriv det som tekst på formen DDMMÅÅ-XXXX")


def test_bad_cpr_message_is_masked_and_placed(proeve, tmp_path):
    path = _proeve_book(tmp_path / "c.xlsx", [_proeve_row(**{"CPR-nummer": "320190-1234"})])
    rec = _one(read_workbook(path, proeve))
    assert [str(p) for p in rec.problems] == [
        'Prøveformular!J2: cpr: "CPR-nummer" skal være et CPR-nummer på formen DDMMÅÅ-XXXX '
        "med en gyldig fødselsdato"]


@pytest.mark.parametrize(("value", "expected"), [
    ("ja", True), ("Nej", False), ("x", True), ("X ", True), ("1", True), (1, True),
    (0, False), ("0", False), ("TRUE", True), ("FALSE", False), (True, True),
    (False, False),
])
def test_yes_no(proeve, tmp_path, value, expected):
    path = _proeve_book(tmp_path / "b.xlsx", [_proeve_row(**{"Kontaktperson – OK": value})])
    rec = _one(read_workbook(path, proeve))
    assert rec.data["kontakt"]["ok"] is expected
    assert rec.problems == []


def test_yes_no_unknown_word(proeve, tmp_path):
    path = _proeve_book(tmp_path / "b.xlsx", [_proeve_row(**{"Kontaktperson – OK": "måske"})])
    rec = _one(read_workbook(path, proeve))
    assert [(p.place, p.message) for p in rec.problems] == [
        ("Prøveformular!E2", 'skal være ja eller nej ("måske"); skriv ja, nej, x, 1 eller 0')]


def test_choices_by_title_or_value_and_multi_select_split_on_semicolon(proeve, tmp_path):
    path = _proeve_book(tmp_path / "c.xlsx", [_proeve_row(1, Farve=" rød "),
                                              _proeve_row(2, Farve="groen")],
                        akt=[_akt(1, maal="Alfa æøå; gamma"), _akt(2, maal="b;c;"),
                             _akt(2, aktivitet="To", maal="Beta ; Delta")])
    book = read_workbook(path, proeve)
    one, two = book.records
    assert one.data["farve"] == "roed" and two.data["farve"] == "groen"
    assert one.data["aktiviteter"][0]["maal"] == ["a", "c"]
    assert [a["maal"] for a in two.data["aktiviteter"]] == [["b", "c"], ["b", "Delta"]]
    assert [(p.place, p.path, p.code) for p in two.problems] == [
        ("Aktiviteter!C4", "aktiviteter.1.maal.1", "enum")]
    assert one.valid


def test_headers_by_label_or_path_any_case_and_spaces_below_a_title_row(proeve, tmp_path):
    headers = [" nr. ", "NAVN", "dato", "kontakt.email", "Kontaktperson - OK",
               "kontakt.telefon", "farve", "  svar", "Kommune ", "cpr", "periode.start",
               "Periode  –  slut"]
    path = _handmade(tmp_path / "h.xlsx", {
        MAIN: [["Prøveformular for projektet"], [], headers, _proeve_row()],
        "aktiviteter": [["NR.", "aktivitet", "maal"], [1, "Møde", "Beta"]],
    })
    book = read_workbook(path, proeve)
    rec = _one(book)
    assert rec.row == 4
    assert rec.data["kontakt"] == {"email": "hh@kk.dk", "ok": True, "telefon": "12 34 56 78"}
    assert rec.data["aktiviteter"] == [{"aktivitet": "Møde", "maal": ["b"]}]
    assert rec.problems == []
    assert [(p.place, p.code) for p in book.problems] == [("Delmål", "missing_sheet")]


def test_formulas_are_read_as_cached_values(proeve, tmp_path):
    path = _proeve_book(tmp_path / "f.xlsx", [_proeve_row(Navn='="Hans "&"Hansen"',
                                                          Dato="=DATE(2019,2,26)")])
    raw = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(r'<c r="B2"><f>(.*?)</f><v\s*/?>(</v>)?</c>',
                              r'<c r="B2" t="str"><f>\1</f><v>Hans Hansen</v></c>', text)
                text = re.sub(r'<c r="C2"( s="\d+")?><f>(.*?)</f><v\s*/?>(</v>)?</c>',
                              r'<c r="C2"\1><f>\2</f><v>43522</v></c>', text)
                assert "<v>Hans Hansen</v>" in text and "<v>43522</v>" in text
                data = text.encode()
            dst.writestr(item, data)
    rec = _one(read_workbook(path, proeve))
    assert rec.data["navn"] == "Hans Hansen" and rec.data["dato"] == "2019-02-26"
    assert rec.problems == []


def test_merged_cells_blank_rows_and_extra_columns(proeve, tmp_path):
    headers = PROEVE_HEADERS + ["Noter"]
    path = tmp_path / "m.xlsx"
    book = Workbook()
    ws = book.active
    ws.title = MAIN
    ws.append(headers)
    ws.append(_proeve_row(1) + ["a"])
    ws.append([None] * len(headers))
    ws.append(_proeve_row(2, Navn=None) + ["b"])
    ws.append(_proeve_row(3, Navn=None) + ["c"])
    ws.append(["", " ", None])
    ws["B4"] = "Grete Jensen"
    ws.merge_cells("B4:B5")  # one name for two rows
    akt = book.create_sheet("Aktiviteter")
    akt.append(AKT_HEADERS)
    for nr in (1, 2, 3):
        akt.append(_akt(nr))
    book.create_sheet("Delmål").append(["Nr.", "Delmål"])
    book.save(path)
    data = read_workbook(path, proeve)
    assert [r.row for r in data.records] == [2, 4, 5]
    assert [r.data["navn"] for r in data.records] == ["Hans Hansen", "Grete Jensen",
                                                      "Grete Jensen"]
    assert [(p.place, p.message) for p in data.problems] == [
        ("Prøveformular!M1", 'Kolonnen "Noter" hører ikke til formularen og læses ikke.')]
    assert all(r.valid for r in data.records)


def test_list_rows_are_attached_by_key_and_orphans_reported(proeve, tmp_path):
    path = _proeve_book(tmp_path / "l.xlsx", [_proeve_row(7), _proeve_row(8)], akt=[
        _akt(8, aktivitet="B1"), _akt(7, aktivitet="A1"), _akt(9, aktivitet="X"),
        _akt(8, aktivitet="B2", fra="2019-06", til="2019-04"), [None, "uden nr"],
        _akt(" 7 ", aktivitet="A2")])
    book = read_workbook(path, proeve)
    seven, eight = book.records
    assert [a["aktivitet"] for a in seven.data["aktiviteter"]] == ["A1", "A2"]
    assert [a["aktivitet"] for a in eight.data["aktiviteter"]] == ["B1", "B2"]
    assert [(p.place, p.message) for p in book.problems] == [
        ("Aktiviteter!A4", 'Nr. "9" findes ikke på arket "Prøveformular"; ret nummeret '
                           "eller tilføj rækken."),
        ("Aktiviteter!A6", 'Rækken på arket "Aktiviteter" mangler "Nr." og hører derfor ikke '
                           'til nogen række på arket "Prøveformular"; skriv nøglen i kolonne A.'),
    ]
    assert seven.valid
    assert [(p.place, p.path, p.message) for p in eight.problems] == [
        ("Aktiviteter!G5", "aktiviteter.1.til",
         'skal være samme dato som eller senere end "Aktivitet 2 – fra måned"')]


def test_required_problems_point_at_the_empty_cell(proeve, tmp_path):
    path = _proeve_book(tmp_path / "r.xlsx", [_proeve_row(1, Navn=" ")], akt=[
        _akt(1), [1, None, "Beta", None, "tekst", "2019-04", "2019-04"]])
    rec = _one(read_workbook(path, proeve))
    assert [(p.place, str(p)) for p in rec.problems] == [
        ("Prøveformular!B2", 'Prøveformular!B2: navn: "Navn" skal udfyldes'),
        ("Aktiviteter!B3", 'Aktiviteter!B3: aktiviteter.1.aktivitet: "Aktivitet 2 – '
                           'aktivitet" skal udfyldes'),
    ]


def test_missing_list_and_duplicate_key(proeve, tmp_path):
    path = _proeve_book(tmp_path / "k.xlsx", [_proeve_row(1), _proeve_row(1)], akt=[])
    book = read_workbook(path, proeve)
    first, second = book.records
    assert [(p.place, p.message) for p in first.problems] == [
        ("Prøveformular!A2", "skal udfyldes")]
    assert ("Prøveformular!A3", 'Nr. "1" står også i række 2; hver række skal have sit '
            "eget.") in [(p.place, p.message) for p in second.problems]


def test_validate_later_in_workers_gives_the_same_problems(tmp_path):
    form = load_form("indsatsskema")
    path = ROOT / "samples" / "indsatsplaner.xlsx"
    now = read_workbook(path, form)
    later = read_workbook(path, form, validate=False)
    moved = [pickle.loads(pickle.dumps(r)) for r in later.records]
    assert [validate_record(form, r) for r in moved] == [r.problems for r in now.records]


def test_not_a_workbook_and_zip_bomb(tmp_path, proeve):
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip")
    with pytest.raises(DataFileError, match="er ikke en Excel-projektmappe"):
        read_workbook(fake, proeve)
    locked = tmp_path / "locked.xlsx"  # Excel saves a password-protected workbook as OLE
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(DataFileError, match="beskyttet med en adgangskode") as info:
        read_workbook(locked, proeve)
    assert "Fjern adgangskoden" in info.value.hint
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 60_000_000)
    with pytest.raises(DataFileError, match="mistænkelig stor"):
        read_workbook(bomb, proeve)


def test_xml_entity_tricks_are_refused(tmp_path):
    form = load_form("indsatsskema")
    clean = io.BytesIO(input_workbook(form, [_sample("indsatsskema")]))
    path = tmp_path / "entities.xlsx"
    dtd = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
           '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
           '<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    with zipfile.ZipFile(clean) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (dtd + data.decode().replace("Jesper Thorsen", "&c;&x;")).encode()
            dst.writestr(item, data)
    with pytest.raises(DataFileError, match='arket "Borgere" kan ikke læses'):
        read_workbook(path, form)


def test_place_helpers():
    assert place("Indsatser", 4, 14) == "Indsatser!E14"
    assert place("Nuværende kontakter", 27, 3) == "'Nuværende kontakter'!AB3"
    assert parse_place("'Nuværende kontakter'!AB3") == ("Nuværende kontakter", 27, 3)
    assert parse_place("Borgere!5:5") == ("Borgere", None, 5)
    assert parse_place("Borgere") is None


# -- the sample workbook ------------------------------------------------------------------

def test_sample_workbook_has_200_citizens_and_its_mistakes_are_found():
    from bench.fakedata import write_indsats_workbook  # noqa: F401  (importable)

    form = load_form("indsatsskema")
    book = read_workbook(ROOT / "samples" / "indsatsplaner.xlsx", form)
    assert len(book.records) >= 200
    items = sum(len(r.data.get("indsatser", [])) for r in book.records)
    assert 5.5 <= items / len(book.records) <= 6.5
    places = {p.place for p in book.report()}
    assert {"Borgere!C7", "Borgere!H28", "Indsatser!G250", "Indsatser!F377",
            "Indsatser!I622", "Borgere!J133", "Indsatser!A1211", "Borgere!O1",
            "Borgere!C196"} <= places
    notes = [n.place for r in book.records for n in r.notes]
    assert notes == ["Borgere!C91"]
    assert 5 <= sum(not r.valid for r in book.records) <= 12


def test_fakedata_is_deterministic_and_reports_its_mistakes(tmp_path):
    from bench.fakedata import MISTAKES, write_indsats_workbook

    form = load_form("indsatsskema")
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    placed = write_indsats_workbook(a, 60, seed=3, mistakes=len(MISTAKES))
    assert write_indsats_workbook(b, 60, seed=3, mistakes=len(MISTAKES)) == placed
    ra, rb = read_workbook(a, form), read_workbook(b, form)
    assert [r.data for r in ra.records] == [r.data for r in rb.records]
    found = {p.place for p in ra.report()} | {n.place for r in ra.records for n in r.notes}
    assert [m.kind for m in placed] == list(MISTAKES)
    assert all(m.place in found for m in placed), placed


# -- report copy and CLI ------------------------------------------------------------------



def test_cli_blank_xlsx_and_no_overwrite(run, tmp_path):
    out = tmp_path / "input.xlsx"
    result = run("blank", "samtykke", "-o", out)
    assert result.exit_code == 0
    assert result.output == f"{out}: tom projektmappe til indtastning skrevet\n"
    assert load_workbook(out).sheetnames[:3] == ["Borgere", "Parter", "Netværkspersoner"]
    again = run("blank", "samtykke", "-o", out)
    assert again.exit_code == 1 and "findes allerede" in again.output


def test_cli_validate_prints_every_problem_with_its_cell_and_writes_report(run, tmp_path,
                                                                          proeve):
    path = _proeve_book(tmp_path / "in.xlsx", [
        _proeve_row(1), _proeve_row(2, **{"CPR-nummer": "320190-1234",
                                          "Kontaktperson – e-mail": "hh(at)kk.dk"})],
        akt=[_akt(1), _akt(2), [2, None, None, None, None, "2019-04", "2019-04"]])
    report = tmp_path / "rapport.xlsx"
    result = run("validate", "proeve", path, "--report", report)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f'{path}: Prøveformular!D3: kontakt.email: "Kontaktperson – e-mail" skal være en '
        "e-mailadresse, fx navn@kommune.dk",
        f'{path}: Prøveformular!J3: cpr: "CPR-nummer" skal være et CPR-nummer på formen '
        "DDMMÅÅ-XXXX med en gyldig fødselsdato",
        f'{path}: Aktiviteter!B4: aktiviteter.1.aktivitet: "Aktivitet 2 – aktivitet" skal '
        "udfyldes",
    ]
    assert result.stdout.splitlines() == [
        f"{path}: 2 rækker, 1 med problemer, 3 problemer i alt",
        f"{report}: rapport skrevet med 3 problemer markeret",
    ]
    assert "1234" not in result.output
    book = load_workbook(report)
    red = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.fill.fgColor.rgb == BAD_FILL.fgColor.rgb or cell.comment:
                    red[f"{ws.title}!{cell.coordinate}"] = (cell.fill.fgColor.rgb,
                                                            cell.comment.text)
    assert red == {
        "Prøveformular!D3": (BAD_FILL.fgColor.rgb, "Kontaktperson – e-mail: skal være en "
                             "e-mailadresse, fx navn@kommune.dk"),
        "Prøveformular!J3": (BAD_FILL.fgColor.rgb, "CPR-nummer: skal være et CPR-nummer på "
                             "formen DDMMÅÅ-XXXX med en gyldig fødselsdato"),
        "Aktiviteter!B4": (BAD_FILL.fgColor.rgb, "Aktivitet 2 – aktivitet: skal udfyldes"),
    }
    assert book[MAIN]["J3"].value == "320190-1234"  # a copy: the data itself is kept
    assert run("validate", "proeve", path, "--report", report).exit_code == 1
    assert "findes allerede" in run("validate", "proeve", path, "--report",
                                    report).output


def test_cli_validate_clean_workbook_and_json(run, tmp_path, proeve):
    path = _proeve_book(tmp_path / "in.xlsx", [_proeve_row(1)])
    result = run("validate", "proeve", path)
    assert result.exit_code == 0 and result.output == f"{path}: 1 rækker, ingen problemer\n"
    bad = _proeve_book(tmp_path / "bad.xlsx", [_proeve_row(1, Navn=None)])
    result = run("validate", "proeve", bad, "--json")
    assert result.exit_code == 1
    assert [(p["place"], p["path"]) for p in json.loads(result.stdout)] == [
        ("Prøveformular!B2", "navn")]


def test_cli_report_needs_xlsx(run, tmp_path):
    data = ROOT / "samples" / "samtykke.json"
    result = run("validate", "samtykke", data, "--report", tmp_path / "r.xlsx")
    assert result.exit_code == 2 and "--report kan kun bruges med en .xlsx-fil." in result.output
    result = run("validate", "samtykke", ROOT / "samples" / "indsatsplaner.xlsx",
                 "--report", tmp_path / "r.pdf")
    assert result.exit_code == 2


def test_cli_fill_from_workbook_picks_one_row(run, tmp_path):
    form = load_form("indsatsskema")
    data = _sample("indsatsskema")
    other = json.loads(json.dumps(data))
    other["borger"]["navn"] = "Grete Jensen"
    path = tmp_path / "in.xlsx"
    path.write_bytes(input_workbook(form, [data, other]))
    out = tmp_path / "plan.docx"
    result = run("fill", "indsatsskema", path, "-o", out)
    assert result.exit_code == 2
    assert ('arket "Borgere" har 2 udfyldte rækker (rækkerne 2–3); vælg én med --row N'
            in result.output)
    assert run("fill", "indsatsskema", path, "-o", out, "--row", "9").exit_code == 2
    result = run("fill", "indsatsskema", path, "-o", out, "--key", "2")
    assert result.exit_code == 0, result.output
    from toolkit import extract

    assert extract(out).data["borger"]["navn"] == "Grete Jensen"
    out2 = tmp_path / "plan2.docx"
    assert run("fill", "indsatsskema", path, "-o", out2, "--row", "2").exit_code == 0
    assert extract(out2).data == data
    single = tmp_path / "one.xlsx"
    single.write_bytes(input_workbook(form, [other]))
    assert run("fill", "indsatsskema", single, "-o", tmp_path / "p.pdf").exit_code == 0
    json_in = ROOT / "samples" / "indsatsskema.json"
    result = run("fill", "indsatsskema", json_in, "-o", tmp_path / "x.docx", "--row", 2)
    assert result.exit_code == 2 and "kun med en .xlsx-fil" in result.output


def test_cli_validate_broken_workbook_says_what_to_do(run, tmp_path):
    fake = tmp_path / "in.xlsx"
    fake.write_text("hej")
    result = run("validate", "indsatsskema", fake)
    assert result.exit_code == 1
    assert result.output == (f"Fejl: {fake}: filen er ikke en Excel-projektmappe (.xlsx).\n"
                             "  Tip: Gem filen i Excel som .xlsx og prøv igen.\n")
    result = run("validate", "indsatsskema", tmp_path / "none.xlsx")
    assert result.exit_code == 2


def test_key_can_be_a_field_of_the_form(proeve, tmp_path):
    from toolkit.catalogue import Form

    form = Form({**proeve.schema, "x-key": "cpr", "x-sheet": "Borgere"})
    lay = layout(form)
    assert lay.key_field == "cpr" and lay.main.columns[0].header == "Navn"
    assert [s.columns[0].header for s in lay.lists] == ["CPR-nummer", "CPR-nummer"]
    data = proeve_data()
    path = tmp_path / "k.xlsx"
    path.write_bytes(input_workbook(form, [data]))
    book = read_workbook(path, form)
    rec = _one(book)
    assert rec.key == "010190-1234" and rec.data == data and rec.valid
    ws = load_workbook(path)
    assert ws["Aktiviteter"]["A2"].value == "010190-1234"
    ws["Aktiviteter"]["A3"] = "020290-1234"
    ws["Aktiviteter"]["B3"] = "Ekstra"
    ws.save(path)
    book = read_workbook(path, form)
    assert [(p.place, p.message) for p in book.problems] == [
        ("Aktiviteter!A3", 'CPR-nummer "020290-xxxx" findes ikke på arket "Borgere"; ret '
                           "nummeret eller tilføj rækken.")]


def test_report_copy_keeps_text_that_looks_like_a_formula_as_text(proeve, tmp_path):
    from toolkit.render.xlsx import report_copy

    data = proeve_data('=HYPERLINK("http://x.invalid","klik")')
    data["kontakt"]["email"] = "ikke en adresse"
    path = tmp_path / "in.xlsx"
    path.write_bytes(input_workbook(proeve, [data]))
    book = read_workbook(path, proeve)
    out = tmp_path / "rapport.xlsx"
    out.write_bytes(report_copy(path, book.report()))
    ws = load_workbook(out)[MAIN]
    assert ws["B2"].value == data["navn"] and ws["B2"].data_type == "s"
    assert ws["D2"].fill.fgColor.rgb == BAD_FILL.fgColor.rgb and ws["B2"].comment is None


def test_form_without_lists_needs_no_key_column(tmp_path):
    form = load_form("strategi")
    data = _sample("strategi")
    full = tmp_path / "full.xlsx"
    full.write_bytes(input_workbook(form, [data]))
    ws = load_workbook(full)[layout(form).main.name]
    rows = [[c.value for c in r][1:] for r in ws.iter_rows()]  # without the Nr. column
    rows[1][1] = dt.date.fromisoformat(data["udfyldt_dato"])
    path = _handmade(tmp_path / "s.xlsx", {"Ark1": rows})
    book = read_workbook(path, form)
    rec = _one(book)
    assert book.problems == [] and rec.problems == []
    assert rec.data == data and rec.key == "række 2"


def test_list_sheet_without_key_column(proeve, tmp_path):
    path = _handmade(tmp_path / "n.xlsx", {
        MAIN: [PROEVE_HEADERS, _proeve_row(1)],
        "Aktiviteter": [AKT_HEADERS[1:], ["Møde"]],
        "Delmål": [["Nr.", "Delmål"]],
    })
    book = read_workbook(path, proeve)
    assert [(p.place, p.message) for p in book.problems] == [
        ("Aktiviteter!1:1", 'Arket "Aktiviteter" mangler kolonnen "Nr.", som knytter rækkerne '
                            "på listearkene til hovedarket; tilføj den som første kolonne."),
    ]
    assert "aktiviteter" not in _one(book).data


def test_a_missing_group_points_at_its_first_column(tmp_path):
    form = load_form("indsatsskema")
    data = _sample("indsatsskema")
    del data["periode"]
    path = tmp_path / "p.xlsx"
    path.write_bytes(input_workbook(form, [data]))
    rec = _one(read_workbook(path, form))
    assert [str(p) for p in rec.problems] == [
        'Borgere!G2: periode: "Planperiode" skal udfyldes']


def test_report_of_the_sample_marks_mistakes_red_and_the_restored_cpr_yellow(run, tmp_path):
    from toolkit.render.xlsx import NOTE_FILL

    report = tmp_path / "rapport.xlsx"
    result = run("validate", "indsatsskema", ROOT / "samples" / "indsatsplaner.xlsx",
                 "--report", report)
    assert result.exit_code == 1
    book = load_workbook(report)
    main = book["Borgere"]
    assert main["C7"].fill.fgColor.rgb == BAD_FILL.fgColor.rgb
    assert main["C91"].fill.fgColor.rgb == NOTE_FILL.fgColor.rgb
    assert "foranstillede 0" in main["C91"].comment.text
    assert isinstance(main["C91"].value, int)  # a copy: the number is left as it was
    assert main["C8"].fill.fgColor.rgb != BAD_FILL.fgColor.rgb and main["C8"].comment is None
    assert book["Indsatser"]["G250"].comment.text == "Indsats 1 – ansvarlig: skal udfyldes"
    assert "Bemærk:" in result.stderr and "Borgere!C91" in result.stderr
