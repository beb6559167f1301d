"""The web app's frame: the catalogue, downloads, headers, CSRF, log-in, tokens."""

from __future__ import annotations

import html
import io
import zipfile

from tests.web.conftest import assert_accessible, csrf_of, make_app


def test_catalogue_lists_every_form_with_its_downloads(client):
    from toolkit import forms

    page = client.get("/")
    assert page.status_code == 200
    for frm in forms():
        assert frm.title.replace("[kommune]", "Eksempel Kommune") in page.text
        assert f"Version {frm.version}" in page.text
        for kind in ("docx", "pdf", "xlsx"):
            assert f"/formularer/{frm.id}/tom.{kind}" in page.text
    assert "Eksempel Kommune" in page.text  # the profile's name in the header


def test_blank_downloads_are_the_library_blanks(client):
    from tests.web.conftest import SAMPLES
    from toolkit import blank, load_form
    from toolkit.profile import load_profile

    profile = load_profile(SAMPLES / "kommune.yaml")
    docx = client.get("/formularer/handleplan/tom.docx")
    assert docx.status_code == 200
    assert 'attachment; filename="handleplan-tom.docx"' == docx.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(docx.content)) as z:
        assert "word/document.xml" in z.namelist()
    xlsx = client.get("/formularer/indsatsskema/tom.xlsx")
    assert xlsx.content[:2] == b"PK"
    pdf = client.get("/formularer/samtykke/tom.pdf")
    assert pdf.content.startswith(b"%PDF")
    assert len(pdf.content) == len(blank(load_form("samtykke"), "pdf", profile=profile))


def test_unknown_form_is_a_danish_404(client):
    r = client.get("/formularer/ukendt/tom.pdf")
    assert r.status_code == 404
    assert 'Formularen "ukendt" findes ikke.' in html.unescape(r.text)


def test_every_page_has_the_security_headers(client):
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text  # no inline script anywhere


def test_a_post_without_the_csrf_token_is_refused(client):
    csrf_of(client)
    r = client.post("/log-ud", data={})
    assert r.status_code == 403
    assert "kom ikke fra skema" in html.unescape(r.text)
    ok = client.post("/log-ud", data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert ok.status_code == 303


def test_local_mode_refuses_other_host_names(client):
    assert client.get("/", headers={"host": "angriber.example"}).status_code == 400


def test_the_api_wants_a_token_and_a_revoked_one_stops_working(client, app):
    assert client.get("/api/forms").status_code == 401
    number, token = app.state.store.new_token("sagssystem")
    auth = {"authorization": f"Bearer {token}"}
    got = client.get("/api/forms", headers=auth)
    assert got.status_code == 200
    assert {f["id"] for f in got.json()} >= {"strategi", "samtykke"}
    app.state.store.revoke_token(number)
    assert client.get("/api/forms", headers=auth).status_code == 401


def test_server_mode_wants_a_log_in_and_knows_roles(tmp_path):
    from fastapi.testclient import TestClient

    app = make_app(tmp_path / "data", server=True)
    app.state.store.add_user("mette", "en lang adgangskode", "sagsbehandler")
    with TestClient(app, base_url="http://127.0.0.1") as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/log-ind"
        token = csrf_of(c)
        bad = c.post("/log-ind", data={"navn": "mette", "adgangskode": "forkert",
                                       "csrf": token})
        assert bad.status_code == 401
        assert "Forkert brugernavn eller adgangskode." in bad.text
        ok = c.post("/log-ind", data={"navn": "mette", "adgangskode": "en lang adgangskode",
                                      "csrf": token}, follow_redirects=False)
        assert ok.status_code == 303
        assert "skema_session" in ok.headers["set-cookie"]
        assert "httponly" in ok.headers["set-cookie"].lower()
        page = c.get("/")
        assert page.status_code == 200 and "Logget ind som" in page.text


def test_catalogue_in_a_real_browser_is_accessible(served, page):
    page.goto(served.url + "/")
    assert page.title() == "Formularer – Eksempel Kommune"
    assert page.get_by_role("heading", level=1).inner_text() == "Formularer"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Gå til indholdet"
    assert_accessible(page)


def test_log_in_page_with_an_error_is_accessible(tmp_path, page):
    from tests.web.conftest import Served

    app = make_app(tmp_path / "data", server=True)
    with Served(app) as s:
        page.goto(s.url + "/log-ind")
        page.get_by_label("Brugernavn").fill("x")
        page.get_by_label("Adgangskode").fill("y")
        page.get_by_role("button", name="Log ind").click()
        assert page.get_by_role("alert").inner_text() == "Forkert brugernavn eller adgangskode."
        assert_accessible(page)


def test_a_body_over_the_request_limit_is_refused_before_it_is_read(tmp_path):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from toolkit.web import create_app

    base = make_app(tmp_path / "a")
    app = create_app(replace(base.state.config, data=tmp_path / "b", max_request_bytes=1000))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        token = csrf_of(c)
        r = c.post("/udfyld/strategi/fortsaet", data={"csrf": token},
                   files={"fil": ("x.docx", b"x" * 5000)})
        assert r.status_code == 413
        assert r.text == ("Forsendelsen er for stor (højst 0 MB i alt). Send færre eller "
                          "mindre filer ad gangen.")
        api = c.post("/api/extract", content=b"x" * 5000,
                     headers={"content-type": "application/octet-stream"})
        assert api.status_code == 413 and api.json()["fejl"].startswith("Forsendelsen er for")

        def chunks():
            for _ in range(10):
                yield b"y" * 500

        chunked = c.post("/udfyld/strategi/fortsaet", content=chunks(),
                         headers={"content-type": "multipart/form-data; boundary=z"})
        assert chunked.status_code == 413
    assert not list((tmp_path / "b").glob("tmp/*"))
