"""The API documentation page (/api/docs) in a real browser: offline, under the CSP,
accessible.

(Its own module, run after test_consents: a browser session started earlier in the run
leaves an event loop in the test thread, where pyHanko's signing in that module's
fixtures cannot start its own.)"""

from __future__ import annotations

from tests.web.conftest import assert_accessible


def test_docs_page_in_a_browser_lists_the_endpoints(served, page):
    messages: list[str] = []
    hosts: set[str] = set()
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.goto(served.url + "/api/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = [e.inner_text() for e in page.query_selector_all(".opblock-summary-path")]
    assert paths == ["/api/forms", "/api/forms/{form}/schema", "/api/forms/{form}/fill",
                     "/api/forms/{form}/validate", "/api/extract", "/api/consents",
                     "/api/consents", "/api/consents/search", "/api/consents/{consent_id}",
                     "/api/consents/{consent_id}/document", "/api/consents/verify"]
    assert page.title() == "API-dokumentation – skema"
    page.screenshot(path="/tmp/skema-api-docs.png", full_page=True)
    assert messages == []  # no CSP refusal, no script error, nothing missing
    assert hosts == {f"127.0.0.1:{served.port}"}  # nothing fetched from elsewhere
    assert_accessible(page)
    # opened: parameters with drop-downs, request bodies, response examples
    for kind, nth in (("post", 0), ("post", 2), ("get", 2)):
        page.locator(f".opblock-{kind} .opblock-summary-path").nth(nth).click()
    page.wait_for_selector('tr[data-param-name="format"] select[aria-label="format"]')
    page.wait_for_selector(".highlight-code pre[tabindex]")
    assert_accessible(page)
    assert messages == []
