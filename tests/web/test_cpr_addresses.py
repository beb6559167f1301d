"""A CPR number typed into a page's address: refused like the API refuses it, and never
written to the web server's log (``skema serve`` masks it in uvicorn's logs)."""

from __future__ import annotations

import html
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.web.conftest import csrf_of

ROOT = Path(__file__).resolve().parents[2]
PAGE_REFUSAL = ("Et CPR-nummer må ikke stå i adressen. Søg på borgeren under Samtykker: "
                "CPR-nummeret sendes dér i formularen, ikke i adressen.")
ADDRESSES = ("/samtykker/0305921678", "/samtykker?status=030592-1678",
             "/udfyld/strategi?kladde=0305921678", "/batch/030592-1678",
             "/indsamling/x0305921678x/status", "/findes-ikke/030592%2D1678",
             "/static/0305921678.css", "/udfyld/strategi?grund=borger+030592+1678")


def _message(r) -> str:
    found = re.search(r"<p[^>]*>([^<]*CPR-nummer må ikke[^<]*)</p>", r.text)
    return html.unescape(found.group(1)) if found else r.text


def test_page_addresses_with_a_cpr_number_are_refused_with_the_page_s_message(client):
    for address in ADDRESSES:
        r = client.get(address)
        assert (r.status_code, _message(r)) == (400, PAGE_REFUSAL), address
        assert "0305921678" not in r.text and "030592-1678" not in r.text
    posted = client.post("/samtykker/0305921678/cpr", data={"csrf": csrf_of(client)})
    assert (posted.status_code, _message(posted)) == (400, PAGE_REFUSAL)
    # the API keeps its own words (JSON), for an address without a route too
    api = client.get("/api/findes-ikke/0305921678")
    assert (api.status_code, api.json()) == (400, {
        "fejl": "Et CPR-nummer må ikke stå i adressen. Send det i kroppen, fx med POST "
                "/api/consents/search."})
    # numbers that cannot be a CPR number are not refused
    assert client.get("/samtykker/2024001234").status_code == 404
    assert client.get("/samtykker?udloeber=30").status_code == 200


def test_the_log_filter_masks_the_address_of_an_access_line():
    from toolkit.web.security import MaskedAccessLog

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/samtykker?cpr=030592%2D1678", "1.1",
                                400), None)
    assert MaskedAccessLog().filter(record) is True
    assert record.getMessage() == ('127.0.0.1:5000 - "GET /samtykker?cpr=030592-xxxx '
                                   'HTTP/1.1" 400')
    plain = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s %s %s",
                              ("a", "GET", "/udfyld/strategi?kladde=abc%20def"), None)
    MaskedAccessLog().filter(plain)
    assert plain.getMessage() == "a GET /udfyld/strategi?kladde=abc%20def"  # as it was


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_skema_serve_logs_requests_in_server_mode_with_the_cpr_number_masked(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "serve", "--server", "--port",
                             str(port), "--data", str(tmp_path / "data")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/log-ind", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        statuses = []
        for address in ("/samtykker/0305921678", "/samtykker?cpr=030592-1678",
                        "/api/consents?cpr=030592%2D1678", "/findes-ikke/0305921678"):
            try:
                urllib.request.urlopen(base + address, timeout=10)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
        assert statuses == [400, 400, 400, 400]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert '"GET /samtykker/030592-xxxx HTTP/1.1" 400' in out, out
    assert '"GET /samtykker?cpr=030592-xxxx HTTP/1.1" 400' in out, out
    assert '"GET /api/consents?cpr=030592-xxxx HTTP/1.1" 400' in out, out
    assert '"GET /log-ind HTTP/1.1" 200' in out, out
    assert "1678" not in out, out
