"""One reading of each kind of value, whatever the file it comes from.

The Word reader, the PDF reader and the Excel reader all turn what a person typed into the
value the schema wants through :func:`converter`: a month typed ``mar. 2025``, a date typed
``5. marts 2025``, a tick typed ``X``, a drop-down's Danish title, a number with a decimal
comma, a CPR number without its dash and a municipality's official name are read the same
from every format. Excel also hands over typed cells (real dates, numbers, booleans); those
have their own fast paths here, and a number is never taken for a date unless it is an
Excel date cell's serial.

A value that cannot be read raises :class:`Unreadable`, whose Danish message never shows a
CPR number; :func:`explain` gives the same message for a value found in data that was never
read (JSON), so validation and the readers say the same thing.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from collections.abc import Callable
from typing import Any

from . import danish

__all__ = [
    "CHECKBOX_HINT", "FALSE_WORDS", "TICKED_SYMBOLS", "TRUE_WORDS", "Noted", "Unreadable",
    "as_text", "box_state", "choice_table", "converter", "explain", "loose_key", "read_checkbox",
    "read_choice", "read_cpr", "read_date", "read_kommune", "read_month", "read_number",
]


class Unreadable(ValueError):
    """A value that cannot be read as its kind, with the Danish reason and what to write.

    ``str()`` is the message without the value; :meth:`message` puts the value (already
    shortened and masked by the caller) in quotes after the reason.
    """

    def __init__(self, reason: str, hint: str = "", detail: str = "") -> None:
        self.reason, self.hint, self.detail = reason, hint, detail
        super().__init__(self.message())

    def message(self, shown: str | None = None) -> str:
        """``reason ("shown"): detail; hint`` — the parts that are there."""
        text = self.reason
        if shown:
            text += f' ("{shown}")'
        if self.detail:
            text += f": {self.detail}"
        if self.hint:
            text += f"; {self.hint}"
        return text


class Noted:
    """A value read with a note for the user (a CPR number whose lost leading 0 was put back)."""

    __slots__ = ("value", "note")

    def __init__(self, value: Any, note: str) -> None:
        self.value = value
        self.note = note


# -- dates and months -----------------------------------------------------------------------

DATE_HINT = "skriv fx 26-02-2019"
MONTH_HINT = "skriv fx 2024-10 eller oktober 2024"

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ].*)?")
_DMY = re.compile(r"(\d{1,2})\s*([-./ ])\s*(\d{1,2})\s*\2\s*(\d{4})")
_D_WORD_Y = re.compile(r"(\d{1,2})\.?\s*([a-zæøå]+)\.?\s*(\d{4})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_MY = re.compile(r"(\d{1,2})\s*[-./ ]\s*(\d{4})")
_WORD_Y = re.compile(r"([a-zæøå]+)\.?\s*(\d{4})")
_CANON_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_CANON_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

_EXCEL_EPOCH = _dt.date(1899, 12, 30)
#: ``YYYY-MM`` of 1900-2199: the usual month cell is found by one set lookup.
_COMMON_MONTHS = frozenset(f"{y}-{m:02d}" for y in range(1900, 2200) for m in range(1, 13))


def _no_month(what: str, month: int) -> Unreadable:
    detail = "måned 0 findes ikke" if month == 0 else "et år har kun 12 måneder"
    return Unreadable(f"er en {what}, der ikke findes", detail=detail)


def _checked_date(year: int, month: int, day: int) -> str:
    if not 1 <= month <= 12:
        raise _no_month("dato", month)
    if year < 1:
        raise Unreadable("er en dato, der ikke findes", detail=f"året {year} findes ikke")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        detail = ("dag 0 findes ikke" if day == 0 else
                  f"{danish.MONTHS[month - 1]} {year} har kun {days} dage")
        raise Unreadable("er en dato, der ikke findes", detail=detail)
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a date in any accepted writing, not yet checked; else None."""
    match = _ISO_DATE.fullmatch(text)
    if match:
        return int(match[1]), int(match[2]), int(match[3])
    match = _DMY.fullmatch(text)
    if match:
        return int(match[4]), int(match[3]), int(match[1])
    match = _D_WORD_Y.fullmatch(text)
    if match:
        month = danish.month_number(match[2])
        if month:
            return int(match[3]), month, int(match[1])
    return None


def _excel_serial(value: Any) -> _dt.date | None:
    """The date of an Excel date cell's serial number (never for booleans or text)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and \
            1 <= value < 2958466:
        return _EXCEL_EPOCH + _dt.timedelta(days=int(value))
    return None


def read_date(value: Any) -> str:
    """An ISO date ``YYYY-MM-DD`` from ``2019-02-26``, ``26-02-2019``, ``26.2.2019``,
    ``26/2/2019``, ``26. februar 2019``, ``26. feb. 2019`` (a time after an ISO date is
    ignored) or an Excel date cell. Raises Unreadable: a date that does not exist
    (``31.2.2019``) says why."""
    if value.__class__ is str:
        if len(value) == 10 and _CANON_DATE.fullmatch(value):
            dd = int(value[8:])
            if dd <= 28 or dd <= calendar.monthrange(int(value[:4]), int(value[5:7]))[1]:
                return value
        parts = _date_parts(value.strip().lower())
        if parts is None:
            raise Unreadable("kan ikke læses som en dato", DATE_HINT)
        return _checked_date(*parts)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    day = _excel_serial(value)
    if day is not None:
        return day.isoformat()
    raise Unreadable("kan ikke læses som en dato", DATE_HINT)


def read_month(value: Any) -> str:
    """A month ``YYYY-MM`` from ``2025-03``, ``03-2025``, ``3/2025``, ``03.2025``,
    ``marts 2025``, ``mar 2025``, ``mar. 2025``, a whole date (``1. marts 2025``) or an
    Excel date cell. Raises Unreadable."""
    if value.__class__ is str:
        if value in _COMMON_MONTHS:
            return value
        text = value.strip().lower()
        if len(text) == 7 and _CANON_MONTH.fullmatch(text):
            return text
        match = _ISO_MONTH.fullmatch(text) or _MY.fullmatch(text)
        if match:
            first, second = int(match[1]), int(match[2])
            year, month = (first, second) if len(match[1]) == 4 else (second, first)
            if not 1 <= month <= 12:
                raise _no_month("måned", month)
            return f"{year:04d}-{month:02d}"
        match = _WORD_Y.fullmatch(text)
        if match:
            number = danish.month_number(match[1])
            if number:
                return f"{int(match[2]):04d}-{number:02d}"
        if _date_parts(text) is not None:
            return read_date(text)[:7]
        raise Unreadable("kan ikke læses som en måned", MONTH_HINT)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    day = _excel_serial(value)
    if day is not None:
        return f"{day.year:04d}-{day.month:02d}"
    raise Unreadable("kan ikke læses som en måned", MONTH_HINT)


# -- checkboxes -----------------------------------------------------------------------------

#: Symbols that mark a box as ticked. ✗ and ✘ count: Word offers them as a check box's
#: "checked" symbol, and a Danish form is ticked with a cross ("sæt kryds").
TICKED_SYMBOLS = frozenset("☒☑✓✔✗✘")
TRUE_WORDS = frozenset({"ja", "j", "x", "1", "true", "sand", "sandt", "yes", "y", "on",
                        *TICKED_SYMBOLS})
FALSE_WORDS = frozenset({"nej", "n", "0", "false", "falsk", "no", "off", "☐"})
CHECKBOX_HINT = "skriv ja, nej, x, 1 eller 0"


def read_checkbox(value: Any) -> bool:
    """Ticked or not: ``ja``/``nej``, ``x``, ``1``/``0``, ``true``/``false``, ☒ ☑ ✓ ✔ ✗ ✘
    (ticked) and ☐ (not ticked), any case; Excel's booleans and the numbers 1 and 0.
    Anything else raises Unreadable — never silently "not ticked"."""
    if value is True or value is False:
        return value
    if value.__class__ is str:
        text = value.strip().casefold()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    elif isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise Unreadable("skal være ja eller nej", CHECKBOX_HINT)


def box_state(text: str) -> bool | str:
    """A box's state from the text a document shows for it: empty is not ticked (a box
    left as it was), a tick or word is read by :func:`read_checkbox`, and text that cannot
    be read comes back as written, so that validation reports it."""
    if not text.strip():
        return False
    try:
        return read_checkbox(text)
    except Unreadable:
        return text.strip()


# -- numbers --------------------------------------------------------------------------------

_PLAIN_NUMBER = re.compile(r"-?\d+")
_DANISH_NUMBER = re.compile(r"(-?)(\d{1,3}(?:\.\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:,(\d+))?")
_POINT_NUMBER = re.compile(r"(-?)(\d+)\.(\d+)")
NUMBER_HINT = "skriv fx 1234 eller 12,5"


def read_number(value: Any, integer: bool = False) -> int | float:
    """A number the Danish way: decimal comma, thousands dot or space (``1.234,5``,
    ``12 500``); a dot is a decimal point where it cannot be a thousands dot (``2.5``).
    ``1.234`` is 1234 in an integer field and, in a decimal field, could be either: it
    raises Unreadable rather than guess."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not integer:
            return value
        if float(value).is_integer():
            return int(value)
        raise Unreadable("skal være et helt tal", NUMBER_HINT)
    if value.__class__ is not str:
        raise Unreadable("skal være et tal", NUMBER_HINT)
    text = value.strip().replace("\u2212", "-").replace("\u00a0", " ")
    if _PLAIN_NUMBER.fullmatch(text):
        return int(text)
    number: int | float
    point = _POINT_NUMBER.fullmatch(text)
    if point and len(point[2]) <= 3 and len(point[3]) == 3:
        if not integer:
            raise Unreadable("kan læses både som et helt tal og som et decimaltal",
                             "skriv tusinder uden punktum (1234) og decimaler med komma "
                             "(1,234)")
        number = int(point[1] + point[2] + point[3])
    elif point:
        number = float(text)
    else:
        match = _DANISH_NUMBER.fullmatch(text)
        if not match:
            raise Unreadable("skal være et helt tal" if integer else "skal være et tal",
                             NUMBER_HINT)
        sign, whole, fraction = match.groups()
        digits = sign + whole.replace(".", "").replace(" ", "")
        number = float(f"{digits}.{fraction}") if fraction else int(digits)
    if integer and isinstance(number, float):
        if not number.is_integer():
            raise Unreadable("skal være et helt tal", NUMBER_HINT)
        return int(number)
    return number


# -- drop-downs, municipalities, CPR --------------------------------------------------------

def loose_key(text: Any) -> str:
    """A choice as compared: case, surrounding and doubled spaces, dash kinds ignored."""
    text = str(text if text is not None else "")
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    return " ".join(text.split()).casefold()


def choice_table(choices: tuple[tuple[Any, str], ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(exact, loose) lookups of a drop-down: its values and Danish titles as written, and
    the same compared by :func:`loose_key`. A title wins over another choice's value."""
    exact: dict[str, Any] = {str(v): v for v, _ in choices}
    exact.update({t: v for v, t in reversed(choices)})
    loose: dict[str, Any] = {}
    for val, title in choices:
        loose.setdefault(loose_key(title), val)
    for val, _title in choices:
        loose.setdefault(loose_key(val), val)
    return exact, loose


def read_choice(value: Any, choices: tuple[tuple[Any, str], ...]) -> Any:
    """The schema value of a drop-down answer given as its value or its Danish title (any
    case and spacing); an unknown answer comes back as written, for validation to name
    the choices."""
    exact, loose = choice_table(choices)
    return _choose(value, exact, loose)


def _choose(value: Any, exact: dict[str, Any], loose: dict[str, Any]) -> Any:
    if value.__class__ is str and value in exact:
        return exact[value]
    text = as_text(value).strip()
    found = loose.get(loose_key(text), _MISSING)
    if found is not _MISSING:
        return found
    return value if isinstance(value, (int, float)) else text


_MISSING = object()


def read_kommune(value: Any) -> str:
    """The schema's name of a municipality written as its name, official name (``Aalborg
    Kommune``, ``Københavns Kommune``), ``<name> Kommune`` or number, any case; an unknown
    name comes back as written, for validation to report."""
    text = as_text(value).strip()
    return danish.kommune_name(text) or text


CPR_RESTORED = ("CPR-nummeret var gemt som et tal og havde mistet sit foranstillede 0, som "
                "er sat ind igen; formatér kolonnen som tekst")
CPR_AMBIGUOUS = ("CPR-nummeret er gemt som et tal og mangler cifre, og det kan ikke "
                 "gendannes entydigt; skriv det som tekst på formen DDMMÅÅ-XXXX")
_CPR_SHAPE = re.compile(r"(\d{6})[-\u2013\u2010\u2011 ]?(\d{4})")
_CANON_CPR = re.compile(r"\d{6}-\d{4}")


def read_cpr(value: Any) -> str | Noted:
    """A CPR number as ``DDMMÅÅ-XXXX`` from ``0101901234``, ``010190 1234``, an en dash, or
    an Excel number that lost its leading 0 (put back, with a note, when the date part
    shows it unambiguously). Anything else comes back as written; validation checks the
    date part. Raises Unreadable for a number that cannot be restored."""
    if value.__class__ is str:
        if len(value) == 11 and _CANON_CPR.fullmatch(value):
            return value
        text = value.strip()
        match = _CPR_SHAPE.fullmatch(text)
        if match:
            return f"{match[1]}-{match[2]}"
        compact = text.replace(" ", "")
        if not re.fullmatch(r"\d{9}|\d{5}-\d{4}", compact):
            return text
        digits = compact.replace("-", "")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise Unreadable(CPR_AMBIGUOUS)
        digits = str(int(value))
    else:
        raise Unreadable("skal være et CPR-nummer på formen DDMMÅÅ-XXXX")
    if len(digits) == 10:
        return f"{digits[:6]}-{digits[6:]}"
    if len(digits) == 9:
        cpr = f"0{digits[:5]}-{digits[5:]}"
        if danish.is_cpr(cpr):
            return Noted(cpr, CPR_RESTORED)
    raise Unreadable(CPR_AMBIGUOUS)


# -- one converter per field ----------------------------------------------------------------

def as_text(value: Any) -> str:
    """A cell or text value as text (Excel's numbers without a trailing ``.0``)."""
    if value.__class__ is str:
        return value
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def converter(fld: Any) -> Callable[[Any], Any]:
    """A function answer -> schema value for a field (:class:`toolkit.catalogue.Field`).

    The answer is the text a Word or PDF form holds, or an Excel cell's value. The function
    raises :class:`Unreadable` (dates, months, ticks, numbers that cannot be read), may
    return :class:`Noted`, and returns an unknown choice or municipality as written so that
    validation names the allowed values. Built once per field and column: the usual value
    takes a fast path.
    """
    typ = fld.schema.get("type")
    if fld.kind == "multi":
        exact, loose = choice_table(fld.choices)

        def multi(value: Any) -> Any:
            parts = [p.strip() for p in as_text(value).split(";")]
            return [_choose(p, exact, loose) for p in parts if p]

        return multi
    if fld.format == "kommune":
        names = frozenset(k["navn"] for k in danish.kommuner())

        def kommune(value: Any) -> Any:
            if value.__class__ is str and value in names:
                return value
            return read_kommune(value)

        return kommune
    if fld.kind == "dropdown":
        exact, loose = choice_table(fld.choices)

        def choice(value: Any) -> Any:
            if value.__class__ is str and value in exact:
                return exact[value]
            return _choose(value, exact, loose)

        return choice
    if fld.kind == "checkbox":
        return read_checkbox
    if fld.kind == "date":
        return read_date
    if fld.format == "month":
        return read_month
    if fld.format == "cpr":
        return read_cpr
    if typ in ("integer", "number"):
        integer = typ == "integer"
        return lambda value: read_number(value, integer)
    if fld.format in ("telefon", "email"):
        return lambda value: as_text(value).strip()
    return lambda value: value if value.__class__ is str else as_text(value)


# -- the same words for data that was never read -------------------------------------------

def explain(node: dict, value: Any) -> str | None:
    """Why a text value in data (JSON, or text a reader kept as written) is wrong for its
    schema node, in the readers' words: text that cannot be read as a date, month, tick or
    number, a date or month that does not exist, a CPR number with a future birth date, a
    municipality written by its official name. None when it reads fine but is not written
    the schema's way (``26-02-2019`` in JSON): the format's own message says how."""
    if not isinstance(value, str):
        return None
    fmt, typ = node.get("format"), node.get("type")
    try:
        if fmt == "date":
            read_date(value)
        elif fmt == "month":
            read_month(value)
        elif typ == "boolean":
            read_checkbox(value)
        elif typ in ("integer", "number"):
            read_number(value, typ == "integer")
    except Unreadable as err:
        return err.message()
    if fmt == "cpr":
        born = danish.cpr_birth_date(value)
        if born is not None and born > _dt.date.today():
            return "har en fødselsdato, der ligger i fremtiden; kontroller CPR-nummeret"
    if fmt == "kommune":
        name = danish.kommune_name(value)
        if name is not None and name != value:
            return f"skal skrives som kommunens navn: \"{name}\""
    return None
