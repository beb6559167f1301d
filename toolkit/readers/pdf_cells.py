"""Read a flat copy of a fillable form by position: which text stands in which field.

A PDF that another program filled and then flattened or "printed" (pdftk ``flatten``,
Ghostscript, pdftocairo) has lost its fields and skema's answer marks; what is left is
text on the page. This module ties each glyph of such a copy to the field whose box holds
it, the boxes being the widgets of skema's own blank form (the cells of its tables). It
does so only on a page laid out as the blank's — every label, line and box of the blank
stands at the same place in the copy (the fields of another page are doubtful) — and it
never guesses: a glyph that crosses a field's border,
stands outside every field and label, cannot be decoded, lines that cannot be joined with
certainty, or a mark in a box that is not a known tick, make the field *doubtful*, and the
caller reports it (a list whole) instead of reading it.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from typing import Any

from ..catalogue import Form
from .pdf_glyphs import UNKNOWN, Glyph, Paint, TooComplex, page_marks

__all__ = ["CellReading", "read_cells"]

#: How far (points) a label may stand from its place in the blank (pdftocairo moves
#: text by up to about a point when it rewrites the fonts).
NEAR = 1.6
#: How far (points) a glyph's box may reach over a field's border.
EDGE = 1.0
#: Share of the blank's label glyphs that must be found in place in the copy.
LABELS_FOUND = 0.98

NOT_LAID_OUT = ("kunne ikke læses fra PDF-filens tekst: siderne er ikke sat op som "
                "formularens tomme udgave (en anden version eller et andet layout), så "
                "teksten kan ikke knyttes sikkert til felterne; kontroller feltet i filen")
TOO_COMPLEX = ("kunne ikke læses fra PDF-filens tekst: siderne er tegnet med langt flere "
               "elementer end formularens, så teksten læses ikke efter placering; "
               "kontroller feltet i filen")
CROSSING = ("kunne ikke læses sikkert fra PDF-filens tekst: tekst går ud over feltets kant, "
            "så den kan ikke knyttes til ét felt; kontroller feltet i filen")
OUTSIDE = ("kunne ikke læses sikkert fra PDF-filens tekst: der står tekst uden for "
           "formularens felter på siden, så det kan ikke afgøres, hvilket felt den hører "
           "til; kontroller feltet i filen")
UNDECODED = ("kunne ikke læses: PDF-filens tekst er gemt med en tegnkodning, der ikke kan "
             "læses sikkert (fx æ, ø og å bliver til andre tegn); kontroller feltet i filen")
LINES = ("kunne ikke læses sikkert fra PDF-filens tekst: feltets tekst står på flere "
         "linjer, og det kan ikke afgøres, om linjeskiftene er svarets egne; kontroller "
         "feltet i filen")
CLIPPED = ("kunne ikke læses sikkert fra PDF-filens tekst: teksten fylder feltet helt ud, så "
           "en del af svaret kan være skåret af; kontroller feltet i filen")
HIDDEN = ("kunne ikke læses sikkert fra PDF-filens tekst: feltet har usynlig tekst eller "
          "tekst skrevet oven i anden tekst; kontroller feltet i filen")
MARK = ("kunne ikke læses fra PDF-filens tekst: afkrydsningsfeltet har et mærke, der "
        "ikke er et kendt flueben eller kryds; kontroller feltet i filen")


@dataclass
class Cell:
    """One field's box on a page of the blank form."""

    name: str
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    kind: str  # "text", "box" or "choice"
    multiline: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)

    def holds(self, g: Glyph, edge: float = EDGE) -> bool:
        """Whether the glyph's box lies inside (within ``edge``)."""
        return (g.x0 >= self.x0 - edge and g.x1 <= self.x1 + edge
                and g.y0 >= self.y0 - edge and g.y1 <= self.y1 + edge)

    def touches(self, g: Glyph) -> bool:
        """Whether the glyph's box overlaps the cell at all."""
        return g.x0 < self.x1 and g.x1 > self.x0 and g.y0 < self.y1 and g.y1 > self.y0


@dataclass
class CellReading:
    """What a flat copy shows in each field of its form, by position.

    ``texts``: field name -> the text in its box ("" when empty); ``doubtful``: field
    name -> the reason it cannot be read; ``refused``: why nothing can be read this way
    (then both are empty); ``options``: a drop-down's (export value, label) pairs."""

    texts: dict[str, str] = field(default_factory=dict)
    doubtful: dict[str, str] = field(default_factory=dict)
    refused: str | None = None
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass
class _Reference:
    pages: int
    labels: list[list[Glyph]]
    paints: list[list[Paint]]
    cells: list[Cell]


@functools.lru_cache(maxsize=8)
def _reference(form: Form) -> _Reference:
    """The blank form's label glyphs per page and its fields' boxes."""
    from pypdf import PdfReader

    from ..render.pdf_layout import render_pdf
    from .pdf import read_fields

    reader = PdfReader(io.BytesIO(render_pdf(form, None, blank=True)))
    fields = read_fields(reader)
    labels: list[list[Glyph]] = []
    paints: list[list[Paint]] = []
    cells: list[Cell] = []
    for index, page in enumerate(reader.pages):
        glyphs, drawn = page_marks(reader, page)
        labels.append(glyphs)
        paints.append(drawn)
        for annot in page.get("/Annots") or []:
            widget = annot.get_object()
            if widget.get("/Subtype") != "/Widget":
                continue
            name, node = str(widget.get("/T") or ""), widget
            while "/Parent" in node:
                node = node["/Parent"].get_object()
                if node.get("/T"):
                    name = f"{node['/T']}.{name}" if name else str(node["/T"])
            pf = fields.get(name)
            if pf is None or pf.ftype == "Sig":
                continue
            x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
            kind = {"Btn": "box", "Ch": "choice"}.get(pf.ftype, "text")
            cells.append(Cell(name, index, min(x0, x1), min(y0, y1), max(x0, x1),
                              max(y0, y1), kind, bool(pf.flags & (1 << 12)), pf.options))
    return _Reference(len(reader.pages), labels, paints, cells)


def _laid_out(copy_glyphs: list[Glyph], labels: list[Glyph]) -> tuple[bool, list[Glyph]]:
    """(whether the copy shows the blank's labels in place, the glyphs that are not
    labels)."""
    free: list[Glyph] = []
    found: set[int] = set()
    grid: dict[tuple[int, int], list[int]] = {}
    for i, k in enumerate(labels):
        grid.setdefault((round(k.x0 / 4), round(k.y / 4)), []).append(i)
    for g in copy_glyphs:
        if not g.char.strip() and g.char != " ":
            free.append(g)
            continue
        gx, gy = round(g.x0 / 4), round(g.y / 4)
        near = [i for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                for i in grid.get((gx + dx, gy + dy), ())]
        hit = next((i for i in near if i not in found and abs(g.x0 - labels[i].x0) <= NEAR
                    and abs(g.y - labels[i].y) <= NEAR
                    and g.char in (labels[i].char, UNKNOWN)), None)
        if hit is None:
            free.append(g)
        else:
            found.add(hit)
    wanted = [i for i, k in enumerate(labels) if k.char.strip()]
    seen = sum(1 for i in wanted if i in found)
    return (not wanted or seen >= LABELS_FOUND * len(wanted)), free


def _drawn_alike(copy_paints: list[Paint], paints: list[Paint]) -> bool:
    """Whether every line and box the blank draws (the tables' grid, the fields'
    backgrounds) is drawn at the same place in the copy: rows that grew or moved (a copy
    of a form filled by skema with long answers) change the grid even where every label
    stayed in place."""
    return all(any(abs(p.x0 - q.x0) <= NEAR and abs(p.y0 - q.y0) <= NEAR
                   and abs(p.x1 - q.x1) <= NEAR and abs(p.y1 - q.y1) <= NEAR
                   for q in copy_paints) for p in paints)


def _text(cell: Cell, glyphs: list[Glyph]) -> tuple[str | None, str | None]:
    """(text, reason it is doubtful) of the glyphs in one cell."""
    if any(g.char == UNKNOWN for g in glyphs):
        return None, UNDECODED
    if any(not g.visible for g in glyphs):
        return None, HIDDEN
    lines: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda q: -q.y):
        if lines and abs(lines[-1][0].y - g.y) <= 0.3 * max(g.size, 1.0):
            lines[-1].append(g)
        else:
            lines.append([g])
    texts = []
    for line in lines:
        line.sort(key=lambda q: q.x0)
        out = ""
        for prev, g in zip([None, *line[:-1]], line, strict=True):
            if prev is not None and g.char.strip() and prev.x1 - g.x0 > 0.3 * g.size:
                return None, HIDDEN  # glyphs drawn over each other: two texts in one place
            if (prev is not None and g.x0 - prev.x1 > 0.25 * g.size and prev.char.strip()
                    and g.char.strip()):
                out += " "
            out += g.char
        texts.append(out)
    last = lines[-1] if lines else []
    if any(line[-1].x1 > cell.x1 - 1.0 for line in lines) or (
            cell.multiline and last and last[0].y - 1.1 * last[0].size < cell.y0):
        return None, CLIPPED  # no room for one more letter or line: maybe cut off
    if len(texts) > 1:
        if not cell.multiline or any(not t.endswith((" ", "\u00a0")) for t in texts[:-1]):
            return None, LINES
    return "".join(texts).strip(), None


def _box(cell: Cell, glyphs: list[Glyph], paints: list[Paint]) -> tuple[str | None,
                                                                      str | None]:
    """(text shown, reason doubtful) of a check box: a glyph is read by the caller; a
    drawn shape smaller than the box is a mark skema cannot read."""
    text = "".join(g.char for g in glyphs).strip()
    if any(g.char == UNKNOWN or not g.visible for g in glyphs):
        return None, MARK
    if text:
        return text, None
    area = (cell.x1 - cell.x0) * (cell.y1 - cell.y0)
    for p in paints:
        inside = (p.x0 >= cell.x0 - EDGE and p.x1 <= cell.x1 + EDGE
                  and p.y0 >= cell.y0 - EDGE and p.y1 <= cell.y1 + EDGE)
        if inside and (p.x1 - p.x0) * (p.y1 - p.y0) < 0.5 * area:
            return None, MARK
    return "", None


def read_cells(form: Form, reader: Any) -> CellReading:
    """What the flat copy (pypdf reader) shows in each field of the form, by position."""
    ref = _reference(form)
    out = CellReading(options={c.name: c.options for c in ref.cells if c.options})
    if len(reader.pages) != ref.pages:
        out.refused = NOT_LAID_OUT
        return out
    for index, page in enumerate(reader.pages):
        try:
            glyphs, paints = page_marks(reader, page)
        except TooComplex:
            return CellReading(refused=TOO_COMPLEX)
        cells = [c for c in ref.cells if c.page == index]
        placed, free = _laid_out(glyphs, ref.labels[index])
        if not placed or not _drawn_alike(paints, ref.paints[index]):
            for c in cells:  # this page moved (a box grew): none of its fields is placed
                out.doubtful[c.name] = NOT_LAID_OUT
            continue
        inside: dict[str, list[Glyph]] = {c.name: [] for c in cells}
        stray = False
        for g in free:
            holders = [c for c in cells if c.holds(g)]
            if len(holders) == 1:
                inside[holders[0].name].append(g)
                continue
            if not g.char.strip():
                continue  # a space outside any field says nothing
            touched = [c for c in cells if c.touches(g)]
            for c in touched:
                out.doubtful[c.name] = CROSSING
            stray = stray or not touched
        for c in cells:
            if stray:
                out.doubtful.setdefault(c.name, OUTSIDE)
            if c.name in out.doubtful:
                continue
            text, reason = (_box(c, inside[c.name], paints) if c.kind == "box"
                            else _text(c, inside[c.name]))
            if reason is not None or text is None:
                out.doubtful[c.name] = reason or UNDECODED
            else:
                out.texts[c.name] = text
    return out
