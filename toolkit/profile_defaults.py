"""Answers the municipality's profile gives a field the data leaves empty (``x-profile-default``).

A field with ``"x-profile-default": "afdeling"`` (the issuing department) shows the
profile's first ``afdelinger`` entry in a filled document when the data has no answer of
its own; the profile's whole ``afdelinger`` list is what the web fill page and the Excel
workbook suggest for it. ``"kommune"`` gives a municipality field the profile's own
municipality (its short name, as the 98 are written). Without a profile, or with an empty
list, nothing is added.
"""

from __future__ import annotations

import copy
from typing import Any

from .catalogue import Field, Form
from .profile import Profile

#: The schema keyword that names the profile entry a field takes when left empty.
KEYWORD = "x-profile-default"


def suggestions(fld: Field, profile: Profile | None) -> tuple[str, ...]:
    """What the profile offers for the field (the ``afdelinger``), empty when nothing."""
    if profile is None or fld.schema.get(KEYWORD) != "afdeling":
        return ()
    return profile.departments


def profile_default(fld: Field, profile: Profile | None) -> str | None:
    """The answer the profile gives the field when the data leaves it empty, else None."""
    if profile is not None and fld.schema.get(KEYWORD) == "kommune":
        return profile.kommune
    offered = suggestions(fld, profile)
    return offered[0] if offered else None


def with_profile_defaults(form: Form, data: dict, profile: Profile | None) -> dict:
    """``data`` with each empty ``x-profile-default`` field (outside lists) answered from
    the profile; ``data`` itself is not changed (a copy when anything is added)."""
    if profile is None:
        return data
    out = data
    for path, fld in form.fields.items():
        value = profile_default(fld, profile) if fld.list_path is None else None
        if value is None or _answered(data, path):
            continue
        if out is data:
            out = copy.deepcopy(data)
        _put(out, path.split("."), value)
    return out


def _answered(data: dict, path: str) -> bool:
    """True when the data has an answer (or something other than a group) on the way."""
    node: Any = data
    for part in path.split("."):
        if node is None:
            return False  # the group is not there yet
        if not isinstance(node, dict):
            return True  # a group given as something else: validation reports it
        node = node.get(part)
    return node not in (None, "")


def _put(data: dict, parts: list[str], value: str) -> None:
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
