"""Pages that look finished (issue 12): every form, blank and filled from its sample with
the sample profile, in Word (through LibreOffice) and in skema's PDF, read back with
``pdftotext -bbox-layout``: no heading at the foot of a page without what follows it, no
yes/no row without the row it introduces, no table row split over two pages, no signature
alone on a page, no page more than half empty unless a new part starts. (The profile's
name on every page: tests/test_profile.py.)"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import ROOT, _need
from page_layout import (
    CM,
    Pages,
    Word,
    empty_page_problems,
    heading_problems,
    layout_problems,
    read_pages,
    row_problems,
    signature_problems,
    yes_no_problems,
)

from toolkit import blank, fill, load_form
from toolkit.profile import load_profile
from toolkit.render import pdf_flowables, pdf_layout

FORMS = ["forberedende-skema", "handleplan", "indsatsskema", "samarbejdsmodel", "samtykke",
         "strategi"]
PROFILE = ROOT / "samples" / "kommune.yaml"


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """(form, state, kind) -> the PDF of every form, blank and filled, Word and PDF."""
    soffice = _need("soffice")
    _need("pdftotext")
    profile = load_profile(PROFILE)
    out = tmp_path_factory.mktemp("sider")
    docs = {}
    for form_id in FORMS:
        form = load_form(form_id)
        for state in ("tom", "udfyldt"):
            for kind in ("docx", "pdf"):
                data = blank(form, kind, profile=profile) if state == "tom" else fill(
                    form, _sample(form_id), kind, profile=profile)
                path = out / f"{form_id}-{state}.{kind}"
                path.write_bytes(data)
                docs[(form_id, state, kind)] = path
    words = out / "word"
    subprocess.run([soffice, f"-env:UserInstallation=file://{out / 'lo'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(words),
                    *[str(p) for (_f, _s, k), p in docs.items() if k == "docx"]],
                   check=True, capture_output=True, timeout=600)
    for key, path in list(docs.items()):
        if key[2] == "docx":
            docs[key] = words / (path.stem + ".pdf")
            assert docs[key].is_file(), f"LibreOffice skrev ikke {docs[key]}"
    return docs


@pytest.mark.parametrize("kind", ["docx", "pdf"])
@pytest.mark.parametrize("state", ["tom", "udfyldt"])
@pytest.mark.parametrize("form_id", FORMS)
def test_pages_look_finished(form_id, state, kind, rendered):
    form = load_form(form_id)
    pages = read_pages(rendered[(form_id, state, kind)], _need("pdftotext"))
    assert pages.count >= 1 and pages.words
    data = {} if state == "tom" else _sample(form_id)
    problems = layout_problems(form, data, pages, blank=state == "tom")
    assert not problems, f"{form_id} ({state}, {kind}):\n  " + "\n  ".join(problems)


# -- the checks find the defects they are for --------------------------------------------
@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """The filled forberedende-skema as skema's flattened PDF (its answers as page text),
    read back: a layout every check passes."""
    exe = _need("pdftotext")
    form = load_form("forberedende-skema")
    data = _sample("forberedende-skema")
    path = tmp_path_factory.mktemp("god") / "f.pdf"
    path.write_bytes(fill(form, data, "pdf", flatten=True, profile=load_profile(PROFILE)))
    pages = read_pages(path, exe)
    assert layout_problems(form, data, pages, blank=False) == []
    return form, data, pages


def _moved(pages: Pages, start: int, end: int, page: int, y: float) -> Pages:
    """The pages with words ``start:end`` moved to ``page`` at height ``y``."""
    words = list(pages.words)
    for i in range(start, end):
        w = words[i]
        words[i] = Word(page, w.text, w.x0, y, w.x1, y + (w.y1 - w.y0))
    return Pages(words, pages.heights, pages.fields)


def test_a_row_split_over_two_pages_is_found(monkeypatch, tmp_path):
    """A multi-select row that reportlab may split (as before short rows and short
    tables were kept whole) is found split."""
    exe = _need("pdftotext")
    monkeypatch.setattr(pdf_flowables, "SPLIT_MIN", 0.0)
    monkeypatch.setattr(pdf_layout, "fields_kept_whole", lambda flds: False)
    form = load_form("forberedende-skema")
    data = _sample("forberedende-skema")
    path = tmp_path / "delt.pdf"
    path.write_bytes(fill(form, data, "pdf", flatten=True, profile=load_profile(PROFILE)))
    problems = row_problems(form, data, read_pages(path, exe), blank=False)
    assert len(problems) == 1, problems
    pages = re.fullmatch(r"rækken 'Kompetencer' er delt over siderne \[(\d+), (\d+)\]", problems[0])
    assert pages and int(pages[2]) == int(pages[1]) + 1, problems


def test_a_heading_at_the_foot_of_a_page_is_found(good):
    form, data, pages = good
    at = pages.find("Nuværende kontakter")
    page = pages.words[at].page
    first = pages.words[pages.find("Instans", at)].text
    broken = _moved(pages, at, at + 2, page - 1, pages.heights[0] - 2 * CM - 12)
    assert heading_problems(form, data, broken, blank=False) == [
        f"overskriften 'Nuværende kontakter' står nederst på side {page - 1}, "
        f"{first!r} på side {page}",
        f"side {page - 1} slutter med overskriften 'Nuværende kontakter'"]


def test_a_yes_no_row_without_its_next_row_is_found(good):
    form, data, pages = good
    at = pages.find("Økonomi – beskrivelse")
    page = pages.words[at].page
    broken = _moved(pages, at, at + 3, page + 1, 3 * CM)
    assert yes_no_problems(form, data, broken, blank=False) == [
        f"ja/nej-rækken 'Økonomi – gælder for mig' står på side {page}, "
        f"'Økonomi – beskrivelse' på side {page + 1}"]


def test_a_signature_alone_on_its_page_is_found(good):
    form, data, pages = good
    at = max(i for i, w in enumerate(pages.words) if w.text == "Sagsbehandler")
    page = pages.words[at].page  # the signature line's label, the document's last
    alone = Pages([w for w in pages.words if w.page != page or w.y0 >= pages.words[at].y0],
                  pages.heights, pages.fields)
    assert signature_problems(form, data, alone, blank=False) == [
        f"underskriften 'Dato' står alene øverst på side {page}"]


def test_a_half_empty_page_is_found(good):
    form, data, pages = good
    half = pages.heights[0] / 2
    emptied = Pages([w for w in pages.words if w.page != 2 or w.y1 < half], pages.heights,
                    pages.fields)
    problems = empty_page_problems(form, data, emptied, blank=False)
    assert len(problems) == 1 and problems[0].startswith("side 2 er kun ")
