"""Log-in rate limit: after too many failed log-ins for a user name or from an address the
log-in page refuses more attempts for a while; kept in the database (a restart keeps it),
forgotten on a log-in that succeeds."""

from __future__ import annotations

import html
import re
import time

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from toolkit.web import WebConfig, create_app

PASSWORD = "mettes lange kode"
WRONG = "Forkert brugernavn eller adgangskode."


def _app(data, attempts: int = 5, minutes: int = 15):
    """A server-mode app with the user mette (made once: a restart keeps her)."""
    app = create_app(WebConfig(data=data, server=True, login_attempts=attempts,
                               login_window_minutes=minutes))
    if not app.state.store.users():
        app.state.store.add_user("mette", PASSWORD, "sagsbehandler")
    return app


def _try(c: TestClient, name: str, password: str):
    return c.post("/log-ind", data={"navn": name, "adgangskode": password,
                                    "csrf": csrf_of(c)}, follow_redirects=False)


def _alert(r) -> str:
    found = re.search(r'<p class="besked fejl" role="alert" id="log-ind-fejl">([^<]*)</p>',
                      r.text)
    assert found, r.text
    return html.unescape(found.group(1))


def test_five_failures_for_a_name_lock_it_and_the_lock_survives_a_restart(tmp_path):
    app = _app(tmp_path / "data")
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for _ in range(5):
            r = _try(c, "mette", "forkert")
            assert (r.status_code, _alert(r)) == (401, WRONG)
        locked = _try(c, "mette", PASSWORD)  # even the right password: not checked now
        assert locked.status_code == 429
        assert _alert(locked) == "For mange forkerte forsøg. Prøv igen om 15 minutter."
        assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
        assert 'aria-describedby="log-ind-fejl" aria-invalid="true"' in locked.text
        # the name is locked in any case
        assert _try(c, "METTE", PASSWORD).status_code == 429
    again = _app(tmp_path / "data")  # a restart: the failures are in the database
    with TestClient(again, base_url="http://127.0.0.1") as c:
        assert _try(c, "mette", PASSWORD).status_code == 429


def test_failures_from_one_address_lock_it_for_every_name(tmp_path):
    app = _app(tmp_path / "data", attempts=3)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for name in ("a", "b", "c"):  # three names, one address
            assert _try(c, name, "forkert").status_code == 401
        locked = _try(c, "mette", PASSWORD)
        assert (locked.status_code, _alert(locked)) == (
            429, "For mange forkerte forsøg. Prøv igen om 15 minutter.")
        assert "skema_session" not in locked.cookies


def test_a_success_resets_the_count_and_the_lock_ends_with_the_window(tmp_path):
    app = _app(tmp_path / "data", attempts=3, minutes=1)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for _ in range(2):
            assert _try(c, "mette", "forkert").status_code == 401
        assert _try(c, "mette", PASSWORD).status_code == 303  # resets
        for _ in range(2):  # two more failures are not yet three
            assert _try(c, "mette", "forkert").status_code == 401
        assert _try(c, "mette", PASSWORD).status_code == 303
        for _ in range(3):
            _try(c, "mette", "forkert")
        locked = _try(c, "mette", PASSWORD)
        assert _alert(locked) == "For mange forkerte forsøg. Prøv igen om 1 minut."
    # the window passes: the failures are older than a minute (moved back in the database)
    with app.state.store.connect() as conn:
        conn.execute("UPDATE login_failures SET at = at - 61")
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert _try(c, "mette", PASSWORD).status_code == 303


def test_attempts_made_at_the_same_time_do_not_slip_past_the_limit(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    app = _app(tmp_path / "data", attempts=5)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        token = csrf_of(c)

        def attempt(_: int) -> int:
            return c.post("/log-ind", data={"navn": "mette", "adgangskode": "forkert",
                                            "csrf": token}).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = sorted(pool.map(attempt, range(16)))
    assert codes == [401] * 5 + [429] * 11


def test_the_database_keeps_no_name_or_address_in_clear(tmp_path):
    app = _app(tmp_path / "data")
    with TestClient(app, base_url="http://127.0.0.1") as c:
        _try(c, "0101901234", "forkert")
    with app.state.store.connect() as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM login_failures")]
        stamps = [a for (a,) in conn.execute("SELECT at FROM login_failures")]
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)
    assert all(abs(a - time.time()) < 60 for a in stamps)


def test_the_locked_log_in_page_in_the_browser_is_accessible(tmp_path, page):
    from tests.web.conftest import Served, assert_accessible

    app = _app(tmp_path / "data", attempts=2)
    app.state.store.add_user("anne", "administratorens kode", "administrator")
    with Served(app) as served:
        for password in ("forkert", "også forkert", "administratorens kode"):
            page.goto(served.url + "/log-ind")
            page.get_by_label("Brugernavn").fill("anne")
            page.get_by_label("Adgangskode").fill(password)
            page.get_by_role("button", name="Log ind").click()
        assert page.get_by_role("alert").inner_text() == (
            "For mange forkerte forsøg. Prøv igen om 15 minutter.")
        assert page.get_by_label("Brugernavn").get_attribute("aria-invalid") == "true"
        assert_accessible(page)
        page.screenshot(path=str(tmp_path / "log-ind-laast.png"), full_page=True)
