"""Which layout blocks the Word and PDF renderers keep on one page together.

A list's table and the drawing made from that list (the network circle under its own
heading) belong on one page: the reader compares them. Both renderers ask
:func:`kept_with_drawing` for a ``rows`` block and keep its table with what follows.
"""

from __future__ import annotations


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
