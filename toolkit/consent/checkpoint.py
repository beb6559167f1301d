"""Signed checkpoints of the audit log, kept outside the archive.

A checkpoint names the newest audit entry (number and keyed hash), the time and the
number of consents, signed with the archive's Ed25519 signing key. Kept elsewhere
(printed, mailed, committed to another system), it lets ``verify`` prove that the archive
still holds that history: a database copied back, entries cut off the end, a head moved
back or a chain recomputed are each reported with their own code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ArchiveError
from ..problems import Problem, finding
from . import audit
from . import keys as keys_mod

if TYPE_CHECKING:
    from .store import Archive

FORMAT = "skema-samtykkearkiv-kontrolpunkt/1"
_FIELDS = ("format", "arkiv", "post", "hash", "tid", "samtykker", "offentlig_noegle")


def _message(point: dict[str, Any]) -> bytes:
    return audit.canonical({k: point.get(k) for k in _FIELDS}).encode("utf-8")


def make(arch: Archive) -> dict[str, Any]:
    """The archive's current head, signed (ArchiveError without a signing key)."""
    pem = arch.keys.signing_pem
    if pem is None:
        raise ArchiveError("der er ingen signeringsnøgle, så kontrolpunktet kan ikke "
                           "underskrives.",
                           hint="Opret nøglerne med 'skema consent init' (signeringsnøglen "
                                "ligger ved siden af nøglefilen).")
    seq, digest = arch.head()
    count = arch.conn.execute("SELECT count(*) FROM consents").fetchone()[0]
    point: dict[str, Any] = {
        "format": FORMAT, "arkiv": arch.keys.key_id, "post": seq, "hash": digest,
        "tid": audit.now_utc(), "samtykker": count,
        "offentlig_noegle": keys_mod.public_key_hex(pem),
    }
    point["signatur"] = keys_mod.sign(pem, _message(point))
    return point


def dumps(point: dict[str, Any]) -> str:
    """The checkpoint as the text of its file."""
    return json.dumps(point, ensure_ascii=False, indent=2) + "\n"


def file_name(point: dict[str, Any]) -> str:
    """``kontrolpunkt-000042-20261127T120102Z.json``: sorts by entry number and time."""
    stamp = str(point["tid"]).replace("-", "").replace(":", "")
    return f"kontrolpunkt-{int(point['post']):06d}-{stamp}.json"


def read(path: str | Path) -> dict[str, Any]:
    """A checkpoint file; ArchiveError when unreadable."""
    try:
        point = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{path}: kontrolpunktet kan ikke læses ({exc}).",
                           hint="Angiv en fil skrevet af 'skema consent checkpoint'.") from None
    if not isinstance(point, dict) or point.get("format") != FORMAT:
        raise ArchiveError(f"{path}: er ikke et kontrolpunkt fra skema.",
                           hint="Angiv en fil skrevet af 'skema consent checkpoint'.")
    point.setdefault("_fil", str(path))
    return point


def check(arch: Archive, point: dict[str, Any], entries: list[audit.Entry]) -> list[Problem]:
    """What is wrong between the archive and one checkpoint (nothing when it holds)."""
    seq, digest = point.get("post"), point.get("hash")
    place = f"kontrolpunkt {point.get('_fil', '')} (post {seq}, {point.get('tid', '?')})"
    if not isinstance(seq, int) or not isinstance(digest, str):
        return [finding("checkpoint-unreadable", place, "kontrolpunktet er ufuldstændigt")]
    trusted = (keys_mod.public_key_hex(arch.keys.signing_pem) if arch.keys.signing_pem
               else arch.public_key())
    if not trusted or point.get("offentlig_noegle") != trusted:
        return [finding("checkpoint-foreign-key", place, "kontrolpunktet er ikke "
                        "underskrevet med arkivets signeringsnøgle")]
    if not keys_mod.signature_ok(trusted, _message(point), str(point.get("signatur", ""))):
        return [finding("checkpoint-signature", place, "kontrolpunktets underskrift passer "
                        "ikke (filen er ændret)")]
    if point.get("arkiv") != arch.keys.key_id:
        return [finding("checkpoint-other-archive", place, "kontrolpunktet hører til et arkiv "
                        "med en anden nøgle")]
    by_seq = {e.seq: e for e in entries}
    last = entries[-1].seq if entries else 0
    entry = by_seq.get(seq)
    if entry is None and seq == 0:
        return []
    if entry is None:
        if last > seq:
            return [finding("checkpoint-entry-deleted", place, f"post {seq}, som "
                            "kontrolpunktet bekræfter, er slettet fra revisionsloggen")]
        if audit.highest_used(arch.conn) >= seq:
            return [finding("truncated", place, f"de seneste poster (post {last + 1}–{seq}) "
                            f"er slettet fra revisionsloggen; kontrolpunktet bekræfter post "
                            f"{seq}")]
        return [finding("rollback", place, f"arkivet er rullet tilbage: revisionsloggen ender "
                        f"ved post {last}, men kontrolpunktet bekræfter post {seq} (en ældre "
                        "database er lagt tilbage, eller de seneste poster er slettet)")]
    if entry.hash != digest:
        return [finding("rewritten", place, f"historikken er skrevet om: post {seq} er ikke "
                        "længere den post, kontrolpunktet bekræfter")]
    problems = []
    head_seq = arch.head()[0]
    if head_seq < seq:
        problems.append(finding("head-moved", place, f"kædens hoved er flyttet tilbage til "
                                f"post {head_seq}, før kontrolpunktets post {seq}"))
    count = sum(1 if e.action == "add" else -1 for e in entries
                if e.seq <= seq and e.action in ("add", "purge"))
    if count != point.get("samtykker"):
        problems.append(finding("checkpoint-count", place, f"revisionsloggen giver {count} "
                                f"samtykker ved post {seq}, kontrolpunktet "
                                f"{point.get('samtykker')}"))
    return problems
