"""The issuer block of the citizen documents, and the same date texts in Word and PDF
(issue 12, points 3 and 4).

``forberedende-skema`` and ``indsatsskema`` say who issued them: the municipality (from
the profile), the department (the profile's first ``afdelinger`` entry when the data
names none), the caseworker's name, phone and e-mail, and the plan's date. Every date in
a filled document reads ``12. april 2019`` in Word and PDF alike, and a PDF date field
still takes what people type.
"""

from __future__ import annotations

import copy
import io
import re

import pytest
from conftest import ROOT
from pypdf import PdfReader, PdfWriter
from test_citizen_documents import _docx_text, _norm, _pdf_text, _sample

from toolkit import blank, extract, fill, load_form, validate
from toolkit.danish import MONTHS
from toolkit.doc_labels import document_label
from toolkit.profile import STARTER, load_profile
from toolkit.profile_defaults import suggestions, with_profile_defaults
from toolkit.render.xlsx import input_workbook
from toolkit.sources.excel import read_workbook
from toolkit.web.fill_fields import page_blocks

PROFILE = ROOT / "samples" / "kommune.yaml"
ISSUED = ["forberedende-skema", "indsatsskema"]
#: The caseworker's name field of each form (an older field, placed in the issuer block).
CASEWORKER = {"forberedende-skema": "sag.sagsbehandler", "indsatsskema": "sagsbehandler"}
DATE_TITLE = {"forberedende-skema": "Skemaets dato", "indsatsskema": "Planens dato"}
FORMS = ["forberedende-skema", "handleplan", "indsatsskema", "samarbejdsmodel", "samtykke",
         "strategi"]
LONG_DATE = re.compile(r"\b\d{1,2}\. (?:" + "|".join(MONTHS) + r") \d{4}\b")
NUMERIC_DATE = re.compile(r"\b\d{1,2}[-./]\d{1,2}[-./]\d{4}\b|\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture(scope="module")
def profile():
    return load_profile(PROFILE)


def _texts(form_id: str, data: dict, profile, pdftotext, tmp_path) -> dict[str, str]:
    """The document text of the filled Word file, and of the PDF as poppler shows it
    (the fields' values in their places)."""
    pdf = tmp_path / f"{form_id}.pdf"
    pdf.write_bytes(fill(form_id, data, "pdf", profile=profile))
    return {"Word": _docx_text(fill(form_id, data, "docx", profile=profile)),
            "PDF": _norm(pdftotext(pdf))}


def _extract(tmp_path, form_id: str, data: dict, fmt: str, profile=None) -> dict:
    path = tmp_path / f"{form_id}.{fmt}"
    path.write_bytes(fill(form_id, data, fmt, profile=profile))
    got = extract(path)
    assert got.form.id == form_id
    return got.data


# -- the block ------------------------------------------------------------------------------
@pytest.mark.parametrize("form_id", ISSUED)
def test_issuer_block_near_the_top_in_plain_danish_labels(form_id):
    form = load_form(form_id)
    headings = [b["heading"] for b in form.layout if "heading" in b]
    assert headings[1:3] == ["Udstedt af", "Borger"]  # first after the title
    labels = [document_label(form, p) for p in (
        "udsteder.afdeling", CASEWORKER[form_id], "udsteder.sagsbehandler_telefon",
        "udsteder.sagsbehandler_email", "udsteder.dato")]
    assert labels == ["Afdeling", "Sagsbehandler", "Sagsbehandlerens telefon",
                      "Sagsbehandlerens e-mail", DATE_TITLE[form_id]]
    assert form.fields["udsteder.dato"].kind == "date"


@pytest.mark.parametrize("form_id", ISSUED)
def test_issuer_block_shows_the_profile_and_the_caseworker_in_word_and_pdf(form_id, profile,
                                                                          pdftotext, tmp_path):
    data = _sample(form_id)
    issuer = data["udsteder"]
    for kind, text in _texts(form_id, data, profile, pdftotext, tmp_path).items():
        start = text.index("Udstedt af")
        block = text[start:text.index("Borger", start)]
        for shown in ("Eksempel Kommune", "Afdeling", "Jobcenter Eksempel", "Sagsbehandler",
                      issuer["sagsbehandler_telefon"], issuer["sagsbehandler_email"],
                      DATE_TITLE[form_id]):
            assert shown in block, (kind, shown, block)
        day = {"forberedende-skema": "12. september 2024",
               "indsatsskema": "26. september 2024"}[form_id]
        assert day in block, (kind, block)
        assert ("Mette Lauridsen" if form_id == "forberedende-skema"
                else "Anja Mortensen") in block


@pytest.mark.parametrize("form_id", ISSUED)
def test_without_a_profile_the_block_is_there_and_neutral(form_id, pdftotext, tmp_path):
    data = _sample(form_id)
    del data["udsteder"]["afdeling"]
    data.get("sag", {}).pop("kommune", None)
    for kind, text in _texts(form_id, data, None, pdftotext, tmp_path).items():
        start = text.index("Udstedt af")
        block = text[start:text.index("Borger", start)]
        assert "[xx] Kommune" in block and "Afdeling" in block, (kind, block)
        assert "Jobcenter Eksempel" not in block and "Eksempel Kommune" not in text, kind
    for fmt in ("docx", "pdf"):
        assert "Udstedt af" in (_docx_text(blank(form_id, fmt)) if fmt == "docx"
                                else _pdf_text(blank(form_id, fmt)))


# -- the department from the profile ---------------------------------------------------------
@pytest.mark.parametrize("form_id", ISSUED)
def test_department_defaults_to_the_profiles_first_one(form_id, profile, tmp_path):
    data = _sample(form_id)
    del data["udsteder"]["afdeling"]
    own = tmp_path / "kommune.yaml"
    text = PROFILE.read_text(encoding="utf-8").replace(
        "  - Jobcenter Eksempel\n", "  - Jobcenter Nordby\n  - Jobcenter Sydby\n")
    own.write_text(text, encoding="utf-8")
    (tmp_path / "eksempel-logo.png").write_bytes(
        (ROOT / "samples" / "eksempel-logo.png").read_bytes())
    nordby = load_profile(own)
    assert nordby.departments[:2] == ("Jobcenter Nordby", "Jobcenter Sydby")
    for fmt in ("docx", "pdf"):
        got = _extract(tmp_path, form_id, data, fmt, nordby)
        assert got["udsteder"]["afdeling"] == "Jobcenter Nordby", fmt
        assert got == with_profile_defaults(load_form(form_id), data, nordby), fmt
    # the data's own department wins; no profile, no department
    data["udsteder"]["afdeling"] = "Socialafdelingen"
    assert _extract(tmp_path, form_id, data, "pdf", nordby)["udsteder"]["afdeling"] \
        == "Socialafdelingen"
    del data["udsteder"]["afdeling"]
    assert "afdeling" not in _extract(tmp_path, form_id, data, "docx")["udsteder"]


def test_profile_default_leaves_the_callers_data_alone(profile):
    form = load_form("indsatsskema")
    data = {"borger": {"navn": "A"}}
    before = copy.deepcopy(data)
    out = with_profile_defaults(form, data, profile)
    assert data == before
    assert out["udsteder"] == {"afdeling": "Jobcenter Eksempel"}
    assert with_profile_defaults(form, data, None) is data
    odd = {"udsteder": "Jobcenter"}  # not a group: left for validation to report
    assert with_profile_defaults(form, odd, profile) is odd


def test_web_fill_page_suggests_the_profiles_departments(profile):
    form = load_form("indsatsskema")
    controls = {c.name: c for b in page_blocks(form, {}, profile) if b.kind == "fields"
                for c in b.controls}
    assert controls["udsteder.afdeling"].suggestions == ("Jobcenter Eksempel",
                                                        "Socialafdelingen")
    assert controls["udsteder.afdeling"].label == "Afdeling"
    assert controls["udsteder.sagsbehandler_email"].input_type == "email"
    assert controls["udsteder.sagsbehandler_telefon"].input_type == "tel"
    assert all(not c.suggestions for n, c in controls.items() if n != "udsteder.afdeling")
    assert suggestions(form.fields["udsteder.afdeling"], None) == ()


def test_starter_profile_says_what_the_departments_are_for():
    assert "Den første står under \"Udstedt af\"" in STARTER


# -- round trips -----------------------------------------------------------------------------
@pytest.mark.parametrize("form_id", ISSUED)
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_issuer_fields_round_trip(form_id, fmt, profile, tmp_path):
    data = _sample(form_id)
    # what the document shows: the data, and the profile's municipality where it had none
    shown = with_profile_defaults(load_form(form_id), data, profile)
    assert shown["sag" if form_id == "forberedende-skema" else "udsteder"] is not None
    assert _extract(tmp_path, form_id, data, fmt, profile) == shown


@pytest.mark.parametrize("form_id", ISSUED)
def test_issuer_columns_in_the_excel_workbook_round_trip(form_id, tmp_path):
    form = load_form(form_id)
    data = _sample(form_id)
    path = tmp_path / "input.xlsx"
    path.write_bytes(input_workbook(form, [data]))
    from openpyxl import load_workbook

    headers = [c.value for c in next(load_workbook(path).worksheets[0].iter_rows(max_row=1))]
    for label in ("Udstedt af – afdeling", "Udstedt af – sagsbehandlerens telefon",
                  "Udstedt af – sagsbehandlerens e-mail",
                  f"Udstedt af – {DATE_TITLE[form_id].lower()}"):
        assert label in headers
    record = read_workbook(path, form).records[0]
    assert record.data == data and record.valid


@pytest.mark.parametrize(("field", "bad", "message"), [
    ("sagsbehandler_telefon", "70 10 20", "\"Udstedt af – sagsbehandlerens telefon\" skal "
     "være et dansk telefonnummer med 8 cifre, fx 12 34 56 78"),
    ("sagsbehandler_email", "anja@", "\"Udstedt af – sagsbehandlerens e-mail\" skal være "
     "en e-mailadresse, fx navn@kommune.dk"),
])
def test_bad_phone_or_email_named_in_danish(field, bad, message):
    data = _sample("indsatsskema")
    data["udsteder"][field] = bad
    report = validate(load_form("indsatsskema"), data)
    assert report.to_text() == f"udsteder.{field}: {message}"


# -- dates: Word and PDF show the same text ---------------------------------------------------
def _dates(text: str) -> list[str]:
    return sorted(LONG_DATE.findall(_norm(text)))


@pytest.mark.parametrize("form_id", FORMS)
def test_word_and_pdf_show_the_same_date_texts(form_id, profile, soffice, pdftotext,
                                               tmp_path):
    data = _sample(form_id)
    docx = tmp_path / f"{form_id}.docx"
    docx.write_bytes(fill(form_id, data, "docx", profile=profile))
    ours = tmp_path / f"{form_id}.pdf"
    ours.write_bytes(fill(form_id, data, "pdf", profile=profile))
    word_text, pdf_text = pdftotext(soffice(docx, "pdf")), pdftotext(ours)
    word, pdf = _dates(word_text), _dates(pdf_text)
    assert word == pdf
    # every date of the data is shown, in the long form, and none in numbers
    form = load_form(form_id)
    iso = {v for p, f in form.fields.items() if f.kind == "date" and f.list_path is None
           for v in [_get(data, p)] if v}
    from toolkit.danish import format_date

    assert {format_date(v) for v in iso} <= set(pdf)
    assert not NUMERIC_DATE.findall(pdf_text) and not NUMERIC_DATE.findall(word_text)


def _get(data: dict, path: str):
    node = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@pytest.mark.parametrize("typed", ["1-11-2026", "01-11-2026", "1.11.2026", "1/11/2026",
                                   "1. november 2026", "1. nov. 2026", "2026-11-01"])
def test_pdf_date_field_takes_what_people_type(typed):
    pdf = fill("indsatsskema", _sample("indsatsskema"), "pdf")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, {"udsteder.dato": typed},
                                             auto_regenerate=False)
    buf = io.BytesIO()
    writer.write(buf)
    from toolkit.readers.pdf import extract_pdf

    got = extract_pdf(buf.getvalue())
    assert got.data["udsteder"]["dato"] == "2026-11-01"
    assert got.data["periode"] == {"start": "2024-10-01", "slut": "2025-03-31"}


def test_filled_pdf_date_field_holds_the_long_danish_text():
    pdf = fill("indsatsskema", _sample("indsatsskema"), "pdf")
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    assert fields["udsteder.dato"]["/V"] == "26. september 2024"
    assert fields["periode.start"]["/V"] == "1. oktober 2024"


@pytest.mark.parametrize("form_id", ISSUED)
def test_excel_workbook_offers_the_profiles_departments(form_id, profile, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "input.xlsx"
    path.write_bytes(blank(form_id, "xlsx", profile=profile))
    main = load_workbook(path).worksheets[0]
    headers = [c.value for c in main[1]]
    letter = main.cell(1, headers.index("Udstedt af – afdeling") + 1).column_letter
    offered = [dv for dv in main.data_validations.dataValidation
               if str(dv.sqref).startswith(f"{letter}2:")]
    assert len(offered) == 1
    assert offered[0].formula1 == '"Jobcenter Eksempel,Socialafdelingen"'
    assert not offered[0].showErrorMessage  # a suggestion: another department may be typed
    path.write_bytes(blank(form_id, "xlsx"))
    main = load_workbook(path).worksheets[0]
    assert not [dv for dv in main.data_validations.dataValidation
                if str(dv.sqref).startswith(f"{letter}2:")]


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
@pytest.mark.parametrize("form_id", ["samtykke", "forberedende-skema", "strategi"])
def test_an_empty_kommune_field_shows_the_profiles_municipality(form_id, fmt, profile,
                                                                tmp_path):
    form = load_form(form_id)
    data = copy.deepcopy(_sample(form_id))
    path = next(p for p, f in form.fields.items() if f.schema.get("format") == "kommune")
    node = data
    for part in path.split(".")[:-1]:
        node = node.setdefault(part, {})
    node.pop(path.split(".")[-1], None)
    got = _extract(tmp_path, form_id, data, fmt, profile)
    for part in path.split("."):
        got = got[part]
    assert got == "Eksempel" == profile.kommune
    (tmp_path / "uden").mkdir()
    plain = _extract(tmp_path / "uden", form_id, data, fmt)
    for part in path.split(".")[:-1]:
        plain = plain.get(part, {})
    assert path.split(".")[-1] not in plain  # without a profile the field stays empty
