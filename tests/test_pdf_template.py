"""The PDF template: a laid-out form's static objects reused per document, and the bytes
written around them (toolkit/render/pdf_template.py, pdf_acro.py)."""

from __future__ import annotations

import copy
import io
import json
import subprocess

import pikepdf
import pytest
from conftest import ROOT, _need
from pypdf import PdfReader
from pypdf.generic import read_object

from toolkit.catalogue import load_form
from toolkit.readers.pdf import extract_pdf
from toolkit.render.pdf import render_pdf
from toolkit.render.pdf_acro import text_string
from toolkit.render.pdf_layout import LAYOUTS


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def _fresh(form, data: dict | None, **kwargs) -> bytes:
    """The document as the first of its kind in a process renders it."""
    LAYOUTS.plans.clear()
    LAYOUTS.count = 0
    return render_pdf(form, data, **kwargs)


def _templates() -> int:
    return sum(len(plan.templates) for plan in LAYOUTS.plans.values())


@pytest.mark.parametrize("kwargs", [{}, {"editable": False}])
def test_a_reused_template_gives_the_same_bytes_as_a_fresh_render(kwargs):
    form = load_form("indsatsskema")
    first = _sample("indsatsskema")
    second = copy.deepcopy(first)
    second["borger"]["navn"] = "Åse Ørnsø"  # same one-line box height, other glyphs
    second["indsatser"][0]["status"] = "afbrudt"  # another drop-down choice
    expected = _fresh(form, second, **kwargs)
    _fresh(form, first, **kwargs)
    assert _templates() == 1
    again = render_pdf(form, second, **kwargs)
    assert _templates() == 1  # the first document's template was reused
    assert again == expected
    assert extract_pdf(again).data == extract_pdf(expected).data
    assert extract_pdf(again).data["borger"]["navn"] == "Åse Ørnsø"


def test_a_taller_answer_gets_its_own_template():
    form = load_form("indsatsskema")
    data = _sample("indsatsskema")
    _fresh(form, data)
    taller = copy.deepcopy(data)
    taller["borger"]["navn"] = " ".join(["Navnesen"] * 30)  # wraps: a taller box
    pdf = render_pdf(form, taller)
    assert _templates() == 2
    assert pdf == _fresh(form, taller)


def test_blank_forms_reuse_one_template_and_read_back_empty():
    form = load_form("handleplan")
    expected = _fresh(form, None, blank=True)
    assert render_pdf(form, None, blank=True) == expected
    assert _templates() == 1
    reader = PdfReader(io.BytesIO(expected))
    assert reader.get_fields()
    assert not [k for k, v in extract_pdf(expected).data.items() if v not in (None, "", [])]


def test_file_structure_is_whole(tmp_path):
    """qpdf finds nothing to repair: every object where the table says, one trailer."""
    exe = _need("qpdf", "apt-get install qpdf")
    pdf = _fresh(load_form("samtykke"), _sample("samtykke"))
    src = tmp_path / "in.pdf"
    src.write_bytes(pdf)
    done = subprocess.run([exe, "--check", str(src)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors" in done.stdout
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert opened.Root.AcroForm.Fields
        assert opened.Root.AcroForm.DR.Font.SkemaSansU.DescendantFonts[0].W


@pytest.mark.parametrize("text", ["Indsats 1 – område", "€ “citat” ‘x’ • … — ™ ﬁ Ł œ ž",
                                  "a(b)\\c", "✓ und 日本", "\xad\x85"])
def test_text_strings_read_back_exactly(text):
    written = text_string(text).encode("latin-1")
    assert str(pikepdf.Object.parse(written)) == text
    assert str(read_object(io.BytesIO(written), None)) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("flatten", [False, True])
def test_network_circle_is_vector_graphics(tmp_path, pdftotext, flatten):
    form = load_form("forberedende-skema")
    data = _sample("forberedende-skema")
    pdf = _fresh(form, data, flatten=flatten)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        images = [o for o in opened.objects if isinstance(o, pikepdf.Stream)
                  and o.get("/Subtype") == "/Image"]
    assert images == []
    src = tmp_path / "in.pdf"
    src.write_bytes(pdf)
    text = pdftotext(src)
    for word in ("Borger", "Familie", "Venner og naboer", "Professionelle",
                 data["netvaerk"][0]["navn"]):
        assert word in text
    assert len(pdf) <= 130_000  # was 166 KB with the PNG (the issuer block adds 5 fields)


def test_threads_share_the_templates_safely():
    from concurrent.futures import ThreadPoolExecutor

    form = load_form("samtykke")
    data = _sample("samtykke")
    expected = {blank: _fresh(form, None if blank else data, blank=blank)
                for blank in (False, True)}
    LAYOUTS.plans.clear()
    LAYOUTS.count = 0
    jobs = [bool(i % 2) for i in range(12)]
    with ThreadPoolExecutor(4) as pool:
        out = list(pool.map(lambda b: render_pdf(form, None if b else data, blank=b), jobs))
    assert all(pdf == expected[b] for pdf, b in zip(out, jobs))


def test_the_oldest_layouts_are_dropped(monkeypatch):
    monkeypatch.setattr(LAYOUTS, "size", 2)
    _fresh(load_form("strategi"), None, blank=True)
    for form_id in ("samtykke", "handleplan"):
        render_pdf(load_form(form_id), None, blank=True)
    assert LAYOUTS.count == 2 == _templates()
    assert [plan.form.id for plan in LAYOUTS.plans.values()] == ["samtykke", "handleplan"]


def _without_skeletons(monkeypatch) -> None:
    """Every document's widgets written one by one (no skeleton made or used)."""
    from toolkit.render import pdf_template

    monkeypatch.setattr(pdf_template, "possible", lambda widgets: False)


@pytest.mark.parametrize("editable", [None, True])
def test_widgets_written_once_give_the_bytes_of_widgets_written_each_time(monkeypatch,
                                                                          editable):
    """A template's skeleton (toolkit/render/pdf_skeleton.py) writes a document exactly as
    writing every widget does: varied answers, empty boxes, ticked and unticked boxes,
    drop-downs chosen or not, on templates made by another document."""
    from bench.fakedata import citizens

    form = load_form("indsatsskema")
    rows = citizens(40, seed=7)
    rows[3]["borger"]["navn"] = ""
    rows[5]["indsatser"][0]["status"] = None
    LAYOUTS.plans.clear()
    LAYOUTS.count = 0
    fast = [render_pdf(form, row, editable=editable) for row in rows]
    used = [t.skeletons for plan in LAYOUTS.plans.values()
            for t, _w in plan.templates.values() if t.skeletons]
    assert used  # the skeletons were made, so the later documents used them
    _without_skeletons(monkeypatch)
    LAYOUTS.plans.clear()
    LAYOUTS.count = 0
    slow = [render_pdf(form, row, editable=editable) for row in rows]
    assert sum(len(p.templates) for p in LAYOUTS.plans.values()) < len(rows)  # replays
    assert [i for i, (a, b) in enumerate(zip(fast, slow)) if a != b] == []
    assert extract_pdf(fast[3]).data.get("borger", {}).get("navn") in (None, "")


def test_a_skeleton_serves_only_the_widgets_it_was_made_from():
    from toolkit.render.pdf_acro import FieldFont, Widget

    form = load_form("handleplan")
    blank = _fresh(form, None, blank=True)
    ((template, widgets),) = [e for p in LAYOUTS.plans.values() for e in p.templates.values()]
    render_pdf(form, None, blank=True)  # the second document made the skeleton
    assert len(template.skeletons) == 1
    ((skeleton),) = template.skeletons.values()
    assert skeleton.fits(list(widgets))
    moved = [Widget(**{**w.__dict__, "rect": (1.0, 1.0, 20.0, 20.0)}) if i == 0 else w
             for i, w in enumerate(widgets)]
    assert not skeleton.fits(moved)
    other = template.write(moved, FieldFont())  # written widget by widget instead
    assert other != blank
    assert PdfReader(io.BytesIO(other)).get_fields()


def test_documents_made_while_the_caches_empty_are_the_bytes_made_with_them_full(
        monkeypatch):
    """The per-process caches (toolkit/render/cache.py) only save work: with every one
    of them emptied at each second entry, 12 varied documents are byte for byte those
    made with the caches large."""
    from bench.fakedata import citizens
    from toolkit.render import pdf_acro, pdf_flowables
    from toolkit.render.cache import Cache

    form = load_form("indsatsskema")
    rows = citizens(12, seed=11)
    full = [render_pdf(form, row) for row in rows]
    caches = [pdf_acro._NUMS, pdf_acro._TEXT_STREAMS, pdf_acro._GLYPH_PARTS,
              pdf_acro._FONT_PARTS, pdf_flowables._LABELS, pdf_flowables._CHOICES,
              LAYOUTS.answers]
    assert all(isinstance(c, Cache) for c in caches)
    for cache in caches:
        cache.clear()
        monkeypatch.setattr(cache, "limit", 2)
    tiny = [render_pdf(form, row) for row in rows]
    assert all(len(c) <= 2 for c in caches)
    assert [i for i, (a, b) in enumerate(zip(full, tiny)) if a != b] == []


def test_a_cache_empties_when_full_and_keeps_what_was_put_last():
    from toolkit.render.cache import Cache

    cache: Cache[str, int] = Cache(3)
    assert [cache.put(k, v) for k, v in zip("abc", range(3))] == [0, 1, 2]
    assert dict(cache) == {"a": 0, "b": 1, "c": 2}
    assert cache.put("d", 3) == 3
    assert dict(cache) == {"d": 3}
