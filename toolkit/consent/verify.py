"""``verify``: every document re-hashed, the keyed audit chain checked, the index checked
against the chain, the files kept beside documents checked, the checkpoints proven.

Each problem is a :class:`~toolkit.problems.Problem` with a registered code (listed in
toolkit/problems.py; the README names them); they come back as a
:class:`~toolkit.consent.model.Verification` report with the counts of what was checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..problems import Problem, finding
from . import audit, checkpoint
from .model import Verification, record_hash
from .store import sha256_file

if TYPE_CHECKING:
    from .store import Archive


def verify(arch: Archive, checkpoints: Iterable[dict[str, Any]] = ()
           ) -> Verification:
    """The problems found in one archive, and the counts of consents, files, entries."""
    entries, findings = audit.verify_chain(arch.conn, arch.keys)
    for point in checkpoints:
        findings += checkpoint.check(arch, point, entries)
    added: dict[int, audit.Entry] = {}
    withdrawn: dict[int, str | None] = {}
    purged: set[int] = set()
    for entry in entries:
        if entry.consent_id is None:
            continue
        if entry.action == "add":
            added[entry.consent_id] = entry
        elif entry.action == "withdraw":
            withdrawn[entry.consent_id] = entry.details.get("fra")
        elif entry.action == "purge":
            purged.add(entry.consent_id)
    rows = arch.all()
    known = set()
    for consent in rows:
        place = f"samtykke nr. {consent.id}"
        known.add(consent.sha256)
        first = added.get(consent.id)
        if first is None:
            findings.append(finding("index-not-in-log", place, "står i indekset uden at være "
                                    "tilføjet i revisionsloggen"))
        elif first.details.get("post") != record_hash(consent.raw):
            findings.append(finding("index-changed", place, "oplysningerne i indekset er ændret "
                                    "efter tilføjelsen (passer ikke med revisionsloggen)"))
        if consent.id in purged:
            findings.append(finding("purged-in-index", place, "er slettet ifølge "
                                    "revisionsloggen, men står stadig i indekset"))
        if withdrawn.get(consent.id) != consent.withdrawn_on:
            findings.append(finding("withdrawal-mismatch", place, "tilbagekaldelsen i indekset "
                                    "passer ikke med revisionsloggen"))
        path = arch.stored_path(consent.sha256)
        if path is None:
            findings.append(finding("path-outside", place,
                                    "indekset peger uden for arkivets dokumenter"))
            continue
        where = f"{place} ({path.relative_to(arch.root)})"
        if not path.is_file():
            findings.append(finding("document-missing", where, "dokumentet mangler"))
        elif sha256_file(path) != consent.sha256:
            findings.append(finding("document-changed", where,
                                    "dokumentet er ændret (SHA-256 passer ikke)"))
    findings += _renditions(arch, added, known)
    ids = {c.id for c in rows}
    for consent_id in sorted(set(added) - ids - purged):
        findings.append(finding("index-row-deleted", f"samtykke nr. {consent_id}",
                                "mangler i indekset (slettet uden om arkivet)"))
    files = 0
    if arch.objects.is_dir():
        for sub in sorted(arch.objects.iterdir()):
            children = sorted(sub.iterdir()) if sub.is_dir() else [sub]
            for child in children:
                files += 1
                if sub.name + child.name not in known or child.parent == arch.objects:
                    findings.append(finding("orphan", str(child.relative_to(arch.root)),
                                            "fil uden samtykke i indekset (forældreløs, "
                                            "fx fra en afbrudt tilføjelse)"))
    if arch.tmp.is_dir():
        for child in sorted(arch.tmp.iterdir()):
            findings.append(finding("leftover", str(child.relative_to(arch.root)),
                                    "rest af en afbrudt tilføjelse"))
    counts = {"samtykker": len(rows), "filer": files, "poster": len(entries)}
    return Verification(findings, counts)


def _renditions(arch: Archive, added: dict[int, audit.Entry], known: set[str]
                ) -> list[Problem]:
    """Each PDF/A rendition and signature report: logged, present, unchanged. Their
    hashes join ``known`` so they are not taken for orphans."""
    findings: list[Problem] = []
    for row in arch.rendition_rows():
        place = f"samtykke nr. {row['consent_id']}"
        what = "PDF/A-udgaven" if row["kind"] == "pdfa" else "underskriftsrapporten"
        entry = added.get(row["consent_id"])
        if entry is not None and entry.details.get(row["kind"]) != row["sha256"]:
            findings.append(finding("rendition-not-in-log", place,
                                    f"{what} passer ikke med revisionsloggen"))
        if row["sha256"] is None:
            continue
        known.add(row["sha256"])
        path = arch.stored_path(row["sha256"])
        if path is None:
            findings.append(finding("path-outside", place,
                                    f"{what}: indekset peger uden for arkivets dokumenter"))
            continue
        where = f"{place} ({path.relative_to(arch.root)})"
        if not path.is_file():
            findings.append(finding("rendition-missing", where, f"{what} mangler"))
        elif sha256_file(path) != row["sha256"]:
            findings.append(finding("rendition-changed", where,
                                    f"{what} er ændret (SHA-256 passer ikke)"))
    return findings
