"""Layout text that depends on the profile or on the data, shared by the Word and PDF renderers.

* A text block with ``"profile_text": KEY`` is text a municipality's lawyers may word
  otherwise: the profile's ``samtykke.tekster.KEY`` replaces the schema's text. Its
  reference path is ``profil.samtykke.KEY``.
* A signature block with ``"minor": {"cpr": …, "date": …}`` is shown only when the CPR
  number's birth date makes the person under 18 on the date (and in blank forms, or when
  either is unknown). Its reference path is ``minor:<cpr path>:<date path>``, whose value is
  ``"1"`` (show) or ``""``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from . import danish
from .catalogue import Form


def profile_text_path(block: dict) -> str:
    """The reference path of a replaceable text block."""
    return f"profil.samtykke.{block['profile_text']}"


def minor_path(block: dict) -> str:
    """The reference path that says whether a guardian's signature block is shown."""
    return f"minor:{block['minor']['cpr']}:{block['minor']['date']}"


def special_paths(form: Form) -> list[str]:
    """The reference paths of the form's replaceable texts and guardian blocks."""
    out = [profile_text_path(b) for b in form.layout if "profile_text" in b]
    out += [minor_path(b) for b in form.layout if "minor" in b]
    return out


def default_texts(form: Form) -> dict[str, str]:
    """The schema's own wording of each replaceable text, by reference path."""
    return {profile_text_path(b): b["text"] for b in form.layout if "profile_text" in b}


def under_18(cpr: Any, on: Any) -> bool | None:
    """True/False when the CPR number's holder is under 18 on the ISO date ``on``; None
    when either is missing or unreadable."""
    if not isinstance(cpr, str) or not isinstance(on, str) or not danish.is_iso_date(on):
        return None
    born = danish.cpr_birth_date(cpr)
    if born is None:
        return None
    day = _dt.date.fromisoformat(on)
    try:
        adult = born.replace(year=born.year + 18)
    except ValueError:  # 29 February
        adult = _dt.date(born.year + 18, 3, 1)
    return day < adult


def show_minor(get: Any, block_path: str) -> str:
    """``"1"`` when the guardian block of ``minor:<cpr>:<date>`` is shown (``get``: the
    data's value at a path), else ``""``."""
    _, cpr_path, date_path = block_path.split(":")
    minor = under_18(get(cpr_path), get(date_path))
    return "" if minor is False else "1"
