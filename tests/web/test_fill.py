"""The Udfyld page (/udfyld/{form}): the form made from x-layout, its exact inverse, the
library's validation beside each field, Word/PDF downloads, drafts, and going on from a
returned file — with TestClient and in a real browser."""

from __future__ import annotations

import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.web.conftest import SAMPLES, assert_accessible, csrf_of
from toolkit import extract, fill, load_form, validate
from toolkit.profile import load_profile
from toolkit.web.fill_fields import control_id, data_from_fields, without_empty_rows

FORMS = ("forberedende-skema", "handleplan", "indsatsskema", "samarbejdsmodel", "samtykke",
         "strategi")
HOSTILE = {
    "journalnummer": "<script>alert(1)</script> & {{ x }}",
    "kontaktperson.navn": "Søren Æbelø & <b>Åse</b>",
    "maal": "Første linje med <script>x</script>\nAnden linje: {{ x }} & {% if %}\n\nFjerde æøå",
}


class FormFields(HTMLParser):
    """What a browser posts for the form ``#skema`` of a page (no button pressed): each
    input's name and value, ticked boxes only, the selected option, a textarea's text."""

    def __init__(self, form_id: str = "skema") -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self._select: list | None = None  # [name, first option, selected option]
        self._option: str | None = None
        self._textarea: list | None = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = [a.get("name"), None, None]
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, first, chosen = self._select
            self.pairs.append((name, chosen if chosen is not None else first or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            if text.startswith("\n"):  # the HTML parser drops one newline after <textarea>
                text = text[1:]
            # a browser posts a textarea's line ends as CRLF
            self.pairs.append((name, text.replace("\r\n", "\n").replace("\n", "\r\n")))
            self._textarea = None


def form_fields(html: str) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser posts for the page's form."""
    parser = FormFields()
    parser.feed(html)
    return parser.pairs


def as_dict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def post_form(client, url: str, pairs: list[tuple[str, str]], **kw):
    """Post (name, value) pairs as a browser posts a form (names may repeat)."""
    from urllib.parse import urlencode

    return client.post(url, content=urlencode(pairs),
                       headers={"content-type": "application/x-www-form-urlencoded",
                                **kw.pop("headers", {})}, **kw)


def sample(form_id: str) -> dict:
    return json.loads((SAMPLES / f"{form_id}.json").read_text(encoding="utf-8"))


def open_with(client, form_id: str, data: dict) -> str:
    """The page showing ``data`` (kept as a draft through the page's own autosave route)."""
    token = csrf_of(client)
    draft = ("t" + form_id.replace("-", "_")).ljust(24, "x")
    # the draft route takes posted fields; store the data directly through the app's store
    client.app.state.store.save_draft(draft, form_id, "lokal", data)
    page = client.get(f"/udfyld/{form_id}", params={"kladde": draft})
    assert page.status_code == 200, page.text
    assert token
    return page.text


# -- the form and its inverse -----
@pytest.mark.parametrize("form_id", FORMS)
def test_round_trip_of_every_sample(client, form_id):
    """data → the HTML form → what a browser posts → data: equal, for every sample."""
    data = sample(form_id)
    html = open_with(client, form_id, data)
    posted = form_fields(html)
    form = load_form(form_id)
    assert data_from_fields(form, as_dict(posted)) == data
    # and the server's own reading of that post keeps it: validating it finds what the
    # sample has, and "kontroller" shows the same page again
    token = csrf_of(client)
    again = post_form(client, f"/udfyld/{form_id}", posted + [("csrf", token),
                                                             ("handling", "kontroller")])
    assert data_from_fields(form, as_dict(form_fields(again.text))) == data


def test_round_trip_of_hostile_values(client):
    data = sample("strategi")
    for path, value in HOSTILE.items():
        node = data
        *parents, key = path.split(".")
        for p in parents:
            node = node[p]
        node[key] = value
    html = open_with(client, "strategi", data)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert data_from_fields(load_form("strategi"), as_dict(form_fields(html))) == data


def test_every_field_has_one_control_with_a_label(client):
    for form_id in FORMS:
        html = open_with(client, form_id, sample(form_id))
        ids = re.findall(r' id="(f-[^"]+)"', html)
        assert len(ids) == len(set(ids)), form_id
        for name in {n for n, _ in form_fields(html)} - {"csrf", "kladde"}:
            if re.fullmatch(r"[a-z0-9_.]+", name) and name not in load_form(form_id).lists:
                cid = control_id(name)
                assert f'for="{cid}"' in html or f'id="{cid}" tabindex="-1"' in html, name


def test_blank_page_follows_the_layout(client):
    page = client.get("/udfyld/indsatsskema")
    assert page.status_code == 200
    html = page.text
    form = load_form("indsatsskema")
    headings = [b["heading"] for b in form.layout if "heading" in b]
    positions = [html.index(h.split("{")[0]) for h in headings]
    assert positions == sorted(positions)
    # the list of the sample has its blank rows, like the blank Word form
    assert html.count('value="fjern:indsatser.') == form.lists["indsatser"].blank_rows
    assert 'type="date" id="f-periode-start"' in html
    assert '<option value="i_gang">' in html
    assert "Tilføj række" in html


def test_add_and_remove_rows_without_javascript(client):
    token = csrf_of(client)
    html = open_with(client, "indsatsskema", sample("indsatsskema"))
    posted = form_fields(html)
    rows = len(sample("indsatsskema")["indsatser"])
    more = post_form(client, "/udfyld/indsatsskema", posted
                     + [("csrf", token), ("handling", "tilfoej:indsatser")])
    assert more.status_code == 200
    assert more.text.count('value="fjern:indsatser.') == rows + 1
    assert f'id="f-indsatser-{rows}-omraade" autofocus' in more.text \
        or f'id="f-indsatser-{rows}-omraade"' in more.text
    less = post_form(client, "/udfyld/indsatsskema", form_fields(more.text) + [("csrf", token),
                                                      ("handling", "fjern:indsatser.0")])
    data = data_from_fields(load_form("indsatsskema"), as_dict(form_fields(less.text)))
    assert data["indsatser"][:rows - 1] == sample("indsatsskema")["indsatser"][1:]
    assert len(data["indsatser"]) == rows  # the added (empty) row is still there
    assert without_empty_rows(load_form("indsatsskema"), data)["indsatser"] == \
        sample("indsatsskema")["indsatser"][1:]


# -- validation -----
def test_problems_beside_their_field_and_in_the_summary(client, app):
    token = csrf_of(client)
    data = sample("strategi")
    data["kontaktperson"]["email"] = "ikke en adresse"
    del data["kontaktperson"]["navn"]
    html = open_with(client, "strategi", data)
    page = post_form(client, "/udfyld/strategi", form_fields(html)
                     + [("csrf", token), ("handling", "kontroller")])
    assert page.status_code == 422
    report = validate(load_form("strategi"), data, app.state.config.profile)
    assert not report.valid
    for problem in report:
        cid = control_id(problem.path)
        text = f"{problem.label} {problem.message}"
        field_tag = re.search(rf'<input[^>]* id="{cid}"[^>]*>', page.text).group(0)
        assert 'aria-invalid="true"' in field_tag
        assert f"{cid}-fejl" in field_tag
        beside = re.search(rf'<p class="felt-fejl" id="{cid}-fejl">(.*?)</p>', page.text,
                           re.S).group(1)
        assert text in beside.replace("&#34;", '"')
        assert f'<a href="#{cid}">{text}</a>' in page.text.replace("&#34;", '"')
    assert "Formularen har 2 problemer" in page.text
    # a field without a problem is not marked
    phone = re.search(r'<input[^>]* id="f-kontaktperson-telefon"[^>]*>', page.text).group(0)
    assert "aria-invalid" not in phone and 'value="70 10 20 40"' in phone


def test_download_with_problems_shows_them_first_then_anyway(client):
    token = csrf_of(client)
    data = sample("strategi")
    del data["kontaktperson"]["navn"]
    posted = form_fields(open_with(client, "strategi", data))
    page = post_form(client, "/udfyld/strategi", posted
                     + [("csrf", token), ("handling", "word")])
    assert page.status_code == 422 and "Hent som Word alligevel" in page.text
    anyway = post_form(client, "/udfyld/strategi", posted
                     + [("csrf", token), ("handling", "word-alligevel")])
    assert anyway.status_code == 200
    assert anyway.headers["content-type"].startswith("application/vnd.openxml")


@pytest.mark.parametrize("kind", ["word", "pdf"])
def test_download_equals_the_library_fill(client, app, tmp_path, kind):
    token = csrf_of(client)
    data = sample("indsatsskema")
    posted = form_fields(open_with(client, "indsatsskema", data))
    got = post_form(client, "/udfyld/indsatsskema", posted + [("csrf", token), ("handling", kind)])
    assert got.status_code == 200, got.text[:500]
    suffix = "docx" if kind == "word" else "pdf"
    assert got.headers["content-disposition"] == f'attachment; filename="indsatsskema.{suffix}"'
    out = tmp_path / f"x.{suffix}"
    out.write_bytes(got.content)
    assert extract(out).data == extract_of_library(tmp_path, data, suffix, app)


def extract_of_library(tmp_path: Path, data: dict, suffix: str, app) -> dict:
    ref = tmp_path / f"ref.{suffix}"
    ref.write_bytes(fill("indsatsskema", data, suffix, profile=app.state.config.profile))
    return extract(ref).data


# -- drafts -----
def test_draft_saved_by_autosave_and_opened_again(client):
    token = csrf_of(client)
    data = sample("samtykke")
    posted = form_fields(open_with(client, "samtykke", data))
    posted = [(n, v) for n, v in posted if n != "kladde"] + [("kladde", "k" * 24)]
    saved = post_form(client, "/udfyld/samtykke/kladde", posted,
                        headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert saved.status_code == 200 and saved.text.startswith("Kladden er gemt")
    assert saved.headers["hx-replace-url"] == "/udfyld/samtykke?kladde=" + "k" * 24
    page = client.get("/udfyld/samtykke", params={"kladde": "k" * 24})
    assert data_from_fields(load_form("samtykke"), as_dict(form_fields(page.text))) == data
    assert 'href="/udfyld/samtykke?kladde=' + "k" * 24 in page.text  # in the list of drafts
    # "Gem kladde" without JavaScript: saved, and the page's address is the draft's
    plain = post_form(client, "/udfyld/samtykke", posted + [("csrf", token), ("handling", "gem")],
                        follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == "/udfyld/samtykke?kladde=" + "k" * 24 + "&gemt=1"


def test_someone_elses_or_unknown_draft_is_404(client):
    client.app.state.store.save_draft("a" * 24, "strategi", "en-anden", {"maal": "x"})
    assert client.get("/udfyld/strategi", params={"kladde": "a" * 24}).status_code == 404
    assert client.get("/udfyld/strategi", params={"kladde": "../x"}).status_code == 404


def test_post_without_csrf_is_refused(client):
    csrf_of(client)
    assert client.post("/udfyld/strategi", data={"handling": "word"}).status_code == 403
    assert client.post("/udfyld/strategi/kladde", data={"maal": "x"}).status_code == 403


# -- going on from a returned file -----
def test_upload_of_a_returned_docx_goes_on_from_its_answers(client, app):
    token = csrf_of(client)
    data = sample("handleplan")
    docx = fill("handleplan", data, "docx", profile=app.state.config.profile)
    page = client.post("/udfyld/handleplan/fortsaet", data={"csrf": token},
                       files={"fil": ("returneret 010101-1234.docx", io.BytesIO(docx))})
    assert page.status_code == 200, page.text[:300]
    got = data_from_fields(load_form("handleplan"), as_dict(form_fields(page.text)))
    assert got == data
    assert "gemt som en ny kladde" in page.text
    assert "010101-1234" not in page.text


def test_upload_shows_what_could_not_be_read_beside_the_field(client):
    """A date and a choice in a returned file that cannot be read are shown as written,
    with the reader's message beside them — never guessed, never dropped."""
    token = csrf_of(client)
    data = sample("indsatsskema")
    data["periode"]["start"] = "en gang i oktober"
    data["indsatser"][0]["status"] = "måske"
    docx = fill("indsatsskema", data, "docx")
    page = client.post("/udfyld/indsatsskema/fortsaet", data={"csrf": token},
                       files={"fil": ("svar.docx", docx)})
    assert page.status_code == 200
    start = re.search(r'<input[^>]* id="f-periode-start"[^>]*>', page.text).group(0)
    assert 'type="text"' in start and 'value="en gang i oktober"' in start
    assert 'aria-invalid="true"' in start
    beside = re.search(r'id="f-periode-start-fejl">(.*?)</p>', page.text, re.S).group(1)
    assert "kan ikke læses som en dato; skriv fx 26-02-2019" in beside
    assert '<option value="måske" selected>måske (ikke et af valgene)</option>' in page.text
    got = data_from_fields(load_form("indsatsskema"), as_dict(form_fields(page.text)))
    assert got == extract_bytes(docx).data


def extract_bytes(docx: bytes):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.docx"
        path.write_bytes(docx)
        return extract(path)


def test_upload_limits_and_bad_files(tmp_path):
    from fastapi.testclient import TestClient

    from toolkit.web import WebConfig, create_app

    app = create_app(WebConfig(data=tmp_path / "d", max_upload_bytes=1024,
                               profile=load_profile(SAMPLES / "kommune.yaml")))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = csrf_of(client)
        big = client.post("/udfyld/strategi/fortsaet", data={"csrf": token},
                          files={"fil": ("x.docx", b"x" * 5000)})
        assert big.status_code == 413
        assert ('Filen "x.docx" er for stor; grænsen er 1 KB pr. fil. Del den op, eller bed '
                "om at få grænsen hævet.") in html.unescape(big.text)
        assert not list((tmp_path / "d" / "tmp").glob("*"))
        odd = client.post("/udfyld/strategi/fortsaet", data={"csrf": token},
                          files={"fil": ("x.txt", b"hej")})
        assert odd.status_code == 415
        broken = client.post("/udfyld/strategi/fortsaet", data={"csrf": token},
                             files={"fil": ("x.docx", b"PK not a zip")})
        assert broken.status_code == 422 and "Filen kunne ikke læses" in broken.text


def test_upload_of_another_form_is_refused(client):
    token = csrf_of(client)
    other = fill("handleplan", sample("handleplan"), "docx")
    page = client.post("/udfyld/strategi/fortsaet", data={"csrf": token},
                       files={"fil": ("x.docx", other)})
    assert page.status_code == 422
    import html

    title = load_form("handleplan").title.replace("[kommune]", "Eksempel Kommune")
    assert f'Filen er formularen "{title}"' in html.unescape(page.text)


# -- in a real browser -----
def type_into(page, form_id: str, data: dict) -> None:
    """Type ``data`` into the page's fields as a person would (non-list fields)."""
    form = load_form(form_id)
    for path, fld in form.fields.items():
        if fld.list_path is not None:
            continue
        from toolkit.paths import get_value

        value = get_value(data, path)
        if value is None:
            continue
        where = page.locator("#" + control_id(path))
        if fld.kind == "dropdown":
            where.select_option(str(value))
        elif fld.kind == "checkbox":
            where.set_checked(bool(value))
        else:
            where.fill(str(value))


def test_fill_strategi_in_the_browser_with_hostile_values(served, page, tmp_path):
    data = sample("strategi")
    data["kommune"] = "Aarhus"  # the sample's example municipality is not in the select
    data["journalnummer"] = HOSTILE["journalnummer"]
    data["kontaktperson"]["navn"] = HOSTILE["kontaktperson.navn"]
    data["maal"] = HOSTILE["maal"]
    page.goto(served.url + "/udfyld/strategi")
    assert_accessible(page)  # the empty form
    type_into(page, "strategi", data)
    with page.expect_download() as info:
        page.get_by_role("button", name="Hent som Word").click()
    out = tmp_path / "strategi.docx"
    info.value.save_as(out)
    assert info.value.suggested_filename == "strategi.docx"
    assert extract(out).data == data
    # and as the command line reads it: `skema extract`
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "toolkit", "extract", str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == data
    page.screenshot(path="/tmp/skema-udfyld-strategi.png", full_page=True)
    # the same answers as PDF
    with page.expect_download() as info:
        page.get_by_role("button", name="Hent som PDF").click()
    pdf = tmp_path / "strategi.pdf"
    info.value.save_as(pdf)
    assert extract(pdf).data == data


def test_problems_shown_in_the_browser_are_accessible(served, page):
    for form_id in FORMS:
        page.goto(served.url + f"/udfyld/{form_id}")
        assert_accessible(page)
        page.get_by_role("button", name="Kontrollér svarene").click()
        summary = page.locator("#fejloversigt")
        summary.wait_for()
        assert summary.evaluate("e => document.activeElement === e")
        first = summary.locator("a").first
        target = first.get_attribute("href")
        assert page.locator(target).get_attribute("aria-invalid") in ("true", None)
        assert_accessible(page)
        page.screenshot(path=f"/tmp/skema-udfyld-{form_id}-fejl.png", full_page=True)
        first.click()
        assert page.evaluate("location.hash") == target


def test_a_draft_survives_closing_the_page(served, page, browser):
    page.goto(served.url + "/udfyld/strategi")
    page.locator("#f-maal").fill("Første linje\nAnden linje æøå & <b>")
    page.locator("#f-journalnummer").fill("15.20.00")
    page.locator("#f-journalnummer").blur()
    status = page.locator("#kladde-status")
    status.filter(has_text="Kladden er gemt").wait_for()
    assert "?kladde=" in page.url
    address = page.url
    context = page.context
    page.close()
    again = context.new_page()
    again.goto(served.url + "/udfyld/strategi")
    again.locator(".kladder a").first.click()
    assert again.url == address
    assert again.locator("#f-maal").input_value() == "Første linje\nAnden linje æøå & <b>"
    assert again.locator("#f-journalnummer").input_value() == "15.20.00"


def test_rows_added_and_removed_in_place_with_htmx(served, page):
    from playwright.sync_api import expect

    page.goto(served.url + "/udfyld/indsatsskema")
    page.evaluate("window.__same_page = true")
    rows = page.locator("#liste-indsatser fieldset.gruppe")
    before = rows.count()
    page.get_by_role("button", name="Tilføj række til Indsatser").click()
    expect(rows).to_have_count(before + 1)
    assert page.evaluate("window.__same_page") is True  # swapped in place, not reloaded
    # focus moves to the new row once htmx has settled the swap (a moment after the count)
    expect(page.locator(f"#f-indsatser-{before}-omraade")).to_be_focused()
    page.get_by_role("button", name=f"Fjern indsats {before + 1}").click()
    expect(rows).to_have_count(before)
    assert page.evaluate("window.__same_page") is True


def test_upload_in_the_browser_goes_on_from_the_answers(served, page, tmp_path):
    data = sample("indsatsskema")
    path = tmp_path / "returneret.docx"
    path.write_bytes(fill("indsatsskema", data, "docx"))
    page.goto(served.url + "/udfyld/indsatsskema")
    page.locator("#fortsaet-fil").set_input_files(str(path))
    page.get_by_role("button", name="Læs filen").click()
    page.get_by_text("Svarene fra filen er indsat").wait_for()
    assert page.locator("#f-borger-navn").input_value() == data["borger"]["navn"]
    assert page.locator("#f-indsatser-2-indsats").input_value() == data["indsatser"][2]["indsats"]
    assert page.locator("#f-periode-start").input_value() == data["periode"]["start"]
    assert_accessible(page)
    page.screenshot(path="/tmp/skema-udfyld-indsatsskema.png", full_page=True)


def test_problem_of_a_whole_group_beside_its_first_field_in_page_order(client):
    token = csrf_of(client)
    empty = form_fields(client.get("/udfyld/indsatsskema").text)
    page = post_form(client, "/udfyld/indsatsskema",
                     empty + [("csrf", token), ("handling", "kontroller")])
    assert page.status_code == 422
    links = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', page.text)
    assert links[0] == ("f-borger-navn", "Borger skal udfyldes")
    ids = re.findall(r' id="(f-[^"]+|liste-[^"]+)"', page.text)
    positions = [ids.index(href) for href, _ in links]
    assert positions == sorted(positions)
    assert "Borger skal udfyldes" in re.search(
        r'id="f-borger-navn-fejl">(.*?)</p>', page.text, re.S).group(1)


def test_a_typed_date_becomes_the_schemas_date(client):
    form = load_form("strategi")
    got = data_from_fields(form, {"udfyldt_dato": ["26.2.2019"]})
    assert got == {"udfyldt_dato": "2019-02-26"}
    assert data_from_fields(form, {"udfyldt_dato": ["sidste tirsdag"]}) == \
        {"udfyldt_dato": "sidste tirsdag"}  # not a date: kept as typed, never guessed
    assert data_from_fields(form, {"udfyldt_dato": ["31.2.2019"]}) == \
        {"udfyldt_dato": "31.2.2019"}


def test_a_draft_can_be_deleted(client):
    token = csrf_of(client)
    client.app.state.store.save_draft("d" * 24, "strategi", "lokal", {"maal": "x"})
    page = client.get("/udfyld/strategi")
    assert f'/udfyld/strategi/kladde/{"d" * 24}/slet' in page.text
    gone = client.post(f"/udfyld/strategi/kladde/{'d' * 24}/slet", data={"csrf": token},
                       follow_redirects=False)
    assert gone.status_code == 303
    assert client.app.state.store.draft("d" * 24, "lokal") is None


def test_round_trip_through_the_browsers_own_form_post(served, page, app):
    """What Chromium itself would post for each sample's page reads back as the sample."""
    for form_id in FORMS:
        data = sample(form_id)
        draft = ("b" + form_id.replace("-", "_")).ljust(24, "x")
        app.state.store.save_draft(draft, form_id, "lokal", data)
        page.goto(served.url + f"/udfyld/{form_id}?kladde={draft}")
        pairs = page.evaluate("() => Array.from(new FormData(document.getElementById('skema')))"
                              ".map(([k, v]) => [k, String(v)])")
        got = data_from_fields(load_form(form_id), as_dict([tuple(p) for p in pairs]))
        assert got == data, form_id


def test_guardian_signature_only_for_someone_under_18(client):
    data = sample("samtykke")  # born 1992: an adult
    assert "forældremyndighed" not in open_with(client, "samtykke", data).split(
        "Underskrift</h2>")[-1]
    data["borger"]["cpr"] = "010110-4000"  # born 2010: under 18 on the date
    assert "forældremyndighed" in open_with(client, "samtykke", data).split(
        "Underskrift</h2>")[-1]


def test_a_failed_autosave_is_said_out_loud(served, page):
    """When the draft cannot be saved (here: the CSRF cookie is gone), the page says so."""
    page.goto(served.url + "/udfyld/strategi")
    page.context.clear_cookies()
    page.locator("#f-journalnummer").fill("15.20.00")
    page.locator("#f-journalnummer").blur()
    box = page.locator("#htmx-fejl")
    box.wait_for(state="visible")
    assert "Prøv igen" in box.inner_text()


def test_answers_typed_just_before_closing_are_kept(served, page, app):
    """No change event, no pause: the page is closed right after typing; the answers are
    sent as the page goes (a beacon) and are in the draft."""
    page.goto(served.url + "/udfyld/strategi")
    draft = page.locator("input[name=kladde]").get_attribute("value")
    page.locator("#f-maal").press_sequentially("Skrevet lige før lukning")
    page.close(run_before_unload=True)
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = app.state.store.draft(draft, "lokal")
        if found is not None:
            break
        time.sleep(0.2)
    assert found is not None and found[1].get("maal") == "Skrevet lige før lukning"


def test_server_mode_drafts_are_each_users_own(tmp_path):
    from fastapi.testclient import TestClient

    from tests.web.conftest import make_app

    app = make_app(tmp_path / "data", server=True)
    for name in ("mette", "ali"):
        app.state.store.add_user(name, "en lang adgangskode", "sagsbehandler")
    clients = {}
    for name in ("mette", "ali"):
        c = TestClient(app, base_url="http://127.0.0.1")
        assert c.get("/udfyld/strategi", follow_redirects=False).headers["location"] == \
            "/log-ind"
        token = csrf_of(c)
        c.post("/log-ind", data={"navn": name, "adgangskode": "en lang adgangskode",
                                 "csrf": token})
        clients[name] = (c, token)
    c, token = clients["mette"]
    saved = post_form(c, "/udfyld/strategi/kladde",
                      [("kladde", "m" * 24), ("maal", "Mettes mål")],
                      headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert saved.status_code == 200
    assert app.state.store.draft("m" * 24, "mette")[1] == {"maal": "Mettes mål"}
    other, other_token = clients["ali"]
    assert other.get("/udfyld/strategi", params={"kladde": "m" * 24}).status_code == 404
    assert "m" * 24 not in other.get("/udfyld/strategi").text
    # ali cannot overwrite mette's draft by posting its id
    refused = post_form(other, "/udfyld/strategi/kladde",
                        [("kladde", "m" * 24), ("maal", "Alis")],
                        headers={"HX-Request": "true", "X-CSRF-Token": other_token})
    assert refused.status_code == 409
    assert app.state.store.draft("m" * 24, "mette")[1] == {"maal": "Mettes mål"}
    for client, _ in clients.values():
        client.close()
