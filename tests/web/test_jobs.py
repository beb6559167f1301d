"""Masseudfyldning (/batch) and Indsamling (/indsamling): the pages, the job worker they
share, and their results against the command line's (`skema validate`, `skema batch`,
`skema collect`)."""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.web.conftest import SAMPLES, Served, assert_accessible, csrf_of, make_app

WORKBOOK = SAMPLES / "indsatsplaner.xlsx"
RETURNED = SAMPLES / "returnerede"
PROFILE = str(SAMPLES / "kommune.yaml")
SHOTS = Path("/tmp/skema-web-jobs")


def cli(*args: str):
    """Run ``skema`` in-process with the sample profile (as the test app has it)."""
    from toolkit.cli import cli as skema

    return CliRunner().invoke(skema, ["--profile", PROFILE, *args], catch_exceptions=False)


@pytest.fixture
def held(monkeypatch):
    """Batches wait before they start until the returned event is set."""
    import toolkit.batch

    gate = threading.Event()
    real = toolkit.batch.run_batch

    def wait_then_run(*args, **kwargs):
        gate.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(toolkit.batch, "run_batch", wait_then_run)
    yield gate
    gate.set()


def upload_workbook(client, path: Path = WORKBOOK, form: str = "indsatsskema") -> str:
    """Upload a workbook to /batch; the job's page path."""
    with open(path, "rb") as handle:
        r = client.post("/batch", data={"csrf": csrf_of(client), "formular": form},
                        files={"fil": (path.name, handle)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def state_of(app, page: str) -> str:
    from toolkit.web import jobs

    return jobs.get(app, page.rsplit("/", 1)[1]).state


def wait_until(app, page: str, states=("done", "failed"), seconds: float = 120) -> str:
    """Wait until the job of ``page`` is in one of ``states``; its state."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = state_of(app, page)
        if state in states:
            return state
        time.sleep(0.1)
    raise AssertionError(f"jobbet blev ikke {states} (er {state_of(app, page)})")


def table_rows(text: str) -> list[list[str]]:
    """The cells of every body row of the page's tables, as text."""
    rows = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", text, re.S):
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            cells = re.findall(r"<td>(.*?)</td>", row, re.S)
            rows.append([html.unescape(re.sub(r"<[^>]+>", " ", c)).strip() for c in cells])
    return rows


# ---------------------------------------------------------------------------------------
# /batch
# ---------------------------------------------------------------------------------------
def test_the_report_shows_every_problem_of_skema_validate_with_its_cell(client, tmp_path):
    from toolkit.sources.workbook_cells import column_letter, parse_place

    page = upload_workbook(client)
    text = client.get(page).text
    assert "212 rækker, 7 med problemer, 9 problemer i alt." in html.unescape(text)
    shown = table_rows(text)
    problems = json.loads(cli("validate", "indsatsskema", str(WORKBOOK), "--json").output)
    assert len(problems) == 9
    expected = []
    for p in problems:
        sheet, col, row = parse_place(p["place"])
        expected.append([sheet, f"{column_letter(col)}{row}", p["message"]])
    got = [[r[0], r[1], r[3]] for r in shown[:len(problems)]]
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    for g, e in zip(got, expected):
        assert g[2].startswith(e[2])  # the message, then its hint
    assert any(r[:2] == ["Borgere", "C7"] and "CPR-nummer" in r[2] for r in got)
    assert any(r[:2] == ["Borgere", "J133"] and "februar 2024 har kun 29 dage" in r[2]
               for r in got)
    # the report workbook is the one `skema validate --report` writes
    cli("validate", "indsatsskema", str(WORKBOOK), "--report", str(tmp_path / "r.xlsx"))
    report = client.get(page + "/rapport.xlsx")
    assert report.status_code == 200
    assert report.headers["content-disposition"] == \
        'attachment; filename="indsatsskema-rapport.xlsx"'
    assert marks(report.content) == marks((tmp_path / "r.xlsx").read_bytes())
    assert ("Borgere", "C7") in {(sheet, cell) for sheet, cell, _ in marks(report.content)}


def marks(data: bytes) -> list[tuple[str, str, str]]:
    """(sheet, cell, comment) of every commented cell of a report workbook."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    return [(ws.title, c.coordinate, c.comment.text) for ws in book for row in ws.iter_rows()
            for c in row if c.comment is not None]


def test_the_zip_is_what_skema_batch_writes(client, app, tmp_path):
    page = upload_workbook(client)
    assert client.get(page + "/dokumenter.zip").status_code == 404  # not made yet
    r = client.post(page + "/start", data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == page
    assert wait_until(app, page) == "done"
    done = html.unescape(client.get(page + "/status").text)
    assert "Færdig: 205 dokumenter lavet af 212 rækker; 7 ugyldige rækker sprunget over." \
        in done
    got = client.get(page + "/dokumenter.zip")
    assert got.status_code == 200
    assert got.headers["content-disposition"] == \
        'attachment; filename="indsatsskema-dokumenter.zip"'

    out = tmp_path / "cli"
    cli("batch", "indsatsskema", str(WORKBOOK), "-o", str(out))
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        names = sorted(z.namelist())
        assert names == sorted(p.name for p in out.iterdir())
        assert len(names) == 206 and "manifest.csv" in names
        assert z.read("manifest.csv") == (out / "manifest.csv").read_bytes()
        for name in names:  # the documents are deterministic: the same bytes
            assert z.read(name) == (out / name).read_bytes(), name


def test_a_second_batch_waits_its_turn_and_then_runs(client, app, held):
    gate = held
    first, second = upload_workbook(client), upload_workbook(client)
    token = csrf_of(client)
    client.post(first + "/start", data={"csrf": token})
    wait_until(app, first, ("running",), 20)
    client.post(second + "/start", data={"csrf": token})
    assert state_of(app, second) == "queued"
    waiting = html.unescape(client.get(second).text)
    assert "Venter på tur (nr. 1)." in waiting
    assert 'hx-get="' + second + '/status" hx-trigger="every 1s"' in waiting
    assert f'<a href="{second}">Opdater</a>' in waiting  # without JavaScript
    assert "I gang: " in html.unescape(client.get(first + "/status").text)
    gate.set()
    assert wait_until(app, first) == "done"
    assert wait_until(app, second) == "done"
    one = client.get(first + "/dokumenter.zip").content
    two = client.get(second + "/dokumenter.zip").content
    with zipfile.ZipFile(io.BytesIO(one)) as z1, zipfile.ZipFile(io.BytesIO(two)) as z2:
        assert z1.read("manifest.csv") == z2.read("manifest.csv")


def test_a_failing_job_is_marked_failed_in_danish_and_the_worker_goes_on(client, app,
                                                                        monkeypatch):
    import toolkit.batch

    real = toolkit.batch.run_batch
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom 010190-1234")
        return real(*args, **kwargs)

    monkeypatch.setattr(toolkit.batch, "run_batch", flaky)
    first, second = upload_workbook(client), upload_workbook(client)
    token = csrf_of(client)
    client.post(first + "/start", data={"csrf": token})
    client.post(second + "/start", data={"csrf": token})
    assert wait_until(app, first) == "failed"
    page = html.unescape(client.get(first).text)
    assert ("Kørslen mislykkedes: Der skete en intern fejl i skema (RuntimeError), og jobbet "
            "er stoppet.") in page
    assert "010190-1234" not in page and "boom" not in page
    assert wait_until(app, second) == "done"
    # started again, the failed one runs
    client.post(first + "/start", data={"csrf": token})
    assert wait_until(app, first) == "done"


def test_a_job_survives_a_new_app_on_the_same_data_folder(tmp_path):
    from fastapi.testclient import TestClient

    from toolkit.web import jobs

    data = tmp_path / "data"
    with TestClient(make_app(data), base_url="http://127.0.0.1") as c:
        page = upload_workbook(c)
        token = csrf_of(c)
    # a reload in a new app: the report is still there, and the job can be started
    app = make_app(data)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        c.cookies.set("skema_csrf", token)
        text = html.unescape(c.get(page).text)
        assert "9 problemer i alt" in text and ">C7<" in text
        c.post(page + "/start", data={"csrf": token})
        assert wait_until(app, page) == "done"
        assert "Hent dokumenterne (zip)" in c.get(page).text
        # a job left running by an app that was killed is run again by the next app
        with app.state.store.connect() as conn:
            conn.execute("UPDATE jobs SET state = 'running', params = json_set(params, "
                         "'$.worker', '999999999:gone') WHERE id = ?", (page.rsplit("/")[-1],))
        (jobs.folder(app.state.config, page.rsplit("/")[-1]) / "dokumenter.zip").unlink()
    app = make_app(data)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert wait_until(app, page) == "done"
        assert c.get(page + "/dokumenter.zip").status_code == 200


def test_a_job_stops_when_the_app_shuts_down_and_the_next_app_finishes_it(tmp_path,
                                                                          monkeypatch):
    from fastapi.testclient import TestClient

    import toolkit.batch

    real = toolkit.batch._do_row

    def slow_row(job, item):  # the workers fork after this: each row takes 20 ms, so
        time.sleep(0.02)  # the shutdown comes while rows are left (212 rows of Word
        return real(job, item)  # took well under a second: the job could end first)

    monkeypatch.setattr(toolkit.batch, "_do_row", slow_row)
    data = tmp_path / "data"
    app = make_app(data)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        page = upload_workbook(c)
        c.post(page + "/start", data={"csrf": csrf_of(c)})
        wait_until(app, page, ("running",), 30)
        from toolkit.web import jobs

        deadline = time.monotonic() + 60
        while jobs.get(app, page.rsplit("/")[-1]).done == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    # the app is shut down (TestClient closed): the job stopped midway, queued again
    import multiprocessing

    assert not app.state.job_worker.is_alive()
    assert state_of(app, page) == "queued"
    deadline = time.monotonic() + 10
    while multiprocessing.active_children():  # the batch's worker processes are gone
        assert time.monotonic() < deadline
        time.sleep(0.1)
    folder = data / "jobs" / page.rsplit("/")[-1] / "dokumenter"
    assert not list(folder.glob(".skema-tmp-*"))  # no half-written file
    app = make_app(data)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert wait_until(app, page) == "done"
        text = html.unescape(c.get(page + "/status").text)
        assert "Færdig: 205 dokumenter lavet af 212 rækker" in text


def test_a_job_is_only_its_owners_in_server_mode(tmp_path):
    from fastapi.testclient import TestClient

    app = make_app(tmp_path / "data", server=True)
    for name in ("mette", "jonas"):
        app.state.store.add_user(name, "en lang adgangskode", "sagsbehandler")

    def logged_in(name: str) -> TestClient:
        c = TestClient(app, base_url="http://127.0.0.1")
        c.post("/log-ind", data={"navn": name, "adgangskode": "en lang adgangskode",
                                 "csrf": csrf_of(c)})
        return c

    with TestClient(app, base_url="http://127.0.0.1") as anonymous:
        assert anonymous.get("/batch", follow_redirects=False).headers["location"] == \
            "/log-ind"
        mette, jonas = logged_in("mette"), logged_in("jonas")
        page = upload_workbook(mette)
        assert mette.get(page).status_code == 200
        for path in ("", "/status", "/rapport.xlsx"):
            assert jonas.get(page + path).status_code == 404
        assert jonas.post(page + "/start", data={"csrf": csrf_of(jonas)}).status_code == 404
        assert page not in jonas.get("/batch").text and page in mette.get("/batch").text
        assert state_of(app, page) == "checked"


def test_old_jobs_are_removed_after_the_days_the_page_says(client, app):
    from toolkit.web import jobs

    page = upload_workbook(client)
    client.post(page + "/start", data={"csrf": csrf_of(client)})
    assert wait_until(app, page) == "done"
    assert f"gemmes her i {jobs.KEEP_DAYS} dage" in client.get(page).text
    job_id = page.rsplit("/")[-1]
    assert jobs.purge(app, time.time() + (jobs.KEEP_DAYS - 1) * 86400) == 0
    assert jobs.folder(app.state.config, job_id).is_dir()
    assert jobs.purge(app, time.time() + (jobs.KEEP_DAYS + 1) * 86400) == 1
    assert not jobs.folder(app.state.config, job_id).exists()
    assert client.get(page).status_code == 404


def test_upload_mistakes_are_said_in_danish(client):
    token = csrf_of(client)
    r = client.post("/batch", data={"csrf": token, "formular": "indsatsskema"},
                    files={"fil": ("plan.docx", b"PK")})
    assert r.status_code == 422
    text = html.unescape(r.text)
    assert '"plan.docx" er ikke en Excel-projektmappe (.xlsx).' in text
    assert 'aria-invalid="true"' in text and 'aria-describedby="fil-hjaelp upload-fejl"' in text
    r = client.post("/batch", data={"csrf": token, "formular": "indsatsskema"},
                    files={"fil": ("010190-1234.xlsx", b"not a workbook")})
    assert r.status_code == 422
    text = html.unescape(r.text)
    assert "filen er ikke en Excel-projektmappe (.xlsx)." in text
    assert "010190-1234" not in text and "010190-xxxx" in text.lower()
    r = client.post("/batch", data={"formular": "indsatsskema"},
                    files={"fil": ("x.xlsx", WORKBOOK.read_bytes())})
    assert r.status_code == 403  # no CSRF token
    assert client.get("/batch/findesikke").status_code == 404


def test_the_check_is_read_within_the_time_limit_of_hostile_files(client, monkeypatch):
    monkeypatch.setenv("SKEMA_READ_SECONDS", "0.002")  # the check may take 5 × this
    with open(WORKBOOK, "rb") as handle:
        r = client.post("/batch", data={"csrf": csrf_of(client), "formular": "indsatsskema"},
                        files={"fil": ("plan.xlsx", handle)})
    assert r.status_code == 422
    assert "filen tog for lang tid at læse (over 0.01 sekunder)" in html.unescape(r.text)


def test_uploads_over_the_limits_are_refused_with_413(tmp_path):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from toolkit.web import create_app

    app = make_app(tmp_path / "data")
    small = create_app(replace(app.state.config, max_upload_bytes=20_000,
                               max_upload_files=3))
    with TestClient(small, base_url="http://127.0.0.1") as c:
        token = csrf_of(c)
        r = c.post("/batch", data={"csrf": token, "formular": "indsatsskema"},
                   files={"fil": ("stor.xlsx", WORKBOOK.read_bytes())})
        assert r.status_code == 413
        assert ('Filen "stor.xlsx" er for stor; grænsen er 19 KB pr. fil.'
                in html.unescape(r.text))
        files = [("filer", (f"f{i}.docx", b"x")) for i in range(4)]
        r = c.post("/indsamling", data={"csrf": token}, files=files)
        assert r.status_code == 413
        assert "Der kan højst sendes 3 filer ad gangen." in html.unescape(r.text)
        # a zip of more files than that is refused alike
        r = c.post("/indsamling", data={"csrf": token}, files=[("filer", ("svar.zip", zip_of(
            {f"f{i}.docx": b"x" for i in range(5)})))])
        assert r.status_code == 413
        assert ("Der kan højst sendes 3 filer ad gangen (her er der 5)."
                in html.unescape(r.text))
        assert not list((tmp_path / "data" / "jobs").glob("*/*"))


# ---------------------------------------------------------------------------------------
# /indsamling
# ---------------------------------------------------------------------------------------
def returned_files(prefix: str = "returnerede/") -> list[tuple[str, tuple[str, bytes]]]:
    """samples/returnerede/ as a folder upload sends it (names with sub-folders)."""
    return [("filer", (prefix + p.relative_to(RETURNED).as_posix(), p.read_bytes()))
            for p in sorted(RETURNED.rglob("*")) if p.is_file()]


def assert_same_workbook(a: bytes, b: bytes) -> None:
    """The same sheets with the same cell values."""
    import openpyxl

    one = openpyxl.load_workbook(io.BytesIO(a))
    two = openpyxl.load_workbook(io.BytesIO(b))
    assert one.sheetnames == two.sheetnames
    for name in one.sheetnames:
        assert [[c.value for c in r] for r in one[name].iter_rows()] == \
            [[c.value for c in r] for r in two[name].iter_rows()], name


def collect_upload(client, files) -> str:
    r = client.post("/indsamling", data={"csrf": csrf_of(client)}, files=files,
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_collecting_a_folder_gives_the_workbook_of_skema_collect(client, app, tmp_path):
    page = collect_upload(client, returned_files())
    assert wait_until(app, page) == "done"
    text = html.unescape(client.get(page).text)
    assert ("Færdig: 19 filer samlet (8 ok, 1 mangler svar, 1 ugyldig, 7 ulæselig, "
            "2 ikke en formular); 1 dubletter talt én gang.") in text
    rows = table_rows(text)
    assert ["aarhus/samarbejdsmodel.docx", "ok", ""] in rows
    assert any(r[0] == "defekte/zipbombe.docx" and r[1] == "ulæselig" and "zip-bombe" in r[2]
               for r in rows)
    got = client.get(page + "/samlet.xlsx")
    assert got.status_code == 200
    assert f'<a href="{page}">20 filer</a>' in client.get("/indsamling").text
    assert got.headers["content-disposition"] == 'attachment; filename="samlet.xlsx"'
    cli("collect", str(RETURNED), "-o", str(tmp_path / "samlet.xlsx"))
    assert_same_workbook(got.content, (tmp_path / "samlet.xlsx").read_bytes())


def test_the_status_lines_come_as_the_files_are_read(client, app, monkeypatch):
    import toolkit.collect

    gate = threading.Event()
    real = toolkit.collect.read_bounded

    def slow(task):
        if task[1] != "aarhus/samarbejdsmodel.docx":
            gate.wait(60)
        return real(task)

    monkeypatch.setattr(toolkit.collect, "read_bounded", slow)
    files = [f for f in returned_files() if f[1][0].startswith(("returnerede/aarhus/",
                                                                  "returnerede/andet/"))]
    page = collect_upload(client, files)
    deadline = time.monotonic() + 30
    while "aarhus/samarbejdsmodel.docx" not in client.get(page + "/status").text:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    status = html.unescape(client.get(page + "/status").text)
    assert "Læser filerne: 1 af 3 læst." in status
    assert "brev.docx" not in status
    gate.set()
    assert wait_until(app, page) == "done"
    assert "brev.docx" in client.get(page).text


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_zip_is_unpacked_and_collected_like_the_folder(client, app, tmp_path):
    members = {"returnerede/" + p.relative_to(RETURNED).as_posix(): p.read_bytes()
               for p in sorted(RETURNED.rglob("*")) if p.is_file()}
    page = collect_upload(client, [("filer", ("svar.zip", zip_of(members)))])
    assert wait_until(app, page) == "done"
    cli("collect", str(RETURNED), "-o", str(tmp_path / "samlet.xlsx"))
    assert_same_workbook(client.get(page + "/samlet.xlsx").content,
                         (tmp_path / "samlet.xlsx").read_bytes())


@pytest.mark.parametrize("name", ["../ude.docx", "mappe/../../ude.docx", "/etc/ude.docx",
                                  "C:/ude.docx", "..\\ude.docx"])
def test_a_zip_with_a_name_leading_out_is_refused(client, tmp_path, name):
    good = (RETURNED / "aarhus" / "samarbejdsmodel.docx").read_bytes()
    r = client.post("/indsamling", data={"csrf": csrf_of(client)},
                    files=[("filer", ("svar.zip", zip_of({"god.docx": good, name: good})))])
    assert r.status_code == 400
    assert "peger ud af mappen og tages ikke imod" in html.unescape(r.text)
    jobs_folder = tmp_path / "data" / "jobs"
    assert not jobs_folder.exists() or not any(jobs_folder.iterdir())
    assert not (tmp_path / "data" / "ude.docx").exists()


def test_a_zip_bomb_is_refused(client):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("svar.docx", b"\0" * (40 * 1024 * 1024))
    r = client.post("/indsamling", data={"csrf": csrf_of(client)},
                    files=[("filer", ("bombe.zip", bomb.getvalue()))])
    assert r.status_code == 413
    assert ('"bombe.zip" pakker sig ud til en mistænkeligt stor størrelse (zip-bombe)'
            in html.unescape(r.text))
    r = client.post("/indsamling", data={"csrf": csrf_of(client)},
                    files=[("filer", ("noter.txt", b"hej"))])
    assert r.status_code == 422
    assert "Der var ingen .docx- eller .pdf-filer" in html.unescape(r.text)


# ---------------------------------------------------------------------------------------
# In a real browser
# ---------------------------------------------------------------------------------------
def test_batch_in_the_browser(served, page, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    page.goto(served.url + "/batch")
    assert page.get_by_role("heading", level=1).inner_text() == "Masseudfyldning"
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "batch.png"), full_page=True)
    # a wrong file: the message is tied to the file field
    page.get_by_label("Projektmappe (.xlsx)").set_input_files(
        str(RETURNED / "strategi.docx"))
    page.get_by_role("button", name="Kontrollér projektmappen").click()
    assert page.get_by_role("alert").inner_text() == (
        '"strategi.docx" er ikke en Excel-projektmappe (.xlsx). Gem den som .xlsx i Excel, '
        "og prøv igen.")
    field = page.get_by_label("Projektmappe (.xlsx)")
    assert field.get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "batch-fejl.png"), full_page=True)
    page.get_by_label("Formular").select_option("indsatsskema")
    page.get_by_label("Projektmappe (.xlsx)").set_input_files(str(WORKBOOK))
    page.get_by_role("button", name="Kontrollér projektmappen").click()
    table = page.get_by_role("table", name=re.compile("Problemer i projektmappen"))
    assert table.get_by_role("row").count() == 10  # the header and the 9 problems
    assert "C7" in table.inner_text() and "J133" in table.inner_text()
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "batch-rapport.png"), full_page=True)
    with page.expect_download() as report:
        page.get_by_role("link", name=re.compile("Hent rapporten")).click()
    assert report.value.suggested_filename == "indsatsskema-rapport.xlsx"
    page.get_by_role("button", name="Start").click()
    link = page.get_by_role("link", name="Hent dokumenterne (zip)")
    link.wait_for(timeout=120_000)  # htmx polls the state until the documents are there
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "batch-faerdig.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    target = tmp_path / "dokumenter.zip"
    download.value.save_as(target)
    with zipfile.ZipFile(target) as z:
        assert len(z.namelist()) == 206 and "manifest.csv" in z.namelist()


def test_collect_in_the_browser(served, page, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    page.goto(served.url + "/indsamling")
    assert page.get_by_role("heading", level=1).inner_text() == "Indsamling"
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "indsamling.png"), full_page=True)
    page.get_by_role("button", name="Saml filerne").click()  # nothing chosen
    assert page.get_by_role("alert").inner_text() == \
        "Vælg de returnerede filer, en mappe eller en zip-fil."
    assert_accessible(page)
    # the folder, as a person picks it in the folder input (webkitdirectory)
    page.get_by_label("Eller en hel mappe").set_input_files(str(RETURNED))
    page.get_by_role("button", name="Saml filerne").click()
    link = page.get_by_role("link", name="Hent regnearket (samlet.xlsx)")
    link.wait_for(timeout=120_000)
    table = page.get_by_role("table", name="Filerne")
    assert table.get_by_role("row").count() == 21  # the header and the 20 files
    assert "aarhus/samarbejdsmodel.docx" in table.inner_text()
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "indsamling-faerdig.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "samlet.xlsx"
    download.value.save_as(tmp_path / "web.xlsx")
    cli("collect", str(RETURNED), "-o", str(tmp_path / "cli.xlsx"))
    assert_same_workbook((tmp_path / "web.xlsx").read_bytes(),
                         (tmp_path / "cli.xlsx").read_bytes())
    # and several files picked in the files input (no folders: their names only)
    page.goto(served.url + "/indsamling")
    latest = page.get_by_role("table")  # the latest collections, with a link to each
    assert latest.get_by_role("link", name="20 filer").count() == 1
    assert_accessible(page)
    page.get_by_label("Filer (.docx, .pdf eller en .zip)").set_input_files(
        [str(RETURNED / "strategi.docx"), str(RETURNED / "defekte" / "zipbombe.docx")])
    page.get_by_role("button", name="Saml filerne").click()
    page.get_by_role("link", name="Hent regnearket (samlet.xlsx)").wait_for(timeout=60_000)
    rows = page.get_by_role("table", name="Filerne").inner_text()
    assert "strategi.docx\tok" in rows and "zipbombe.docx\tulæselig" in rows


def test_a_waiting_job_page_in_the_browser(tmp_path, page, held):
    gate = held
    app = make_app(tmp_path / "data")
    try:
        with Served(app) as s:
            for _ in range(2):
                page.goto(s.url + "/batch")
                page.get_by_label("Projektmappe (.xlsx)").set_input_files(str(WORKBOOK))
                page.get_by_role("button", name="Kontrollér projektmappen").click()
                page.get_by_role("button", name="Start").click()
            page.get_by_text("Venter på tur (nr. 1).").wait_for()
            assert_accessible(page)
            page.screenshot(path=str(SHOTS / "batch-venter.png"), full_page=True)
            gate.set()
            # htmx swaps the state in as it changes: running (if a poll catches it), then done
            running = page.get_by_text(re.compile(r"I gang: \d+ af 212 rækker."))
            done = page.get_by_role("link", name="Hent dokumenterne (zip)")
            running.or_(done).first.wait_for(timeout=120_000)
            if running.count():
                page.screenshot(path=str(SHOTS / "batch-i-gang.png"), full_page=True)
            done.wait_for(timeout=120_000)
    finally:
        gate.set()
