"""The users page (/brugere) and ``skema user list|remove``."""

from __future__ import annotations

import html

from click.testing import CliRunner
from fastapi.testclient import TestClient

from tests.web.conftest import Served, assert_accessible, csrf_of, make_app


def _logged_in(app, name: str, password: str) -> TestClient:
    c = TestClient(app, base_url="http://127.0.0.1")
    r = c.post("/log-ind", data={"navn": name, "adgangskode": password, "csrf": csrf_of(c)},
               follow_redirects=False)
    assert r.status_code == 303
    return c


def test_an_administrator_adds_and_removes_users_and_a_caseworker_may_not(tmp_path):
    app = make_app(tmp_path / "data", server=True)
    app.state.store.add_user("admin", "administratorens kode", "administrator")
    app.state.store.add_user("mette", "mettes lange kode", "sagsbehandler")
    admin = _logged_in(app, "admin", "administratorens kode")
    page = admin.get("/brugere")
    assert page.status_code == 200 and "mette" in page.text
    token = csrf_of(admin)
    short = admin.post("/brugere", data={"navn": "ole", "rolle": "sagsbehandler",
                                         "adgangskode": "kort", "gentag": "kort",
                                         "csrf": token})
    assert short.status_code == 422
    assert "Adgangskoden er for kort (mindst 12 tegn)." in html.unescape(short.text)
    assert 'aria-describedby="adgangskode-fejl"' in short.text
    ok = admin.post("/brugere", data={"navn": "ole", "rolle": "sagsbehandler",
                                      "adgangskode": "oles lange kode", "gentag":
                                      "oles lange kode", "csrf": token})
    assert "Brugeren ole (sagsbehandler) er oprettet." in ok.text
    ole = _logged_in(app, "ole", "oles lange kode")
    assert ole.get("/brugere").status_code == 403
    assert ole.post("/brugere/fjern", data={"navn": "mette", "csrf": csrf_of(ole)}
                    ).status_code == 403
    assert "Brugere" not in ole.get("/").text.split("<main")[0]  # not in ole's menu
    gone = admin.post("/brugere/fjern", data={"navn": "ole", "csrf": token},
                      follow_redirects=False)
    assert gone.status_code == 303
    assert ole.get("/", follow_redirects=False).headers["location"] == "/log-ind"
    self_ = admin.post("/brugere/fjern", data={"navn": "admin", "csrf": token})
    assert self_.status_code == 409 and "Du kan ikke fjerne dig selv." in self_.text
    assert admin.post("/brugere/fjern", data={"navn": "admin"}).status_code == 403  # no CSRF


def test_user_list_and_remove_on_the_command_line(tmp_path):
    from toolkit.cli import cli

    data = str(tmp_path / "data")
    runner = CliRunner()
    added = runner.invoke(cli, ["user", "add", "mette", "--data", data, "--password-file",
                                "-"], input="mettes lange kode\n")
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["user", "list", "--data", data])
    assert listed.output.startswith("mette\tsagsbehandler\t")
    removed = runner.invoke(cli, ["user", "remove", "mette", "--data", data])
    assert removed.output == "Brugeren mette er fjernet.\n"
    again = runner.invoke(cli, ["user", "remove", "mette", "--data", data])
    assert again.exit_code == 1
    assert "Fejl: brugeren mette findes ikke." in again.output


def test_users_page_is_accessible_with_errors_shown(tmp_path, page):
    app = make_app(tmp_path / "data")  # local mode: the local user is an administrator
    with Served(app) as s:
        page.goto(s.url + "/brugere")
        page.get_by_label("Brugernavn").fill("ole")
        page.get_by_label("Adgangskode (mindst 12 tegn)").fill("oles lange kode")
        page.get_by_label("Gentag adgangskoden").fill("noget andet")
        page.get_by_role("button", name="Tilføj bruger").click()
        assert page.get_by_text("De to adgangskoder er ikke ens.").is_visible()
        assert_accessible(page)
        page.get_by_label("Gentag adgangskoden").fill("oles lange kode")
        page.get_by_label("Adgangskode (mindst 12 tegn)").fill("oles lange kode")
        page.get_by_role("button", name="Tilføj bruger").click()
        assert page.get_by_role("status").inner_text() == (
            "Brugeren ole (sagsbehandler) er oprettet.")
        page.screenshot(path="/tmp/s-brugere.png", full_page=True)
        assert_accessible(page)
