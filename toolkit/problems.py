"""One problem type for everything the toolkit finds: validation problems, reading notes
of workbooks and returned forms, what became of each file that collect read, and what the
consent archive's ``verify`` found.

Like frictionless' errors, every problem has a registered ``code`` with a Danish title
(:data:`CODES`), so a report can be grouped, filtered and tested by code, and printed as
a table or as JSON. A code that is not registered is refused when the problem is made:
new codes are added with :func:`register` (in this module, so the list stays in one
place).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

#: Every code a problem may have, with its Danish title.
CODES: dict[str, str] = {}


def register(code: str, title: str) -> str:
    """Register a problem code with its Danish title; returns the code."""
    if CODES.get(code, title) != title:
        raise ValueError(f"problem code {code!r} is registered with another title")
    CODES[code] = title
    return code


def title(code: str) -> str:
    """The Danish title of a registered code."""
    return CODES[code]


# -- validation (JSON Schema keywords and the forms' own rules) -----------------------------
for _code, _title in {
    "invalid": "ugyldig værdi",
    "required": "skal udfyldes",
    "type": "forkert type",
    "format": "forkert format",
    "enum": "ikke et af valgene",
    "unknown": "ukendt felt",
    "minItems": "for få rækker",
    "maxItems": "for mange rækker",
    "minLength": "for kort",
    "maxLength": "for lang",
    "uniqueItems": "samme valg flere gange",
    "pattern": "forkert format",
    "rule": "strider mod en regel for formularen",
    "const": "forkert værdi",
    "minimum": "for lille",
    "maximum": "for stor",
    "exclusiveMinimum": "for lille",
    "exclusiveMaximum": "for stor",
    "multipleOf": "forkert værdi",
    "minProperties": "for få felter",
    "maxProperties": "for mange felter",
    "dependentRequired": "skal udfyldes",
    "dependentSchemas": "ugyldig værdi",
    "additionalProperties": "ukendt felt",
    "propertyNames": "ukendt felt",
    "contains": "mangler et valg",
    "minContains": "for få valg",
    "maxContains": "for mange valg",
    "not": "ugyldig værdi",
    "anyOf": "ugyldig værdi",
    "oneOf": "ugyldig værdi",
    "allOf": "ugyldig værdi",
    "if": "ugyldig værdi",
    "unevaluatedProperties": "ukendt felt",
    "unevaluatedItems": "for mange rækker",
    "false": "ikke tilladt",
}.items():
    register(_code, _title)

#: The code of a problem that is only a warning: the data is valid, but check it.
WARNING = register("warning", "advarsel")

# -- reading a workbook ----------------------------------------------------------------------
for _code, _title in {
    "read": "cellen kan ikke læses",
    "restored": "værdien er læst med en rettelse",
    "excel_error": "cellen indeholder en Excel-fejl",
    "extra_column": "kolonne hører ikke til formularen",
    "missing_column": "kolonne mangler",
    "missing_sheet": "ark mangler",
    "hidden_sheet": "arket er skjult",
    "no_header": "arket har ingen overskriftsrække",
    "no_key": "rækken mangler sin nøgle",
    "unknown_key": "nøglen findes ikke",
    "duplicate_key": "nøglen står flere gange",
    "changed_row": "rækken er ændret under læsningen",
    "unreadable": "kan ikke læses",
}.items():
    register(_code, _title)

# -- reading a returned form (notes: the answers were read, but say how) ----------------------
for _code, _title in {
    "other_form": "læst som en anden formular",
    "other_version": "udfyldt i en anden version af formularen",
    "no_tags": "indholdskontrollerne har ingen tags",
    "by_layout": "læst ud fra formularens opbygning",
    "unknown_fields": "felter der ikke hører til formularen",
    "no_form_id": "formularens id mangler",
    "flat_pdf": "PDF-filen har ingen udfyldelige felter",
}.items():
    register(_code, _title)

# -- what became of a file that collect read -------------------------------------------------
for _code, _title in {
    "not_filled": "formularen er ikke udfyldt",
    "not_a_form": "ikke en formular",
    "file_unreadable": "filen kan ikke læses",
    "too_slow": "filen tog for lang tid at læse",
    "crashed": "filen fik læseren til at gå ned",
    "internal_error": "intern fejl i skema (ikke i filen)",
    "duplicate": "samme indhold som en anden fil",
}.items():
    register(_code, _title)

# -- what the consent archive's verify finds (codes kept as documented in the README) -------
for _code, _title in {
    "key-id-missing": "arkivets nøgle-id mangler",
    "key-mismatch": "nøglen passer ikke til arkivet",
    "chain-gap": "poster mangler i revisionsloggen",
    "chain-broken": "revisionsloggens kæde er brudt",
    "entry-changed": "en post i revisionsloggen er ændret",
    "chain-rewritten": "revisionsloggen er beregnet igen uden arkivets nøgle",
    "head-missing": "kædens hoved mangler",
    "head-moved": "kædens hoved er flyttet",
    "entries-cut": "poster er slettet fra enden af revisionsloggen",
    "index-not-in-log": "samtykket står ikke i revisionsloggen",
    "index-changed": "indekset er ændret efter tilføjelsen",
    "purged-in-index": "et slettet samtykke står stadig i indekset",
    "withdrawal-mismatch": "tilbagekaldelsen passer ikke med revisionsloggen",
    "path-outside": "stien peger uden for arkivets dokumenter",
    "document-missing": "dokumentet mangler",
    "document-changed": "dokumentet er ændret",
    "index-row-deleted": "samtykket mangler i indekset",
    "orphan": "fil uden samtykke (forældreløs)",
    "leftover": "rest af en afbrudt tilføjelse",
    "rendition-not-in-log": "PDF/A-udgave eller underskriftsrapport passer ikke med loggen",
    "rendition-missing": "PDF/A-udgave eller underskriftsrapport mangler",
    "rendition-changed": "PDF/A-udgave eller underskriftsrapport er ændret",
    "checkpoint-unreadable": "kontrolpunktet er ufuldstændigt",
    "checkpoint-foreign-key": "kontrolpunktet er underskrevet med en anden nøgle",
    "checkpoint-signature": "kontrolpunktets underskrift passer ikke",
    "checkpoint-other-archive": "kontrolpunktet hører til et andet arkiv",
    "checkpoint-entry-deleted": "en post, kontrolpunktet bekræfter, er slettet",
    "checkpoint-count": "antallet af samtykker passer ikke med kontrolpunktet",
    "truncated": "de seneste poster er slettet",
    "rollback": "arkivet er rullet tilbage",
    "rewritten": "historikken er skrevet om",
}.items():
    register(_code, _title)


@dataclass(frozen=True)
class Problem:
    """One thing found: where (field path, label, place) and what (code, Danish message).

    ``place`` is the file, sheet!cell … set by whoever read the data; ``detail`` an
    optional second line (a hint what to do).
    """

    path: str
    label: str
    message: str
    code: str = "invalid"
    place: str = ""
    detail: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered problem code {self.code!r}: see "
                             "toolkit.problems.register")

    @property
    def title(self) -> str:
        """The Danish title of the problem's code."""
        return CODES[self.code]

    def __str__(self) -> str:
        where = f"{self.place}: " if self.place else ""
        if not self.path:
            return f"{where}{self.message}"
        return f'{where}{self.path}: "{self.label}" {self.message}'

    def to_dict(self) -> dict[str, str]:
        """The problem as a dict (``detail`` only when there is one)."""
        out = asdict(self)
        if not self.detail:
            del out["detail"]
        return out


def note(code: str, message: str, detail: str = "") -> Problem:
    """A note about a whole file or workbook (no field): the answers were read, but how."""
    return Problem("", "", message, code, detail=detail)


def finding(code: str, place: str, message: str) -> Problem:
    """A problem found at a place that is not a field (an archive entry, a stored file):
    printed as ``place: message``."""
    return Problem("", "", message, code, place)


@dataclass
class Report:
    """The problems found in one piece of data; empty means valid."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when there are no problems (warnings, code ``warning``, do not count)."""
        return all(p.code == WARNING for p in self.problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def paths(self) -> list[str]:
        """The field paths with problems, in order."""
        return [p.path for p in self.problems]

    def codes(self) -> list[str]:
        """The codes of the problems, in order."""
        return [p.code for p in self.problems]

    def with_code(self, *codes: str) -> list[Problem]:
        """The problems with any of these codes."""
        return [p for p in self.problems if p.code in codes]

    def to_text(self) -> str:
        """One problem per line."""
        return "\n".join(str(p) for p in self.problems)

    def to_table(self) -> str:
        """The problems as an aligned text table: place, field, code title, message."""
        return table(self.problems)

    def to_json(self) -> str:
        """The problems as a JSON list of objects."""
        return json.dumps([p.to_dict() for p in self.problems], ensure_ascii=False, indent=2)


def table(problems: Iterable[Problem]) -> str:
    """Problems as an aligned text table with a header (Sted, Felt, Type, Besked)."""
    rows = [("Sted", "Felt", "Type", "Besked")]
    rows += [(p.place, p.label or p.path, p.title, p.message + (
        f" ({p.detail})" if p.detail else "")) for p in problems]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3]
                     for r in rows).rstrip()
