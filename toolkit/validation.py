"""Validation: problems are data (path, label, code, Danish message), gathered in a Report.

The problem type and the report are :mod:`toolkit.problems`' (shared with the readers and
collect); they are imported here too, where they have always been found.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import danish, values
from .catalogue import Form
from .problems import WARNING, Problem, Report
from .profile import Profile

FORMAT_MESSAGES = {
    "date": "skal være en dato på formen ÅÅÅÅ-MM-DD, fx 2019-02-26",
    "month": "skal være en måned på formen ÅÅÅÅ-MM, fx 2019-02",
    "email": "skal være en e-mailadresse, fx navn@kommune.dk",
    "telefon": "skal være et dansk telefonnummer med 8 cifre, fx 12 34 56 78",
    "cpr": "skal være et CPR-nummer på formen DDMMÅÅ-XXXX med en gyldig fødselsdato",
    "kommune": "skal være en af Danmarks 98 kommuner, fx Aarhus",
}

TYPE_MESSAGES = {
    "string": "skal være tekst",
    "integer": "skal være et helt tal",
    "number": "skal være et tal",
    "boolean": "skal være ja eller nej",
    "array": "skal være en liste",
    "object": "skal være en gruppe af felter",
}

#: The formats the schemas use, as checks of a string (other values pass a format).
FORMATS: dict[str, Callable[[str], bool]] = {
    "date": danish.is_iso_date,
    "month": danish.is_month,
    "email": danish.is_email,
    "telefon": danish.is_phone,
    "cpr": danish.is_cpr,
    "kommune": lambda v: danish.kommune_name(v) == v,
}

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker

_CHECKER: list[FormatChecker] = []


def format_checker() -> FormatChecker:
    """The checker of those formats for full validation (jsonschema imported on first use)."""
    if not _CHECKER:
        from jsonschema import FormatChecker

        checker = FormatChecker(formats=())
        for name, check in FORMATS.items():
            checker.checks(name)(lambda v, check=check: not isinstance(v, str)
                                 or bool(check(v)))
        _CHECKER.append(checker)
    return _CHECKER[0]


def __getattr__(name: str) -> Any:
    """``FORMAT_CHECKER``: built on first use, so importing this module stays cheap."""
    if name == "FORMAT_CHECKER":
        return format_checker()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


@dataclass
class _Ctx:
    form: Form
    problems: list[Problem]
    max_months: int | None = None  # the profile's longest consent
    own_kommune: frozenset[str] = frozenset()  # the profile's municipality, besides the 98

    def add(self, path: str, message: str, code: str) -> None:
        self.problems.append(Problem(path, self.form.label(path), message, code))


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _validator(form: Form) -> Draft202012Validator:
    key = f"{form.id}@{form.version}@{id(form)}"
    if key not in _VALIDATORS:
        from jsonschema import Draft202012Validator

        _VALIDATORS[key] = Draft202012Validator(form.schema, format_checker=format_checker())
    return _VALIDATORS[key]


def surely_valid(schema: dict) -> Callable[[Any], bool]:
    """A predicate that is True only when ``schema`` surely finds no error in the data.

    Compiled once by jsonschema-rs with the same format checks as :func:`validate`
    (:data:`FORMATS`); a format it has no check for, data it cannot take (a value that is
    not JSON) or a check that fails makes it answer False, so the caller falls back to
    the full validation, which also gives the Danish messages. Never True for invalid data.
    """
    import jsonschema_rs

    def strict(check: Callable[[str], bool]) -> Callable[[str], bool]:
        def conforms(value: str) -> bool:
            try:
                return bool(check(value))
            except Exception:  # noqa: BLE001 - not sure: let the full validation decide
                return False
        return conforms

    try:
        validator = jsonschema_rs.Draft202012Validator(
            schema, validate_formats=True, ignore_unknown_formats=False,
            formats={name: strict(check) for name, check in FORMATS.items()})
    except ValueError:  # e.g. a format with no check here: never sure
        return lambda data: False

    def check(data: Any) -> bool:
        # jsonschema-rs reads a tuple as an array and so on; jsonschema does not: only
        # plain JSON data can be sure
        return _plain(data) and validator.is_valid(data)
    return check


_SCALARS = frozenset((str, int, float, bool, type(None)))


def _plain(value: Any) -> bool:
    """True when ``value`` is plain JSON data: dict (str keys), list, str, number, bool, None."""
    kind = type(value)
    if kind in _SCALARS:
        return kind is not float or value - value == 0  # not nan or infinity
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not _plain(item):
                return False
        return True
    if kind is list:
        for item in value:
            if not _plain(item):
                return False
        return True
    return False


def validate(form: Form, data: Any, profile: Profile | None = None) -> Report:
    """Check data against the form's schema and cross-field rules; return every problem.

    ``profile``: the municipality's limits (the longest consent) instead of the schema's,
    and its own name as a ``kommune`` value besides Denmark's 98 (a fictitious sample
    municipality, a merger's new name): see :meth:`toolkit.profile.Profile.kommune_names`.
    """
    ctx = _Ctx(form, [], profile.max_consent_months if profile is not None else None,
               profile.kommune_names() if profile is not None else frozenset())
    if not isinstance(data, dict):
        ctx.problems.append(Problem("", form.title, "Data skal være et JSON-objekt med "
                                    "skemaets felter.", "type"))
        return Report(ctx.problems)
    errors = sorted(_validator(form).iter_errors(data), key=lambda e: list(e.absolute_path))
    for err in errors:
        _explain(ctx, err)
    for rule in form.rules:
        _check_rule(ctx, rule, data)
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in sorted(ctx.problems, key=lambda p: _order_key(form, p.path)):
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            unique.append(p)
    return Report(unique)


def _order_key(form: Form, path: str) -> tuple:
    """Problems sort in document order: layout position, then list item, then field."""
    from .catalogue import shape_of

    order = _slot_order(form)
    shape = shape_of(path)
    fld = form.fields.get(shape)
    pos = order.get(shape, len(order))
    if fld is not None and fld.list_path:
        region = order.get(f"<{fld.list_path}>", pos)
        item = int(path[len(fld.list_path) + 1:].split(".")[0] or 0)
        return (region, item, pos)
    if shape in form.lists:
        pos = order.get(f"<{shape}>", pos)
    return (pos, -1, pos)


_ORDERS: dict[int, dict[str, int]] = {}


def _slot_order(form: Form) -> dict[str, int]:
    if id(form) not in _ORDERS:
        order: dict[str, int] = {}
        for i, slot in enumerate(form.slots()):
            order.setdefault(slot.field.path, i)
            if slot.region:
                order.setdefault(f"<{slot.region}>", i)
        _ORDERS[id(form)] = order
    return _ORDERS[id(form)]


def _explain(ctx: _Ctx, err) -> None:
    path = ".".join(str(p) for p in err.absolute_path)
    kw = err.validator
    if kw == "required":
        missing = err.message.split("'")[1]
        ctx.add(_join(path, missing), "skal udfyldes", "required")
    elif kw == "format":
        if err.validator_value == "kommune" and err.instance in ctx.own_kommune:
            return  # the profile's own municipality
        ctx.add(path, values.explain(err.schema, err.instance) or
                FORMAT_MESSAGES.get(err.validator_value, "har et forkert format"), "format")
    elif kw == "type":
        expected = err.validator_value
        expected = expected[0] if isinstance(expected, list) else expected
        ctx.add(path, values.explain(err.schema, err.instance) or
                TYPE_MESSAGES.get(expected, "har en forkert type"), "type")
    elif kw == "enum":
        node = err.schema
        titles = node.get("x-enum-titles", {})
        options = ", ".join(titles.get(str(v), str(v)) for v in node["enum"])
        ctx.add(path, f"skal være en af: {options}", "enum")
    elif kw == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        for key in extra:
            p = _join(path, key)
            ctx.problems.append(Problem(p, key, f"er ikke et felt i formularen "
                                        f"\"{ctx.form.id}\"; fjern det eller ret navnet",
                                        "unknown"))
    elif kw == "minItems":
        ctx.add(path, f"skal have mindst {err.validator_value} "
                f"{'række' if err.validator_value == 1 else 'rækker'}", "minItems")
    elif kw == "maxItems":
        ctx.add(path, f"må højst have {err.validator_value} rækker", "maxItems")
    elif kw == "maxLength":
        ctx.add(path, f"må højst være {err.validator_value} tegn", "maxLength")
    elif kw == "minLength":
        ctx.add(path, "skal udfyldes", "required")
    elif kw == "uniqueItems":
        ctx.add(path, "må ikke have det samme valg flere gange", "uniqueItems")
    elif kw == "pattern":
        ctx.add(path, "har et forkert format", "pattern")
    else:
        ctx.add(path, "er ugyldig", kw)


def _values(data: Any, path: str) -> list[tuple[str, Any, tuple]]:
    """(concrete path, value, list indices) for a path that may contain one ``*``."""
    out: list[tuple[str, Any, tuple]] = []

    def walk(node: Any, parts: list[str], done: list[str], idx: tuple) -> None:
        if not parts:
            out.append((".".join(done), node, idx))
            return
        head, rest = parts[0], parts[1:]
        if head == "*":
            if isinstance(node, list):
                for i, item in enumerate(node):
                    walk(item, rest, done + [str(i)], idx + (i,))
        elif isinstance(node, dict) and head in node:
            walk(node[head], rest, done + [head], idx)

    walk(data, path.split("."), [], ())
    return out


def _comparable(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if danish.is_iso_date(value) or danish.is_month(value):
        return value
    return None


def rule_problems(form: Form, data: dict) -> list[Problem]:
    """The problems the form's cross-field rules (``x-rules``) find in ``data``."""
    ctx = _Ctx(form, [])
    for rule in form.rules:
        _check_rule(ctx, rule, data)
    return ctx.problems


def _check_rule(ctx: _Ctx, rule: dict, data: dict) -> None:
    kind = rule.get("rule")
    if kind == "order":
        earlier = {idx: (p, v) for p, v, idx in _values(data, rule["earlier"])}
        for path, value, idx in _values(data, rule["later"]):
            other = earlier.get(idx) or earlier.get(())
            if other is None:
                continue
            a, b = _comparable(other[1]), _comparable(value)
            if a is None or b is None:
                continue
            n = min(len(a), len(b))
            bad = b[:n] <= a[:n] if rule.get("strict") else b[:n] < a[:n]
            if bad:
                word = "senere end" if rule.get("strict") else "samme dato som eller senere end"
                ctx.add(path, f"skal være {word} \"{ctx.form.label(other[0])}\"", "rule")
    elif kind == "max_duration":
        _check_duration(ctx, rule, data)
    elif kind == "within":
        starts = _values(data, rule["start"])
        ends = _values(data, rule["end"])
        start = _comparable(starts[0][1]) if starts else None
        end = _comparable(ends[0][1]) if ends else None
        for path, value, _ in _values(data, rule["field"]):
            v = _comparable(value)
            if v is None:
                continue
            if (start and v < start[: len(v)]) or (end and v > end[: len(v)]):
                ctx.add(path, f"skal ligge inden for perioden "
                        f"\"{ctx.form.label(rule['start'])}\" til "
                        f"\"{ctx.form.label(rule['end'])}\"", "rule")


def _check_duration(ctx: _Ctx, rule: dict, data: dict) -> None:
    """A warning when ``end`` lies more than the longest allowed months after ``start``."""
    months = ctx.max_months or int(rule["months"])
    starts, ends = _values(data, rule["start"]), _values(data, rule["end"])
    if not starts or not ends:
        return
    start, end = starts[0][1], ends[0][1]
    if not (isinstance(start, str) and isinstance(end, str) and danish.is_iso_date(start)
            and danish.is_iso_date(end)):
        return
    first = _dt.date.fromisoformat(start)
    year, month = divmod(first.month - 1 + months, 12)
    last_day = calendar.monthrange(first.year + year, month + 1)[1]
    limit = first.replace(year=first.year + year, month=month + 1,
                          day=min(first.day, last_day))
    if _dt.date.fromisoformat(end) > limit:
        span = f"{months // 12} år" if months % 12 == 0 else f"{months} måneder"
        ctx.add(ends[0][0], f"advarsel: gælder i mere end {span}; kommunens profil "
                f"tillader højst {span} (til og med "
                f"{danish.format_date(limit.isoformat())})", WARNING)
