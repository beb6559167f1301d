"""One reading of each kind of value: every row goes through the Word, PDF and Excel readers.

Each value is typed into a real file: the content control of a filled Word form, the field
of a fillable PDF (as a viewer stores it), the cell of an input workbook. The same text
must give the same value, or the same Danish message, whichever file it came in.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import proeve_data
from docx_edit import edit_document, sdt_by_tag
from openpyxl import load_workbook
from pypdf.generic import NameObject, TextStringObject
from test_pdf import _bytes, _terminals, _writer

from toolkit import danish
from toolkit.catalogue import Form, shape_of
from toolkit.readers.docx import extract_docx
from toolkit.readers.pdf import extract_pdf
from toolkit.render.docx import render
from toolkit.render.ooxml import w, w14
from toolkit.render.pdf import render_pdf
from toolkit.render.xlsx import input_workbook
from toolkit.sources.excel import layout, read_workbook
from toolkit.validation import validate
from toolkit.values import Unreadable, read_number

TICK_HINT = "skriv ja, nej, x, 1 eller 0"
DATE_ERR = Unreadable("kan ikke læses som en dato", "skriv fx 26-02-2019")
MONTH_ERR = Unreadable("kan ikke læses som en måned", "skriv fx 2024-10 eller oktober 2024")


def _gone(detail: str, what: str = "dato") -> Unreadable:
    return Unreadable(f"er en {what}, der ikke findes", detail=detail)


# (field path, text typed, value read — or the Unreadable whose message every reader gives,
#  or a plain message that validation gives for every reader)
ROWS = [
    # months
    *[("aktiviteter.0.fra", text, "2019-03") for text in (
        "mar 2019", "mar. 2019", "Mar. 2019", "03-2019", "3/2019", "03.2019", "3 2019",
        "marts 2019", "Marts 2019", "2019-03", "2019-3", "1. marts 2019")],
    ("aktiviteter.0.fra", "apr. 2019", "2019-04"),
    ("aktiviteter.0.fra", "maj 2019", "2019-05"),
    ("aktiviteter.0.fra", "13-2019", _gone("et år har kun 12 måneder", "måned")),
    ("aktiviteter.0.fra", "marts", MONTH_ERR),
    # dates
    *[("dato", text, "2025-03-05") for text in (
        "5.3.2025", "05.03.2025", "05-03-2025", "5/3/2025", "5. marts 2025", "5 marts 2025",
        "5. mar. 2025", "2025-03-05", " 2025-03-05 ")],
    ("dato", "26. februar 2019", "2019-02-26"),
    ("dato", "29.2.2020", "2020-02-29"),
    ("dato", "2019-02-31", _gone("februar 2019 har kun 28 dage")),
    ("dato", "31.2.2019", _gone("februar 2019 har kun 28 dage")),
    ("dato", "31. april 2019", _gone("april 2019 har kun 30 dage")),
    ("dato", "29-02-2019", _gone("februar 2019 har kun 28 dage")),
    ("dato", "1.13.2019", _gone("et år har kun 12 måneder")),
    ("dato", "i går", DATE_ERR),
    # checkboxes: what counts as ticked
    *[("kontakt.ok", text, True) for text in (
        "☒", "☑", "✓", "✔", "✗", "✘", "X", "x", "ja", "Ja", "JA", "j", "true", "TRUE", "1",
        "yes", "sand")],
    *[("kontakt.ok", text, False) for text in (
        "☐", "nej", "Nej", "n", "false", "0", "no", "falsk")],
    *[("kontakt.ok", text, Unreadable("skal være ja eller nej", TICK_HINT)) for text in (
        "måske", "?", "-", "jo")],
    # drop-downs: the Danish title (any case and spacing) or the value
    *[("farve", text, "roed") for text in ("Rød", "rød", "RØD", "  Rød ", "roed")],
    ("farve", "Grøn", "groen"),
    ("farve", "lilla", "skal være en af: Grøn, Rød"),
    # municipalities
    *[("kommune", text, "Aalborg") for text in (
        "Aalborg", "Aalborg Kommune", "aalborg kommune", "AALBORG  KOMMUNE", "851")],
    ("kommune", "Københavns Kommune", "København"),
    ("kommune", "københavns kommune", "København"),
    ("kommune", "Bornholms Regionskommune", "Bornholm"),
    ("kommune", "Christiansø", "skal være en af Danmarks 98 kommuner, fx Aarhus"),
    # CPR numbers: the dash may be missing; the date part is checked, modulus 11 is not
    *[("cpr", text, "010190-1234") for text in (
        "010190-1234", "0101901234", "010190 1234", "010190–1234")],
    ("cpr", "010130-4234", "har en fødselsdato, der ligger i fremtiden; kontroller "
     "CPR-nummeret"),
    ("cpr", "0101304234", "har en fødselsdato, der ligger i fremtiden; kontroller "
     "CPR-nummeret"),
    ("cpr", "320190-1234", "skal være et CPR-nummer på formen DDMMÅÅ-XXXX med en gyldig "
     "fødselsdato"),
]


def _get(data: dict, path: str):
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)] if int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            return None
    return node


_FILLED: dict[str, bytes] = {}


def _filled(kind: str, form: Form) -> bytes:
    """The proeve form filled with proeve_data(), made once per kind of file."""
    if kind not in _FILLED:
        make = {"docx": render, "pdf": render_pdf, "xlsx": input_workbook}[kind]
        _FILLED[kind] = make(form, proeve_data() if kind != "xlsx" else [proeve_data()])
    return _FILLED[kind]


def _messages(problems, path: str) -> list[str]:
    return [p.message for p in problems if p.path == path]


# -- the three readers: put the text into a real file, read it back ------------------------

def _via_word(form: Form, path: str, text: str) -> tuple:
    def retype(root):
        sdt = sdt_by_tag(root, path)
        pr = sdt.find(w("sdtPr"))
        box = pr.find(w14("checkbox"))
        if box is not None:  # a box whose state is only the symbol it shows
            box.remove(box.find(w14("checked")))
        date = pr.find(w("date"))
        if date is not None:
            date.attrib.pop(w("fullDate"), None)
        runs = sdt.findall(f".//{w('t')}")
        runs[0].text = text
        for run in runs[1:]:
            run.text = ""

    got = extract_docx(edit_document(_filled("docx", form), retype))
    return _get(got.data, path), _messages(got.report, path)


def _via_pdf(form: Form, path: str, text: str) -> tuple:
    writer = _writer(_filled("pdf", form))
    node = _terminals(writer)[path]
    if node.get("/FT") == "/Btn":  # another program's form: yes/no as a text field
        node[NameObject("/FT")] = NameObject("/Tx")
    node[NameObject("/V")] = TextStringObject(text)
    got = extract_pdf(_bytes(writer))
    return _get(got.data, path), _messages(got.report, path)


def _via_excel(form: Form, path: str, text: str, tmp_path: Path) -> tuple:
    book = load_workbook(io.BytesIO(_filled("xlsx", form)))
    shape = shape_of(path)
    sheet, column = next((s, c) for s in layout(form).sheets for c in s.columns
                         if c.field is not None and c.field.path == shape)
    ws = book[sheet.name]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index(column.header) + 1, value=text)
    target = tmp_path / "values.xlsx"
    book.save(target)
    (record,) = read_workbook(target, form).records
    return _get(record.data, path), _messages(record.problems, path)


@pytest.mark.parametrize(("path", "text", "expected"), ROWS,
                         ids=[f"{p}={t!r}" for p, t, _ in ROWS])
def test_one_reading_in_word_pdf_and_excel(proeve, tmp_path, path, text, expected):
    word = _via_word(proeve, path, text)
    pdf = _via_pdf(proeve, path, text)
    excel = _via_excel(proeve, path, text, tmp_path)
    if isinstance(expected, Unreadable):
        # Word and PDF keep the text as written and say why; the Excel message also
        # quotes the cell (never for a CPR number)
        assert word == (text.strip(), [expected.message()])
        assert pdf == (text.strip(), [expected.message()])
        assert excel[1] == [expected.message(text.strip())]
    elif isinstance(expected, str) and " " in expected and expected not in (
            "Aalborg", "København"):
        assert word[1] == pdf[1] == excel[1] == [expected]
        assert "1234" not in expected
    else:
        assert word == pdf == excel == (expected, [])


# -- the same words for data that was never read ----------------------------------------

@pytest.mark.parametrize(("path", "value", "message"), [
    ("dato", "2019-02-31", "er en dato, der ikke findes: februar 2019 har kun 28 dage"),
    ("dato", "2019-13-01", "er en dato, der ikke findes: et år har kun 12 måneder"),
    ("dato", "26-02-2019", "skal være en dato på formen ÅÅÅÅ-MM-DD, fx 2019-02-26"),
    ("dato", "i går", "kan ikke læses som en dato; skriv fx 26-02-2019"),
    ("aktiviteter.0.fra", "2019-13", "er en måned, der ikke findes: et år har kun 12 måneder"),
    ("aktiviteter.0.fra", "marts 2019", "skal være en måned på formen ÅÅÅÅ-MM, fx 2019-02"),
    ("kommune", "Aalborg Kommune", 'skal skrives som kommunens navn: "Aalborg"'),
    ("cpr", "010130-4234", "har en fødselsdato, der ligger i fremtiden; kontroller "
     "CPR-nummeret"),
    ("cpr", "0101901234", "skal være et CPR-nummer på formen DDMMÅÅ-XXXX med en gyldig "
     "fødselsdato"),
    ("kontakt.ok", "måske", "skal være ja eller nej; skriv ja, nej, x, 1 eller 0"),
])
def test_validation_of_json_data_uses_the_same_words(proeve, path, value, message):
    data = proeve_data()
    parent, _, key = path.rpartition(".")
    (_get(data, parent) if parent else data)[key] = value
    problems = [p for p in validate(proeve, data) if p.path == path]
    assert [p.message for p in problems] == [message]


# -- numbers (no test form has a number field: the reading itself) -------------------------

@pytest.mark.parametrize(("text", "integer", "expected"), [
    ("12", True, 12), ("-3", True, -3), ("\u22123", False, -3), ("12,5", False, 12.5),
    ("1.234,5", False, 1234.5), ("1.234.567", True, 1234567), ("12 500", True, 12500),
    ("12\u00a0500,25", False, 12500.25), ("12.500", True, 12500), ("2.5", False, 2.5),
    ("1234.5", False, 1234.5), ("2,0", True, 2), (12.0, True, 12), (12.5, False, 12.5),
    ("1.234", False, "kan læses både som et helt tal og som et decimaltal; skriv tusinder "
     "uden punktum (1234) og decimaler med komma (1,234)"),
    ("12,5", True, "skal være et helt tal; skriv fx 1234 eller 12,5"),
    ("tolv", False, "skal være et tal; skriv fx 1234 eller 12,5"),
    ("1.23.4", False, "skal være et tal; skriv fx 1234 eller 12,5"),
    (True, False, "skal være et tal; skriv fx 1234 eller 12,5"),
])
def test_numbers_the_danish_way(text, integer, expected):
    if isinstance(expected, str):
        with pytest.raises(Unreadable) as err:
            read_number(text, integer)
        assert str(err.value) == expected
    else:
        got = read_number(text, integer)
        assert got == expected and type(got) is type(expected)


def test_cpr_birth_date_and_the_future():
    assert danish.cpr_birth_date("010190-1234") == dt.date(1990, 1, 1)
    assert danish.cpr_birth_date("010150-4234") == dt.date(1950, 1, 1)
    assert danish.cpr_birth_date("010120-4234") == dt.date(2020, 1, 1)
    assert danish.cpr_birth_date("010160-5234") == dt.date(1860, 1, 1)
    assert danish.is_cpr("010120-4234") and not danish.is_cpr("010130-4234")
    assert danish.is_cpr("010190-1235")  # modulus 11 is not required
    assert not danish.is_cpr("0101901234")  # data holds the dash; the readers add it


def test_cpr_century_rule_is_python_stdnums():
    """skema's own century rule (stdnum is not imported at run time: it loads ssl and
    pydoc) gives python-stdnum's birth date for every year and 7th digit."""
    from stdnum.dk.cpr import get_birth_date
    from stdnum.exceptions import ValidationError

    for yy in range(100):
        for digit in "0123456789":
            for ddmm in ("0101", "2902", "3112", "3102"):
                number = f"{ddmm}{yy:02d}-{digit}000"
                try:
                    expected = get_birth_date(number.replace("-", ""))
                except ValidationError:
                    expected = None
                assert danish.cpr_birth_date(number) == expected, number


def test_pdf_option_tick_that_cannot_be_read_is_reported(proeve):
    """A multi-select option stored as text by another program: never silently unticked."""
    writer = _writer(_filled("pdf", proeve))
    fields = _terminals(writer)
    for name, text in (("aktiviteter.0.maal:b", "måske"), ("aktiviteter.0.maal:c", "nej")):
        fields[name][NameObject("/FT")] = NameObject("/Tx")
        fields[name][NameObject("/V")] = TextStringObject(text)
    got = extract_pdf(_bytes(writer))
    assert got.data["aktiviteter"][0]["maal"] == ["a"]
    assert [(p.path, p.message) for p in got.report if p.path.startswith("aktiviteter.0")] == [
        ("aktiviteter.0.maal", 'valget "Beta" skal være ja eller nej; skriv ja, nej, x, 1 '
         "eller 0")]


def test_word_option_tick_that_cannot_be_read_is_reported(proeve):
    """A multi-select option whose box shows an odd mark and no w14:checked: reported with
    the PDF reader's words, never silently unticked."""
    from docx_edit import sdt_by_tag

    from toolkit.render.ooxml import w, w14

    def odd_mark(root):
        sdt = sdt_by_tag(root, "aktiviteter.0.maal:b")
        checked = sdt.find(f"{w('sdtPr')}/{w14('checkbox')}/{w14('checked')}")
        checked.getparent().remove(checked)  # the symbol shown is all there is
        for t in sdt.iter(w("t")):
            t.text = "?"

    got = extract_docx(edit_document(_filled("docx", proeve), odd_mark))
    assert "b" not in (got.data["aktiviteter"][0].get("maal") or [])
    assert [(p.path, p.message) for p in got.report if p.path.startswith("aktiviteter.0")] == [
        ("aktiviteter.0.maal", 'valget "Beta" skal være ja eller nej; skriv ja, nej, x, 1 '
         "eller 0")]
