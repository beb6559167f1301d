"""Danish specifics: CPR numbers, dates, the 98 municipalities and Danish sorting."""

from __future__ import annotations

import datetime as _dt
import json
import re
from functools import lru_cache

from .resources import data_text

MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)
_MONTH_NUMBER = {name: i for i, name in enumerate(MONTHS, start=1)}
# Common abbreviations ("feb.", "sept.") seen in typed dates.
_MONTH_NUMBER.update({name[:3]: i for name, i in list(_MONTH_NUMBER.items())})
_MONTH_NUMBER["sept"] = 9

_CPR_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d{4})$")


def format_date(value: str | _dt.date | None) -> str:
    """ISO date (or date) as Danish document text: ``26. februar 2019``."""
    if not value:
        return ""
    day = value if isinstance(value, _dt.date) else _dt.date.fromisoformat(str(value))
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def format_month(value: str | None) -> str:
    """``2019-02`` as ``februar 2019``."""
    if not value:
        return ""
    year, month = str(value).split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def parse_date(text: str) -> str | None:
    """Parse a date written the Danish way or as ISO; return ISO ``YYYY-MM-DD`` or None.

    Accepts ``2019-02-26``, ``26-02-2019``, ``26.2.2019``, ``26/2/2019``, ``26. februar 2019``
    and ``26. feb. 2019``; a time part after an ISO date (``T00:00:00Z``) is ignored.
    """
    text = (text or "").strip().lower()
    if not text:
        return None
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ].*)?$", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _iso(year, month, day)
    match = re.match(r"^(\d{1,2})[-./ ](\d{1,2})[-./ ](\d{4})$", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _iso(year, month, day)
    match = re.match(r"^(\d{1,2})\.?\s+([a-zæøå]+)\.?\s+(\d{4})$", text)
    if match and match.group(2) in _MONTH_NUMBER:
        return _iso(int(match.group(3)), _MONTH_NUMBER[match.group(2)], int(match.group(1)))
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def is_iso_date(text: str) -> bool:
    """True for a real calendar date written ``YYYY-MM-DD``."""
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or "")) and _iso(
        *(int(p) for p in text.split("-"))
    ) is not None


def is_month(text: str) -> bool:
    """True for ``YYYY-MM`` with a month 01-12."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    return bool(match) and 1 <= int(match.group(2)) <= 12


def cpr_birth_date(cpr: str) -> _dt.date | None:
    """The birth date a CPR number encodes, or None when the number is malformed.

    The century follows from the 7th digit (CPR-kontoret's table). Modulus 11 is
    deliberately not checked: numbers without it have been issued since 2007.
    """
    match = _CPR_RE.match((cpr or "").strip())
    if not match:
        return None
    day, month, yy, serial = match.groups()
    yy_i, digit7 = int(yy), int(serial[0])
    if digit7 <= 3:
        century = 1900
    elif digit7 in (4, 9):
        century = 2000 if yy_i <= 36 else 1900
    else:  # 5-8
        century = 2000 if yy_i <= 57 else 1800
    try:
        return _dt.date(century + yy_i, int(month), int(day))
    except ValueError:
        return None


def is_cpr(text: str) -> bool:
    """True for ``DDMMYY-XXXX`` with a real date part."""
    return bool(re.fullmatch(r"\d{6}-\d{4}", text or "")) and cpr_birth_date(text) is not None


def mask_cpr(text: str) -> str:
    """Hide the serial part of anything that looks like a CPR number: ``010190-xxxx``."""
    return re.sub(r"\b(\d{6})-?\d{4}\b", r"\1-xxxx", text or "")


_PHONE_RE = re.compile(r"^(\+45|0045)?\s*(\d\s*){8}$")


def is_phone(text: str) -> bool:
    """A Danish phone number: eight digits, spaces allowed, optional +45."""
    return bool(_PHONE_RE.match((text or "").strip()))


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}$")


def is_email(text: str) -> bool:
    """A plausible e-mail address (one @, a dotted domain, no spaces)."""
    return bool(_EMAIL_RE.match(text or ""))


@lru_cache(maxsize=1)
def kommuner() -> tuple[dict, ...]:
    """Denmark's 98 municipalities: ``nummer``, ``navn``, ``officielt_navn``, ``region``."""
    return tuple(json.loads(data_text("kommuner.json")))


@lru_cache(maxsize=1)
def _kommune_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for k in kommuner():
        for key in (k["navn"], k["officielt_navn"], str(k["nummer"])):
            lookup[key.casefold()] = k["navn"]
    return lookup


def kommune_name(text: str) -> str | None:
    """The municipality's short name for a short name, official name or number; else None."""
    return _kommune_lookup().get((text or "").strip().casefold())


def kommune_official(name: str) -> str:
    """Official name (``Københavns Kommune``) of a short name; the input if unknown."""
    for k in kommuner():
        if k["navn"] == name:
            return k["officielt_navn"]
    return name


_SORT_ALPHABET = "abcdefghijklmnopqrstuvwxyzæøå"


def sort_key(text: str) -> tuple:
    """Sort key in Danish order: … z, æ, ø, å; "aa" counts as å; case-insensitive."""
    folded = (text or "").casefold().replace("aa", "å").replace("ä", "æ").replace("ö", "ø")
    return tuple(
        (_SORT_ALPHABET.index(ch) if ch in _SORT_ALPHABET else -1, ch) for ch in folded
    ), text
