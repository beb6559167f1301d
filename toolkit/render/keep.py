"""Which layout blocks the Word and PDF renderers keep on one page together.

A list's table and the drawing made from that list (the network circle under its own
heading) belong on one page: the reader compares them. Both renderers ask
:func:`kept_with_drawing` for a ``rows`` block and keep its table with what follows, and
:func:`fields_kept_whole` whether a short fields table (or a list item's block) moves to
the next page whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: A fields table this short moves to the next page whole rather than split.
KEEP_TOGETHER_ROWS = 8


def fields_kept_whole(flds: Sequence[Any]) -> bool:
    """Whether a ``fields`` table of these fields is kept on one page: at most
    :data:`KEEP_TOGETHER_ROWS` rows, at most two of them long answers."""
    return len(flds) <= KEEP_TOGETHER_ROWS and sum(f.kind == "long" for f in flds) <= 2


def kept_with_drawing(layout: list[dict], index: int) -> bool:
    """True when block ``index`` is a ``rows`` table whose list is drawn by an ``image``
    block after it, with only headings and text in between."""
    block = layout[index]
    if "rows" not in block:
        return False
    for later in layout[index + 1:]:
        if "image" in later:
            return later.get("field") == block["rows"]
        if not ("heading" in later or "text" in later):
            return False
    return False
