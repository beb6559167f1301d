"""The Samtykker pages: add, search by CPR, show, withdraw, export, verify, purge — through
the same consent archive as ``skema consent``; the archive's audit log names the web user;
a CPR number never in a URL or the access log; roles in server mode; CSRF; WCAG 2.1 AA."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import logging
import re
import zipfile
from pathlib import Path

import pytest

from tests.test_consent import alter_after_signing, signing  # noqa: F401  (a fixture)
from tests.web.conftest import SAMPLES, assert_accessible, csrf_of, make_app

CPR = "030592-1678"
CPR_FORMS = (CPR, "0305921678", "030592 1678")
SHOTS = Path("/tmp/skema-samtykker")


@pytest.fixture(scope="module")
def consent_pdf() -> bytes:
    """The samtykke form filled from the sample, in force from a month ago for 300 days."""
    from toolkit import fill, load_form

    data = json.loads((SAMPLES / "samtykke.json").read_text(encoding="utf-8"))
    today = dt.date.today()
    data["gyldig_fra"] = (today - dt.timedelta(days=30)).isoformat()
    data["gyldig_til"] = (today + dt.timedelta(days=300)).isoformat()
    return fill(load_form("samtykke"), data, "pdf")


def _png() -> bytes:
    """A small scan (a white page as PNG)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (210, 297), 255).save(buffer, "PNG")
    return buffer.getvalue()


def _text(response) -> str:
    return html.unescape(response.text)


def _add(client, pdf: bytes, name: str = "samtykke.pdf", **fields):
    return client.post("/samtykker/nyt", data={"csrf": csrf_of(client), **fields},
                       files={"fil": (name, pdf, "application/pdf")}, follow_redirects=False)


def _audit(data: Path) -> list:
    from toolkit.consent import audit
    from toolkit.consent.store import Archive

    with Archive(data / "samtykkearkiv", key_file=data / "noegler" / "archive.key") as arch:
        return audit.entries(arch.conn)


def _server(tmp_path):
    from fastapi.testclient import TestClient

    app = make_app(tmp_path / "data", server=True)
    app.state.store.add_user("mette", "en lang adgangskode", "sagsbehandler")
    app.state.store.add_user("anne", "en anden lang adgangskode", "administrator")

    def client(name: str, password: str):
        c = TestClient(app, base_url="http://127.0.0.1")
        ok = c.post("/log-ind", data={"navn": name, "adgangskode": password,
                                      "csrf": csrf_of(c)}, follow_redirects=False)
        assert ok.status_code == 303
        return c

    return app, client


def test_add_search_withdraw_verify_and_the_audit_log_names_the_user(tmp_path, consent_pdf):
    app, login = _server(tmp_path)
    mette = login("mette", "en lang adgangskode")
    added = _add(mette, consent_pdf, name=f"samtykke {CPR}.pdf")
    assert added.status_code == 303 and added.headers["location"] == "/samtykker/1?nyt=1"
    shown = mette.get(added.headers["location"])
    text = _text(shown)
    assert "Samtykket er arkiveret som nr. 1." in text
    assert "Nukaaka Olsen, CPR 030592-xxxx" in text and CPR not in text
    assert "Oplysninger fra" in text and "formularen samtykke" in text
    assert "Ingen digitale underskrifter i dokumentet" in text
    assert "samtykke 030592-xxxx.pdf, PDF" in text  # the file's name, masked

    found = mette.post("/samtykker/soeg", data={"csrf": csrf_of(mette), "cpr": "0305921678",
                                                "grund": "møde om planen"})
    assert found.status_code == 200
    text = _text(found)
    assert "Samtykker for CPR 030592-xxxx" in text and "1 samtykke." in text
    assert CPR not in text and "0305921678" not in text
    assert ">Aktiv<" in text

    today = dt.date.today().isoformat()
    gone = mette.post("/samtykker/1/tilbagekald", data={"csrf": csrf_of(mette),
                                                        "dato": today},
                      follow_redirects=False)
    assert gone.status_code == 303
    text = _text(mette.get(gone.headers["location"]))
    assert "Tilbagekaldelsen af samtykke nr. 1 er registreret." in text
    from toolkit.danish import format_date

    assert f"tilbagekaldt fra {format_date(today)} af mette (post" in text
    assert "tilføjet af mette (post 1)" in text

    assert mette.post("/samtykker/verificer", data={"csrf": csrf_of(mette)}).status_code == 403
    anne = login("anne", "en anden lang adgangskode")
    checked = anne.post("/samtykker/verificer", data={"csrf": csrf_of(anne)})
    assert checked.status_code == 200
    assert "Arkivet er i orden: 1 samtykker, 3 filer," in _text(checked)

    entries = _audit(tmp_path / "data")
    assert [(e.action, e.actor) for e in entries if e.action != "lookup"] == [
        ("add", "mette"), ("withdraw", "mette")]
    lookups = [(e.actor, e.details["kommando"]) for e in entries if e.action == "lookup"]
    assert ("mette", "list") in lookups and ("mette", "show") in lookups
    search = next(e for e in entries if e.details.get("kommando") == "list")
    assert search.details["grund"] == "møde om planen" and search.citizen
    for entry in entries:
        assert not any(form in json.dumps(entry.details) for form in CPR_FORMS)


def test_a_caseworker_may_not_verify_or_purge_and_an_administrator_may(tmp_path):
    _, login = _server(tmp_path)
    mette = login("mette", "en lang adgangskode")
    refused = mette.post("/samtykker/verificer", data={"csrf": csrf_of(mette)})
    assert refused.status_code == 403
    assert "Din rolle (sagsbehandler) må ikke dette. Det kræver rollen administrator." \
        in _text(refused)
    assert mette.post("/samtykker/slet", data={"csrf": csrf_of(mette),
                                               "foer": "2020-01-01"}).status_code == 403
    assert "Kontrollér arkivet" not in _text(mette.get("/samtykker"))
    anne = login("anne", "en anden lang adgangskode")
    assert "Kontrollér arkivet" in _text(anne.get("/samtykker"))
    trial = anne.post("/samtykker/slet", data={"csrf": csrf_of(anne), "foer": "2020-01-01",
                                               "proeve": "1"})
    assert trial.status_code == 200
    assert "0 ville blive slettet, 0 afvist." in _text(trial)


def test_a_post_without_the_csrf_token_is_refused(client, consent_pdf):
    csrf_of(client)
    for path, data in (("/samtykker/soeg", {"cpr": CPR}), ("/samtykker/verificer", {}),
                       ("/samtykker/1/tilbagekald", {"dato": "2026-01-01"})):
        refused = client.post(path, data=data)
        assert refused.status_code == 403, path
        assert "kom ikke fra skema" in _text(refused)
    upload = client.post("/samtykker/nyt", files={"fil": ("s.pdf", consent_pdf)})
    assert upload.status_code == 403
    assert "Ingen samtykker matcher." in _text(client.get("/samtykker"))


def test_a_scan_needs_its_metadata_beside_the_fields_and_is_archived_with_it(client):
    scan = _png()
    token = csrf_of(client)
    bare = client.post("/samtykker/nyt", data={"csrf": token},
                       files={"fil": ("scanning.png", scan, "image/png")})
    assert bare.status_code == 400
    text = _text(bare)
    assert ("scanning.png: dokumentet er ikke en udfyldt samtykke-formular, og felterne "
            "mangler borgerens CPR-nummer, formål, gyldig fra, gyldig til; samtykket "
            "arkiveres ikke.") in text
    assert "Skriv borgerens CPR-nummer: filen er ikke en udfyldt samtykke-formular." in text
    assert re.search(r'id="cpr"[^>]*aria-describedby="cpr-hjaelp cpr-fejl"[^>]*'
                     r'aria-invalid="true"', bare.text)
    bad = client.post("/samtykker/nyt", data={"csrf": token, "cpr": "320192-1234",
                                              "gyldig_fra": "2026-05-01",
                                              "gyldig_til": "2026-04-01"},
                      files={"fil": ("scanning.png", scan, "image/png")})
    assert bad.status_code == 400
    text = _text(bad)
    assert 'CPR-nummeret "320192-xxxx" er ikke gyldigt.' in text
    assert "320192-1234" in bad.text  # the user's own input stays in its field
    today = dt.date.today()
    ok = client.post("/samtykker/nyt", data={
        "csrf": token, "cpr": "0101901234", "navn": "Bo Ørsted",
        "formaal": "Koordinering af forløbet", "part_navn": ["Jobcentret", "Egen læge", ""],
        "part_rolle": ["begge", "afgiver", ""], "oplysninger": ["helbredsoplysninger"],
        "gyldig_fra": (today - dt.timedelta(days=1)).isoformat(),
        "gyldig_til": (today + dt.timedelta(days=90)).isoformat()},
        files={"fil": ("scanning.png", scan, "image/png")}, follow_redirects=False)
    assert ok.status_code == 303
    text = _text(client.get(ok.headers["location"]))
    assert "Bo Ørsted, CPR 010190-xxxx" in text
    assert "Jobcentret (både afgiver og modtager); Egen læge (afgiver oplysninger)" in text
    assert "Helbredsoplysninger" in text
    assert "angivet ved arkivering (scanning)" in text


def test_the_same_document_twice_is_refused_with_the_archive_s_words(client, consent_pdf):
    assert _add(client, consent_pdf).status_code == 303
    again = _add(client, consent_pdf, name="kopi.pdf")
    assert again.status_code == 400
    assert 'id="fil" name="fil"' in again.text and 'aria-invalid="true"' in again.text
    assert ("kopi.pdf: dokumentet er allerede arkiveret som samtykke nr. 1. Se det med "
            "siden for samtykke nr. 1.") in _text(again)


def test_another_form_or_two_files_are_refused_beside_the_file_field(client, consent_pdf):
    from toolkit import blank, load_form

    plan = blank(load_form("handleplan"), "pdf")
    other = _add(client, plan, name="plan.pdf")
    assert other.status_code == 400
    assert ('plan.pdf: dokumentet er formularen "Handleplan for [kommune]", ikke en '
            "samtykkeerklæring. Arkivér kun samtykkeerklæringer.") in _text(other)
    assert 'aria-describedby="fil-hjaelp fil-fejl" aria-invalid="true"' in other.text
    two = client.post("/samtykker/nyt", data={"csrf": csrf_of(client)},
                      files=[("fil", ("a.pdf", consent_pdf, "application/pdf")),
                             ("fil", ("b.pdf", consent_pdf, "application/pdf"))])
    assert two.status_code == 400 and "Vælg ét samtykke ad gangen." in _text(two)
    assert "Ingen samtykker matcher." in _text(client.get("/samtykker"))


def test_a_file_too_slow_to_read_is_refused_as_on_the_command_line(client, consent_pdf,
                                                                   monkeypatch):
    monkeypatch.setenv("SKEMA_READ_SECONDS", "0.001")  # the limit toolkit.limits applies
    slow = _add(client, consent_pdf, name="tung.pdf")
    assert slow.status_code == 400
    assert ("tung.pdf: filen tog for lang tid at læse (over 0.001 sekunder) og er sprunget "
            "over.") in _text(slow)


def test_an_upload_over_the_limit_is_refused_with_413(tmp_path, consent_pdf):
    from fastapi.testclient import TestClient

    from toolkit.web import WebConfig, create_app

    app = create_app(WebConfig(data=tmp_path / "data", max_upload_bytes=20 * 1024))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        big = _add(c, consent_pdf)
        assert big.status_code == 413
        assert ('Filen "samtykke.pdf" er for stor; grænsen er 20 KB pr. fil. Del den op, '
                "eller bed om at få grænsen hævet.") in _text(big)
        assert not list((tmp_path / "data" / "tmp").iterdir())  # the upload is gone


def test_a_withdrawal_outside_the_consent_s_time_is_refused_beside_the_date(client,
                                                                           consent_pdf):
    _add(client, consent_pdf)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    refused = client.post("/samtykker/1/tilbagekald", data={"csrf": csrf_of(client),
                                                            "dato": future})
    assert refused.status_code == 400
    text = _text(refused)
    assert "samtykke nr. 1: tilbagekaldelsen" in text and "skal ligge mellem" in text
    assert "--date" not in text and "Tilbagekaldelsen er ikke registreret" in text
    assert 'aria-describedby="dato-hjaelp dato-fejl" aria-invalid="true"' in refused.text
    assert client.get("/samtykker/99").status_code == 404
    assert client.post("/samtykker/99/tilbagekald", data={"csrf": csrf_of(client),
                                                          "dato": future}).status_code == 404


def test_show_cpr_is_a_logged_look_up_and_export_is_the_library_s(client, app, consent_pdf):
    from toolkit.consent.store import Archive

    _add(client, consent_pdf)
    shown = client.post("/samtykker/1/cpr", data={"csrf": csrf_of(client)},
                        headers={"hx-request": "true"})
    assert shown.status_code == 200 and f">{CPR}</span>" in shown.text
    full = client.post("/samtykker/1/cpr", data={"csrf": csrf_of(client)})
    assert f"Nukaaka Olsen, CPR {CPR}" in _text(full)
    config = app.state.config
    entries = _audit(config.data)
    assert [e.details["kommando"] for e in entries if e.action == "lookup"].count(
        "vis-cpr") == 2
    exported = client.get("/samtykker/1/eksport")
    assert exported.headers["content-disposition"] == \
        'attachment; filename="samtykker-eksport-nr-1.zip"'
    with zipfile.ZipFile(io.BytesIO(exported.content)) as package:
        assert sorted(package.namelist()) == ["samtykke-1.json", "samtykke-1.pdf"]
        assert package.read("samtykke-1.pdf") == consent_pdf
        meta = json.loads(package.read("samtykke-1.json"))
    assert meta["cpr"] == CPR and meta["nr"] == 1
    assert _audit(config.data)[-1].action == "export"
    with Archive(config.archive, key_file=config.key_file) as arch:
        access, _ = arch.access(CPR)
    with zipfile.ZipFile(io.BytesIO(access)) as package:  # the citizen sees who looked
        summary = package.read("oversigt.html").decode("utf-8")
    assert summary.count("<td>lokal</td><td>visning af CPR-nummeret</td><td>1</td>") == 2
    document = client.get("/samtykker/1/dokument")
    assert document.content == consent_pdf
    with Archive(config.archive, key_file=config.key_file) as arch:
        assert arch.verify().valid


def test_the_signature_check_is_shown_and_a_copy_needs_add_anyway(client, consent_pdf,
                                                                  signing):  # noqa: F811
    signed = signing(consent_pdf)
    assert _add(client, signed).status_code == 303
    text = _text(client.get("/samtykker/1"))
    assert re.search(r"<li>Nukaaka Olsen, \d{1,2}\. \w+ 20\d\d kl\. \d\d\.\d\d\.\d\d: "
                     "intakt: uændret siden underskriften; ikke verificeret mod et "
                     "tillidsanker</li>", text)
    altered = alter_after_signing(signed)
    copy = _add(client, altered, name="igen.pdf")
    assert copy.status_code == 400
    assert ("igen.pdf: er sandsynligvis en kopi af samtykke nr. 1 (samme borger, formål, "
            "parter og gyldighed, og det er i kraft); det arkiveres ikke. Er det et nyt "
            "samtykke, så arkivér det med «Arkivér alligevel».") in _text(copy)
    assert _add(client, altered, name="igen.pdf", tilfoej_alligevel="1").status_code == 303
    assert ": ændret efter underskrift" in _text(client.get("/samtykker/2"))
    listed = _text(client.get("/samtykker"))
    assert re.search(r"Nr\. 1</a>.*?<td>intakt</td>", listed, re.S)
    assert re.search(r"Nr\. 2</a>.*?<td>ÆNDRET</td>", listed, re.S)


def test_a_search_for_a_wrong_or_unknown_cpr_number(client):
    wrong = client.post("/samtykker/soeg", data={"csrf": csrf_of(client), "cpr": "1234"})
    assert wrong.status_code == 400
    assert 'CPR-nummeret "1234" er ikke gyldigt. Skriv det som DDMMÅÅ-XXXX med en rigtig ' \
        'dato.' in _text(wrong)
    assert 'aria-describedby="cpr-hjaelp cpr-fejl" aria-invalid="true"' in wrong.text
    none = client.post("/samtykker/soeg", data={"csrf": csrf_of(client), "cpr": "010190 1234"})
    assert none.status_code == 200
    assert "Der er ingen samtykker for CPR 010190-xxxx i arkivet." in _text(none)
    assert "010190 1234" not in none.text and "010190-1234" not in none.text


def test_a_changed_document_is_not_handed_out_and_verify_shows_it(client, app, consent_pdf):
    import os

    _add(client, consent_pdf)
    sha = re.search(r'class="hash">([0-9a-f]{64})<', client.get("/samtykker/1").text).group(1)
    stored = app.state.config.archive / "objects" / sha[:2] / sha[2:]
    os.chmod(stored, 0o600)
    stored.write_bytes(consent_pdf.replace(b"Nukaaka", b"Nukaaki"))
    refused = client.get("/samtykker/1/dokument")
    assert refused.status_code == 500
    assert ("samtykke nr. 1: dokumentet i arkivet er ændret (SHA-256 passer ikke); det "
            "udleveres ikke.") in _text(refused)
    checked = client.post("/samtykker/verificer", data={"csrf": csrf_of(client)})
    text = _text(checked)
    assert checked.status_code == 200
    assert 'role="alert">1 fejl i arkivet (1 samtykker, 3 filer,' in text
    assert f"<li>samtykke nr. 1 (objects/{sha[:2]}/{sha[2:]}): dokumentet er ændret " \
        "(SHA-256 passer ikke)</li>" in text


def test_list_filters_by_status_and_expiry(client, consent_pdf):
    _add(client, consent_pdf)
    assert "Nr. 1" in client.get("/samtykker?status=aktiv").text
    assert "Ingen samtykker matcher." in _text(client.get("/samtykker?status=udløbet"))
    assert "Ingen samtykker matcher." in _text(client.get("/samtykker?udloeber=30"))
    assert "Nr. 1" in client.get("/samtykker?udloeber=400").text
    wrong = client.get("/samtykker?udloeber=snart")
    assert wrong.status_code == 400
    assert '"snart" er ikke et antal dage; skriv fx 30.' in _text(wrong)


class AccessLog(logging.Handler):
    """Every line uvicorn's access log writes while the test runs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_consents_in_a_browser(tmp_path, served, page, consent_pdf):
    SHOTS.mkdir(exist_ok=True)
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    access = logging.getLogger("uvicorn.access")
    handler, level = AccessLog(), access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        _browse(tmp_path, served, page, consent_pdf)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert len(urls) > 10 and len(handler.lines) > 10
    assert any("/samtykker/soeg" in u for u in urls)
    for text in urls + handler.lines:
        assert not any(form in text for form in CPR_FORMS), text
    entries = _audit(served.app.state.config.data)
    assert {e.actor for e in entries} == {"lokal"}
    assert [e.action for e in entries if e.action != "lookup"] == ["add", "withdraw"]


def _browse(tmp_path, served, page, consent_pdf) -> None:
    upload = tmp_path / f"samtykke {CPR}.pdf"
    upload.write_bytes(consent_pdf)
    scan = tmp_path / "scanning.png"
    scan.write_bytes(_png())

    # the add form, first with a scan without its metadata: errors beside the fields
    page.goto(served.url + "/samtykker")
    page.get_by_role("link", name="Tilføj samtykke").click()
    page.get_by_label("Det underskrevne samtykke").set_input_files(str(scan))
    page.get_by_label("Gyldig fra").fill("2026-05-01")
    page.get_by_role("button", name="Arkivér samtykket").click()
    alert = page.get_by_role("alert")
    assert "Samtykket er ikke arkiveret." in alert.inner_text()
    assert page.get_by_label("Borgerens CPR-nummer").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(SHOTS / "nyt-fejl.png"), full_page=True)
    assert_accessible(page)

    # the filled form: read from the document itself
    page.get_by_label("Gyldig fra").fill("")
    page.get_by_label("Det underskrevne samtykke").set_input_files(str(upload))
    page.get_by_role("button", name="Arkivér samtykket").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Samtykke nr. 1")
    assert "Samtykket er arkiveret som nr. 1." in page.get_by_role("status").inner_text()
    assert "030592-xxxx" in page.content() and CPR not in page.content()
    page.screenshot(path=str(SHOTS / "vis.png"), full_page=True)
    assert_accessible(page)

    # search by CPR: the number goes in the post's body
    page.get_by_role("link", name="Tilbage til samtykker").click()
    page.get_by_label("Borgerens CPR-nummer").fill(CPR)
    page.get_by_role("button", name="Søg", exact=True).click()
    assert page.get_by_role("heading", name="Samtykker for CPR 030592-xxxx").is_visible()
    assert CPR not in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "soegning.png"), full_page=True)
    assert_accessible(page)
    page.get_by_role("button", name="Vis CPR-nummer for samtykke nr. 1").focus()
    page.keyboard.press("Enter")  # by keyboard
    shown = page.locator(".cpr-vist")
    shown.wait_for()
    assert shown.inner_text() == CPR
    # focus moves to the revealed number (htmx may still carry its passing settle classes)
    assert page.evaluate("document.activeElement.classList.contains('cpr-vist')")
    assert page.url.endswith("/samtykker/soeg")

    # withdraw: first a day ahead (refused beside the field), then from today
    page.get_by_role("link", name="Nr. 1").click()
    ahead = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    page.get_by_label("Tilbagekaldt fra").fill(ahead)
    page.get_by_role("button", name="Registrér tilbagekaldelse").click()
    assert "skal ligge mellem" in page.locator("#dato-fejl").inner_text()
    assert page.get_by_label("Tilbagekaldt fra").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(SHOTS / "tilbagekald-fejl.png"), full_page=True)
    assert_accessible(page)
    page.get_by_label("Tilbagekaldt fra").fill(dt.date.today().isoformat())
    page.get_by_role("button", name="Registrér tilbagekaldelse").click()
    assert "Tilbagekaldelsen af samtykke nr. 1 er registreret." in \
        page.get_by_role("status").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Samtykke nr. 1 Tilbagekaldt"
    page.screenshot(path=str(SHOTS / "tilbagekaldt.png"), full_page=True)

    # the list, and verify (the local user has every role)
    page.get_by_role("link", name="Tilbage til samtykker").click()
    assert page.locator("td .status").inner_text() == "Tilbagekaldt"
    page.screenshot(path=str(SHOTS / "liste.png"), full_page=True)
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=str(SHOTS / "liste-smal.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_role("button", name="Kontrollér arkivet").click()
    assert page.get_by_role("status").inner_text().startswith(
        "Arkivet er i orden: 1 samtykker, 3 filer,")
    page.screenshot(path=str(SHOTS / "kontrol.png"), full_page=True)
    assert_accessible(page)


def test_show_cpr_is_post_redirect_get_and_a_reload_does_not_log_it_again(client, app,
                                                                           consent_pdf):
    _add(client, consent_pdf)
    posted = client.post("/samtykker/1/cpr", data={"csrf": csrf_of(client)},
                         follow_redirects=False)
    assert posted.status_code == 303
    shown_at = posted.headers["location"]
    assert re.fullmatch(r"/samtykker/1\?vist=[A-Za-z]{22}", shown_at)
    shown = client.get(shown_at)
    assert f"Nukaaka Olsen, CPR {CPR}" in _text(shown)
    assert "Vis CPR-nummer</button>" not in shown.text

    def logged() -> list[str]:
        return [e.details.get("kommando", "") for e in _audit(app.state.config.data)
                if e.action == "lookup"]

    before = logged()
    assert before.count("vis-cpr") == 1
    reloaded = client.get(shown_at)  # the browser's reload: a GET, the pass used up
    text = _text(reloaded)
    assert CPR not in text and "030592-xxxx" in text
    assert ("CPR-nummeret vises kun én gang for hvert tryk på «Vis CPR-nummer». Tryk på "
            "knappen igen for at se det; det skrives i revisionsloggen.") in text
    assert "Vis CPR-nummer</button>" in reloaded.text
    after = logged()
    assert after.count("vis-cpr") == 1  # not logged again: only the page shown (as any GET)
    assert after[len(before):] == ["show"]
    # another user's or another consent's pass shows nothing
    grant = app.state.store.new_reveal("lokal", 1)
    assert not app.state.store.take_reveal(grant, "mette", 1)
    assert not app.state.store.take_reveal(grant, "lokal", 2)
    assert app.state.store.take_reveal(grant, "lokal", 1)
