"""PDF: the reportlab pieces a form page is made of.

Page geometry, fonts and paragraph styles, static paragraphs, and the flowables: grid
rows and tables that split across pages, answers (one AcroForm widget or flat text),
checkboxes and signature lines. The layout walk that puts them together is
:mod:`toolkit.render.pdf_layout`.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from reportlab.platypus import Flowable

from .. import danish
from ..catalogue import Field
from ..network_circle import Painter, paint
from ..xmltext import escape
from .cache import Cache
from .pdf_acro import (
    PAD,
    TOP_GAP,
    Widget,
    font_path,
    wrap_text,
)

if TYPE_CHECKING:
    from .pdf_layout import Renderer

#: Page geometry (points): A4 with 2 cm margins, as the Word template.
CM = 28.3465
PAGE_W, PAGE_H = 595.2756, 841.8898
MARGIN = 2 * CM
CONTENT_W = PAGE_W - 2 * MARGIN

ACCENT = (0x1F / 255, 0x3A / 255, 0x5F / 255)
LABEL_SHADE = (0xEE / 255, 0xF2 / 255, 0xF6 / 255)
GRID = (0.55, 0.58, 0.62)
GREY = (0.35, 0.35, 0.35)
MONTH_ON = (0x5B / 255, 0x8D / 255, 0xB8 / 255)

FONT = "SkemaSans"
PRODUCER = "skema (reportlab, pikepdf)"
BODY_SIZE = 9.5
FIELD_SIZE = 9.0
FIELD_MIN = 7.5
CELL_PAD = 4.0
ANSWER_PAD = 2.0
COMBO_ARROW = 11.0
SPLIT_MIN = 0.35 * (PAGE_H - 2 * MARGIN)  # boxes shorter than this are never split
DATE_HINT = "dd-mm-åååå"
MONTH_HINT = "måned åååå"


# ---------------------------------------------------------------------------------------
# Fonts and styles
# ---------------------------------------------------------------------------------------
_REGISTERED: set[str] = set()


def register_fonts(files: dict[str, str] | None = None) -> str:
    """Register a page font family and return its name: :data:`FONT` for the bundled
    DejaVu Sans, or a name of its own for a profile's TrueType ``files`` by style (see
    :meth:`toolkit.profile.Profile.font_files`). Bold and italic are ``NAME-Bold`` etc."""
    import hashlib

    styles_ = ("regular", "bold", "italic", "bolditalic")
    paths = [(files or {}).get(style) or font_path(style) for style in styles_]
    family = FONT if not files else (
        FONT + "-" + hashlib.sha1("|".join(paths).encode("utf-8")).hexdigest()[:10])
    if family in _REGISTERED:
        return family
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = {"regular": family, "bold": f"{family}-Bold", "italic": f"{family}-Italic",
             "bolditalic": f"{family}-BoldItalic"}
    for name, path in zip(names.values(), paths):
        pdfmetrics.registerFont(TTFont(name, path))
    addMapping(family, 0, 0, names["regular"])
    addMapping(family, 1, 0, names["bold"])
    addMapping(family, 0, 1, names["italic"])
    addMapping(family, 1, 1, names["bolditalic"])
    _REGISTERED.add(family)
    return family


@lru_cache(maxsize=4)
def styles(family: str = FONT) -> dict[str, Any]:
    """The paragraph styles in a registered font ``family`` (see :func:`register_fonts`);
    style names carry a family other than the bundled one, so cached line breaks of one
    font are never reused for another."""
    from reportlab.lib.colors import Color
    from reportlab.lib.styles import ParagraphStyle

    accent = Color(*ACCENT)
    grey = Color(*GREY)
    tag = "" if family == FONT else "@" + family
    bold = f"{family}-Bold"
    body = ParagraphStyle("body" + tag, fontName=family, fontSize=BODY_SIZE, leading=13,
                          spaceAfter=6)
    return {
        "body": body,
        "title": ParagraphStyle("title" + tag, parent=body, fontName=bold, fontSize=17,
                                leading=21, textColor=accent, spaceAfter=8, keepWithNext=1),
        "h1": ParagraphStyle("h1" + tag, parent=body, fontName=bold, fontSize=13,
                             leading=16, textColor=accent, spaceBefore=12, spaceAfter=6,
                             keepWithNext=1),
        "h2": ParagraphStyle("h2" + tag, parent=body, fontName=bold, fontSize=11.5,
                             leading=14, textColor=accent, spaceBefore=9, spaceAfter=5,
                             keepWithNext=1),
        "h3": ParagraphStyle("h3" + tag, parent=body, fontName=bold, fontSize=10.5,
                             leading=13, textColor=accent, spaceBefore=8, spaceAfter=4,
                             keepWithNext=1),
        "small": ParagraphStyle("small" + tag, parent=body, fontSize=8.5, leading=11),
        "note": ParagraphStyle("note" + tag, parent=body, fontSize=8, leading=10, textColor=grey),
        "bullet": ParagraphStyle("bullet" + tag, parent=body, leftIndent=16, bulletIndent=3,
                                 spaceAfter=3, bulletFontName=family),
        "label": ParagraphStyle("label" + tag, parent=body, fontName=bold, fontSize=8.5,
                                leading=11, spaceAfter=0),
        "help": ParagraphStyle("help" + tag, parent=body, fontSize=7.5, leading=9.5,
                               textColor=grey, spaceAfter=0),
        "cell": ParagraphStyle("cell" + tag, parent=body, fontSize=FIELD_SIZE, leading=11,
                               spaceAfter=0),
        "month": ParagraphStyle("month" + tag, parent=body, fontSize=6.5, leading=8, spaceAfter=0,
                                alignment=1),
        "monthhead": ParagraphStyle("monthhead" + tag, parent=body, fontName=bold,
                                    fontSize=6, leading=7.5, spaceAfter=0, alignment=1),
    }


#: Static paragraphs (labels, headings, static text) per thread: parsed and wrapped once
#: per process, reused by every document (a flowable is not shared between threads).
_LOCAL = threading.local()
_PARA_CACHE_MAX = 5000


def para_class():
    """A Paragraph that remembers its line breaking per width (reportlab's re-breaks)."""
    cls = getattr(_LOCAL, "para_class", None)
    if cls is not None:
        return cls
    from reportlab.platypus import Paragraph

    class MemoParagraph(Paragraph):
        def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
            memo = self.__dict__.setdefault("_memo", {})
            hit = memo.get(aW)
            if hit is None:
                width, height = super().wrap(aW, aH)
                memo[aW] = (width, height, self.blPara, self._wrapWidths)
                return width, height
            width, height, bl_para, wrap_widths = hit
            self.__dict__.update(width=width, height=height, blPara=bl_para,
                                 _wrapWidths=wrap_widths)
            return width, height

    _LOCAL.para_class = MemoParagraph
    return MemoParagraph


def static_para(markup: str, style: Any, bullet: str | None = None, keep: bool = False):
    """A paragraph of static markup: parsed and line-broken once per thread and width.

    Each call gives a new flowable (the page layout marks flowables), sharing the parsed
    fragments and the line breaks of earlier documents. The cache is keyed by the markup
    and holds at most a few thousand texts: text from the data (an overview's activity
    names) only where the same texts recur from document to document.
    """
    cache = getattr(_LOCAL, "paras", None)
    if cache is None:
        cache = _LOCAL.paras = Cache(_PARA_CACHE_MAX + 1)
    key = (markup, style.name, bullet)
    hit = cache.get(key)
    cls = para_class()
    if hit is None:
        para = cls(markup, style, bulletText=bullet)
        cache.put(key, (para.frags, para.bulletText, para.__dict__.setdefault("_memo", {})))
    else:
        frags, bullet_text, memo = hit
        para = cls(markup, style, bulletText=bullet_text, frags=frags)
        para._memo = memo
    if keep:
        para.keepWithNext = 1
    return para



# ---------------------------------------------------------------------------------------
# Flowables: grid rows and tables that split across pages, answers, checkboxes
# ---------------------------------------------------------------------------------------
class _Base(Flowable):
    """A reportlab flowable of this renderer."""


class Cell:
    """Content of one grid cell: flowables top-down, optional fill colour."""

    def __init__(self, flows: list, fill: tuple | None = None, valign: str = "top",
                 pad: float | None = None) -> None:
        self.flows = flows
        self.fill = fill
        self.valign = valign
        self.pad = pad


class Row(_Base):
    """One table row of cells with borders; splits inside cells when taller than a page."""

    def __init__(self, cells: list[Cell], widths: list[float], min_height: float = 0.0,
                 pad: float = CELL_PAD, continued_label: Any = None) -> None:
        super().__init__()
        self.cells = cells
        self.widths = widths
        self.min_height = min_height
        self.pad = pad
        self.continued_label = continued_label
        self.keep_next = False  # a yes/no row stays on the page of the row after it

    def _pad(self, cell: Cell) -> float:
        return self.pad if cell.pad is None else cell.pad

    def _cell_height(self, cell: Cell, width: float) -> float:
        total = 0.0
        for i, flow in enumerate(cell.flows):
            total += flow.wrap(width - 2 * self._pad(cell), 10_000)[1] + (2 if i else 0)
        return total

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
        # the cells' widths are fixed: the height is the same at every call
        if getattr(self, "_size", None) is None:
            heights = [self._cell_height(c, w) + 2 * self._pad(c)
                       for c, w in zip(self.cells, self.widths)]
            self._size = (sum(self.widths), max(self.min_height, max(heights, default=0)))
        self.width, self.height = self._size
        return self._size

    def draw(self) -> None:
        canv = self.canv
        x = 0.0
        for cell, width in zip(self.cells, self.widths):
            if cell.fill:
                canv.setFillColorRGB(*cell.fill)
                canv.rect(x, 0, width, self.height, stroke=0, fill=1)
            pad = self._pad(cell)
            y = self.height - pad
            if cell.valign == "middle":
                y = (self.height + self._cell_height(cell, width)) / 2
            for i, flow in enumerate(cell.flows):
                _w, h = flow.wrap(width - 2 * pad, 10_000)
                y -= h + (2 if i else 0)
                flow.drawOn(canv, x + pad, y)
            x += width
        canv.setStrokeColorRGB(*GRID)
        canv.setLineWidth(0.5)
        x = 0.0
        for width in self.widths:
            canv.rect(x, 0, width, self.height, stroke=1, fill=0)
            x += width

    def split(self, aW: float, aH: float) -> list:  # noqa: N803
        if aH < 24 + 2 * self.pad or self.wrap(aW, aH)[1] < SPLIT_MIN:
            return []  # a row shorter than a third of a page moves to the next one whole
        firsts, rests = [], []
        for cell, width in zip(self.cells, self.widths):
            pad = self._pad(cell)
            first, rest = _split_flows(cell.flows, width - 2 * pad, aH - 2 * pad)
            if rest and not first:
                return []  # keep the row whole rather than leave a cell behind
            firsts.append(Cell(first, cell.fill, cell.valign, cell.pad))
            if not rest and self.continued_label is not None and cell is self.cells[0] \
                    and cell.fill:
                rest = [self.continued_label]
            rests.append(Cell(rest, cell.fill, cell.valign, cell.pad))
        if not any(c.flows for c in rests):
            return [self]
        return [Row(firsts, self.widths, 0, self.pad),
                Row(rests, self.widths, 0, self.pad, self.continued_label)]


def _split_flows(flows: list, width: float, avail: float) -> tuple[list, list]:
    first: list = []
    used = 0.0
    for i, flow in enumerate(flows):
        gap = 2 if first else 0
        _w, h = flow.wrap(width, 10_000)
        if used + gap + h <= avail:
            first.append(flow)
            used += gap + h
            continue
        parts = flow.split(width, avail - used - gap) if avail - used - gap > 12 else []
        if len(parts) >= 2:
            first.append(parts[0])
            return first, list(parts[1:]) + flows[i + 1:]
        return first, flows[i:]
    return first, []


class Table(_Base):
    """Rows under repeating header rows; splits between rows and inside a tall row."""

    def __init__(self, rows: list[Row], header: int = 0, space_after: float = 8.0,
                 whole: bool = False) -> None:
        super().__init__()
        self.rows = rows
        self.header = header
        self.spaceAfter = space_after
        self.whole = whole  # moved to the next page whole unless taller than a page

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
        self.width = max((sum(r.widths) for r in self.rows), default=0)
        self.height = sum(r.wrap(aW, aH)[1] for r in self.rows)
        return self.width, self.height

    def draw(self) -> None:
        y = self.height
        for row in self.rows:
            _w, h = row.wrap(self.width, 10_000)
            y -= h
            row.drawOn(self.canv, 0, y)

    def split(self, aW: float, aH: float) -> list:  # noqa: N803
        if self.whole and self.wrap(aW, aH)[1] <= PAGE_H - 2 * MARGIN:
            return []
        head = self.rows[:self.header]
        used = sum(r.wrap(aW, aH)[1] for r in head)
        for idx in range(self.header, len(self.rows)):
            row = self.rows[idx]
            _w, h = row.wrap(aW, aH)
            if used + h <= aH:
                used += h
                continue
            parts = row.split(aW, aH - used)
            if len(parts) == 2:
                first = self.rows[:idx] + [parts[0]]
                rest = head + [parts[1]] + self.rows[idx + 1:]
            else:
                cut = idx
                while cut > self.header and self.rows[cut - 1].keep_next:
                    cut -= 1
                first, rest = self.rows[:cut], head + self.rows[cut:]
            if len(first) <= self.header:
                return []
            return [Table(first, self.header, 0), Table(rest, self.header, self.spaceAfter)]
        return [self]


def kept_together_class():
    """reportlab's ``KeepTogether`` for flowables kept with what follows them (a heading,
    an introducing text, a table before a signature), splitting at a table instead of
    moving the whole group to the next page.

    A group that does not fit keeps its first flowables and the first rows of the table
    that does not fit on this page, the rest of that table and what follows it on the
    next: a heading is never the last line of a page (the table's first part holds at
    least one row), and a long table under a heading does not leave the page above it
    half empty. Without a table to split there, the group moves on whole, as before.
    """
    cls = getattr(_LOCAL, "kept_class", None)
    if cls is not None:
        return cls
    from reportlab.platypus.flowables import KeepTogether

    class KeptTogether(KeepTogether):
        def split(self, aW: float, aH: float) -> list:  # noqa: N803
            content = self._content
            used = 0.0
            for i, flow in enumerate(content):
                before = flow.getSpaceBefore() if i else 0.0
                _w, h = flow.wrap(aW, aH - used - before)
                if used + before + h + flow.getSpaceAfter() <= aH:
                    used += before + h + flow.getSpaceAfter()
                    continue
                if isinstance(flow, Table):
                    parts = flow.split(aW, aH - used - before)
                    if len(parts) == 2:
                        rest = [parts[1], *content[i + 1:]]
                        tail = [KeptTogether(rest)] if len(rest) > 1 else rest
                        return [*content[:i], parts[0], *tail]
                break
            return super().split(aW, aH)

    _LOCAL.kept_class = KeptTogether
    return KeptTogether


class Answer(_Base):
    """A text-like answer (text, long text, date, drop-down): one widget or flat text."""

    def __init__(self, r: Renderer, name: str, fld: Field, value: Any,
                 min_height: float = 0.0, lines: list[str] | None = None,
                 size: float | None = None, part: int = 0) -> None:
        super().__init__()
        self.r = r
        self.name = name
        self.fld = fld
        self.value = value
        self.display = display(fld, value)
        self.min_height = min_height
        self.lines = lines
        self.size = size
        self.part = part
        self.hint = DATE_HINT if fld.kind == "date" else (
            MONTH_HINT if fld.format == "month" else "")

    @property
    def leading(self) -> float:
        return round((self.size or FIELD_SIZE) * 1.22, 2)

    def _box_width(self, width: float) -> float:
        if not self.hint:
            return width
        return width - self.r.font.width(self.hint, 6.5) - 6

    def _text_width(self, width: float) -> float:
        """Room for the text inside the box (a drop-down keeps its arrow clear)."""
        arrow = COMBO_ARROW if self.fld.kind == "dropdown" and not self.r.flatten else 0.0
        return self._box_width(width) - 2 * PAD - arrow

    def _layout(self, width: float) -> None:
        if self.lines is not None:
            return
        font, text = self.r.font, self.display
        box = self._text_width(width)
        if self.fld.kind == "long":  # never shrunk (as in Word): the box grows instead
            self.size, self.lines = FIELD_SIZE, wrap_text(font, text, FIELD_SIZE, box)
            return
        if "\n" not in text and "\r" not in text:
            for size in (FIELD_SIZE, 8.5, 8.0, FIELD_MIN):
                if font.width(text.replace("\t", "    "), size) <= box:
                    self.size, self.lines = size, [text.replace("\t", "    ")] if text else []
                    return
        self.size = FIELD_SIZE if self.fld.kind == "text" else FIELD_MIN
        self.lines = wrap_text(font, text, self.size, box)

    def _height(self) -> float:
        lines = max(len(self.lines or []), 1)
        return max(self.min_height, lines * self.leading + 2 * PAD + TOP_GAP)

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
        self._layout(aW)
        self.width = aW
        self.height = self._height()
        return self.width, self.height

    def split(self, aW: float, aH: float) -> list:  # noqa: N803
        self._layout(aW)
        lines = self.lines or []
        fit = int((aH - 2 * PAD - TOP_GAP) // self.leading)
        if self._height() <= aH:
            return [self]
        if fit < 2 or fit >= len(lines) or self._height() < SPLIT_MIN:
            return []  # a short box moves to the next page whole
        first = Answer(self.r, self.name, self.fld, self.value, 0, lines[:fit], self.size,
                        self.part)
        rest = Answer(self.r, self.name, self.fld, self.value,
                       max(0.0, self.min_height - aH), lines[fit:], self.size, self.part + 1)
        return [first, rest]

    def draw(self) -> None:
        canv = self.canv
        box_w = self._box_width(self.width)
        if self.hint and self.part == 0:
            canv.saveState()
            canv.setFillColorRGB(*GREY)
            canv.setFont(self.r.family, 6.5)
            canv.drawRightString(self.width, self.height - PAD - TOP_GAP - 6.5, self.hint)
            canv.restoreState()
        x0, y0 = canv.absolutePosition(0, 0)
        rect = (x0, y0, x0 + box_w, y0 + self.height)
        if self.r.flatten:
            self.r.flat_text(canv, self.name, self.display, self.part, self.lines or [],
                             self.size or FIELD_SIZE, self.leading, self.height)
            return
        self.r.widgets.append(self.widget(canv.getPageNumber(), rect))
        self.r.sources.append(("answer", self.fld, self.min_height, self.width, self.height))

    def widget(self, page: int, rect: tuple[float, float, float, float]) -> Widget:
        """The widget of this answer (laid out) at a place on a page."""
        kind = "combo" if self.fld.kind == "dropdown" else "text"
        label = _label(self.r.form, self.name, self.hint)
        options: list[tuple[str, str]] = []
        value: str | None = self.display or None
        if kind == "combo":
            choices, exports = _choice_options(self.fld)
            value = None if self.value in (None, "") else str(self.value)
            options = [(" ", " "), *choices]
            if value is not None and value not in exports:
                options.append((value, value))
        multiline = self.fld.kind == "long" or len(self.lines or []) > 1 or "\n" in (
            self.display or "")
        return Widget(
            name=self.name, kind=kind, page=page, rect=rect, label=label,
            value=value, lines=list(self.lines or []), size=self.size or FIELD_SIZE,
            leading=self.leading, multiline=multiline, options=options, part=self.part,
            actual=self.display,
        )


#: (form, concrete path, hint) -> the widget's tooltip; and a drop-down field's options
#: (the same in every document: kept per process, as the kommune list is sorted)
_LABELS: Cache[tuple[int, str, str], tuple[Any, str]] = Cache(50_001)
_CHOICES: Cache[int, tuple[Field, list[tuple[str, str]], frozenset[str]]] = Cache(10_001)


def _label(form: Any, name: str, hint: str) -> str:
    """An answer widget's tooltip: the field's Danish label, and the format hint."""
    key = (id(form), name, hint)
    kept = _LABELS.get(key)
    if kept is not None and kept[0] is form:
        return kept[1]
    label = form.label(name)
    if hint:
        label = f"{label} ({hint})"
    return _LABELS.put(key, (form, label))[1]


def _choice_options(fld: Field) -> tuple[list[tuple[str, str]], frozenset[str]]:
    """A drop-down's (export, title) options in the order shown, and the export values."""
    kept = _CHOICES.get(id(fld))
    if kept is not None and kept[0] is fld:
        return kept[1], kept[2]
    options = [(str(v), t) for v, t in fld.choices]
    if fld.format == "kommune":
        options.sort(key=lambda o: danish.sort_key(o[1]))
    kept = _CHOICES.put(id(fld), (fld, options, frozenset(v for v, _ in options)))
    return options, kept[2]


def check_on(value: Any, option: str | None) -> bool:
    """Whether a checkbox is ticked: a boolean field's ``True``, or a multi-select
    (``option`` not None) whose list holds the option."""
    if option is None:
        return value is True
    chosen = value if isinstance(value, list) else []
    return any(str(c) == str(option) for c in chosen)


class Check(_Base):
    """A checkbox widget, with the option title beside it for a multi-select."""

    SIDE = 9.0

    def __init__(self, r: Renderer, name: str, on: bool, title: str | None,
                 label: str, source: tuple[str, str | None] = ("", None)) -> None:
        super().__init__()
        self.r = r
        self.name = name
        self.on = on
        self.source = source  # (field path, option) the state comes from
        self.title = title
        self.label = label
        self.para = None
        if title is not None:
            self.para = static_para(para_text(title), r.styles["cell"])

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
        height = self.SIDE + 2
        if self.para is not None:
            _w, ph = self.para.wrap(aW - self.SIDE - 5, aH)
            height = max(height, ph)
        self.width, self.height = aW, height
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        top = self.height - 1
        bottom = top - self.SIDE
        if self.para is not None:
            _w, ph = self.para.wrap(self.width - self.SIDE - 5, 10_000)
            self.para.drawOn(canv, self.SIDE + 5, self.height - ph)
        if self.r.flatten:
            self.r.flat_check(canv, self.name, self.on, 0, bottom, self.SIDE)
            return
        x0, y0 = canv.absolutePosition(0, bottom)
        self.r.widgets.append(Widget(
            name=self.name, kind="check", page=canv.getPageNumber(),
            rect=(x0, y0, x0 + self.SIDE, y0 + self.SIDE), label=self.label, on=self.on))
        self.r.sources.append(("check", *self.source))


class Signature(_Base):
    """Lines to sign on paper, labels below, and a signature field over each line the
    block's ``signed`` names."""

    def __init__(self, r: Renderer, labels: list[str],
                 signed: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__()
        self.r = r
        self.labels = labels
        self.signed = frozenset(signed)
        self.spaceBefore = 6
        self.spaceAfter = 10

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
        self.width, self.height = aW, 1.6 * CM + 14
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        gap = 0.6 * CM
        n = len(self.labels)
        width = (self.width - gap * (n - 1)) / n
        line_y = 14
        for i, label in enumerate(self.labels):
            x = i * (width + gap)
            canv.setStrokeColorRGB(0, 0, 0)
            canv.setLineWidth(0.7)
            canv.line(x, line_y, x + width, line_y)
            canv.setFillColorRGB(*GREY)
            canv.setFont(self.r.family, 8.5)
            canv.drawString(x, line_y - 10, label)
            if label not in self.signed or self.r.flatten:
                continue
            self.r.signatures += 1
            x0, y0 = canv.absolutePosition(x, line_y + 1)
            self.r.widgets.append(Widget(
                name=f"Underskrift{self.r.signatures}", kind="sig", page=canv.getPageNumber(),
                rect=(x0, y0, x0 + width, y0 + 1.6 * CM - 2), label=label))
            self.r.sources.append(("static",))


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------
def display(fld: Field, value: Any) -> str:
    """The text a field shows for a value (Danish date, month name, choice title)."""
    if value is None or value == "" or isinstance(value, (list, dict)):
        return ""
    if fld.kind == "date":
        text = str(value)
        return danish.format_date(text) if danish.is_iso_date(text) else text
    if fld.kind == "dropdown":
        return fld.choice_title(value)
    if fld.format == "month" and danish.is_month(str(value)):
        return danish.format_month(str(value))
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return str(value)


def para_text(text: str) -> str:
    """Plain text as reportlab paragraph markup (escaped; LF -> line break)."""
    text = "".join(c for c in text.replace("\t", "    ") if c >= " " or c == "\n")
    return escape(text).replace("\n", "<br/>")




# ---------------------------------------------------------------------------------------
# Drawings
# ---------------------------------------------------------------------------------------
class NetworkCircle(_Base):
    """The network circle drawn as vector graphics (the Word document has its PNG):
    the same geometry, colours and labels as :func:`toolkit.network_circle.render_png`,
    a few kilobytes instead of a 40 KB image."""

    PIXELS = 1200  # the PNG's size: the layout (font sizes, label places) is the same

    def __init__(self, persons: list[dict], side: float) -> None:
        super().__init__()
        self.persons = persons
        self.side = side
        self.hAlign = "CENTER"
        self.spaceAfter = 8

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
        self.width = self.height = self.side
        return self.side, self.side

    def draw(self) -> None:
        self.canv.saveState()
        paint(_PdfPainter(self.canv, self.side, self.side / self.PIXELS), self.persons,
              self.PIXELS)
        self.canv.restoreState()


class _PdfPainter(Painter):
    """:class:`toolkit.network_circle.Painter` on a reportlab canvas (pixels to points,
    y up)."""

    def __init__(self, canv: Any, side: float, scale: float) -> None:
        self.canv = canv
        self.side = side
        self.s = scale

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return x * self.s, self.side - y * self.s

    @staticmethod
    def _rgb(colour: tuple[int, ...]) -> tuple[float, ...]:
        return tuple(v / 255 for v in colour)

    def pieslice(self, c: float, radius: float, a0: float, a1: float,
                 fill: tuple[int, ...]) -> None:
        x0, y0 = self._xy(c - radius, c + radius)
        x1, y1 = self._xy(c + radius, c - radius)
        self.canv.setFillColorRGB(*self._rgb(fill))
        self.canv.wedge(x0, y0, x1, y1, a0, a1 - a0, stroke=0, fill=1)

    def circle(self, x: float, y: float, radius: float, fill: tuple[int, ...] | None,
               outline: tuple[int, ...] | None, width: float) -> None:
        if fill is not None:
            self.canv.setFillColorRGB(*self._rgb(fill))
        if outline is not None:
            self.canv.setStrokeColorRGB(*self._rgb(outline))
            self.canv.setLineWidth(width * self.s)
        cx, cy = self._xy(x, y)
        self.canv.circle(cx, cy, radius * self.s, stroke=int(outline is not None),
                         fill=int(fill is not None))

    def line(self, xy: tuple[float, float, float, float], colour: tuple[int, ...],
             width: float) -> None:
        self.canv.setStrokeColorRGB(*self._rgb(colour))
        self.canv.setLineWidth(width * self.s)
        self.canv.line(*self._xy(xy[0], xy[1]), *self._xy(xy[2], xy[3]))

    def text(self, xy: tuple[float, float], text: str, size: int, bold: bool,
             colour: tuple[int, ...], anchor: str) -> None:
        from reportlab.pdfbase.pdfmetrics import getAscentDescent

        font = f"{FONT}-Bold" if bold else FONT
        points = size * self.s
        ascent, descent = getAscentDescent(font, points)
        x, y = self._xy(*xy)
        baseline = y - ascent if anchor[1] == "t" else y - (ascent + descent) / 2
        self.canv.setFillColorRGB(*self._rgb(colour))
        self.canv.setFont(font, points)
        if anchor[0] == "m":
            self.canv.drawCentredString(x, baseline, text)
        else:
            self.canv.drawString(x, baseline, text)
