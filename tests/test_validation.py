"""Validation problems are data: every problem, its path, label and Danish message."""

from __future__ import annotations

from conftest import proeve_data

from toolkit.validation import validate


def messages(report):
    return [str(p) for p in report]


def test_valid_data_has_no_problems(proeve):
    assert validate(proeve, proeve_data()).valid


def test_every_problem_is_reported_with_path_label_and_message(proeve):
    data = proeve_data()
    data["kontakt"]["email"] = "ikke-en-mail"
    data["kontakt"]["telefon"] = "123"
    data["cpr"] = "320190-1234"
    data["dato"] = "26-02-2019"
    data["farve"] = "lilla"
    data["kommune"] = "Christiansø"
    del data["navn"]
    data["ukendt"] = 1
    data["aktiviteter"][1]["aktivitet"] = ""
    del data["aktiviteter"][0]["aktivitet"]
    report = validate(proeve, data)
    assert messages(report) == [
        'kommune: "Kommune" skal være en af Danmarks 98 kommuner, fx Aarhus',
        'navn: "Navn" skal udfyldes',
        'cpr: "CPR-nummer" skal være et CPR-nummer på formen DDMMÅÅ-XXXX med en gyldig '
        "fødselsdato",
        'dato: "Dato" skal være en dato på formen ÅÅÅÅ-MM-DD, fx 2019-02-26',
        'kontakt.email: "Kontaktperson – e-mail" skal være en e-mailadresse, fx navn@kommune.dk',
        'kontakt.telefon: "Kontaktperson – telefon" skal være et dansk telefonnummer med 8 '
        "cifre, fx 12 34 56 78",
        'farve: "Farve" skal være en af: Grøn, Rød',
        'aktiviteter.0.aktivitet: "Aktivitet 1 – aktivitet" skal udfyldes',
        'ukendt: "ukendt" er ikke et felt i formularen "proeve"; fjern det eller ret navnet',
    ]
    assert report.problems[1].path == "navn" and report.problems[1].code == "required"


def test_cpr_value_never_in_message(proeve):
    data = proeve_data()
    data["cpr"] = "320190-9876"
    assert "9876" not in messages(validate(proeve, data))[0]


def test_cross_field_rules(proeve):
    data = proeve_data()
    data["periode"] = {"start": "2019-08-31", "slut": "2019-08-31"}
    data["aktiviteter"][0]["fra"] = "2019-06"
    data["aktiviteter"][0]["til"] = "2019-05"
    report = validate(proeve, data)
    assert messages(report) == [
        'periode.slut: "Periode – slut" skal være senere end "Periode – start"',
        'aktiviteter.0.fra: "Aktivitet 1 – fra måned" skal ligge inden for perioden '
        '"Periode – start" til "Periode – slut"',
        'aktiviteter.0.til: "Aktivitet 1 – til måned" skal være samme dato som eller senere '
        'end "Aktivitet 1 – fra måned"',
        'aktiviteter.1.fra: "Aktivitet 2 – fra måned" skal ligge inden for perioden '
        '"Periode – start" til "Periode – slut"',
    ]


def test_report_as_json(proeve):
    data = proeve_data()
    del data["navn"]
    text = validate(proeve, data).to_json()
    assert '"path": "navn"' in text and '"label": "Navn"' in text
