"""Made-up names (upload folders, jobs, drafts: letters only, never like a CPR number) and
the one Danish way the pages and ``skema user|token list`` write dates and times."""

from __future__ import annotations

import datetime as dt
import html
import re

from click.testing import CliRunner

from tests.web.conftest import csrf_of, make_app
from toolkit.danish import MONTHS, format_moment


def _today() -> str:
    today = dt.date.today()
    return f"{today.day}. {MONTHS[today.month - 1]} {today.year}"


def test_made_up_names_are_letters_only():
    from toolkit.web.uploads import new_name

    names = {new_name() for _ in range(2000)}
    assert len(names) == 2000
    assert all(re.fullmatch(r"[A-Za-z]{22}", n) for n in names)


def test_format_moment_writes_days_and_times_the_danish_way():
    moment = dt.datetime(2026, 11, 27, 9, 5, 7)
    assert format_moment(moment) == "27. november 2026 kl. 09.05"
    assert format_moment(moment, day=False) == "kl. 09.05"
    assert format_moment(moment, day=False, seconds=True) == "kl. 09.05.07"
    assert format_moment(moment, clock=False) == "27. november 2026"
    assert format_moment(moment.timestamp()) == "27. november 2026 kl. 09.05"


def test_job_and_draft_addresses_are_letters_only_and_times_are_danish(client):
    token = csrf_of(client)
    made = client.post("/indsamling", data={"csrf": token},
                       files=[("filer", ("a.docx", b"not a docx"))], follow_redirects=False)
    assert made.status_code == 303
    assert re.fullmatch(r"/indsamling/[A-Za-z]{22}", made.headers["location"])
    listed = html.unescape(client.get("/indsamling").text)
    assert re.search(rf"<td>{re.escape(_today())} kl\. \d\d\.\d\d</td>", listed), listed
    saved = client.post("/udfyld/strategi/kladde", data={"csrf": token},
                        headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert re.fullmatch(r"Kladden er gemt kl\. \d\d\.\d\d\.\d\d\.", saved.text)
    draft = saved.headers["hx-replace-url"].rsplit("=", 1)[1]
    assert re.fullmatch(r"[A-Za-z]{22}", draft)
    page = html.unescape(client.get("/udfyld/strategi").text)
    assert re.search(rf"Kladde gemt {re.escape(_today())} kl\. \d\d\.\d\d</a>", page), page


def test_users_page_and_list_commands_write_the_day_in_danish(tmp_path):
    from fastapi.testclient import TestClient

    from toolkit.cli import cli

    data = tmp_path / "data"
    app = make_app(data, server=True)
    app.state.store.add_user("anne", "administratorens kode", "administrator")
    with TestClient(app, base_url="http://127.0.0.1") as c:
        c.post("/log-ind", data={"navn": "anne", "adgangskode": "administratorens kode",
                                 "csrf": csrf_of(c)})
        page = html.unescape(c.get("/brugere").text)
    assert f"<td>anne</td><td>administrator</td><td>{_today()}</td>" in page
    runner = CliRunner()
    users = runner.invoke(cli, ["user", "list", "--data", str(data)])
    assert users.output == f"anne\tadministrator\t{_today()}\n"
    runner.invoke(cli, ["token", "new", "--name", "Sagssystem X", "--data", str(data)])
    tokens = runner.invoke(cli, ["token", "list", "--data", str(data)])
    assert tokens.output == f"1\tSagssystem X\tsagsbehandler\t{_today()}\tgyldig\n"
