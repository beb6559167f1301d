"""An attacker's pass over the web app (issue 17 point 4): CSRF on every post, log-in and
roles on every page, other users' jobs and drafts, cookie flags, redirects, CPR numbers in
addresses, headers and logs, hostile names and sizes, and the API's tokens."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from fastapi.routing import APIRoute

from tests.web.conftest import csrf_of, make_app

CPR_FORMS = ("010190-1234", "0101901234", "010190 1234")
XSS = '<script>alert(1)</script>"\'><img src=x onerror=alert(1)>'


def _server(tmp_path):
    from fastapi.testclient import TestClient

    app = make_app(tmp_path / "data", server=True)
    app.state.store.add_user("mette", "en lang adgangskode", "sagsbehandler")
    app.state.store.add_user("jens", "en tredje lang adgangskode", "sagsbehandler")
    app.state.store.add_user("anne", "en anden lang adgangskode", "administrator")
    passwords = {"mette": "en lang adgangskode", "jens": "en tredje lang adgangskode",
                 "anne": "en anden lang adgangskode"}

    def client(name: str | None = None):
        c = TestClient(app, base_url="http://127.0.0.1")
        if name is not None:
            ok = c.post("/log-ind", data={"navn": name, "adgangskode": passwords[name],
                                          "csrf": csrf_of(c)}, follow_redirects=False)
            assert ok.status_code == 303
        return c

    return app, client


def _page_routes(_app: Any = None) -> list[APIRoute]:
    """Every page route (the routers the app includes with the CSRF check)."""
    import importlib

    from toolkit.web.app import PAGE_GROUPS

    return [r for name in PAGE_GROUPS
            for r in importlib.import_module(f"toolkit.web.{name}").router.routes
            if isinstance(r, APIRoute)]


def _concrete(path: str) -> str:
    """A route's path with made-up parameters."""
    path = re.sub(r"\{[a-z_]+:int\}", "1", path)
    path = path.replace("{form_id}", "samtykke").replace("{kind}", "pdf")
    return re.sub(r"\{[a-z_]+\}", "AbCdEfGhIjKlMnOpQrSt", path)


def test_every_page_post_without_the_csrf_token_is_refused(tmp_path):
    app, client = _server(tmp_path)
    c = client("anne")
    posts = [(r, m) for r in _page_routes(app) for m in r.methods if m not in ("GET", "HEAD")]
    assert len(posts) >= 10
    for route, method in posts:
        url = _concrete(route.path)
        for data in ({}, {"csrf": "forkert"}):
            r = c.request(method, url, data=data, follow_redirects=False)
            assert r.status_code == 403, (method, url, r.status_code)
        r = c.request(method, url, data={"csrf": csrf_of(c)}, follow_redirects=False,
                      headers={"x-csrf-token": "forkert"})
        assert r.status_code == 403, (method, url, "header wins")


#: Pages anyone may open (the log-in itself, log-out, the logo in the header).
OPEN_PAGES = {"/log-ind", "/log-ud", "/logo"}


def test_every_page_without_a_log_in_goes_to_the_log_in_page(tmp_path):
    app, client = _server(tmp_path)
    c = client()
    token = csrf_of(c)
    for route in _page_routes(app):
        if route.path in OPEN_PAGES:
            continue
        url = _concrete(route.path)
        for method in route.methods - {"HEAD"}:
            r = c.request(method, url, data={"csrf": token} if method != "GET" else None,
                          follow_redirects=False)
            assert (r.status_code, r.headers.get("location")) == (303, "/log-ind"), \
                (method, url, r.status_code)


def test_a_caseworker_gets_403_on_every_administrator_page(tmp_path):
    app, client = _server(tmp_path)
    c = client("mette")
    token = csrf_of(c)
    admin = []
    for route in _page_routes(app):
        deps = [d.call for d in route.dependant.dependencies]
        if any(getattr(d, "__closure__", None) and "administrator" in
               [cell.cell_contents for cell in d.__closure__ or ()] for d in deps):
            admin.append(route)
    assert {r.path for r in admin} >= {"/samtykker/verificer", "/samtykker/slet"}
    for route in admin:
        for method in route.methods - {"HEAD"}:
            r = c.request(method, _concrete(route.path), data={"csrf": token},
                          follow_redirects=False)
            assert r.status_code == 403, (method, route.path)


def _api_routes() -> list[APIRoute]:
    from toolkit.web import api

    return [r for r in api.router.routes if isinstance(r, APIRoute) and r.path != "/docs"]


def test_every_api_route_wants_a_live_token_and_admin_routes_the_role(client, app):
    number, token = app.state.store.new_token("sagssystem")
    admin_paths = {"/consents/verify"}
    routes = _api_routes()
    assert len(routes) >= 10 and admin_paths <= {r.path for r in routes}
    for route in routes:
        url = "/api" + _concrete(route.path).replace("{form}", "samtykke")
        for method in route.methods - {"HEAD"}:
            assert client.request(method, url).status_code == 401, (method, url)
            if route.path in admin_paths:
                r = client.request(method, url, headers={"authorization": f"Bearer {token}"})
                assert r.status_code == 403, (method, url)
    app.state.store.revoke_token(number)
    for route in routes:
        url = "/api" + _concrete(route.path).replace("{form}", "samtykke")
        for method in route.methods - {"HEAD"}:
            r = client.request(method, url, headers={"authorization": f"Bearer {token}"})
            assert r.status_code == 401, (method, url, "revoked")


def test_the_session_cookie_is_http_only_strict_and_new_at_each_log_in(tmp_path):
    app, client = _server(tmp_path)
    c = client()
    sent = []
    for _ in range(2):
        r = c.post("/log-ind", data={"navn": "mette", "adgangskode": "en lang adgangskode",
                                     "csrf": csrf_of(c)}, follow_redirects=False)
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        sent.append(cookie.split(";")[0])
    assert sent[0] != sent[1]
    fresh = client()
    page = fresh.get("/log-ind")  # the CSRF cookie has the same flags
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=strict" in \
        page.headers["set-cookie"]
    # a session id the attacker chose is never accepted, and log-in makes its own
    fixed = client()
    fixed.cookies.set("skema_session", "angriberens-valgte-id", domain="127.0.0.1")
    assert fixed.get("/", follow_redirects=False).headers["location"] == "/log-ind"
    r = fixed.post("/log-ind", data={"navn": "mette", "adgangskode": "en lang adgangskode",
                                     "csrf": csrf_of(fixed)}, follow_redirects=False)
    assert not r.headers["set-cookie"].startswith("skema_session=angriberens-valgte-id;")
    hijack = client()
    hijack.cookies.set("skema_session", "angriberens-valgte-id", domain="127.0.0.1")
    assert hijack.get("/", follow_redirects=False).status_code == 303


def test_one_caseworker_cannot_reach_another_s_draft_or_jobs(tmp_path):
    app, client = _server(tmp_path)
    mette, jens = client("mette"), client("jens")
    r = mette.post("/udfyld/samtykke/kladde", data={"csrf": csrf_of(mette),
                                                    "borger.navn": "Mettes borger"},
                   follow_redirects=False)
    draft = r.headers["location"].split("kladde=")[1].split("&")[0]
    assert jens.get(f"/udfyld/samtykke?kladde={draft}").status_code == 404
    taken = jens.post("/udfyld/samtykke/kladde", data={"csrf": csrf_of(jens), "kladde": draft,
                                                       "borger.navn": "Jens"},
                      follow_redirects=False)
    assert taken.status_code == 409
    jens.post(f"/udfyld/samtykke/kladde/{draft}/slet", data={"csrf": csrf_of(jens)})
    assert "Mettes borger" in mette.get(f"/udfyld/samtykke?kladde={draft}").text
    xlsx = mette.get("/formularer/indsatsskema/tom.xlsx").content
    docx = mette.get("/formularer/samtykke/tom.docx").content
    batch = mette.post("/batch", data={"csrf": csrf_of(mette), "formular": "indsatsskema"},
                       files={"fil": ("plan.xlsx", xlsx, "application/octet-stream")},
                       follow_redirects=False).headers["location"]
    collect = mette.post("/indsamling", data={"csrf": csrf_of(mette)},
                         files={"filer": ("svar.docx", docx, "application/octet-stream")},
                         follow_redirects=False).headers["location"]
    for url in (batch, batch + "/status", batch + "/rapport.xlsx", batch + "/dokumenter.zip",
                collect, collect + "/status", collect + "/samlet.xlsx"):
        assert jens.get(url).status_code == 404, url
    assert jens.post(batch + "/start", data={"csrf": csrf_of(jens)}).status_code == 404
    assert mette.get(batch).status_code == 200


def test_hostile_text_is_escaped_on_every_page_that_echoes_it(client):
    """Form values, an uploaded file's name, a form id and an error message."""
    token = csrf_of(client)
    draft = client.post("/udfyld/samtykke/kladde", data={"csrf": token, "borger.navn": XSS})
    xlsx = client.get("/formularer/indsatsskema/tom.xlsx").content
    pages = [
        draft,
        client.post("/udfyld/samtykke", data={"csrf": token, "borger.navn": XSS}),
        client.post("/batch", data={"csrf": token, "formular": "indsatsskema"},
                    files={"fil": (XSS + ".txt", b"x", "text/plain")}),
        client.post("/batch", data={"csrf": token, "formular": "indsatsskema"},
                    files={"fil": (XSS + ".xlsx", xlsx, "application/octet-stream")}),
        client.post("/indsamling", data={"csrf": token},
                    files={"filer": (XSS + ".docx", b"PK no zip", "application/octet-stream")}),
        client.get("/udfyld/" + XSS),
        client.get("/samtykker", params={"udloeber": XSS, "status": XSS}),
        client.post("/samtykker/soeg", data={"csrf": token, "cpr": XSS, "grund": XSS}),
        client.post("/samtykker/nyt", data={"csrf": token, **{k: XSS for k in (
            "cpr", "navn", "formaal", "gyldig_fra", "gyldig_til", "kommune", "sagsbehandler",
            "journalnummer", "part_navn", "part_rolle", "oplysninger")}},
            files={"fil": (XSS + ".pdf", b"%PDF-1.4 broken", "application/pdf")}),
    ]
    for page in pages:
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, page.url
    assert any("&lt;script&gt;alert" in p.text for p in pages[2:])


def test_a_cpr_number_in_a_form_address_is_refused_without_showing_it(client):
    for cpr in CPR_FORMS:
        r = client.get(f"/udfyld/{cpr}")
        assert r.status_code == 400  # refused as every page refuses one (test_cpr_addresses)
        text = html.unescape(r.text)
        assert cpr not in text and cpr.replace(" ", "") not in text.replace(" ", "")
        assert ("Et CPR-nummer må ikke stå i adressen. Søg på borgeren under Samtykker: "
                "CPR-nummeret sendes dér i formularen, ikke i adressen.") in text


def test_uploaded_names_are_kept_without_cpr_numbers_and_short(client, app):
    """A collected file is kept under its name with a CPR number masked (never in a file
    name), and a name too long for the file system is shortened (it was a 500)."""
    docx = client.get("/formularer/samtykke/tom.docx").content
    names = [f"svar {cpr}.docx" for cpr in CPR_FORMS] + ["a" * 300 + ".docx"]
    r = client.post("/indsamling", data={"csrf": csrf_of(client)},
                    files=[("filer", (n, docx, "application/octet-stream")) for n in names],
                    follow_redirects=False)
    assert r.status_code == 303
    kept = sorted(p.name for p in (app.state.config.jobs).rglob("*.docx"))
    assert len(kept) == 4
    for name in kept:
        assert not re.search(r"\d{6}.?\d{4}", name), name
        assert len(name) <= 80
    assert "a" * 75 + ".docx" in kept


def test_a_cross_site_get_cannot_show_or_hand_out_a_consent(client, app):
    """The consent's page, document and export write the audit log on GET; another site's
    page (Sec-Fetch-Site cross-site/same-site) must not make the browser do it."""
    from PIL import Image

    scan = io.BytesIO()
    Image.new("L", (210, 297), 255).save(scan, "PNG")
    added = client.post("/samtykker/nyt", data={
        "csrf": csrf_of(client), "cpr": "010190-1234", "navn": "Borger", "formaal": "Test",
        "gyldig_fra": "2026-01-01", "gyldig_til": "2027-01-01", "kommune": "Kommune",
        "sagsbehandler": "Sagsbehandler"},
        files={"fil": ("scan.png", scan.getvalue(), "image/png")}, follow_redirects=False)
    assert added.status_code == 303
    for url in ("/samtykker/1", "/samtykker/1/dokument", "/samtykker/1/eksport"):
        for site in ("cross-site", "same-site"):
            r = client.get(url, headers={"sec-fetch-site": site})
            assert r.status_code == 403, (url, site)
            assert "Siden kan kun åbnes fra skema selv." in html.unescape(r.text)
        assert client.get(url, headers={"sec-fetch-site": "same-origin"}).status_code == 200
        assert client.get(url, headers={"sec-fetch-site": "none"}).status_code == 200
        assert client.get(url).status_code == 200  # an old browser sends no such header


def test_an_expiry_filter_too_large_is_a_message_not_a_500(client):
    for days in ("9999999", "9" * 5000):
        r = client.get("/samtykker", params={"udloeber": days})
        assert r.status_code == 400
        assert "er ikke et antal dage; skriv fx 30." in html.unescape(r.text)
    assert client.get("/samtykker", params={"udloeber": "999999"}).status_code == 200


def test_a_foreign_host_name_is_refused_in_local_mode(client):
    for host in ("evil.example", "127.0.0.1.evil.example", "testserver"):
        assert client.get("/", headers={"host": host}).status_code == 400
    assert client.get("/", headers={"host": "localhost"}).status_code == 200


def test_the_form_post_is_bounded(client):
    token = csrf_of(client)
    many = client.post("/udfyld/samtykke/kladde",
                       data={"csrf": token, **{f"f{i}": "x" for i in range(30000)}})
    assert many.status_code == 400
    huge = client.post("/udfyld/samtykke/kladde",
                       data={"csrf": token, "borger.navn": "x" * 5_000_000})
    assert huge.status_code == 400


def test_an_api_expiry_period_too_long_is_a_422_not_a_500(client, app):
    token = {"authorization": f"Bearer {app.state.store.new_token('sagssystem')[1]}"}
    for period in ("99999999999d", "9" * 5000, "999999u"):
        for r in (client.get("/api/consents", params={"udloeber_inden": period}, headers=token),
                  client.post("/api/consents/search", json={"udloeber_inden": period},
                              headers=token)):
            assert (r.status_code, r.json()) == (
                422, {"fejl": "Perioden er for lang; skriv højst 999999 dage."}), period
    assert client.get("/api/consents", params={"udloeber_inden": "30d"},
                      headers=token).status_code == 200


def test_framework_errors_are_danish_pages_and_danish_json(client, app):
    """An unknown address, a wrong method and a body that cannot be parsed: the app's own
    Danish page or {"fejl": …}, never the framework's English {"detail": …}."""
    page = client.get("/findes-ikke")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Siden findes ikke." in page.text
    wrong = client.delete("/")
    assert wrong.status_code == 405 and "Siden kan ikke bruges sådan." in wrong.text
    assert client.get("/api/findes-ikke").json() == {"fejl": "Siden findes ikke."}
    token = {"authorization": f"Bearer {app.state.store.new_token('sagssystem')[1]}",
             "content-type": "application/json"}
    deep = client.post("/api/forms/samtykke/validate", content=b"[" * 100000 + b"]" * 100000,
                       headers=token)
    assert (deep.status_code, deep.json()) == (400, {"fejl": "Forespørgslen kunne ikke læses."})


def test_a_post_from_another_port_of_the_host_is_refused_though_it_set_the_cookie(client):
    """Cookies are shared by every port of 127.0.0.1: a page of another local program can
    set skema_csrf to a value it knows and post it. The browser says it is same-site (not
    same-origin); the post is refused. Same-origin posts (the pages' own) still work."""
    client.cookies.set("skema_csrf", "kendt-af-angriberen", domain="127.0.0.1")
    for site in ("same-site", "cross-site"):
        r = client.post("/udfyld/samtykke/kladde", data={"csrf": "kendt-af-angriberen"},
                        headers={"sec-fetch-site": site}, follow_redirects=False)
        assert r.status_code == 403, site
    for site in ("same-origin", "none"):
        r = client.post("/udfyld/samtykke/kladde", data={"csrf": "kendt-af-angriberen"},
                        headers={"sec-fetch-site": site}, follow_redirects=False)
        assert r.status_code == 303, site


def test_a_post_of_answers_is_bounded_in_total(client, app):
    """Each field is at most 1 MB (the form parser) and 1000 fields; together the answers
    of one post are at most MAX_ANSWER_CHARS, so no draft of hundreds of MB is kept."""
    from toolkit.web.fill import MAX_ANSWER_CHARS

    token = csrf_of(client)
    parts = {f"borger.felt{i}": "x" * 900_000 for i in range(3)}
    for url in ("/udfyld/samtykke/kladde", "/udfyld/samtykke"):
        r = client.post(url, data={"csrf": token, **parts}, follow_redirects=False)
        assert r.status_code == 413, url
        assert "Svarene fylder for meget (højst 1.000.000 tegn i alt)." in html.unescape(r.text)
    assert MAX_ANSWER_CHARS == 1_000_000
    assert app.state.store.drafts("lokal") == []
    ok = client.post("/udfyld/samtykke/kladde", data={"csrf": token, "borger.navn": "x" * 1000},
                     follow_redirects=False)
    assert ok.status_code == 303


def test_a_consent_number_beyond_the_archive_is_a_404_not_a_500(client, app):
    token = {"authorization": f"Bearer {app.state.store.new_token('sagssystem')[1]}"}
    huge = "9" * 30
    for url in (f"/samtykker/{huge}", f"/samtykker/{huge}/dokument",
                f"/samtykker/{huge}/eksport"):
        r = client.get(url)
        assert r.status_code == 404 and "Samtykket findes ikke i arkivet." in r.text, url
    for url in (f"/samtykker/{huge}/cpr", f"/samtykker/{huge}/tilbagekald"):
        assert client.post(url, data={"csrf": csrf_of(client), "dato": "2026-01-01"}
                           ).status_code == 404, url
    for url in (f"/api/consents/{huge}", f"/api/consents/{huge}/document",
                f"/api/consents/{2**63}"):
        r = client.get(url, headers=token)
        assert (r.status_code, r.json()) == (404, {"fejl": "Samtykket findes ikke i arkivet."})
    assert client.get(f"/samtykker/{2**63 - 1}").status_code == 404  # the archive's own 404


def test_a_look_up_s_reason_is_bounded_before_it_reaches_the_audit_log(client, app):
    from toolkit.web.archive import MAX_REASON

    r = client.post("/samtykker/soeg", data={"csrf": csrf_of(client), "cpr": "010190-1234",
                                             "grund": "x" * (MAX_REASON + 1)})
    assert r.status_code == 400
    text = html.unescape(r.text)
    assert "Skriv begrundelsen med højst 1000 tegn." in text
    assert 'aria-describedby="grund-hjaelp grund-fejl" aria-invalid="true"' in text
    assert 'maxlength="1000"' in text
    assert client.post("/samtykker/soeg", data={"csrf": csrf_of(client), "cpr": "010190-1234",
                                                "grund": "x" * MAX_REASON}).status_code == 200
    token = {"authorization": f"Bearer {app.state.store.new_token('sagssystem')[1]}"}
    long = client.post("/api/consents/search", json={"cpr": "010190-1234",
                                                     "grund": "x" * 10_000_000}, headers=token)
    assert long.status_code == 422
    assert client.get("/api/consents/1", params={"grund": "x" * 2000},
                      headers=token).status_code == 422
    from toolkit.consent import audit
    from toolkit.consent.store import Archive

    config = app.state.config
    with Archive(config.archive, key_file=config.key_file) as arch:
        entries = audit.entries(arch.conn)
    assert [e.action for e in entries].count("lookup") == 1  # the one search allowed
    assert all(len(str(e.details)) < 2 * MAX_REASON for e in entries)


def test_a_plain_form_post_of_many_rows_is_read_as_with_htmx(client):
    """The CSRF check reads the form first (the field ``csrf``); it used the framework's
    1000 fields, so a page without JavaScript failed where htmx (token in a header)
    worked. Both read up to the fill page's limit now; more rows than a list may have are
    refused alike."""
    token = csrf_of(client)
    rows = {f"aktiviteter.{i}.aktivitet": "x" for i in range(450)}
    rows |= {f"aktiviteter.{i}.ansvarlig": "y" for i in range(450)}
    rows |= {f"aktiviteter.{i}.frist": "" for i in range(450)}
    for headers, data in (({}, {"csrf": token, **rows}), ({"x-csrf-token": token}, rows)):
        r = client.post("/udfyld/handleplan/kladde", data=data, headers=headers,
                        follow_redirects=False)
        assert r.status_code == 303, headers
    many = {f"aktiviteter.{i}.aktivitet": "x" for i in range(600)}
    for headers, data in (({}, {"csrf": token, **many}), ({"x-csrf-token": token}, many)):
        r = client.post("/udfyld/handleplan/kladde", data=data, headers=headers)
        assert r.status_code == 413, headers


def test_the_reason_error_in_a_browser_is_accessible(served, page):
    """The search's reason over its limit (the browser's maxlength taken away, as a
    hand-made post would): the message beside the field, accessible."""
    from tests.web.conftest import assert_accessible

    page.goto(served.url + "/samtykker")
    page.get_by_label("Borgerens CPR-nummer").fill("010190-1234")
    page.eval_on_selector("#grund", "e => e.removeAttribute('maxlength')")
    page.get_by_label("Begrundelse (valgfri)").fill("x" * 1001)
    page.get_by_role("button", name="Søg").click()
    page.wait_for_selector("#grund-fejl")
    assert page.locator("#grund-fejl").inner_text() == "Skriv begrundelsen med højst 1000 tegn."
    assert page.get_by_label("Begrundelse (valgfri)").get_attribute("aria-invalid") == "true"
    page.screenshot(path="/tmp/skema-webaudit-grund.png", full_page=True)
    assert_accessible(page)


def test_a_session_ends_at_log_out_and_is_no_api_key(tmp_path):
    from fastapi.testclient import TestClient

    app, client = _server(tmp_path)
    anne = client("anne")
    sid = anne.cookies.get("skema_session")
    assert anne.get("/api/forms").status_code == 401  # the cookie is not a key
    assert anne.get("/api/forms", headers={"authorization": f"Bearer {sid}"}).status_code == 401
    anne.post("/log-ud", data={"csrf": csrf_of(anne)})
    again = TestClient(app, base_url="http://127.0.0.1")
    again.cookies.set("skema_session", sid, domain="127.0.0.1")
    assert again.get("/", follow_redirects=False).headers["location"] == "/log-ind"
