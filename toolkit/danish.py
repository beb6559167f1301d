"""Danish specifics: CPR numbers, dates, the 98 municipalities and Danish sorting."""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

from .resources import data_text

MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)
_CPR_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d{4})$")


def month_number(word: str) -> int | None:
    """1-12 for a Danish month name or its first three or more letters (``mar``, ``sept``,
    ``febr``), any case; None otherwise."""
    word = (word or "").strip().rstrip(".").casefold()
    if len(word) < 3:
        return None
    for number, name in enumerate(MONTHS, start=1):
        if name.startswith(word):
            return number
    return None


def format_date(value: str | _dt.date | None) -> str:
    """ISO date (or date) as Danish document text: ``26. februar 2019``."""
    if not value:
        return ""
    day = value if isinstance(value, _dt.date) else _dt.date.fromisoformat(str(value))
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def format_moment(value: float | _dt.datetime, *, day: bool = True, clock: bool = True,
                  seconds: bool = False) -> str:
    """A moment (a POSIX time stamp, in local time, or a datetime) as Danish text:
    ``27. november 2026 kl. 15.30``; ``day=False``: ``kl. 15.30``; ``clock=False``: the day
    alone, as :func:`format_date`; ``seconds``: ``kl. 15.30.12``."""
    moment = value if isinstance(value, _dt.datetime) else _dt.datetime.fromtimestamp(value)
    time = f"kl. {moment:%H.%M}" + (f".{moment:%S}" if seconds else "")
    parts = ([format_date(moment.date())] if day or not clock else []) + ([time] if clock else [])
    return " ".join(parts)


def format_stamp(stamp: str) -> str:
    """A time stamp as the archive records it (ISO 8601 in UTC: ``2026-11-23T15:01:07Z``)
    in Danish time, as :func:`format_moment` writes it: ``23. november 2026 kl. 16.01.07``.
    Where the time-zone data is missing (a Windows without the ``tzdata`` package) the UTC
    time with ``UTC`` after it, and a stamp that is not ISO 8601 as it is: never a time
    that is off by an hour without saying so."""
    try:
        moment = _dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.timezone.utc)
        zone = _danish_zone()
        if zone is None:
            naive = moment.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            return format_moment(naive, seconds=True) + " UTC"
        return format_moment(moment.astimezone(zone), seconds=True)
    except (AttributeError, TypeError, ValueError, OverflowError):
        # (a signature's time is the signer's choice: 9999-12-31T23:30Z has no Danish time)
        return str(stamp)


@lru_cache(maxsize=1)
def _danish_zone() -> _dt.tzinfo | None:
    """Europe/Copenhagen, or None where the time-zone data cannot be found."""
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo("Europe/Copenhagen")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def format_month(value: str | None) -> str:
    """``2019-02`` as ``februar 2019``."""
    if not value:
        return ""
    year, month = str(value).split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def parse_date(text: str) -> str | None:
    """A date written the Danish way or as ISO as ISO ``YYYY-MM-DD``; None when it cannot
    be read or does not exist. The reading is :func:`toolkit.values.read_date`."""
    from .values import Unreadable, read_date

    try:
        return read_date(text or "")
    except Unreadable:
        return None


_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def is_iso_date(text: str) -> bool:
    """True for a real calendar date written ``YYYY-MM-DD``."""
    match = _ISO_DATE_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return False
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day):
        return False
    if day <= 28:
        return True
    import calendar  # here: the command line's start does not pay for it

    return day <= calendar.monthrange(year, month)[1]


def is_month(text: str) -> bool:
    """True for ``YYYY-MM`` with a month 01-12."""
    return isinstance(text, str) and _MONTH_RE.fullmatch(text) is not None


def cpr_birth_date(cpr: str) -> _dt.date | None:
    """The birth date a CPR number encodes, or None when the number is malformed.

    The century follows from the 7th digit (CPR-kontoret's table, as python-stdnum's
    ``stdnum.dk.cpr``, checked against it in the tests; not imported here: it loads
    ``ssl`` and ``pydoc``, more than a command's whole start). Modulus 11 is deliberately
    not checked: numbers without it have been issued since 2007.
    """
    match = _CPR_RE.match((cpr or "").strip())
    if not match:
        return None
    return _birth_date(match[1] + match[2] + match[3] + match[4][0])


@lru_cache(maxsize=256)
def _birth_date(key: str) -> _dt.date | None:
    """Birth date of DDMMYY and the century digit (the only digits it depends on).

    Cached for the same number asked again and again (a form, a page); a batch's rows are
    different citizens (4 % hits in 5,000 rows), and 8,192 entries grew each batch worker
    by ~2 MB over its first 8,000 rows for nothing (3 µs a date uncached)."""
    day, month, year, digit = int(key[0:2]), int(key[2:4]), int(key[4:6]), key[6]
    if digit in "5678" and year >= 58:
        year += 1800
    elif digit in "0123" or (digit in "49" and year >= 37):
        year += 1900
    else:
        year += 2000
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


#: No birth date before this year is in the future, whatever day it is now.
_YEAR_AT_IMPORT = _dt.date.today().year


def is_cpr(text: str) -> bool:
    """True for ``DDMMYY-XXXX`` with a real birth date that is not in the future."""
    if not _CPR_FORM.fullmatch(text or ""):
        return False
    born = cpr_birth_date(text)
    if born is None:
        return False
    return born.year < _YEAR_AT_IMPORT or born <= _dt.date.today()


_CPR_FORM = re.compile(r"\d{6}-\d{4}")


#: Six digits, an optional separator (hyphen, any dash, space, underscore, dot, slash) and
#: four digits, not inside a longer run of digits: every way a CPR number is written in a
#: file name or a message (``010190-1234``, ``cpr0101901234``, ``010190 1234``, ``010190–1234``).
CPR_IN_TEXT = re.compile(
    r"(?<!\d)(\d{2})(\d{2})(\d{2})"
    r"(?:[ \t\u00a0]*[-\u2010-\u2015\u2212][ \t\u00a0]*|[ \t\u00a0_./])?(\d{4})(\d*)")
_DASHED = re.compile("[-\u2010-\u2015\u2212]")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 29 February: any year


def _cpr_date(match: re.Match) -> bool:
    """A day and month of a calendar, or written with a dash (``320190-1234``: a mistyped
    CPR number is still masked)."""
    day, month = int(match.group(1)), int(match.group(2))
    if 1 <= month <= 12 and 1 <= day <= _MONTH_DAYS[month - 1]:
        return True
    return any(c in match.group(0) for c in "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def mask_cpr(text: str, replacement: str | None = None) -> str:
    """Hide the serial part of anything that could be a CPR number: ``010190-xxxx``.

    Six and four digits (separated or not, see :data:`CPR_IN_TEXT`) whose first six are a
    day and month of a calendar (any year), or that are written with a dash, are masked,
    also inside longer names such as ``cpr010190-1234_plan.docx``; modulus 11 is not asked
    for (it errs on the side of masking). Ten digits without a dash that cannot be a birth
    date (a case number ``2024001234``) stay. ``replacement``: put this in place of the
    whole number instead (a file name: ``_``).
    """
    def masked(m: re.Match) -> str:
        if not _is_cpr(m):
            return m.group(0)
        if replacement is not None:
            return replacement
        return f"{m.group(1)}{m.group(2)}{m.group(3)}-xxxx"

    return CPR_IN_TEXT.sub(masked, text or "")


def _is_cpr(m: re.Match) -> bool:
    """A match that is masked: a CPR date, and either exactly four digits after it or a
    dash before them (``010190-12345``: a digit typed too many still hides the number; a
    longer run of digits without a dash is something else), not inside a digest."""
    return (_cpr_date(m) and (not m.group(5) or bool(_DASHED.search(m.group(0))))
            and not _in_digest(m))


_HEX = frozenset("0123456789abcdefABCDEF")


def _in_digest(m: re.Match) -> bool:
    """Whether the match lies inside a run of 32 or more hexadecimal characters with a
    letter among them: a SHA-256 or MD5 digest (an archive's object name), whose digits
    are no one's CPR number and which a reader must be able to compare whole."""
    text, start, end = m.string, m.start(), m.end()
    if any(c not in _HEX for c in m.group(0)):
        return False  # a separator: not one run
    while start > 0 and text[start - 1] in _HEX:
        start -= 1
    while end < len(text) and text[end] in _HEX:
        end += 1
    run = text[start:end]
    return end - start >= 32 and not run.isdigit()


def contains_cpr(text: str) -> bool:
    """True when :func:`mask_cpr` would change ``text``."""
    return any(_is_cpr(m) for m in CPR_IN_TEXT.finditer(text or ""))


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
    import json

    return tuple(json.loads(data_text("kommuner.json")))


#: The municipality of the samples, the demo and the sample profile, as ``example.dk`` is
#: a domain for examples: a ``kommune`` value besides the 98 (so the samples name no real
#: municipality), never offered in a list of them (drop-downs, the Excel workbook).
EXAMPLE_KOMMUNE = {"nummer": 0, "navn": "Eksempel", "officielt_navn": "Eksempel Kommune",
                   "region": ""}


@lru_cache(maxsize=1)
def _kommune_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for k in (*kommuner(), EXAMPLE_KOMMUNE):
        keys = (k["navn"], k["officielt_navn"], f"{k['navn']} kommune")
        for key in keys + ((str(k["nummer"]),) if k["nummer"] else ()):
            lookup[" ".join(key.split()).casefold()] = k["navn"]
    return lookup


def kommune_name(text: str) -> str | None:
    """The municipality's short name (the schema's value) for its short name, official name
    (``Københavns Kommune``), ``<name> Kommune`` or number, any case and spacing; else None.
    The example municipality (:data:`EXAMPLE_KOMMUNE`) is known too."""
    return _kommune_lookup().get(" ".join((text or "").split()).casefold())


def kommune_official(name: str) -> str:
    """Official name (``Københavns Kommune``) of a short name; the input if unknown."""
    for k in (*kommuner(), EXAMPLE_KOMMUNE):
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
