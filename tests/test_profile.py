"""The municipality's profile (issue 12): loading and checking kommune.yaml, the header and
footer on every page of every form in Word (through LibreOffice) and PDF, the consent form's
art. 13 information and explicit consent, its signature fields and its lock."""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import ROOT
from pypdf import PdfReader

from toolkit import blank, fill, load_form, validate
from toolkit.profile import STARTER, ProfileError, load_profile

SAMPLE = ROOT / "samples" / "kommune.yaml"
FORMS = ["forberedende-skema", "handleplan", "indsatsskema", "samarbejdsmodel", "samtykke",
         "strategi"]


@pytest.fixture(scope="module")
def profile():
    return load_profile(SAMPLE)


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def _pages(text: str) -> list[str]:
    return [p for p in text.split("\f") if p.strip()]


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- the profile file ------------------------------------------------------------------
def test_sample_profile_loads(profile):
    assert profile.name == "Eksempel Kommune"
    assert profile.cvr == "12345678"
    assert profile.logo is not None and profile.logo.name == "eksempel-logo.png"
    assert profile.max_consent_months == 24
    assert profile.address_line() == ("Rådhustorvet 1, 9999 Eksempelby · Tlf. 70 10 20 30 · "
                                      "kommune@example.dk · www.example.dk · CVR 12345678")
    assert profile.dpo_contact() == ("Databeskyttelsesrådgiver Eksempel Kommune, "
                                     "dpo@example.dk, tlf. 70 10 20 31")


def test_starter_file_is_a_valid_profile(tmp_path):
    path = _write(tmp_path, "kommune.yaml", STARTER.encode("utf-8"))
    assert load_profile(path).name == "Eksempel Kommune"


def test_profile_errors_are_danish_with_field_and_line(tmp_path):
    text = STARTER.replace('cvr: "12345678"', 'cvr: "1234"').replace(
        "web: www.example.dk\n", "web: www.example.dk\nfarve: blå\n").replace(
        "privatlivspolitik: https://www.example.dk/privatliv\n", "")
    path = _write(tmp_path, "kommune.yaml", text.encode("utf-8"))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    line = text.splitlines().index('cvr: "1234"') + 1
    assert f'feltet "cvr" (linje {line}): skal være 8 cifre' in message
    assert '  - profilen: mangler "privatlivspolitik"' in message
    farve = text.splitlines().index("farve: blå") + 1
    assert f'  - profilen (linje {farve}): ukendt felt "farve"' in message


def test_missing_profile_and_svg_logo_are_refused(tmp_path):
    with pytest.raises(ProfileError, match="profilen findes ikke"):
        load_profile(tmp_path / "ingen.yaml")
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    path = _write(tmp_path, "kommune.yaml",
                  STARTER.replace("# logo: logo.png", "logo: logo.svg").encode("utf-8"))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert "SVG-logoer kan ikke bruges endnu" in str(info.value)
    assert "PNG" in info.value.hint


def test_profile_new_and_global_option(run, tmp_path, monkeypatch, pdftotext):
    out = tmp_path / "kommune.yaml"
    result = run("profile", "new", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == STARTER
    assert run("profile", "check", out).output.strip() == (
        f"{out}: profilen for Eksempel Kommune er i orden")
    pdf = tmp_path / "s.pdf"
    result = run("--profile", SAMPLE, "blank", "strategi", "-o", pdf)
    assert result.exit_code == 0, result.output
    assert "Eksempel Kommune" in pdftotext(pdf)
    monkeypatch.setenv("SKEMA_PROFILE", str(SAMPLE))
    pdf2 = tmp_path / "s2.pdf"
    assert run("blank", "strategi", "-o", pdf2).exit_code == 0
    assert "Eksempel Kommune" in pdftotext(pdf2)
    monkeypatch.setenv("SKEMA_PROFILE", str(tmp_path / "ingen.yaml"))
    result = run("blank", "strategi", "-o", tmp_path / "s3.pdf")
    assert result.exit_code == 2
    assert "profilen findes ikke" in result.output


# -- every form, Word and PDF ----------------------------------------------------------
@pytest.mark.parametrize("form_id", FORMS)
def test_profile_on_every_page_pdf(form_id, profile, tmp_path, pdftotext):
    form = load_form(form_id)
    for name, data in (("udfyldt", fill(form, _sample(form_id), "pdf", profile=profile)),
                       ("tom", blank(form, "pdf", profile=profile))):
        pages = _pages(pdftotext(_write(tmp_path, f"{name}.pdf", data)))
        assert pages
        for page in pages:
            assert "Eksempel Kommune" in page
            assert "CVR 12345678" in page
            assert f"version {form.version}" in page
            assert f"Formular {form_id}" not in page
        assert "[xx] Kommune" not in "".join(pages)
        assert all(page.images for page in PdfReader(io.BytesIO(data)).pages)  # the logo


@pytest.mark.parametrize("form_id", FORMS)
def test_profile_on_every_page_word(form_id, profile, tmp_path, soffice, pdftotext):
    form = load_form(form_id)
    for name, data in (("udfyldt", fill(form, _sample(form_id), "docx", profile=profile)),
                       ("tom", blank(form, "docx", profile=profile))):
        pages = _pages(pdftotext(soffice(_write(tmp_path, f"{name}.docx", data), "pdf")))
        assert pages
        for page in pages:
            assert "Eksempel Kommune" in page
            assert "CVR 12345678" in page
            assert f"version {form.version}" in page
        assert "[xx] Kommune" not in "".join(pages)


def test_without_profile_documents_stay_neutral(tmp_path, pdftotext):
    text = pdftotext(_write(tmp_path, "h.pdf", blank("handleplan", "pdf")))
    assert "Handleplan for [xx] Kommune, version" in text
    assert "CVR" not in text


# -- the consent form ------------------------------------------------------------------
ART13 = ["Dataansvarlig: Eksempel Kommune, Rådhustorvet 1, 9999 Eksempelby.",
         "Databeskyttelsesrådgiver: Databeskyttelsesrådgiver Eksempel Kommune, "
         "dpo@example.dk, tlf. 70 10 20 31.",
         "Formål: Oplysningerne bruges kun til det formål",
         "Modtagere: Oplysningerne gives kun til de parter",
         "Opbevaring: Oplysningerne opbevares",
         "Et samtykke gælder højst 2 år.",
         "Du har ret til at se de oplysninger, kommunen behandler om dig (indsigt)",
         "trække dit samtykke tilbage",
         "Du kan klage over kommunens behandling af dine oplysninger til Datatilsynet",
         "https://www.example.dk/privatlivspolitik",
         "Sådan trækker du samtykket tilbage: Ring eller skriv til din sagsbehandler, eller "
         "kontakt Jobcenter Eksempel på telefon 70 10 20 30 eller jobcenter@example.dk.",
         "retssikkerhedslovens § 11 a", "forvaltningslovens § 28",
         "databeskyttelsesforordningens artikel 6", "artikel 9", "Artikel 7",
         "Jeg giver samtykke til, at Eksempel Kommune indhenter og videregiver de oplysninger, "
         "der er krydset af ovenfor, mellem de parter, der står ovenfor, til det formål, der "
         "er beskrevet, i perioden 1. november 2026 til 31. oktober 2028."]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_consent_has_art13_items_and_explicit_consent(fmt, profile, tmp_path, pdftotext,
                                                       soffice):
    data = fill("samtykke", _sample("samtykke"), fmt, profile=profile)
    path = _write(tmp_path, f"s.{fmt}", data)
    text = _flat(pdftotext(path if fmt == "pdf" else soffice(path, "pdf")))
    for item in ART13:
        assert item in text, item
    assert "forælder med forældremyndighed" not in text  # born 1992


def test_consent_text_replaced_from_profile(tmp_path, pdftotext):
    text = STARTER.replace("  # tekster:\n  #   retsgrundlag: >-\n  #     Vi behandler "
                           "oplysningerne efter …", "  tekster:\n    retsgrundlag: Vores "
                           "jurister formulerer det sådan. Se {profil.privatlivspolitik}.")
    path = _write(tmp_path, "k.yaml", text.encode("utf-8"))
    prof = load_profile(path)
    pdf = _flat(pdftotext(_write(tmp_path, "s.pdf", fill("samtykke", _sample("samtykke"), "pdf",
                                                           profile=prof))))
    assert "Vores jurister formulerer det sådan. Se https://www.example.dk/privatliv." in pdf
    assert "retssikkerhedslovens § 11 a" not in pdf


def test_consent_guardian_line_only_for_a_minor(profile, tmp_path, pdftotext, soffice):
    data = _sample("samtykke")
    data["borger"]["cpr"] = "150310-4234"  # born 15 March 2010
    data["gyldig_fra"], data["gyldig_til"] = "2026-01-01", "2027-06-30"
    pdf = pdftotext(_write(tmp_path, "m.pdf", fill("samtykke", data, "pdf", profile=profile)))
    assert "Underskrift af forælder med forældremyndighed" in pdf
    word = pdftotext(soffice(_write(tmp_path, "m.docx", fill("samtykke", data, "docx",
                                                              profile=profile)), "pdf"))
    assert "Underskrift af forælder med forældremyndighed" in word
    data["gyldig_fra"] = "2028-03-15"  # 18 that day
    data["gyldig_til"] = "2029-01-01"
    pdf = pdftotext(_write(tmp_path, "a.pdf", fill("samtykke", data, "pdf", profile=profile)))
    assert "forældremyndighed" not in pdf


def _fields(data: bytes) -> dict:
    return PdfReader(io.BytesIO(data)).get_fields()


def test_consent_sted_and_dato_are_fields_not_signatures():
    fields = _fields(blank("samtykke", "pdf"))
    assert fields["underskrift.sted"]["/FT"] == "/Tx"
    assert fields["underskrift.dato"]["/FT"] == "/Tx"
    signatures = [k for k, v in fields.items() if v.get("/FT") == "/Sig"]
    assert len(signatures) == 2  # the citizen's and the guardian's line (blank form)


def test_filled_consent_is_locked(profile):
    data = fill("samtykke", _sample("samtykke"), "pdf", profile=profile)
    fields = _fields(data)
    terminal = {k: v for k, v in fields.items() if v.get("/FT")}
    open_ = sorted(k for k, v in terminal.items() if not int(v.get("/Ff", 0)) & 1)
    assert open_ == ["Underskrift1", "underskrift.dato", "underskrift.sted"]
    assert "parter.4.navn" not in fields  # no spare row to widen the consent
    assert "netvaerkspersoner.2.navn" not in fields
    editable = _fields(fill("samtykke", _sample("samtykke"), "pdf", profile=profile,
                            editable=True))
    assert "parter.4.navn" in editable
    assert not int(editable["parter.0.navn"].get("/Ff", 0)) & 1


def test_partner_form_stays_editable_unless_locked():
    fields = _fields(fill("strategi", _sample("strategi"), "pdf"))
    assert all(not int(v.get("/Ff", 0)) & 1 for v in fields.values() if v.get("/FT"))
    locked = _fields(fill("strategi", _sample("strategi"), "pdf", editable=False))
    assert all(int(v.get("/Ff", 0)) & 1 for v in locked.values()
               if v.get("/FT") and v.get("/FT") != "/Sig")


def test_locked_consent_reads_back(profile):
    from toolkit import extract

    data = _sample("samtykke")
    pdf = fill("samtykke", data, "pdf", profile=profile)
    from toolkit.readers.pdf import extract_pdf

    del extract
    result = extract_pdf(pdf, "s.pdf", None)
    assert result.data["parter"] == data["parter"]
    assert result.data["netvaerk_modtager"] == "kun_indkaldelser"


def test_consent_longer_than_the_profile_allows_is_a_warning(profile):
    data = _sample("samtykke")
    data["gyldig_fra"], data["gyldig_til"] = "2024-11-01", "2026-11-02"
    report = validate(load_form("samtykke"), data, profile=profile)
    assert report.valid
    assert [str(p) for p in report] == [
        'gyldig_til: "Gyldig til" advarsel: gælder i mere end 2 år; kommunens profil '
        'tillader højst 2 år (til og med 1. november 2026)']
    data["gyldig_til"] = "2026-11-01"
    assert not list(validate(load_form("samtykke"), data, profile=profile))


def test_batch_documents_carry_the_profile(run, tmp_path, pdftotext):
    out = tmp_path / "ud"
    result = run("--profile", SAMPLE, "batch", "indsatsskema",
                 ROOT / "samples" / "indsatsplaner.xlsx", "-o", out, "--format", "both",
                 "--jobs", "1")
    pdfs = sorted(out.glob("*.pdf"))
    assert pdfs, result.output
    for page in _pages(pdftotext(pdfs[0])):
        assert "Eksempel Kommune" in page
    docx = sorted(out.glob("*.docx"))[0].read_bytes()
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(docx)).namelist()
    assert "word/media/skema-logo.png" in names


def test_lock_options_only_for_pdf(run, tmp_path):
    result = run("fill", "strategi", ROOT / "samples" / "strategi.json", "-o",
                 tmp_path / "s.docx", "--locked")
    assert result.exit_code == 2
    assert "--editable og --locked kan kun bruges, når der skrives en .pdf." in result.output
