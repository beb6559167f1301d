"""The month overview drawn per document over a shared template
(toolkit/render/pdf_overview.py), and the field font of every form's filled PDF."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, _need
from PIL import Image, ImageChops
from test_pdf_font import _field_font, _pdftotext, _values

from toolkit.catalogue import load_form
from toolkit.readers.pdf import extract_pdf
from toolkit.render import pdf_layout
from toolkit.render.pdf import render_pdf
from toolkit.render.pdf_layout import LAYOUTS
from toolkit.render.pdf_overview import Overview

FORMS = ("forberedende-skema", "handleplan", "indsatsskema", "samarbejdsmodel", "samtykke",
         "strategi")


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def _fresh(form, data: dict, **kwargs) -> bytes:
    LAYOUTS.plans.clear()
    LAYOUTS.count = 0
    return render_pdf(form, data, **kwargs)


def _templates() -> int:
    return sum(len(plan.templates) for plan in LAYOUTS.plans.values())


def _other_overview(data: dict) -> dict:
    """The same plan a year later, its interventions renamed and moved (same list
    lengths, the labels as many lines each): another month overview of the same
    geometry."""
    other = copy.deepcopy(data)
    other["periode"]["start"] = "2026-03-01"
    other["periode"]["slut"] = other["periode"]["start"][:4] + "-12-31"
    for i, item in enumerate(other["indsatser"]):
        long = len(item["indsats"]) > 30  # two lines in the overview
        item["indsats"] = f"Ærø-forløb {i + 1}" + (" med en titel, der fylder to linjer" * long)
        item["start_maaned"] = f"2026-{4 + i:02d}"
        item["slut_maaned"] = f"2026-{5 + i:02d}"
    return other


def _months(data: dict) -> int:
    start, end = data["periode"]["start"], data["periode"]["slut"]
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7]) + 1


def _pages(pdf: bytes, tmp_path: Path, name: str) -> list[Image.Image]:
    exe = _need("pdftoppm", "apt-get install poppler-utils")
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf)
    subprocess.run([exe, "-png", "-r", "60", str(src), str(tmp_path / name)], check=True)
    return [Image.open(p).convert("RGB") for p in sorted(tmp_path.glob(f"{name}-*.png"))]


def test_plans_with_other_months_share_a_template(tmp_path):
    form = load_form("indsatsskema")
    first = _sample("indsatsskema")
    second = _other_overview(first)
    assert _months(second) == 10 != _months(first)
    expected = _fresh(form, second)
    _fresh(form, first)
    again = render_pdf(form, second)
    assert _templates() == 1  # the first plan's template, the second plan's overview
    assert again == expected
    text = _pdftotext(again, tmp_path)
    overview = text[text.index("Månedsoversigt"):]
    for i in range(len(second["indsatser"])):
        assert f"Ærø-forløb {i + 1}" in overview
    for abbr in ("mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"):
        assert re.search(abbr + r"\s+26", overview), abbr  # the headings, bold
    assert overview.count("X") == sum(2 for _item in second["indsatser"])
    assert "Ærø-forløb" not in _pdftotext(render_pdf(form, first), tmp_path)
    assert extract_pdf(again).data == second


def test_the_overview_looks_as_page_content_would(tmp_path, monkeypatch):
    """Drawn over the template, the overview gives the pixels reportlab's own table gives."""
    form = load_form("indsatsskema")
    data = _other_overview(_sample("indsatsskema"))
    data["indsatser"][1]["indsats"] = "Holdtræning for ryg og bevægeapparat, " * 2  # 2 lines
    over = _fresh(form, data)
    assert LAYOUTS.plans and all(t.spots for p in LAYOUTS.plans.values()
                                 for t, _w in p.templates.values())

    class PageContent(Overview):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.exact = False

    monkeypatch.setattr(pdf_layout, "Overview", PageContent)
    plain = _fresh(form, data)
    assert plain != over
    assert not any(t.spots for p in LAYOUTS.plans.values() for t, _w in p.templates.values())
    got, want = _pages(over, tmp_path, "over"), _pages(plain, tmp_path, "plain")
    assert len(got) == len(want) >= 2
    for a, b in zip(got, want):
        assert ImageChops.difference(a, b).getbbox() is None


def test_rows_in_another_order_reuse_a_whole_table():
    """A table drawn whole fits any overview of the same rows and total height: its rows
    are placed per document."""
    form = load_form("indsatsskema")
    data = _sample("indsatsskema")
    items = data["indsatser"]
    assert len(items[3]["indsats"]) > 30 > len(items[0]["indsats"])  # two lines, one
    moved = copy.deepcopy(data)
    first, fourth = moved["indsatser"][0], moved["indsatser"][3]
    first["indsats"], fourth["indsats"] = fourth["indsats"], first["indsats"]
    expected = _fresh(form, moved)
    _fresh(form, data)
    assert all(t.whole for p in LAYOUTS.plans.values() for t, _w in p.templates.values())
    assert render_pdf(form, moved) == expected
    assert _templates() == 1


def test_a_label_longer_than_a_page_splits_as_page_content(tmp_path):
    form = load_form("indsatsskema")
    data = _sample("indsatsskema")
    data["indsatser"][0]["indsats"] = "Forløb " * 1200
    pdf = _fresh(form, data)
    assert _pdftotext(pdf, tmp_path).count("Forløb") >= 2 * 1200  # block and overview
    assert extract_pdf(pdf).data == data


@pytest.mark.parametrize("form_id", FORMS)
def test_every_form_embeds_a_subset_and_shows_every_value(form_id, tmp_path):
    pdf = render_pdf(load_form(form_id), _sample(form_id))
    font, size = _field_font(pdf)
    assert size < 100_000  # a subset, not the 757 KB font
    cmap = {chr(u) for u in font.getBestCmap()}
    assert set("æøåÆØÅ") <= cmap
    values = _values(pdf)
    assert values
    assert {c for v in values.values() for c in v if c.strip()} <= cmap
    squashed = re.sub(r"\s+", "", _pdftotext(pdf, tmp_path))
    for name, value in values.items():
        assert re.sub(r"\s+", "", value) in squashed, name
    assert len(pdf) <= 120_000, len(pdf)

