"""The network circle (Netværkscirklen): the citizen at the centre, three rings, four sectors.

``layout`` is pure geometry (testable); ``render_png`` draws it with Pillow. Labels are
placed greedily: first beside their dot, then further out along a spiral with a thin
leader line, so no two labels, dots or sector titles overlap.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

from .resources import font_file

SECTORS = ("familie", "venner", "arbejde_skole", "professionelle")
SECTOR_TITLES = {
    "familie": "Familie",
    "venner": "Venner og naboer",
    "arbejde_skole": "Arbejde og skole",
    "professionelle": "Professionelle",
}
# Angular range (degrees, counter-clockwise from east) of each quadrant.
SECTOR_ANGLES = {
    "familie": (90.0, 180.0),
    "venner": (0.0, 90.0),
    "arbejde_skole": (270.0, 360.0),
    "professionelle": (180.0, 270.0),
}
SECTOR_COLOURS = {
    "familie": (196, 90, 80),
    "venner": (214, 150, 40),
    "arbejde_skole": (70, 130, 80),
    "professionelle": (60, 100, 160),
}
RINGS = 3
MAX_NAME = 28
#: The width the documents (Word and PDF) print the circle at, in points (14 cm: with
#: its list's table on one A4 page).
PRINTED_WIDTH_PT = 14 / 2.54 * 72
#: Names are printed at 9 pt, and never below 8 pt when space is short.
LABEL_PT = (9.0, 8.5, 8.0)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Placement:
    """Where one person is drawn: dot centre and label box (x0, y0, x1, y1) in pixels."""

    name: str
    sector: str
    ring: int
    dot: tuple[float, float]
    label_box: Box
    font_size: int
    involved: bool = False


@dataclass(frozen=True)
class Geometry:
    """The circle's fixed parts for an image of a given size."""

    size: int

    @property
    def centre(self) -> float:
        return self.size / 2

    @property
    def outer(self) -> float:
        return self.size * 0.40

    @property
    def inner(self) -> float:
        return self.outer * 0.16

    def ring_bounds(self, ring: int) -> tuple[float, float]:
        """Inner and outer radius of ring 1 (nearest) … 3."""
        step = (self.outer - self.inner) / RINGS
        return self.inner + step * (ring - 1), self.inner + step * ring

    def point(self, radius: float, degrees: float) -> tuple[float, float]:
        rad = math.radians(degrees)
        return self.centre + radius * math.cos(rad), self.centre - radius * math.sin(rad)

    @property
    def dot_radius(self) -> float:
        return max(4.0, self.size / 170)


@lru_cache(maxsize=32)
def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    return ImageFont.truetype(font_file("bold" if bold else "regular"), size)


def _text_size(text: str, size: int, bold: bool = False) -> tuple[float, float]:
    _x0, _y0, x1, y1 = _font(size, bold).getbbox(text, anchor="lt")
    return x1, y1


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _short(name: str) -> str:
    name = " ".join(str(name).split())
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def label_sizes(size: int) -> tuple[int, ...]:
    """Label font sizes (pixels) to try, largest first: 9, 8.5 and 8 pt when printed."""
    per_pt = size / PRINTED_WIDTH_PT
    return tuple(max(8, math.ceil(pt * per_pt)) for pt in LABEL_PT)


def crosses_line(geo: Geometry, box: Box) -> bool:
    """True when a ring line or an axis of the circle runs through the box."""
    c = geo.centre
    if box[0] < c < box[2] and box[1] < geo.centre + geo.outer and box[3] > c - geo.outer:
        return True  # the vertical axis
    if box[1] < c < box[3] and box[0] < c + geo.outer and box[2] > c - geo.outer:
        return True  # the horizontal axis
    nx = min(max(c, box[0]), box[2])
    ny = min(max(c, box[1]), box[3])
    near = math.hypot(nx - c, ny - c)
    far = max(math.hypot(x - c, y - c) for x in (box[0], box[2]) for y in (box[1], box[3]))
    radii = [geo.inner] + [geo.ring_bounds(ring)[1] for ring in range(1, RINGS + 1)]
    return any(near - 1 <= radius <= far + 1 for radius in radii)


def _valid(person: dict) -> tuple[str, str, int] | None:
    sector = person.get("sektor")
    try:
        ring = int(person.get("naerhed", ""))
    except (TypeError, ValueError):
        return None
    name = _short(person.get("navn") or "")
    if sector not in SECTORS or not 1 <= ring <= RINGS or not name:
        return None
    return name, sector, ring


def title_boxes(geo: Geometry) -> dict[str, Box]:
    """Where the sector titles are drawn: outside the circle, at the sector's corner."""
    boxes = {}
    size = max(12, geo.size // 50)
    for sector, (a0, a1) in SECTOR_ANGLES.items():
        w, h = _text_size(SECTOR_TITLES[sector], size, bold=True)
        x, y = geo.point(geo.outer * 1.18, (a0 + a1) / 2)
        x = min(max(x - w / 2, 4), geo.size - w - 4)
        y = min(max(y - h / 2, 4), geo.size - h - 4)
        boxes[sector] = (x, y, x + w, y + h)
    return boxes


def _dots(geo: Geometry, valid: list[tuple[int, str, str, int]]) -> dict[int, tuple]:
    """Dot centre of each person: spread along the ring's arc, staggered in radius."""
    groups: dict[tuple[str, int], list[int]] = {}
    for idx, _name, sector, ring in valid:
        groups.setdefault((sector, ring), []).append(idx)
    out = {}
    margin = 6.0
    for (sector, ring), members in groups.items():
        a0, a1 = SECTOR_ANGLES[sector]
        lo, hi = geo.ring_bounds(ring)
        span = (a1 - a0) - 2 * margin
        n = len(members)
        for k, idx in enumerate(members):
            angle = a0 + margin + span * (k + 0.5) / n
            if n > 4:  # stagger radially so crowded rings keep their dots apart
                lanes = 3 if n > 8 else 2
                frac = (k % lanes + 1) / (lanes + 1)
            else:
                frac = 0.5
            radius = lo + (hi - lo) * frac
            out[idx] = (geo.point(radius, angle), angle, radius)
    return out


def layout(persons: list[dict], size: int = 1200) -> list[Placement]:
    """Place every valid person (``navn``, ``sektor``, ``naerhed`` 1–3) and their label.

    Persons with a missing or unknown sector or closeness are skipped.
    """
    geo = Geometry(size)
    valid = []
    for i, person in enumerate(persons):
        ok = _valid(person) if isinstance(person, dict) else None
        if ok:
            valid.append((i, *ok))
    dots = _dots(geo, valid)
    r = geo.dot_radius
    obstacles: list[Box] = list(title_boxes(geo).values())
    cw, ch = _text_size("Borger", max(12, size // 45), bold=True)
    c = geo.centre
    obstacles.append((c - cw / 2 - 2, c - ch / 2 - 2, c + cw / 2 + 2, c + ch / 2 + 2))
    obstacles += [(x - r - 2, y - r - 2, x + r + 2, y + r + 2)
                  for (x, y), _a, _rad in dots.values()]
    placements = []
    for idx, name, sector, ring in valid:
        (x, y), angle, _radius = dots[idx]
        others = [xy for i, (xy, _a, _rad) in dots.items() if i != idx]
        box, font_size = _place_label(geo, name, x, y, angle, obstacles, sector, others)
        obstacles.append(box)
        placements.append(Placement(name, sector, ring, (x, y), box, font_size,
                                    persons[idx].get("inddrages") is True))
    return placements


def _in_sector(geo: Geometry, box: Box, sector: str) -> bool:
    """True when every corner of the box lies in the sector's quadrant."""
    a0, a1 = SECTOR_ANGLES[sector]
    c = geo.centre
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        angle = math.degrees(math.atan2(c - y, x - c)) % 360
        if not a0 <= angle <= a1:
            return False
    return True


def box_distance(box: Box, x: float, y: float) -> float:
    """How far the point lies from the box (0 inside it)."""
    dx = max(box[0] - x, 0.0, x - box[2])
    dy = max(box[1] - y, 0.0, y - box[3])
    return math.hypot(dx, dy)


def _place_label(geo: Geometry, name: str, x: float, y: float, angle: float,
                 obstacles: list[Box], sector: str,
                 others: list[tuple[float, float]]) -> tuple[Box, int]:
    """A free box for the label, in the person's own sector first; never beside another
    person's dot unless nearer still to its own (a label beside another dot names the
    wrong person, however clear its leader line); farther out, its leader line tells."""
    gap = geo.dot_radius + 3
    for font_size in label_sizes(geo.size):
        w, h = _text_size(name, font_size)
        h += 2
        outward = (math.cos(math.radians(angle)), -math.sin(math.radians(angle)))
        tangent = (-outward[1], outward[0])
        # Beside the dot first, then a spiral that prefers moving outwards.
        candidates = [(x + gap, y - h / 2), (x - gap - w, y - h / 2),
                      (x - w / 2, y - gap - h), (x - w / 2, y + gap)]
        step = max(6.0, h * 0.6)
        for ring_n in range(1, 80):
            dist = ring_n * step
            for k in range(-6, 7):
                t = k * step * 1.4
                cx = x + outward[0] * dist + tangent[0] * t
                cy = y + outward[1] * dist + tangent[1] * t
                anchor_left = outward[0] >= 0
                candidates.append((cx if anchor_left else cx - w, cy - h / 2))
        # Prefer a spot inside the person's own sector clear of the lines, then one clear
        # of the lines anywhere; anywhere free comes last.
        for own_sector, clear in ((True, True), (False, True), (False, False)):
            for lx, ly in candidates:
                box = (lx, ly, lx + w, ly + h)
                if box[0] < 2 or box[1] < 2 or box[2] > geo.size - 2 or \
                        box[3] > geo.size - 2:
                    continue
                if own_sector and not _in_sector(geo, box, sector):
                    continue
                if clear and crosses_line(geo, box):
                    continue
                if any(_overlap(box, ob) for ob in obstacles):
                    continue
                own = box_distance(box, x, y) + geo.dot_radius
                if all(box_distance(box, ox, oy) > min(own, 1.5 * h) for ox, oy in others):
                    return box, font_size
    # Nowhere free (absurd crowding): bottom edge, still never on top of another label.
    small = label_sizes(geo.size)[-1]
    w, h = _text_size(name, small)
    ly = geo.size - h - 4
    return (2, ly, 2 + w, ly + h), small


def _legend(painter: Painter, geo: Geometry) -> None:
    """The key to the marking of persons to be involved, at the bottom left."""
    size = label_sizes(geo.size)[0]
    r = geo.dot_radius
    x, y = 8 + r * 2, geo.size - size - 8
    ring_r = r + max(3, geo.size // 300)
    painter.circle(x, y, ring_r, None, (30, 30, 30), max(2, geo.size // 400))
    painter.circle(x, y, r, (120, 120, 120), None, 0)
    painter.text((x + ring_r + 8, y), "Fed og ring: skal inddrages", size, True, (30, 30, 30),
                 "lm")


def paint(painter: Painter, persons: list[dict], size: int,
          centre_label: str = "Borger") -> None:
    """Draw the circle on a painter, in pixels of a ``size``-square image (y down)."""
    geo = Geometry(size)
    c = geo.centre
    line = (110, 110, 110)
    for sector, (a0, a1) in SECTOR_ANGLES.items():
        tint = tuple(int(v + (255 - v) * 0.9) for v in SECTOR_COLOURS[sector])
        painter.pieslice(c, geo.outer, a0, a1, tint)
    for ring in range(RINGS, 0, -1):
        _lo, hi = geo.ring_bounds(ring)
        painter.circle(c, c, hi, None, line, 2)
    painter.line((c - geo.outer, c, c + geo.outer, c), line, 2)
    painter.line((c, c - geo.outer, c, c + geo.outer), line, 2)
    painter.circle(c, c, geo.inner, (235, 235, 235), line, 2)
    painter.text((c, c), centre_label, max(12, size // 45), True, (40, 40, 40), "mm")
    for ring in range(1, RINGS + 1):
        lo, hi = geo.ring_bounds(ring)
        x, y = geo.point((lo + hi) / 2, 45 + 45)  # on the vertical axis, upper half
        painter.text((x + 8, y), str(ring), max(10, size // 80), False, (90, 90, 90), "lm")
    for sector, box in title_boxes(geo).items():
        painter.text((box[0], box[1]), SECTOR_TITLES[sector], max(12, size // 50), True,
                     SECTOR_COLOURS[sector], "lt")
    r = geo.dot_radius
    places = layout(persons, size)
    for place in places:
        x, y = place.dot
        bx0, by0, bx1, by1 = place.label_box
        nearest_x = min(max(x, bx0), bx1)
        nearest_y = min(max(y, by0), by1)
        if math.hypot(nearest_x - x, nearest_y - y) > r + 6:
            painter.line((x, y, nearest_x, nearest_y), (150, 150, 150), 1)
        if place.involved:  # to be involved: a dark ring round the dot, the name in bold
            ring_r = r + max(3, size // 300)
            painter.circle(x, y, ring_r, None, (30, 30, 30), max(2, size // 400))
        painter.circle(x, y, r, SECTOR_COLOURS[place.sector], None, 0)
        painter.text((bx0, by0), place.name, place.font_size, place.involved, (30, 30, 30),
                     "lt")
    if any(p.involved for p in places):
        _legend(painter, geo)


Colour = tuple[int, ...]


class Painter:
    """What :func:`paint` draws with (pixels, y down, colours 0–255)."""

    def pieslice(self, c: float, radius: float, a0: float, a1: float,
                 fill: Colour) -> None:
        """A filled sector of the circle at (c, c), counter-clockwise a0 to a1 degrees."""
        raise NotImplementedError

    def circle(self, x: float, y: float, radius: float, fill: Colour | None,
               outline: Colour | None, width: float) -> None:
        """A circle, filled and/or outlined."""
        raise NotImplementedError

    def line(self, xy: tuple[float, float, float, float], colour: Colour,
             width: float) -> None:
        """A straight line."""
        raise NotImplementedError

    def text(self, xy: tuple[float, float], text: str, size: int, bold: bool,
             colour: Colour, anchor: str) -> None:
        """Text anchored as Pillow anchors it: ``mm``, ``lm`` or ``lt``."""
        raise NotImplementedError


class _PilPainter(Painter):
    def __init__(self, draw) -> None:
        self.draw = draw

    def pieslice(self, c, radius, a0, a1, fill):
        self.draw.pieslice((c - radius, c - radius, c + radius, c + radius), -a1, -a0,
                           fill=fill)

    def circle(self, x, y, radius, fill, outline, width):
        self.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill,
                          outline=outline, width=width)

    def line(self, xy, colour, width):
        self.draw.line(xy, fill=colour, width=width)

    def text(self, xy, text, size, bold, colour, anchor):
        self.draw.text(xy, text, font=_font(size, bold), fill=colour, anchor=anchor)


def render_png(persons: list[dict], size: int = 1200, centre_label: str = "Borger") -> bytes:
    """The circle as PNG bytes; an empty list gives the blank circle for the conversation."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    paint(_PilPainter(ImageDraw.Draw(image)), persons, size, centre_label)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()
