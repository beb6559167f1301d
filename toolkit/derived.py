"""Content derived from the data, never typed in: the month overview, the drawings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from . import danish
from .catalogue import Form
from .paths import get_value
from .render.cache import Cache

MONTH_ABBR = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MAX_MONTHS = 36
#: The most months one table of the overview shows; a longer plan wraps to more tables.
MONTHS_PER_TABLE = 12
KEEP_TOGETHER_ROWS = 24  # an overview this short is kept on one page


def months_between(start: str, end: str) -> list[str]:
    """``YYYY-MM`` of every month from start to end (dates or months), at most 36."""
    if not start or not end:
        return []
    y, m = int(start[:4]), int(start[5:7])
    last = (int(end[:4]), int(end[5:7]))
    out: list[str] = []
    while (y, m) <= last and len(out) < MAX_MONTHS:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_chunks(count: int) -> list[range]:
    """The month indices each table of the overview shows: at most
    :data:`MONTHS_PER_TABLE`, the tables as even as can be (18 months: 9 and 9)."""
    tables = max(1, -(-count // MONTHS_PER_TABLE))
    size, extra = divmod(count, tables)
    out, start = [], 0
    for i in range(tables):
        end = start + size + (1 if i < extra else 0)
        out.append(range(start, end))
        start = end
    return out


def month_overview(form: Form, block: dict, data: dict
                   ) -> tuple[list[str], list[tuple[str, list[bool]]]]:
    """(months of the period, rows of (label, [bool per month])) for a month_overview block."""
    start, end = (get_value(data, p) for p in block["period"])
    valid = all(isinstance(v, str) and danish.is_iso_date(v) for v in (start, end))
    months = months_between(start, end) if valid else []
    rows: list[tuple[str, list[bool]]] = []
    for item in get_value(data, block["month_overview"]) or []:
        if not isinstance(item, dict):
            continue
        frm, to = item.get(block["from"]), item.get(block["to"])
        label = str(item.get(block["label"]) or "")
        if not label and not frm:
            continue
        if isinstance(frm, str) and isinstance(to, str) and danish.is_month(frm) \
                and danish.is_month(to):
            rows.append((label, [frm <= mon <= to for mon in months]))
        else:
            rows.append((label, [False] * len(months)))
    return months, rows


def month_overview_xml(form: Form, block: dict, data: dict) -> str:
    """The month overview as a Word table (``w:tbl``), or a note when there is no period.

    The label column's header (``column``) and the note (``note``) are the block's own words.
    """
    months, rows = month_overview(form, block, data)
    if not months:
        return ('<w:p><w:pPr><w:pStyle w:val="Hjaelp"/></w:pPr><w:r><w:t>'
                f"{escape(block['note'])}</w:t></w:r></w:p>")
    label_w = 3400
    # a plan's overview is short: keep it on one page (each row kept with the next)
    whole = len(rows) <= KEEP_TOGETHER_ROWS

    def cell(text: str, width: int, fill: str | None = None, bold: bool = False,
             center: bool = False, keep: bool = True) -> str:
        shd = f'<w:shd w:val="clear" w:fill="{fill}"/>' if fill else ""
        jc = ("<w:keepNext/>" if keep and whole else "") + (
            '<w:jc w:val="center"/>' if center else "")
        size = 14 if center else 16  # a month column: 7 pt, narrow margins, so "aug" fits
        mar = ('<w:tcMar><w:left w:w="30" w:type="dxa"/><w:right w:w="30" w:type="dxa"/>'
               "</w:tcMar>") if center else ""
        rpr = f'<w:rPr>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
        runs = "<w:br/>".join(_text(part) for part in text.split("\n"))
        return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shd}{mar}</w:tcPr><w:p>'
                f'<w:pPr><w:pStyle w:val="Svar"/>{jc}</w:pPr><w:r>{rpr}{runs}</w:r></w:p>'
                "</w:tc>")

    def table(cols: range, last: bool) -> str:
        month_w = (9638 - label_w) // MONTHS_PER_TABLE  # the same width in every table
        grid = f'<w:gridCol w:w="{label_w}"/>' + f'<w:gridCol w:w="{month_w}"/>' * len(cols)
        head = cell(block["column"], label_w, "EEF2F6", bold=True) + "".join(
            cell(f"{MONTH_ABBR[int(months[c][5:7]) - 1]}\n{months[c][2:4]}", month_w,
                 "EEF2F6", True, True) for c in cols)
        body = "".join(
            "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
            + cell(label, label_w, keep=not last or i < len(rows) - 1)
            + "".join(cell("X" if marks[c] else "", month_w, "5B8DB8" if marks[c] else None,
                           center=True, keep=not last or i < len(rows) - 1) for c in cols)
            + "</w:tr>"
            for i, (label, marks) in enumerate(rows)
        )
        return (
            '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:jc w:val="center"/>'
            '<w:tblLayout w:type="fixed"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>"
            f'<w:tr><w:trPr><w:tblHeader/></w:trPr>{head}</w:tr>{body}</w:tbl>'
        )

    chunks = month_chunks(len(months))
    gap = ('<w:p><w:pPr><w:pStyle w:val="Svar"/>' + ("<w:keepNext/>" if whole else "")
           + "</w:pPr></w:p>")
    return gap.join(table(cols, i == len(chunks) - 1) for i, cols in enumerate(chunks))




def _text(text: str) -> str:
    """``w:t`` of a text; ``xml:space="preserve"`` only where spaces would be lost."""
    if not text:
        return "<w:t/>"
    if text != text.strip() or "  " in text or "\t" in text:
        return f'<w:t xml:space="preserve">{escape(text)}</w:t>'
    return f"<w:t>{escape(text)}</w:t>"


def _network_circle(persons: list[dict]) -> bytes:
    from .network_circle import render_png

    return render_png(persons)


#: The drawings an ``image`` layout block can name, each drawn from the list its ``field``
#: names (no ``field``: drawn empty). The meta-schema allows exactly these names.
DRAWINGS: dict[str, Callable[[list[dict]], bytes]] = {"netvaerkscirkel": _network_circle}


def drawing(block: dict, data: Any) -> bytes:
    """The PNG an ``image`` block shows, drawn from the list at its ``field``.

    Kept per process for the lists that recur (an empty circle, the strategy's, a batch's
    rows with the same network): drawing and encoding one takes 80–100 ms."""
    import hashlib

    items = get_value(data, block["field"]) if block.get("field") else []
    persons = [p for p in items or [] if isinstance(p, dict)]
    # keyed by a digest: the whole list's text (names, notes) would stay in memory and
    # a hostile list could make each key megabytes
    key = (block["image"], hashlib.sha256(repr(persons).encode("utf-8", "replace")).digest())
    png = _DRAWN.get(key)
    if png is None:
        png = _DRAWN.put(key, DRAWINGS[block["image"]](persons))
    return png


_DRAWN: Cache[tuple[str, bytes], bytes] = Cache(16)
