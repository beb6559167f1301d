"""``verify``: every document re-hashed, the keyed audit chain checked, the index checked
against the chain, the files kept beside documents checked, the checkpoints proven.

Each problem is a :class:`~toolkit.consent.model.Finding` with a stable code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import audit, checkpoint
from .model import Finding, record_hash
from .store import sha256_file

if TYPE_CHECKING:
    from .store import Archive


def verify(arch: Archive, checkpoints: Iterable[dict[str, Any]] = ()
           ) -> tuple[list[Finding], dict[str, int]]:
    """Findings and counts (consents, files, entries) for one archive."""
    findings: list[Finding] = []
    entries, chain = audit.verify_chain(arch.conn, arch.keys)
    findings += [Finding(place, message, code) for place, message, code in chain]
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
            findings.append(Finding(place, "står i indekset uden at være tilføjet i "
                                           "revisionsloggen", "index-not-in-log"))
        elif first.details.get("post") != record_hash(consent.raw):
            findings.append(Finding(place, "oplysningerne i indekset er ændret efter "
                                           "tilføjelsen (passer ikke med revisionsloggen)",
                                    "index-changed"))
        if consent.id in purged:
            findings.append(Finding(place, "er slettet ifølge revisionsloggen, men står "
                                           "stadig i indekset", "purged-in-index"))
        if withdrawn.get(consent.id) != consent.withdrawn_on:
            findings.append(Finding(place, "tilbagekaldelsen i indekset passer ikke med "
                                           "revisionsloggen", "withdrawal-mismatch"))
        path = arch.stored_path(consent.sha256)
        if path is None:
            findings.append(Finding(place, "indekset peger uden for arkivets dokumenter",
                                    "path-outside"))
            continue
        rel = path.relative_to(arch.root)
        if not path.is_file():
            findings.append(Finding(f"{place} ({rel})", "dokumentet mangler",
                                    "document-missing"))
        elif sha256_file(path) != consent.sha256:
            findings.append(Finding(f"{place} ({rel})", "dokumentet er ændret (SHA-256 "
                                                        "passer ikke)",
                                    "document-changed"))
    findings += _renditions(arch, added, known)
    ids = {c.id for c in rows}
    for consent_id in sorted(set(added) - ids - purged):
        findings.append(Finding(f"samtykke nr. {consent_id}", "mangler i indekset (slettet "
                                                              "uden om arkivet)",
                                "index-row-deleted"))
    files = 0
    if arch.objects.is_dir():
        for sub in sorted(arch.objects.iterdir()):
            children = sorted(sub.iterdir()) if sub.is_dir() else [sub]
            for child in children:
                files += 1
                if sub.name + child.name not in known or child.parent == arch.objects:
                    findings.append(Finding(str(child.relative_to(arch.root)),
                                            "fil uden samtykke i indekset (forældreløs, "
                                            "fx fra en afbrudt tilføjelse)", "orphan"))
    if arch.tmp.is_dir():
        for child in sorted(arch.tmp.iterdir()):
            findings.append(Finding(str(child.relative_to(arch.root)),
                                    "rest af en afbrudt tilføjelse", "leftover"))
    counts = {"samtykker": len(rows), "filer": files, "poster": len(entries)}
    return findings, counts


def _renditions(arch: Archive, added: dict[int, audit.Entry], known: set[str]
                ) -> list[Finding]:
    """Each PDF/A rendition and signature report: logged, present, unchanged. Their
    hashes join ``known`` so they are not taken for orphans."""
    findings = []
    for row in arch.rendition_rows():
        place = f"samtykke nr. {row['consent_id']}"
        what = "PDF/A-udgaven" if row["kind"] == "pdfa" else "underskriftsrapporten"
        entry = added.get(row["consent_id"])
        if entry is not None and entry.details.get(row["kind"]) != row["sha256"]:
            findings.append(Finding(place, f"{what} passer ikke med revisionsloggen",
                                    "rendition-not-in-log"))
        if row["sha256"] is None:
            continue
        known.add(row["sha256"])
        path = arch.stored_path(row["sha256"])
        if path is None:
            findings.append(Finding(place, f"{what}: indekset peger uden for arkivets "
                                           "dokumenter", "path-outside"))
        elif not path.is_file():
            findings.append(Finding(f"{place} ({path.relative_to(arch.root)})",
                                    f"{what} mangler", "rendition-missing"))
        elif sha256_file(path) != row["sha256"]:
            findings.append(Finding(f"{place} ({path.relative_to(arch.root)})",
                                    f"{what} er ændret (SHA-256 passer ikke)",
                                    "rendition-changed"))
    return findings
