"""PDF: the form as an A4 fillable PDF (AcroForm), blank, pre-filled or flattened.

The pages are laid out with reportlab from ``form.layout`` (the same blocks the Word
template is built from); every answer becomes one AcroForm widget named by its concrete
field path (``aktiviteter.2.hvem``; a multi-select gives one checkbox per option,
``aktiviteter.2.maal:a``). Widgets and their appearance streams are added with pypdf
afterwards (see :mod:`toolkit.render.pdf_acro`).

Values in the PDF:

* text fields hold the plain text (line feeds kept in multi-line boxes);
* date fields hold Danish text ``26-02-2019`` (the format shown beside the box,
  ``dd-mm-åååå``); ISO ``2019-02-26`` typed by someone else is read back too;
* month fields hold ``marts 2019`` (``03-2019`` and ``2019-03`` are read back too);
* drop-downs (enums, kommune) show the Danish title and export the enum value;
* checkboxes are on with the state ``/Yes``.

A long answer is never cut: the font shrinks to a minimum, then the box grows, and a box
taller than what is left of the page continues on the next page (a second widget of the
same field showing the rest). ``flatten=True`` draws the values as page content instead of
widgets; each answer is wrapped in a marked-content span carrying its field path and, as
``/ActualText``, its exact text, so a flattened copy can be read back
(:mod:`toolkit.extract.pdf`).
"""

from __future__ import annotations

import io
import re
from datetime import date as _date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.platypus import Flowable

from .. import danish
from ..errors import SchemaError
from ..forms import Field, Form
from ..layout_refs import minor_path, profile_text_path
from ..profile import Profile
from .docx import blank_data, get_value
from .letterhead import draw_pdf_furniture
from .locking import is_locked, lock_fields, signing_paths
from .pdf_acro import (
    CHECK,
    PAD,
    TOP_GAP,
    AcroBuilder,
    FieldFont,
    Widget,
    font_path,
    mark_begin,
    wrap_text,
)

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
BODY_SIZE = 9.5
FIELD_SIZE = 9.0
FIELD_MIN = 7.5
LONG_MIN = 8.0
CELL_PAD = 4.0
ANSWER_PAD = 2.0
COMBO_ARROW = 11.0
SPLIT_MIN = 0.35 * (PAGE_H - 2 * MARGIN)  # boxes shorter than this are never split
DATE_HINT = "dd-mm-åååå"
MONTH_HINT = "måned åååå"

_REF = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
_ITALIC = re.compile(r"\*([^*]+)\*")


def render_pdf(form: Form, data: dict | None, blank: bool = False,
               flatten: bool = False, profile: Profile | None = None,
               editable: bool | None = None) -> bytes:
    """The form as PDF bytes: fillable (AcroForm) with the data's values, or flattened.

    ``blank=True`` ignores data and gives an empty form with each list's blank rows.
    ``flatten=True`` gives a non-editable copy: the values are page content, no widgets.
    ``profile``: the municipality's name, logo and address on every page (None: neutral).
    ``editable``: False makes every filled field read-only except signatures; None: the
    form's own default (``x-locked``).
    """
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    if blank:
        data = blank_data(form)
    data = data if isinstance(data, dict) else {}
    locked = not blank and not flatten and is_locked(form, editable)
    renderer = _Renderer(form, data, blank, flatten, profile, locked)
    story = renderer.story()
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf, pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=MARGIN, bottomMargin=MARGIN, title=form.title, author="skema",
        subject=form.description, creator="skema", producer="skema (reportlab, pypdf)",
        invariant=1, lang="da-DK",
    )
    frame = Frame(MARGIN, MARGIN, CONTENT_W, PAGE_H - 2 * MARGIN, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate(id="side", frames=[frame])])
    doc.build(story, canvasmaker=_canvas_class(renderer.running_title(), form, profile))
    out = _finish(form, buf.getvalue(), renderer)
    if locked:
        out = lock_fields(out, keep=signing_paths(form))
    return out


# ---------------------------------------------------------------------------------------
# Fonts and styles
# ---------------------------------------------------------------------------------------
_REGISTERED = False


def _register_fonts() -> None:
    global _REGISTERED
    if _REGISTERED:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = {"regular": FONT, "bold": f"{FONT}-Bold", "italic": f"{FONT}-Italic",
             "bolditalic": f"{FONT}-BoldItalic"}
    for style, name in names.items():
        pdfmetrics.registerFont(TTFont(name, font_path(style)))
    addMapping(FONT, 0, 0, names["regular"])
    addMapping(FONT, 1, 0, names["bold"])
    addMapping(FONT, 0, 1, names["italic"])
    addMapping(FONT, 1, 1, names["bolditalic"])
    _REGISTERED = True


def _styles() -> dict[str, Any]:
    from reportlab.lib.colors import Color
    from reportlab.lib.styles import ParagraphStyle

    accent = Color(*ACCENT)
    grey = Color(*GREY)
    body = ParagraphStyle("body", fontName=FONT, fontSize=BODY_SIZE, leading=13,
                          spaceAfter=6)
    return {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontName=f"{FONT}-Bold", fontSize=17,
                                leading=21, textColor=accent, spaceAfter=8, keepWithNext=1),
        "h1": ParagraphStyle("h1", parent=body, fontName=f"{FONT}-Bold", fontSize=13,
                             leading=16, textColor=accent, spaceBefore=12, spaceAfter=6,
                             keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontName=f"{FONT}-Bold", fontSize=11.5,
                             leading=14, textColor=accent, spaceBefore=9, spaceAfter=5,
                             keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=body, fontName=f"{FONT}-Bold", fontSize=10.5,
                             leading=13, textColor=accent, spaceBefore=8, spaceAfter=4,
                             keepWithNext=1),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11),
        "note": ParagraphStyle("note", parent=body, fontSize=8, leading=10, textColor=grey),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=16, bulletIndent=3,
                                 spaceAfter=3, bulletFontName=FONT),
        "label": ParagraphStyle("label", parent=body, fontName=f"{FONT}-Bold", fontSize=8.5,
                                leading=11, spaceAfter=0),
        "help": ParagraphStyle("help", parent=body, fontSize=7.5, leading=9.5,
                               textColor=grey, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=body, fontSize=FIELD_SIZE, leading=11,
                               spaceAfter=0),
        "month": ParagraphStyle("month", parent=body, fontSize=6.5, leading=8, spaceAfter=0,
                                alignment=1),
        "monthhead": ParagraphStyle("monthhead", parent=body, fontName=f"{FONT}-Bold",
                                    fontSize=6, leading=7.5, spaceAfter=0, alignment=1),
    }


def _canvas_class(running: str, form: Form, profile: Profile | None = None):
    """A canvas that knows the page count when it saves: "Side X af Y" in the footer."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            draw_pdf_furniture(self, form, running, self._pageNumber, total, profile, FONT,
                               (PAGE_W, PAGE_H), MARGIN)

    return NumberedCanvas


# ---------------------------------------------------------------------------------------
# Flowables: grid rows and tables that split across pages, answers, checkboxes
# ---------------------------------------------------------------------------------------
class _Base(Flowable):
    """A reportlab flowable of this renderer."""


class _Cell:
    """Content of one grid cell: flowables top-down, optional fill colour."""

    def __init__(self, flows: list, fill: tuple | None = None, valign: str = "top",
                 pad: float | None = None) -> None:
        self.flows = flows
        self.fill = fill
        self.valign = valign
        self.pad = pad


class _Row(_Base):
    """One table row of cells with borders; splits inside cells when taller than a page."""

    def __init__(self, cells: list[_Cell], widths: list[float], min_height: float = 0.0,
                 pad: float = CELL_PAD, continued_label: Any = None) -> None:
        super().__init__()
        self.cells = cells
        self.widths = widths
        self.min_height = min_height
        self.pad = pad
        self.continued_label = continued_label

    def _pad(self, cell: _Cell) -> float:
        return self.pad if cell.pad is None else cell.pad

    def _cell_height(self, cell: _Cell, width: float) -> float:
        total = 0.0
        for i, flow in enumerate(cell.flows):
            total += flow.wrap(width - 2 * self._pad(cell), 10_000)[1] + (2 if i else 0)
        return total

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
        heights = [self._cell_height(c, w) + 2 * self._pad(c)
                   for c, w in zip(self.cells, self.widths)]
        self.width = sum(self.widths)
        self.height = max(self.min_height, max(heights, default=0))
        return self.width, self.height

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
        if aH < 24 + 2 * self.pad:
            return []
        firsts, rests = [], []
        for cell, width in zip(self.cells, self.widths):
            pad = self._pad(cell)
            first, rest = _split_flows(cell.flows, width - 2 * pad, aH - 2 * pad)
            if rest and not first:
                return []  # keep the row whole rather than leave a cell behind
            firsts.append(_Cell(first, cell.fill, cell.valign, cell.pad))
            if not rest and self.continued_label is not None and cell is self.cells[0] \
                    and cell.fill:
                rest = [self.continued_label]
            rests.append(_Cell(rest, cell.fill, cell.valign, cell.pad))
        if not any(c.flows for c in rests):
            return [self]
        return [_Row(firsts, self.widths, 0, self.pad),
                _Row(rests, self.widths, 0, self.pad, self.continued_label)]


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


class _Table(_Base):
    """Rows under repeating header rows; splits between rows and inside a tall row."""

    def __init__(self, rows: list[_Row], header: int = 0, space_after: float = 8.0) -> None:
        super().__init__()
        self.rows = rows
        self.header = header
        self.spaceAfter = space_after

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
                first, rest = self.rows[:idx], head + self.rows[idx:]
            if len(first) <= self.header:
                return []
            return [_Table(first, self.header, 0), _Table(rest, self.header, self.spaceAfter)]
        return [self]


class _Answer(_Base):
    """A text-like answer (text, long text, date, drop-down): one widget or flat text."""

    def __init__(self, r: _Renderer, name: str, fld: Field, value: Any,
                 min_height: float = 0.0, lines: list[str] | None = None,
                 size: float | None = None, part: int = 0) -> None:
        super().__init__()
        self.r = r
        self.name = name
        self.fld = fld
        self.value = value
        self.display = _display(fld, value)
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
        if self.fld.kind == "long":
            inner = max(self.min_height - 2 * PAD, 0)
            for size in (FIELD_SIZE, 8.5, LONG_MIN):
                lines = wrap_text(font, text, size, box)
                if len(lines) * size * 1.22 <= inner:
                    break
            self.size, self.lines = size, lines
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
        first = _Answer(self.r, self.name, self.fld, self.value, 0, lines[:fit], self.size,
                        self.part)
        rest = _Answer(self.r, self.name, self.fld, self.value,
                       max(0.0, self.min_height - aH), lines[fit:], self.size, self.part + 1)
        return [first, rest]

    def draw(self) -> None:
        canv = self.canv
        box_w = self._box_width(self.width)
        if self.hint and self.part == 0:
            canv.saveState()
            canv.setFillColorRGB(*GREY)
            canv.setFont(FONT, 6.5)
            canv.drawRightString(self.width, self.height - PAD - TOP_GAP - 6.5, self.hint)
            canv.restoreState()
        x0, y0 = canv.absolutePosition(0, 0)
        rect = (x0, y0, x0 + box_w, y0 + self.height)
        if self.r.flatten:
            self.r.flat_text(canv, self.name, self.display, self.part, self.lines or [],
                             self.size or FIELD_SIZE, self.leading, self.height)
            return
        kind = "combo" if self.fld.kind == "dropdown" else "text"
        label = self.r.form.label(self.name)
        if self.hint:
            label = f"{label} ({self.hint})"
        options: list[tuple[str, str]] = []
        value: str | None = self.display or None
        if kind == "combo":
            options = [(str(v), t) for v, t in self.fld.choices]
            if self.fld.format == "kommune":
                options.sort(key=lambda o: danish.sort_key(o[1]))
            value = None if self.value in (None, "") else str(self.value)
            if value is not None and value not in [v for v, _ in options]:
                options.append((value, value))
            options.insert(0, (" ", " "))
        multiline = self.fld.kind == "long" or len(self.lines or []) > 1 or "\n" in (
            self.display or "")
        self.r.widgets.append(Widget(
            name=self.name, kind=kind, page=canv.getPageNumber(), rect=rect, label=label,
            value=value, lines=list(self.lines or []), size=self.size or FIELD_SIZE,
            leading=self.leading, multiline=multiline, options=options, part=self.part,
            actual=self.display,
        ))


class _Check(_Base):
    """A checkbox widget, with the option title beside it for a multi-select."""

    SIDE = 9.0

    def __init__(self, r: _Renderer, name: str, on: bool, title: str | None,
                 label: str) -> None:
        super().__init__()
        self.r = r
        self.name = name
        self.on = on
        self.title = title
        self.label = label
        self.para = None
        if title is not None:
            from reportlab.platypus import Paragraph

            self.para = Paragraph(_para_text(title), r.styles["cell"])

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


class _Signature(_Base):
    """Lines to sign on paper, labels below, and a signature field over each line the
    block's ``signed`` names."""

    def __init__(self, r: _Renderer, labels: list[str],
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
            canv.setFont(FONT, 8.5)
            canv.drawString(x, line_y - 10, label)
            if label not in self.signed or self.r.flatten:
                continue
            self.r.signatures += 1
            x0, y0 = canv.absolutePosition(x, line_y + 1)
            self.r.widgets.append(Widget(
                name=f"Underskrift{self.r.signatures}", kind="sig", page=canv.getPageNumber(),
                rect=(x0, y0, x0 + width, y0 + 1.6 * CM - 2), label=label))


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------
def _display(fld: Field, value: Any) -> str:
    """The text a field shows for a value (Danish date, month name, choice title)."""
    if value is None or value == "" or isinstance(value, (list, dict)):
        return ""
    if fld.kind == "date":
        text = str(value)
        if danish.is_iso_date(text):
            return _date.fromisoformat(text).strftime("%d-%m-%Y")
        return text
    if fld.kind == "dropdown":
        return fld.choice_title(value)
    if fld.format == "month" and danish.is_month(str(value)):
        return danish.format_month(str(value))
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return str(value)


def _para_text(text: str) -> str:
    """Plain text as reportlab paragraph markup (escaped; LF -> line break)."""
    text = "".join(c for c in text.replace("\t", "    ") if c >= " " or c == "\n")
    return escape(text).replace("\n", "<br/>")


# ---------------------------------------------------------------------------------------
# The layout walk
# ---------------------------------------------------------------------------------------
class _Renderer:
    """Turns layout blocks into flowables and collects the widgets to place."""

    def __init__(self, form: Form, data: dict, blank: bool, flatten: bool,
                 profile: Profile | None = None, locked: bool = False) -> None:
        from .docx import _refs

        _register_fonts()
        self.form = form
        self.data = data
        self.blank = blank
        self.flatten = flatten
        self.font = FieldFont()
        self.widgets: list[Widget] = []
        self.signatures = 0
        self.refs = _refs(form, data, blank, profile=profile)
        self.locked = locked  # no spare list rows
        self.styles = _styles()

    def running_title(self) -> str:
        text = self.form.schema.get("x-running-title", self.form.title)
        return _REF.sub(lambda m: self.refs.get(m.group(1), ""), text)

    def story(self) -> list:
        """Every layout block as flowables; a text stays on the page of what follows it."""
        tables = ("fields", "rows", "blocks", "static_table", "month_overview", "image",
                  "signature")
        layout = self.form.layout
        out: list = []
        level = 0  # of the heading last seen
        for i, block in enumerate(layout):
            flows = self.block(block)
            following = layout[i + 1] if i + 1 < len(layout) else {}
            if "heading" in block:
                level = int(block.get("level", 1))
            # a section's intro stays with its first sub-heading (and so with its content)
            into_sub = "heading" in following and int(following.get("level", 1)) > level
            if "text" in block and flows and (
                    block["text"].rstrip().endswith(":") or block.get("style") == "note"
                    or any(k in following for k in tables) or into_sub):
                flows[-1].keepWithNext = 1
            out.extend(flows)
        return out

    # -- blocks --------------------------------------------------------------------------
    def block(self, block: dict) -> list:
        from reportlab.platypus import PageBreak, Paragraph, Spacer

        st = self.styles
        if "heading" in block:
            level = int(block.get("level", 1))
            style = st["title"] if level == 0 else st[f"h{min(level, 3)}"]
            return [Paragraph(self._inline(block["heading"]), style)]
        if "text" in block:
            style = {"small": st["small"], "note": st["note"]}.get(block.get("style", ""),
                                                                   st["body"])
            if "profile_text" in block:
                return [Paragraph(_para_text(self.refs[profile_text_path(block)]), style)]
            return [Paragraph(self._inline(block["text"]), style)]
        if "bullets" in block:
            marker = block.get("marker", "•")
            return [Paragraph(self._inline(item), st["bullet"],
                              bulletText=f"{i}." if marker == "1." else marker)
                    for i, item in enumerate(block["bullets"], start=1)] + [Spacer(1, 4)]
        if "rows" in block:
            return self._rows(block)
        if "blocks" in block:
            return self._blocks(block)
        if "fields" in block:
            return self._fields(block)
        if "static_table" in block:
            return self._static_table(block)
        if "signature" in block and "minor" in block and not self.refs[minor_path(block)]:
            return []
        if "signature" in block:
            return [_Signature(self, list(block["signature"]), block.get("signed", ()))]
        if "page_break" in block:
            return [PageBreak()]
        if "image" in block:
            return self._image(block)
        if "month_overview" in block:
            return self._month_overview(block)
        raise SchemaError(f"Skemaet for \"{self.form.id}\" har en ukendt layoutblok i "
                          f"x-layout: {block!r}.",
                          hint="Ret blokken i skemaets x-layout (se schemas/README.md).")

    def _inline(self, text: str) -> str:
        """Static text as paragraph markup: ``*italic*`` and ``{path}`` references."""
        out, pos = [], 0
        for match in _ITALIC.finditer(text):
            out.append(self._plain(text[pos:match.start()]))
            out.append("<i>" + self._plain(match.group(1)) + "</i>")
            pos = match.end()
        out.append(self._plain(text[pos:]))
        return "".join(out)

    def _plain(self, text: str) -> str:
        parts, pos = [], 0
        for match in _REF.finditer(text):
            parts.append(_para_text(text[pos:match.start()]))
            parts.append(_para_text(self.refs.get(match.group(1), "")))
            pos = match.end()
        parts.append(_para_text(text[pos:]))
        return "".join(parts)

    def _label(self, text: str, help_text: str = "") -> list:
        from reportlab.platypus import Paragraph

        flows = [Paragraph(_para_text(text), self.styles["label"])]
        if help_text:
            flows.append(Paragraph(_para_text(help_text), self.styles["help"]))
        return flows

    def _continued(self):
        from reportlab.platypus import Paragraph

        return Paragraph("(fortsat)", self.styles["help"])

    def _answer_cell(self, fld: Field, path: str, min_height: float = 0.0) -> _Cell:
        """The cell of one answer: text boxes fill it, checkboxes sit on the label's line."""
        pad = ANSWER_PAD if fld.kind not in ("checkbox", "multi") else CELL_PAD
        return _Cell(self._answer_flows(fld, path, max(0.0, min_height - 2 * pad)), pad=pad)

    def _answer_flows(self, fld: Field, path: str, min_height: float = 0.0) -> list:
        """The flowables of one answer at a concrete path."""
        value = get_value(self.data, path)
        label = self.form.label(path)
        if fld.kind == "multi":
            chosen = value if isinstance(value, list) else []
            return [_Check(self, f"{path}:{opt}", any(str(c) == str(opt) for c in chosen),
                           title, f"{label}: {title}") for opt, title in fld.choices]
        if fld.kind == "checkbox":
            return [_Check(self, path, value is True, None, label)]
        return [_Answer(self, path, fld, value, min_height)]

    def _fields(self, block: dict) -> list:
        flds = [f for p in block["fields"] for f in self.form.expand(p)]
        long_table = any(f.kind == "long" for f in flds)
        widths = [6.8 * CM, CONTENT_W - 6.8 * CM] if long_table else \
            [5.5 * CM, CONTENT_W - 5.5 * CM]
        rows: list[_Row] = []
        header = block.get("header")
        if header:
            rows.append(_Row([_Cell(self._label(t), LABEL_SHADE) for t in header], widths))
        for fld in flds:
            min_h = 3.2 * CM if fld.kind == "long" else 0.0
            rows.append(_Row([_Cell(self._label(fld.label, fld.help), LABEL_SHADE),
                              self._answer_cell(fld, fld.path, min_h)],
                             widths, min_h, continued_label=self._continued()))
        return [_Table(rows, header=1 if header else 0)]

    def _items(self, path: str) -> int:
        lst = self.form.lists[path]
        items = get_value(self.data, path)
        count = len(items) if isinstance(items, list) else 0
        return count if self.locked else max(count, lst.blank_rows)

    def _list_fields(self, block: dict, key: str) -> list[Field]:
        lst = self.form.lists[block[key]]
        names = block.get("columns") if key == "rows" else block.get("fields")
        if not names:
            return list(lst.fields)
        return [f for n in names for f in self.form.expand(n, f"{lst.path}.*")]

    def _rows(self, block: dict) -> list:
        from reportlab.platypus import Paragraph

        lst = self.form.lists[block["rows"]]
        flds = self._list_fields(block, "rows")
        weights = [3 if f.kind == "long" else 2 if f.kind == "multi" else 1.4 for f in flds]
        widths = [CONTENT_W * wt / sum(weights) for wt in weights]
        head = [_Cell(self._label(lst.label if lst.scalar else f.schema.get("title", f.key)),
                      LABEL_SHADE) for f in flds]
        rows = [_Row(head, widths)]
        for i in range(self._items(lst.path)):
            cells = []
            for fld in flds:
                path = fld.path.replace("*", str(i), 1)
                min_h = 1.2 * CM if fld.kind == "long" else 0.0
                cells.append(self._answer_cell(fld, path, min_h))
            rows.append(_Row(cells, widths))
        out: list = []
        if block.get("title"):
            out.append(Paragraph(_para_text(block["title"]), self.styles["h3"]))
        out.append(_Table(rows, header=1))
        return out

    def _blocks(self, block: dict) -> list:
        from reportlab.platypus import Paragraph

        lst = self.form.lists[block["blocks"]]
        flds = self._list_fields(block, "blocks")
        widths = [5.5 * CM, CONTENT_W - 5.5 * CM]
        out: list = []
        for i in range(self._items(lst.path)):
            out.append(Paragraph(_para_text(f"{lst.item_title} {i + 1}"), self.styles["h3"]))
            rows = []
            for fld in flds:
                path = fld.path.replace("*", str(i), 1)
                min_h = 2.5 * CM if fld.kind == "long" else 0.0
                title = fld.schema.get("title", fld.key)
                rows.append(_Row([_Cell(self._label(title), LABEL_SHADE),
                                  self._answer_cell(fld, path, min_h)],
                                 widths, min_h, continued_label=self._continued()))
            out.append(_Table(rows))
        return out

    def _static_table(self, block: dict) -> list:
        from reportlab.platypus import Paragraph

        data = block["static_table"]
        cols = max((len(r) for r in data), default=1)
        if cols == 2:
            widths = [5.5 * CM, CONTENT_W - 5.5 * CM]
        else:
            first = 4.5 * CM if cols > 1 else CONTENT_W
            widths = [first] + [(CONTENT_W - first) / (cols - 1)] * (cols - 1)
        rows = []
        for r, cells in enumerate(data):
            out_cells = []
            for j in range(cols):
                text = cells[j] if j < len(cells) else ""
                head = j == 0 or (block.get("header") and r == 0)
                style = self.styles["label"] if head else self.styles["cell"]
                out_cells.append(_Cell([Paragraph(_para_text(text), style)],
                                       LABEL_SHADE if head else None))
            rows.append(_Row(out_cells, widths))
        return [_Table(rows, header=1 if block.get("header") else 0)]

    def _image(self, block: dict) -> list:
        from reportlab.platypus import Image

        from ..derived import drawing

        png = drawing(block, self.data)
        size = 15 * CM
        img = Image(io.BytesIO(png), width=size, height=size)
        img.hAlign = "CENTER"
        img.spaceAfter = 8
        return [img]

    def _month_overview(self, block: dict) -> list:
        from reportlab.platypus import Paragraph

        from ..derived import MONTH_ABBR, month_overview

        months, items = month_overview(self.form, block, self.data)
        if not months:
            return [Paragraph(_para_text(block["note"]), self.styles["note"])]
        label_w = CONTENT_W * 0.36
        month_w = (CONTENT_W - label_w) / len(months)
        widths = [label_w] + [month_w] * len(months)
        st = self.styles
        head = [_Cell([Paragraph(_para_text(block["column"]), st["label"])], LABEL_SHADE)] + [
            _Cell([Paragraph(f"{MONTH_ABBR[int(m[5:7]) - 1]}<br/>{m[2:4]}", st["monthhead"])],
                  LABEL_SHADE) for m in months]
        rows = [_Row(head, widths, pad=2)]
        for label, marks in items:
            cells = [_Cell([Paragraph(_para_text(label), st["cell"])])]
            cells += [_Cell([Paragraph("X" if on else "", st["month"])],
                            MONTH_ON if on else None, "middle") for on in marks]
            rows.append(_Row(cells, widths, pad=2))
        return [_Table(rows, header=1)]

    # -- flattened values ----------------------------------------------------------------
    def flat_text(self, canv, name: str, actual: str, part: int, lines: list[str],
                  size: float, leading: float, height: float) -> None:
        """Draw an answer's lines as page content inside a marked-content span."""
        canv.addLiteral(mark_begin(name, actual, part))
        canv.setFillColorRGB(0, 0, 0)
        canv.setFont(FONT, size)
        baseline = height - PAD - TOP_GAP - self.font.ascent * size
        for line in lines:
            if line:
                canv.drawString(PAD, baseline, line)
            baseline -= leading
        canv.addLiteral("EMC")

    def flat_check(self, canv, name: str, on: bool, x: float, y: float, side: float) -> None:
        """Draw a checkbox (✓ when on) as page content inside a marked-content span."""
        canv.addLiteral(mark_begin(name, CHECK if on else None))
        canv.saveState()
        canv.setStrokeColorRGB(0.25, 0.25, 0.25)
        canv.setLineWidth(0.7)
        canv.rect(x + 0.5, y + 0.5, side - 1, side - 1, stroke=1, fill=0)
        if on:
            canv.setFillColorRGB(0, 0, 0)
            canv.setFont(FONT, side * 0.9)
            canv.drawCentredString(x + side / 2, y + side * 0.14, CHECK)
        canv.restoreState()
        canv.addLiteral("EMC")


# ---------------------------------------------------------------------------------------
# Widgets, metadata
# ---------------------------------------------------------------------------------------
def _finish(form: Form, raw: bytes, renderer: _Renderer) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
    if not renderer.flatten:
        builder = AcroBuilder(writer, renderer.font)
        for widget in renderer.widgets:
            builder.add(widget, writer.pages[widget.page - 1])
        builder.finish()
    writer.add_metadata({
        "/Title": form.title,
        "/Author": "skema",
        "/Subject": form.description,
        "/Creator": "skema",
        "/Producer": "skema (reportlab, pypdf)",
        "/skema_form": form.id,
        "/skema_version": form.version,
    })
    root = writer._root_object
    root[NameObject("/Lang")] = TextStringObject("da-DK")
    _add_xmp(writer, form)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_xmp(writer, form: Form) -> None:
    from pypdf.generic import DecodedStreamObject, NameObject

    def x(text: str) -> str:
        return escape(text, {'"': "&quot;"})

    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:skema="urn:skema:ns:1.0/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{x(form.title)}</rdf:li></rdf:Alt>'
        "</dc:title><dc:language><rdf:Bag><rdf:li>da-DK</rdf:li></rdf:Bag></dc:language>"
        "<pdf:Producer>skema (reportlab, pypdf)</pdf:Producer>"
        f"<skema:form>{x(form.id)}</skema:form><skema:version>{x(form.version)}"
        "</skema:version></rdf:Description></rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    stream = DecodedStreamObject()
    stream.set_data(packet.encode("utf-8"))
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    writer._root_object[NameObject("/Metadata")] = writer._add_object(stream)
