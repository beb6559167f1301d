"""The network circle: every dot in its sector and ring, no label on top of another."""

from __future__ import annotations

import io
import json
import math
import random

import pytest
from conftest import ROOT
from PIL import Image

from toolkit.network_circle import (
    SECTOR_ANGLES,
    SECTORS,
    Geometry,
    box_distance,
    layout,
    render_png,
    title_boxes,
)


def _people(n, sector=None, ring=None, seed=1):
    rnd = random.Random(seed)
    names = ["Søren Ærøskøbing", "Åse", "Mor", "Far", "Kollega Ib", "Læge Hansen", "Nabo Ülla",
             "Jobkonsulent Mette Kjær-Østergaard", "Bror"]
    return [{"navn": f"{rnd.choice(names)} {i}", "sektor": sector or rnd.choice(SECTORS),
             "naerhed": ring or rnd.randint(1, 3)} for i in range(n)]


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


CASES = {
    "none": [],
    "five": _people(5),
    "15-one-sector-one-ring": _people(15, "familie", 1),
    "15-one-sector-spread": _people(15, "professionelle"),
    "40-random": _people(40, seed=7),
}


@pytest.mark.parametrize("name", CASES)
def test_labels_never_overlap_and_dots_sit_in_sector_and_ring(name):
    size = 1200
    persons = CASES[name]
    places = layout(persons, size)
    assert len(places) == len(persons)
    geo = Geometry(size)
    titles = list(title_boxes(geo).values())
    r = geo.dot_radius
    for i, p in enumerate(places):
        x, y = p.dot
        angle = math.degrees(math.atan2(geo.centre - y, x - geo.centre)) % 360
        a0, a1 = SECTOR_ANGLES[p.sector]
        assert a0 <= angle <= a1, (p.name, angle)
        lo, hi = geo.ring_bounds(p.ring)
        assert lo <= math.hypot(x - geo.centre, y - geo.centre) <= hi, p.name
        box = p.label_box
        assert 0 <= box[0] and 0 <= box[1] and box[2] <= size and box[3] <= size
        assert not any(_overlap(box, t) for t in titles), p.name
        for j, q in enumerate(places):
            if i == j:
                continue
            assert not _overlap(box, q.label_box), (p.name, q.name)
            qx, qy = q.dot
            assert not _overlap(box, (qx - r, qy - r, qx + r, qy + r)), (p.name, q.name)


def test_invalid_persons_are_skipped():
    persons = [{"navn": "Ok", "sektor": "familie", "naerhed": 2},
               {"navn": "Ingen sektor", "naerhed": 1},
               {"navn": "Forkert ring", "sektor": "venner", "naerhed": 7},
               {"sektor": "venner", "naerhed": 1}]
    assert [p.name for p in layout(persons)] == ["Ok"]


def test_png_renders_with_danish_letters():
    blank = Image.open(io.BytesIO(render_png([], size=600)))
    assert blank.size == (600, 600)
    full = Image.open(io.BytesIO(render_png(_people(12), size=600)))

    def dark(img):
        return sum(img.convert("L").histogram()[:100])

    assert dark(full) > dark(blank) + 200
    from toolkit.network_circle import _font

    assert _font(20).getmask("æøåÆØÅ").getbbox() is not None


def test_deterministic():
    people = _people(20, seed=3)
    assert render_png(people, size=500) == render_png(people, size=500)


@pytest.mark.parametrize("name", ["five", "sample"])
def test_no_label_sits_beside_another_persons_dot(name):
    """A label close to someone else's dot names the wrong person (seen in the sample:
    'Birthe Nørgaard' beside her sister's dot, 'Ali Hassan' on Jonas Bech's)."""
    if name == "sample":
        sample = ROOT / "samples" / "forberedende-skema.json"
        persons = json.loads(sample.read_text(encoding="utf-8"))["netvaerk"]
    else:
        persons = CASES[name]
    places = layout(persons, 1200)
    assert len(places) >= 5
    for p in places:
        height = p.label_box[3] - p.label_box[1]
        own = box_distance(p.label_box, *p.dot)
        for q in places:
            if q is not p:
                near = box_distance(p.label_box, *q.dot)
                assert near >= min(own, 1.5 * height), (p.name, q.name)
