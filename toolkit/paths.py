"""Dotted field paths into a form's data: ``borger.cpr``, ``indsatser.2.ansvarlig``.

One reading of a path for every part of the toolkit (rendering, extraction, the workbook
reader and writer, batch file names, collect): parts are object keys, and a number part
is an index where the value is a list.
"""

from __future__ import annotations

from typing import Any


def get_value(data: Any, path: str) -> Any:
    """The value at a concrete dotted path, or None when any part of it is missing."""
    node = data
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _parent(data: dict, path: str) -> tuple[dict, str]:
    """The object that holds the last key of ``path`` (made as needed), and that key."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    return node, parts[-1]


def setdefault_value(data: dict, path: str, default: Any) -> Any:
    """The value at ``path``, set to ``default`` first when missing; objects on the way
    are made as needed."""
    node, key = _parent(data, path)
    return node.setdefault(key, default)


def set_value(data: dict, path: str, value: Any) -> None:
    """Set the value at ``path``, making the objects on the way as needed."""
    node, key = _parent(data, path)
    node[key] = value
