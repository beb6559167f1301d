"""The consent archive's record: one archived consent, its status, what verify found.

``Consent`` is an index row decoded; ``status_of`` computes a status for a day;
``record_hash`` is what the audit log's ``add`` entry pins the row to.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .. import danish
from ..errors import ArchiveError  # noqa: F401  (re-exported; defined in toolkit.errors)
from ..problems import Report
from . import audit

#: The minimum retention after expiry or withdrawal, in years; no option goes below it.
#: Chosen conservatively (README): longer than the 3-year general limitation period during
#: which the municipality must be able to show the consent, equal to the bookkeeping act's.
MIN_RETENTION_YEARS = 5
DEFAULT_RETENTION_YEARS = MIN_RETENTION_YEARS
STATUSES = ("aktiv", "kommende", "udløbet", "tilbagekaldt")

KINDS = {"pdf": ".pdf", "docx": ".docx", "jpeg": ".jpg", "png": ".png", "tiff": ".tif"}
KIND_NAMES = {"pdf": "PDF", "docx": "Word (.docx)", "jpeg": "JPEG-billede",
              "png": "PNG-billede", "tiff": "TIFF-billede"}

#: The index row's columns, in ``SELECT`` order.
COLUMNS = ("id", "sha256", "size", "kind", "original_name", "added_at", "source",
           "form_version", "cpr", "navn", "formaal", "gyldig_fra", "gyldig_til", "meta",
           "signatures", "withdrawn_on")


def add_years(day: _dt.date, years: int) -> _dt.date:
    """``day`` plus whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)



def status_of(gyldig_fra: str, gyldig_til: str, withdrawn_on: str | None,
              today: _dt.date) -> str:
    """``aktiv``, ``kommende``, ``udløbet`` or ``tilbagekaldt`` on ``today``.

    A withdrawal takes effect on its date; ``gyldig_til`` is the last day in force.
    """
    day = today.isoformat()
    if withdrawn_on and withdrawn_on <= day:
        return "tilbagekaldt"
    if gyldig_til < day:
        return "udløbet"
    if gyldig_fra > day:
        return "kommende"
    return "aktiv"


@dataclass
class Consent:
    """One archived consent: the index row, decoded."""

    id: int
    sha256: str
    size: int
    kind: str
    original_name: str
    added_at: str
    source: str
    form_version: str | None
    cpr: str
    navn: str
    formaal: str
    gyldig_fra: str
    gyldig_til: str
    meta_text: str = field(repr=False)
    signatures_text: str = field(repr=False)
    withdrawn_on: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_row(cls, row: tuple) -> Consent:
        """Decode a ``SELECT`` of :data:`COLUMNS` (the JSON columns only when used)."""
        values = dict(zip(COLUMNS, row))
        raw = dict(values)
        values["meta_text"] = values.pop("meta")
        values["signatures_text"] = values.pop("signatures")
        return cls(**values, raw=raw)

    @functools.cached_property
    def meta(self) -> dict[str, Any]:
        """All metadata: citizen, purpose, parties, information types, validity …"""
        return _json_or(self.meta_text, {})

    @functools.cached_property
    def signatures(self) -> list[dict[str, Any]]:
        """The signature check results recorded when the document was added."""
        return [] if self.signatures_text == "[]" else _json_or(self.signatures_text, [])

    def status(self, today: _dt.date) -> str:
        """The consent's status on ``today``."""
        return status_of(self.gyldig_fra, self.gyldig_til, self.withdrawn_on, today)

    def in_force(self, today: _dt.date) -> bool:
        """True while the consent is (or will become) in force."""
        return self.status(today) in ("aktiv", "kommende")

    def ended_on(self) -> str:
        """The date its force ended: expiry, or the withdrawal if that came first."""
        return min(filter(None, (self.gyldig_til, self.withdrawn_on)))

    def retained_until(self, years: int = DEFAULT_RETENTION_YEARS) -> str:
        """The last day the document must be kept: ``years`` after expiry/withdrawal."""
        return add_years(_dt.date.fromisoformat(self.ended_on()), years).isoformat()

    @property
    def suffix(self) -> str:
        """The file suffix of its kind (``.pdf``…)."""
        return KINDS.get(self.kind, "")

    def to_json(self, today: _dt.date, show_cpr: bool = True,
                years: int = DEFAULT_RETENTION_YEARS) -> dict[str, Any]:
        """The metadata as a JSON-able dict (the case-system export format)."""
        meta = dict(self.meta)
        if not show_cpr:
            meta["cpr"] = danish.mask_cpr(meta.get("cpr", ""))
        return {
            "nr": self.id,
            "status": self.status(today),
            **meta,
            "tilbagekaldt_fra": self.withdrawn_on,
            "opbevares_til": self.retained_until(years),
            "dokument": {"sha256": self.sha256, "størrelse": self.size,
                         "type": self.kind, "oprindeligt_navn": danish.mask_cpr(self.original_name),
                         "kilde": self.source, "formularversion": self.form_version},
            "tilføjet": self.added_at,
            "underskrifter": self.signatures,
        }


def _json_or(text: str, empty: Any) -> Any:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return empty
    return value if isinstance(value, type(empty)) else empty


def record_hash(raw: dict[str, Any]) -> str:
    """SHA-256 over every stored column but ``id`` and ``withdrawn_on`` (those have their
    own audit entries): an edit of the row with sqlite3 changes it."""
    keep = {k: raw[k] for k in COLUMNS if k not in ("id", "withdrawn_on")}
    return hashlib.sha256(audit.canonical(keep).encode("utf-8")).hexdigest()


@dataclass
class Verification(Report):
    """What :meth:`Archive.verify` found: a :class:`~toolkit.problems.Report` of problems
    with registered codes (``chain-gap``, ``rollback``, ``document-changed`` …), and the
    counts of what was checked (``samtykker``, ``filer``, ``poster``)."""

    counts: dict[str, int] = field(default_factory=dict)

    def findings(self) -> dict[str, Any]:
        """The findings (code, title, place, message) and the counts, as ``verify --json``
        gives them."""
        return {"fund": [{"kode": p.code, "titel": p.title, "sted": p.place,
                          "besked": p.message} for p in self],
                "antal": self.counts}


@dataclass
class PurgeResult:
    """What :meth:`Archive.purge` deleted and what it refused (with the reason)."""

    deleted: list[Consent] = field(default_factory=list)
    refused: list[tuple[Consent, str]] = field(default_factory=list)


