"""PDF: a month overview drawn per document, over a template that only keeps its place.

A plan's month overview (which months, which interventions in which months) differs
from one ``indsatsskema`` row to the next, while the rest of the pages often does not.
So a fillable PDF's template (:mod:`toolkit.render.pdf_template`) does not draw it: the
overview's rows are laid out with their real heights but draw nothing
(:class:`OverviewRow`); where each row went is recorded as a :class:`Spot`, and every
document draws its own overview's cells there as an extra content stream of the page
(:meth:`Overview.ops`), exactly as :class:`toolkit.render.pdf_flowables.Row` draws a
row: fills, texts, then borders. The template's key holds only the overview's geometry
(:meth:`Overview.key`), so plans with the same list lengths share a template.

Regular text (interventions, the marks) is drawn in the field font, the same file as the
page's regular font (its glyphs are subset per document, see
:class:`toolkit.render.pdf_acro.FieldFont`); bold text (the column headings) in the
page's bold font, whose codes for every character a heading can use are assigned when
the template is drawn (:func:`bold_codes`). A flattened copy draws the overview as page
content, as before (see ``Renderer._month_overview``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..derived import MONTH_ABBR, MONTHS_PER_TABLE, month_chunks
from .pdf_acro import AP_FONT, FieldFont, pdf_number
from .pdf_flowables import (
    CONTENT_W,
    GRID,
    LABEL_SHADE,
    MONTH_ON,
    Cell,
    Row,
    Table,
    para_text,
    static_para,
)

if TYPE_CHECKING:
    from .pdf_layout import Renderer

#: Padding of the overview's cells (``Row(..., pad=2)``).
PAD = 2.0
#: Every character a month heading can show (abbreviations and two-digit years).
MONTH_CHARS = "".join(sorted(set("".join(MONTH_ABBR)) | set("0123456789")))


@dataclass(frozen=True)
class Spot:
    """Where one row of an overview went when the template was drawn: the overview
    (its block's index in the layout), its table and row (0: the heading row), the
    page, the row's lower left corner and its height."""

    block: int
    table: int
    row: int
    page: int
    x: float
    y: float
    height: float


class Unplaceable(Exception):
    """An overview row would split across pages: draw the overview as page content."""


class _Fixed:
    """A cell's content reduced to its size (draws nothing)."""

    def __init__(self, height: float) -> None:
        self.height = height

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803
        return aW, self.height

    def split(self, aW: float, aH: float) -> list:  # noqa: N803
        return []


class OverviewRow(Row):
    """An overview row that draws nothing and records where it went (see :class:`Spot`)."""

    def __init__(self, cells: list[Cell], widths: list[float], overview: Overview,
                 renderer: Renderer, table: int, row: int, multiline: bool) -> None:
        super().__init__(cells, widths, pad=PAD)
        self.overview = overview
        self.renderer = renderer
        self.table = table
        self.row = row
        self.multiline = multiline

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803
        """Record the row's place (no operators at all: the page's content is the same
        for any overview of this geometry); a heading row assigns the bold codes."""
        ax, ay = canvas.absolutePosition(x, y)
        self.renderer.spots.append(Spot(self.overview.index, self.table, self.row,
                                        canvas.getPageNumber(), ax, ay, self.height))
        if self.row == 0:
            font = self.overview.styles["label"].fontName
            chars = MONTH_CHARS + self.overview.block["column"]
            self.renderer.bold.update(bold_codes(canvas, font, chars))

    def split(self, aW: float, aH: float) -> list:  # noqa: N803
        """A row whose label has several lines could split across pages as page content
        (see :meth:`Row.split`): then the document is drawn again with its overview as
        page content (:class:`Unplaceable`)."""
        if self.multiline and aH >= 24 + 2 * PAD:
            raise Unplaceable(self.overview.index)
        return []


def whole(spots: list[Spot]) -> bool:
    """True when every overview table of a template was drawn on one page, its heading
    once: then any document whose overview has the same :meth:`Overview.key` fits."""
    pages: dict[tuple[int, int], set[int]] = {}
    heads: dict[tuple[int, int], int] = {}
    for spot in spots:
        pages.setdefault((spot.block, spot.table), set()).add(spot.page)
        heads[(spot.block, spot.table)] = heads.get((spot.block, spot.table), 0) + (
            spot.row == 0)
    return all(len(p) == 1 for p in pages.values()) and all(
        n == 1 for n in heads.values())


def bold_codes(canv: Any, font_name: str, chars: str) -> dict[str, tuple[str, int]]:
    """Per character, the resource name of reportlab's subset of a TrueType page font
    and its code there, assigned now (so the glyph is embedded although the template's
    pages may never draw it)."""
    from reportlab.pdfbase import pdfmetrics

    font = pdfmetrics.getFont(font_name)
    doc = canv._doc
    out: dict[str, tuple[str, int]] = {}
    for char in dict.fromkeys(chars):
        ((subset, code),) = font.splitString(char, doc)
        out[char] = (font.getSubsetInternalName(subset, doc), code[0])
    return out


class Overview:
    """One document's month overview: its geometry and how to draw it."""

    def __init__(self, index: int, block: dict, months: list[str],
                 items: list[tuple[str, list[bool]]], styles: dict[str, Any],
                 font: FieldFont) -> None:
        self.index = index
        self.block = block
        self.months = months
        self.items = items
        self.styles = styles
        self.label_w = CONTENT_W * 0.36
        self.month_w = (CONTENT_W - self.label_w) / MONTHS_PER_TABLE  # as wide in every table
        self.chunks = month_chunks(len(months))
        # parsed and line-broken once per process and text (the same activities recur)
        self.labels = [static_para(para_text(label), styles["cell"]) for label, _marks in items]
        self.label_h = [p.wrap(self.label_w - 2 * PAD, 10_000)[1] for p in self.labels]
        self.column = static_para(para_text(block["column"]), styles["label"])
        self.column_h = self.column.wrap(self.label_w - 2 * PAD, 10_000)[1]
        self.mark_h = {on: static_para("X" if on else "", styles["month"]).wrap(
            self.month_w - 2 * PAD, 10_000)[1] for on in (False, True)}
        self.heights = [self._heights(cols) for cols in self.chunks]
        #: False when this overview cannot be drawn as reportlab would (a label with a
        #: character the font lacks, or a line squeezed by word spacing): then it is
        #: drawn as page content, and the template's key holds the whole overview.
        self.exact = all(_plain_lines(p) for p in [self.column, *self.labels]) and all(
            font.has(c) for label, _marks in items for c in label)

    def _head(self, c: int) -> str:
        month = self.months[c]
        return f"{MONTH_ABBR[int(month[5:7]) - 1]}<br/>{month[2:4]}"

    def _heights(self, cols: range) -> tuple[float, ...]:
        """The rows' heights in the table of these months (heading row first)."""
        inner = self.month_w - 2 * PAD
        head = max([self.column_h] + [static_para(self._head(c), self.styles["monthhead"])
                                      .wrap(inner, 10_000)[1] for c in cols])
        rows = [head + 2 * PAD]
        for height, (_label, marks) in zip(self.label_h, self.items):
            rows.append(max([height] + [self.mark_h[marks[c]] for c in cols]) + 2 * PAD)
        return tuple(rows)

    def key(self) -> tuple:
        """What the overview's place on the pages depends on when each table is drawn
        whole: per table, its rows, heading height and total height (the month columns
        are the document's own: it draws the grid)."""
        return tuple((len(heights), heights[0], round(sum(heights), 6))
                     for heights in self.heights)

    def fine(self) -> tuple:
        """The overview's place when a table splits across pages: every row's height."""
        return tuple(self.heights)

    def respot(self, spots: list[Spot]) -> list[Spot]:
        """The spots of this overview's rows below the heading rows' ``spots`` of a
        template whose tables were drawn whole (see :func:`whole`)."""
        out: list[Spot] = []
        for head in spots:
            if head.row != 0 or head.block != self.index:
                continue
            out.append(head)
            y = head.y
            for row, height in enumerate(self.heights[head.table][1:], start=1):
                y -= height
                out.append(Spot(head.block, head.table, row, head.page, head.x, y, height))
        return out

    def flowables(self, renderer: Renderer) -> list:
        """The tables as the template draws them: rows of the right heights, no content."""
        from reportlab.platypus import Spacer

        out: list = []
        for n, cols in enumerate(self.chunks):
            widths = [self.label_w] + [self.month_w] * len(cols)
            rows: list[Row] = []
            for r, height in enumerate(self.heights[n]):
                cell = Cell([_Fixed(height - 2 * PAD)])
                multiline = r > 0 and self.label_h[r - 1] > self.styles["cell"].leading
                rows.append(OverviewRow([cell], [sum(widths)], self, renderer, n, r,
                                        multiline))
            out.append(Table(rows, header=1))
            if n < len(self.chunks) - 1:
                out.append(Spacer(1, 6))
        return out

    # -- drawing, per document -----------------------------------------------------------
    def ops(self, spot: Spot, font: FieldFont, bold: dict[str, tuple[str, int]]) -> list[str]:
        """Content operators of one row at its spot: fills, texts, borders (as ``Row``)."""
        cols = self.chunks[spot.table]
        widths = [self.label_w] + [self.month_w] * len(cols)
        st = self.styles
        top = spot.y + spot.height
        out: list[str] = []
        x = spot.x
        if spot.row == 0:
            out += _fill(x, spot.y, widths[0], spot.height, LABEL_SHADE)
            out += _para_ops(self.column, x + PAD, top - PAD, bold=bold)
            x += widths[0]
            for c, width in zip(cols, widths[1:]):
                out += _fill(x, spot.y, width, spot.height, LABEL_SHADE)
                month = self.months[c]
                lines = [MONTH_ABBR[int(month[5:7]) - 1], month[2:4]]
                out += _lines_ops(lines, st["monthhead"], x + PAD, width - 2 * PAD,
                                  top - PAD, bold=bold)
                x += width
        else:
            label = self.labels[spot.row - 1]
            label.wrap(widths[0] - 2 * PAD, 10_000)
            out += _para_ops(label, x + PAD, top - PAD, font=font)
            marks = self.items[spot.row - 1][1]
            x += widths[0]
            mark_h = self.mark_h[True]
            for c, width in zip(cols, widths[1:]):
                if marks[c]:
                    out += _fill(x, spot.y, width, spot.height, MONTH_ON)
                    # valign middle: the mark's paragraph centred in the row
                    out += _lines_ops(["X"], st["month"], x + PAD, width - 2 * PAD,
                                      spot.y + (spot.height + mark_h) / 2, font=font)
                x += width
        out.append(_borders(spot.x, spot.y, spot.height, tuple(widths)))
        return out


@lru_cache(maxsize=1024)
def _borders(x: float, y: float, height: float, widths: tuple[float, ...]) -> str:
    """A row's cell borders (the same places recur in every document of a template)."""
    r, g, b = GRID
    out = [f"{_num(r)} {_num(g)} {_num(b)} RG 0.5 w"]
    for width in widths:
        out.append(f"{_num(x)} {_num(y)} {_num(width)} {_num(height)} re S")
        x += width
    return "\n".join(out)


def _num(value: float) -> str:
    """A number for a content stream, to 1/100,000 pt (so a row's edges fall on the
    pixels reportlab's own drawing gives)."""
    return pdf_number(value, 5)


def _plain_lines(para: Any) -> bool:
    """True when a wrapped paragraph is one style's plain lines, none squeezed."""
    bl_para = para.blPara
    return bl_para.kind == 0 and all(space > -1e-8 or len(words) < 2
                                     for space, words in bl_para.lines)


@lru_cache(maxsize=4096)
def _fill(x: float, y: float, w: float, h: float, colour: tuple) -> tuple[str, str]:
    r, g, b = colour
    return (f"{_num(r)} {_num(g)} {_num(b)} rg",
            f"{_num(x)} {_num(y)} {_num(w)} {_num(h)} re f")


def _para_ops(para: Any, x: float, top: float, font: FieldFont | None = None,
              bold: dict[str, tuple[str, int]] | None = None) -> list[str]:
    """A left-aligned paragraph (wrapped, plain text) drawn from ``top`` (its box's top)."""
    lines = [" ".join(words) for _space, words in para.blPara.lines]
    style = para.style
    return _text_ops(lines, [0.0] * len(lines), style, x, top, font, bold)


def _lines_ops(lines: list[str], style: Any, x: float, width: float, top: float,
               font: FieldFont | None = None,
               bold: dict[str, tuple[str, int]] | None = None) -> list[str]:
    """Lines centred in ``width`` (reportlab's widths, as its paragraph centres them)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    offsets = [0.5 * (width - stringWidth(line, style.fontName, style.fontSize))
               for line in lines]
    return _text_ops(lines, offsets, style, x, top, font, bold)


def _text_ops(lines: list[str], offsets: list[float], style: Any, x: float, top: float,
              font: FieldFont | None, bold: dict[str, tuple[str, int]] | None) -> list[str]:
    """Lines from ``top`` down: the first baseline a font size below (as reportlab's
    paragraphs), each line ``leading`` lower, in the field font or the bold page font."""
    size = style.fontSize
    out = ["0 0 0 rg"]
    baseline = top - size
    for line, offset in zip(lines, offsets):
        if line:
            head = f"BT 1 0 0 1 {_num(x + offset)} {_num(baseline)} Tm"
            if font is not None:
                out.append(f"{head} /{AP_FONT} {_num(size)} Tf {font.encode(line)} Tj ET")
            else:
                assert bold is not None
                out.append(head + _bold_runs(line, size, bold) + " ET")
        baseline -= style.leading
    return out


def _bold_runs(line: str, size: float, bold: dict[str, tuple[str, int]]) -> str:
    """Runs of one reportlab subset each: `` /F3+0 6 Tf <0102> Tj``."""
    out: list[str] = []
    current = None
    for char in line:
        name, code = bold[char]
        if name != current:
            if current is not None:
                out.append("> Tj")
            out.append(f" {name} {_num(size)} Tf <")
            current = name
        out.append(f"{code:02X}")
    out.append("> Tj")
    return "".join(out)
