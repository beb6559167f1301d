"""One kind of per-process cache for what recurs from document to document.

A batch renders thousands of documents of one form: the same rectangles, labels, options,
glyph entries and answers recur in nearly every one, so each is worked out once per
process and kept. :class:`Cache` keeps at most ``limit`` entries and is emptied when it
would hold more: the entries that matter recur at once and are made again, and a
recently-used order (an LRU) would cost more per hit than it saves.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Cache(dict[K, V]):
    """A dict of at most ``limit`` entries (emptied when :meth:`put` would pass it)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` under ``key`` (emptying the cache first when it is full) and
        return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
