"""The HTTP API for case systems (/api): the same library and JSON as the command line,
behind API tokens; the token and user commands; the documentation page offline."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from tests.web.conftest import SAMPLES, csrf_of, make_app

SAMPLE_FORMS = sorted(p.stem for p in SAMPLES.glob("*.json"))
CPR = "030592-1678"  # the samtykke sample's citizen


def auth(token: str) -> dict[str, str]:
    """The header of an API call with ``token``."""
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def token(app) -> str:
    """A sagsbehandler token of the app."""
    return app.state.store.new_token("sagssystem")[1]


def sample(form: str) -> dict:
    """The sample data of a form."""
    return json.loads((SAMPLES / f"{form}.json").read_text(encoding="utf-8"))


def consent_pdf(client, token: str) -> bytes:
    """The samtykke sample filled as PDF through the API."""
    r = client.post("/api/forms/samtykke/fill?format=pdf", json=sample("samtykke"),
                    headers=auth(token))
    assert r.status_code == 200
    return r.content


@pytest.mark.parametrize("kind", ["docx", "pdf"])
@pytest.mark.parametrize("form", SAMPLE_FORMS)
def test_fill_then_extract_gives_back_the_data(client, token, form, kind):
    data = sample(form)
    filled = client.post(f"/api/forms/{form}/fill?format={kind}", json=data,
                         headers=auth(token))
    assert filled.status_code == 200
    assert filled.headers["x-skema-problemer"] == "0"
    assert "x-skema-problemliste" not in filled.headers
    assert filled.headers["content-disposition"] == f'attachment; filename="{form}.{kind}"'
    read = client.post("/api/extract", headers=auth(token),
                       files={"fil": (f"{form} returneret.{kind}", filled.content)})
    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["fil"], body["formular"], body["problemer"]) == (
        f"{form} returneret.{kind}", form, [])
    # what the document shows: the data, and the profile's municipality where it had none
    from toolkit import load_form
    from toolkit.profile import load_profile
    from toolkit.profile_defaults import with_profile_defaults

    shown = with_profile_defaults(load_form(form), data, load_profile(SAMPLES / "kommune.yaml"))
    assert body["data"] == shown


def test_the_api_fill_is_the_library_fill(client, token):
    from toolkit import fill, load_form
    from toolkit.profile import load_profile

    data = sample("handleplan")
    got = client.post("/api/forms/handleplan/fill?format=docx", json=data, headers=auth(token))
    assert got.content == fill(load_form("handleplan"), data, "docx",
                               profile=load_profile(SAMPLES / "kommune.yaml"))


def broken(form: str) -> dict:
    """The sample with a required field gone, a date that is not one and a stray key."""
    data = sample(form)
    data.pop(next(iter(data)))
    data["udfyldt_dato"] = "31-02-2019"
    data["ukendt_felt"] = "x"
    return data


@pytest.mark.parametrize("form", ["strategi", "samtykke", "indsatsskema"])
def test_validate_gives_the_library_problems(client, token, form):
    from toolkit import load_form, validate
    from toolkit.profile import load_profile

    data = broken(form)
    expected = validate(load_form(form), data, load_profile(SAMPLES / "kommune.yaml"))
    assert len(expected) >= 2
    r = client.post(f"/api/forms/{form}/validate", json=data, headers=auth(token))
    assert r.status_code == 200
    assert r.json() == json.loads(expected.to_json())
    clean = client.post(f"/api/forms/{form}/validate", json=sample(form), headers=auth(token))
    assert clean.json() == []


def test_fill_with_problems_still_fills_and_says_so_in_headers(client, token):
    from toolkit import load_form, validate
    from toolkit.profile import load_profile

    data = broken("strategi")
    expected = json.loads(validate(load_form("strategi"), data,
                                   load_profile(SAMPLES / "kommune.yaml")).to_json())
    r = client.post("/api/forms/strategi/fill?format=pdf", json=data, headers=auth(token))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["x-skema-problemer"] == str(len(expected))
    assert json.loads(r.headers["x-skema-problemliste"]) == expected
    strict = client.post("/api/forms/strategi/fill?format=pdf&strict=true", json=data,
                         headers=auth(token))
    assert strict.status_code == 422
    assert strict.json() == {"fejl": f"dataene har {len(expected)} problemer; intet er "
                                     "udfyldt.", "problemer": expected}


def test_data_for_another_form_is_refused_like_skema_fill(client, token):
    from toolkit import load_form
    from toolkit.data_check import foreign_data

    data = sample("samtykke")
    r = client.post("/api/forms/strategi/fill?format=docx", json=data, headers=auth(token))
    assert r.status_code == 422
    body = r.json()
    assert body["fejl"] == foreign_data(load_form("strategi"), data)
    assert body["fejl"].endswith('de ligner formularen "samtykke".')
    assert any(p["path"] == "kommune" and p["code"] == "required" for p in body["problemer"])


def test_unknown_form_and_bad_format_and_bad_body(client, token):
    r = client.post("/api/forms/ukendt/fill", json={}, headers=auth(token))
    assert (r.status_code, r.json()) == (404, {"fejl": 'Formularen "ukendt" findes ikke.'})
    r = client.post("/api/forms/strategi/fill?format=odt", json={}, headers=auth(token))
    assert r.status_code == 422 and r.json()["fejl"] == "Forespørgslen kan ikke bruges."
    r = client.post("/api/forms/strategi/validate", json=[1, 2], headers=auth(token))
    assert r.status_code == 422
    r = client.get("/api/forms/samtykke/schema", headers=auth(token))
    assert r.json()["properties"]["borger"]["properties"]["cpr"]["title"] == "CPR-nummer"


def test_extract_of_a_file_that_is_no_form_names_the_upload_not_the_disk(client, token):
    brev = (SAMPLES / "returnerede" / "andet" / "brev.docx").read_bytes()
    r = client.post("/api/extract", headers=auth(token),
                    files={"fil": ("brev til 010190-1234.docx", brev)})
    assert r.status_code == 422
    message = r.json()["fejl"]
    assert message.startswith("brev til 010190-xxxx.docx: ")
    assert "010190-1234" not in message and "/tmp" not in message
    r = client.post("/api/extract", headers=auth(token),
                    files={"fil": ("gammel.doc", b"\xd0\xcf\x11\xe0" + b"\0" * 100)})
    assert r.status_code == 422
    assert r.json()["fejl"] == ("gammel.doc: gamle Word-filer (.doc) kan ikke læses. Åbn "
                                "filen i Word og gem den som .docx.")


@pytest.mark.parametrize("name", ["forberedende-skema.pdf",
                                  "høje-taastrup/samarbejdsmodel-libreoffice.docx"])
def test_extract_gives_the_library_problems_and_notes(client, token, name):
    from toolkit import extract

    path = SAMPLES / "returnerede" / name
    lib = extract(path)
    assert len(lib.report) + len(lib.notes) > 0
    r = client.post("/api/extract", headers=auth(token),
                    files={"fil": (path.name, path.read_bytes())})
    assert r.status_code == 200
    body = r.json()
    assert (body["formular"], body["version"], body["data"]) == (lib.form.id, lib.version,
                                                                 lib.data)
    assert body["problemer"] == [p.to_dict() for p in lib.report]
    assert body["noter"] == [p.to_dict() for p in lib.notes]


def test_a_zip_bomb_is_refused_as_on_the_command_line(client, token):
    from toolkit import DocumentError, extract

    path = SAMPLES / "returnerede" / "defekte" / "zipbombe.docx"
    with pytest.raises(DocumentError) as cli_error:
        extract(path)
    r = client.post("/api/extract", headers=auth(token),
                    files={"fil": ("zipbombe.docx", path.read_bytes())})
    assert r.status_code == 422
    expected = str(cli_error.value).replace(str(path), "zipbombe.docx")
    assert r.json()["fejl"] == f"{expected} {cli_error.value.hint}".strip()


def test_no_token_a_revoked_token_and_a_role_too_small_are_refused(client, app):
    r = client.get("/api/forms")
    assert r.status_code == 401
    assert r.json() == {"fejl": "Kræver en gyldig API-nøgle (Authorization: Bearer …). "
                                "Lav en med 'skema token new'."}
    assert r.headers["www-authenticate"] == "Bearer"
    number, token = app.state.store.new_token("sagssystem")
    assert client.get("/api/consents", headers=auth(token)).status_code == 200
    refused = client.post("/api/consents/verify", headers=auth(token))
    assert (refused.status_code, refused.json()) == (
        403, {"fejl": "Nøglens rolle (sagsbehandler) må ikke dette."})
    admin = app.state.store.new_token("drift", "administrator")[1]
    ok = client.post("/api/consents/verify", headers=auth(admin))
    assert ok.status_code == 200 and ok.json()["fund"] == []
    app.state.store.revoke_token(number)
    assert client.get("/api/forms", headers=auth(token)).status_code == 401
    assert client.post("/api/forms/strategi/fill", json=sample("strategi"),
                       headers=auth(token)).status_code == 401


def test_consents_add_search_show_and_verify(client, app, token):
    pdf = consent_pdf(client, token)
    added = client.post("/api/consents", headers=auth(token),
                        files={"fil": (f"samtykke {CPR}.pdf", pdf)})
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["nr"], body["cpr"], body["navn"]) == (1, "030592-xxxx", "Nukaaka Olsen")
    assert body["dokument"]["oprindeligt_navn"] == "samtykke 030592-xxxx.pdf"
    assert body["dokument"]["kilde"] == "formular"
    scan = (SAMPLES / "samtykker" / "scannet-samtykke.pdf").read_bytes()
    given = {"cpr": "0101901234", "formaal": "Samarbejde om job", "gyldig_fra": "01-01-2025",
             "gyldig_til": "2030-12-31", "parter": ["Jobcenter Aarhus:begge", "Egen læge"],
             "oplysninger": ["Helbredsoplysninger"]}
    scanned = client.post("/api/consents", headers=auth(token), data=given,
                          files={"fil": ("scanning.pdf", scan)})
    assert scanned.status_code == 201, scanned.text
    assert scanned.json()["parter"] == [{"navn": "Jobcenter Aarhus", "rolle": "begge"},
                                        {"navn": "Egen læge", "rolle": ""}]
    assert scanned.json()["oplysninger"] == ["helbredsoplysninger"]
    assert scanned.json()["gyldig_fra"] == "2025-01-01"

    found = client.post("/api/consents/search", headers=auth(token),
                        json={"cpr": CPR, "grund": "opfølgning"})
    assert [c["nr"] for c in found.json()] == [1]
    assert found.json()[0]["cpr"] == "030592-xxxx"
    shown = client.post("/api/consents/search", headers=auth(token),
                        json={"cpr": "010190-1234", "vis_cpr": True})
    assert [(c["nr"], c["cpr"]) for c in shown.json()] == [(2, "010190-1234")]
    everyone = client.get("/api/consents", headers=auth(token))
    assert [(c["nr"], c["cpr"]) for c in everyone.json()] == [(1, "030592-xxxx"),
                                                             (2, "010190-xxxx")]
    # the sample consent runs to 31 October 2028, the scan to 2030: both in force
    assert [c["nr"] for c in client.get("/api/consents?status=aktiv",
                                        headers=auth(token)).json()] == [1, 2]
    assert client.get("/api/consents?status=tilbagekaldt", headers=auth(token)).json() == []

    one = client.get("/api/consents/2?grund=sagsbehandling", headers=auth(token)).json()
    assert [(h["post"], h["handling"], h["hvem"]) for h in one["historik"]] == [
        (2, "tilføjet", "nøgle:sagssystem")]
    document = client.get("/api/consents/2/document", headers=auth(token))
    assert document.content == scan
    missing = client.get("/api/consents/9", headers=auth(token))
    assert missing.status_code == 404
    assert missing.json()["fejl"].startswith("samtykke nr. 9: findes ikke i arkivet.")

    from toolkit.consent import Archive

    config = app.state.config
    with Archive(config.archive, key_file=config.key_file) as arch:
        assert arch.verify().valid
        actors = {e.actor for e in arch.citizen_log(CPR)}
        assert actors == {"nøgle:sagssystem"}


def test_a_scan_without_its_details_is_refused_in_the_api_words(client, token):
    scan = (SAMPLES / "samtykker" / "scannet-samtykke.pdf").read_bytes()
    r = client.post("/api/consents", headers=auth(token), files={"fil": ("scan.pdf", scan)},
                    data={"cpr": CPR})
    assert r.status_code == 422
    assert r.json()["fejl"] == (
        "scan.pdf: dokumentet er ikke en udfyldt samtykke-formular, og tilvalgene mangler "
        "formål, gyldig fra, gyldig til; samtykket arkiveres ikke. Angiv formaal, "
        "gyldig_fra, gyldig_til (for en scanning står oplysningerne på papiret).")


def test_no_cpr_number_in_an_api_address(client, app, token):
    spec = client.get("/api/openapi.json").json()
    for path, methods in spec["paths"].items():
        assert "cpr" not in path.lower()
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                assert parameter["name"] != "cpr", (path, parameter)
    # the citizen is searched for in the body
    assert "cpr" in spec["components"]["schemas"]["ConsentSearch"]["properties"]
    for address in ("/api/consents?cpr=030592-1678", "/api/consents?cpr=0305921678",
                    "/api/consents?grund=borger+030592+1678", "/api/consents/0305921678"):
        r = client.get(address, headers=auth(token))
        assert r.status_code == 400, address
        assert r.json()["fejl"] == ("Et CPR-nummer må ikke stå i adressen. Send det i "
                                    "kroppen, fx med POST /api/consents/search.")


def test_upload_limits(tmp_path):
    from fastapi.testclient import TestClient

    from toolkit.profile import load_profile
    from toolkit.web import WebConfig, create_app

    app = create_app(WebConfig(data=tmp_path / "data", max_upload_bytes=200_000,
                               profile=load_profile(SAMPLES / "kommune.yaml")))
    token = app.state.store.new_token("sagssystem")[1]
    big = b"%PDF-1.7\n" + b"0" * 300_000
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for address in ("/api/extract", "/api/consents"):
            # declared too large: refused before the body is read
            r = c.post(address, headers=auth(token), files={"fil": ("stor.pdf", big)})
            assert (r.status_code, r.json()) == (
                413, {"fejl": "Forespørgslen er for stor; grænsen er 195 KB pr. fil."}), address
            # within the room for the form's framing, but the file itself too large
            r = c.post(address, headers=auth(token),
                       files={"fil": ("stor 010190-1234.pdf", big[:250_000])})
            assert (r.status_code, r.json()) == (413, {"fejl": (
                'Filen "stor 010190-xxxx.pdf" er for stor; grænsen er 195 KB pr. fil. Del '
                'den op, eller bed om at få grænsen hævet.')}), address
        r = c.post("/api/forms/strategi/validate", headers={**auth(token),
                   "content-type": "application/json"},
                   content=json.dumps({"x": "y" * 300_000}))
        assert r.status_code == 413

        # refused on the declared length, before FastAPI reads and parses the body
        r = c.post("/api/extract", content=b"--x\r\nkein multipart",
                   headers={**auth(token), "content-type": "multipart/form-data; boundary=x",
                            "content-length": str(200_000 + 64 * 1024 + 1)})
        assert r.status_code == 413

        def chunks():
            yield b'{"kommune": '
            yield b'"Randers"}'

        r = c.post("/api/forms/strategi/validate", headers={**auth(token),
                   "content-type": "application/json"}, content=chunks())
        assert r.status_code == 411
        assert r.json() == {"fejl": "Forespørgslen skal angive sin længde (Content-Length)."}
        # a file just under the limit is read (and found to be no form)
        r = c.post("/api/extract", headers=auth(token),
                   files={"fil": ("lille.pdf", big[:150_000])})
        assert r.status_code == 422
        assert r.json()["fejl"].startswith("lille.pdf: ")
        assert list((tmp_path / "data" / "tmp").iterdir()) == []  # nothing left behind


def test_docs_page_is_offline_and_under_the_csp(client):
    r = client.get("/api/docs")
    assert r.status_code == 200
    assert "<script>" not in r.text and "cdn" not in r.text.lower()
    assert 'src="/static/swagger-ui-bundle.js"' in r.text
    assert "script-src 'self';" in r.headers["content-security-policy"]
    static = Path(__file__).resolve().parents[2] / "toolkit" / "web" / "static"
    assert (static / "swagger-ui-LICENSE").read_text().count("Apache License") >= 1
    assert client.get("/static/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/openapi.json").json()
    fill = spec["paths"]["/api/forms/{form}/fill"]["post"]
    assert fill["summary"] == "Udfyld en formular"
    assert "X-Skema-Problemer" in fill["responses"]["200"]["headers"]
    problem = spec["components"]["schemas"]["ProblemOut"]["properties"]["path"]
    assert problem["description"].startswith("Feltets sti")


# -- the command line: tokens and users ------------------------------------------------------

def cli(*args: str, input: str | None = None):
    """Run ``skema`` in-process with standard input."""
    from click.testing import CliRunner

    from toolkit.cli import cli as skema

    return CliRunner().invoke(skema, list(args), input=input, catch_exceptions=False)


def test_token_new_prints_a_token_that_works_and_revoke_stops_it(tmp_path):
    from fastapi.testclient import TestClient

    data = tmp_path / "data"
    made = cli("token", "new", "--name", "Sagssystem X", "--data", str(data))
    assert made.exit_code == 0
    first, second = made.output.splitlines()
    assert first == "Nøgle 1 til Sagssystem X (sagsbehandler). Gem den nu; den vises ikke igen:"
    assert second.startswith("skema_") and len(second) > 40
    app = make_app(data)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        ok = c.post("/api/forms/strategi/validate", json=sample("strategi"),
                    headers=auth(second))
        assert (ok.status_code, ok.json()) == (200, [])
        listed = cli("token", "list", "--data", str(data))
        assert listed.output.split("\t")[:3] == ["1", "Sagssystem X", "sagsbehandler"]
        assert listed.output.rstrip().endswith("\tgyldig")
        gone = cli("token", "revoke", "1", "--data", str(data))
        assert (gone.exit_code, gone.output) == (0, "Nøgle 1 er tilbagekaldt.\n")
        assert c.get("/api/forms", headers=auth(second)).status_code == 401
    again = cli("token", "revoke", "1", "--data", str(data))
    assert again.exit_code == 1
    assert again.output == ("Fejl: der er ingen gyldig nøgle med nummer 1.\n"
                            "  Tip: Se nøglerne med 'skema token list'.\n")


def test_user_add_makes_a_user_who_can_log_in(tmp_path):
    from fastapi.testclient import TestClient

    data = tmp_path / "data"
    made = cli("user", "add", "mette", "--role", "administrator", "--password-file", "-",
               "--data", str(data), input="en lang adgangskode\n")
    assert (made.exit_code, made.output) == (0, "Brugeren mette (administrator) er oprettet.\n")
    short = cli("user", "add", "ole", "--password-file", "-", "--data", str(data),
                input="kort\n")
    assert (short.exit_code, short.output) == (
        1, "Fejl: adgangskoden er for kort (mindst 12 tegn).\n")
    app = make_app(data, server=True)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        token = csrf_of(c)
        r = c.post("/log-ind", data={"navn": "mette", "adgangskode": "en lang adgangskode",
                                     "csrf": token}, follow_redirects=False)
        assert r.status_code == 303
        page = c.get("/")
        assert "Logget ind som <strong>mette</strong> (administrator)" in page.text
        wrong = c.post("/log-ind", data={"navn": "mette", "adgangskode": "forkert",
                                         "csrf": token})
        assert "Forkert brugernavn eller adgangskode." in html.unescape(wrong.text)


def test_the_archive_made_on_first_use_by_many_requests_at_once(tmp_path, monkeypatch):
    import threading
    import time

    from toolkit.consent import Archive
    from toolkit.web.archive import open_archive
    from toolkit.web.config import WebConfig

    # made slowly: its index file exists a while before its tables do
    secure = Archive._secure_root

    def slowly(self: Archive) -> None:
        time.sleep(0.3)
        secure(self)

    monkeypatch.setattr(Archive, "_secure_root", slowly)
    config = WebConfig(data=tmp_path / "data")
    errors: list[str] = []

    def first_use() -> None:
        try:
            with open_archive(config, "nøgle:sagssystem") as arch:
                arch.all()
        except Exception as exc:  # noqa: BLE001 - collected and shown
            errors.append(str(exc))

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for t in threads:
        t.start()
        time.sleep(0.1)
    for t in threads:
        t.join()
    assert errors == []
    with open_archive(config, "x") as arch:
        assert arch.verify().valid
