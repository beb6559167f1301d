"""Fixtures of the web app's tests: the app in-process (TestClient), the app served by
uvicorn on 127.0.0.1 (a free port), a real browser (Playwright driving Debian's Chromium,
nothing downloaded) and axe-core (from npm) run inside a page."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _missing

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def make_app(data: Path, server: bool = False, profile: bool = True):
    """The web app over ``data``, with the sample municipality's profile."""
    from toolkit.profile import load_profile
    from toolkit.web import WebConfig, create_app

    prof = load_profile(SAMPLES / "kommune.yaml") if profile else None
    return create_app(WebConfig(data=data, server=server, profile=prof))


@pytest.fixture
def app(tmp_path):
    """The app in local mode, its data in a temporary folder."""
    return make_app(tmp_path / "data")


@pytest.fixture
def client(app):
    """A TestClient of the local-mode app (base URL http://127.0.0.1)."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def csrf_of(client: Any) -> str:
    """The client's CSRF token (got by opening the catalogue once)."""
    token = client.cookies.get("skema_csrf")
    if not token:
        client.get("/")
        token = client.cookies.get("skema_csrf")
    return token


class Served:
    """An app served by uvicorn in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.app = app
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn startede ikke")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def served(app) -> Iterator[Served]:
    """The local-mode app served on a free port of 127.0.0.1."""
    with Served(app) as s:
        yield s


def chromium_path() -> str:
    """Debian's Chromium (skips outside CI when it is missing)."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    _missing("Chromium mangler (apt-get install chromium)",
             "Chromium mangler i CI; .ci/run skal installere chromium")
    raise AssertionError  # not reached


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright (its own browsers are never downloaded).

    Per module: Playwright's sync API keeps an event loop running in this thread while it
    lives, and code that calls ``asyncio.run`` (pyHanko's signing in other tests) must not
    meet it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright mangler (pip install playwright)",
                 "Playwright mangler i CI; test-ekstraen skal installere den")
    path = chromium_path()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path) -> Iterator[Any]:
    """A fresh browser page (its own cookies), downloads allowed."""
    context = browser.new_context(accept_downloads=True, locale="da-DK")
    p = context.new_page()
    p.set_default_timeout(30_000)
    yield p
    context.close()


def axe_source() -> str:
    """axe-core's script, from npm (node_modules beside the repository or $SKEMA_AXE)."""
    candidates = [os.environ.get("SKEMA_AXE", ""),
                  str(ROOT / "node_modules" / "axe-core" / "axe.min.js")]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c).read_text(encoding="utf-8")
    _missing("axe-core mangler (npm ci i repositoriet)",
             "axe-core mangler i CI; .ci/run skal køre npm ci")
    raise AssertionError  # not reached


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The WCAG 2.1 A/AA violations axe-core finds in the page as it is now."""
    # through the DevTools protocol: the page's own CSP (no inline scripts) stays in force
    page.evaluate(axe_source() + "\n;true")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return result


def assert_accessible(page: Any) -> None:
    """No WCAG 2.1 A/AA violation in the page (the violations listed when there are)."""
    violations = axe_violations(page)
    assert violations == [], violations
