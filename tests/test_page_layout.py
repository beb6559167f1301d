"""Pages that look finished (issue 12): every form, blank and filled from its sample with
the sample profile, in Word (through LibreOffice) and in skema's PDF, read back with
``pdftotext -bbox-layout``: no heading at the foot of a page without what follows it, no
yes/no row without the row it introduces, no table row split over two pages, no signature
alone on a page, no page more than half empty unless a new part starts. (The profile's
name on every page: tests/test_profile.py.)"""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import ROOT, _need
from page_layout import layout_problems, read_pages

from toolkit import blank, fill, load_form
from toolkit.profile import load_profile
from toolkit.render import pdf_flowables

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
