"""The append-only audit log of the consent archive: a keyed hash chain in SQLite.

Every change to the archive, and every look-up of a citizen, is one row in ``audit``. A
row's ``hash`` is the HMAC-SHA256, under the chain key kept outside the archive (see
keys.py), of its own columns together with the previous row's hash (``prev``), so editing,
deleting or reordering any row breaks the chain at that row, and :func:`verify_chain`
names it; recomputing the chain needs the key. The newest row's number and hash are also
kept in ``audit_head`` (updated in the same transaction), and ``seq`` is AUTOINCREMENT, so
SQLite remembers the highest number ever used: cutting rows off the end is noticed too.

Each row names its ``actor`` (the OS user or the web app's user). Rows about a citizen
carry ``citizen``, a keyed hash of the CPR number, so a citizen's history and look-ups can
be found without the CPR number in clear. Entries never hold a CPR number.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..problems import Problem, finding

if TYPE_CHECKING:
    from .keys import ArchiveKeys

GENESIS = "0" * 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    consent_id INTEGER,
    actor TEXT NOT NULL,
    citizen TEXT,
    details TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_consent ON audit(consent_id);
CREATE INDEX IF NOT EXISTS audit_citizen ON audit(citizen);
CREATE TABLE IF NOT EXISTS audit_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS archive_info (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    key_id TEXT NOT NULL,
    public_key TEXT,
    created_at TEXT NOT NULL
);
"""

_COLS = "seq, at, action, consent_id, actor, citizen, details, prev, hash"

#: Danish words for the actions, as shown in ``show`` and ``verify``.
ACTIONS = {
    "add": "tilføjet",
    "withdraw": "tilbagekaldt",
    "export": "udleveret (eksport)",
    "purge": "slettet (opbevaringstid udløbet)",
    "lookup": "opslag",
    "access": "indsigt udleveret til borgeren",
}


@dataclass(frozen=True)
class Entry:
    """One audit row."""

    seq: int
    at: str
    action: str
    consent_id: int | None
    actor: str
    citizen: str | None
    details: dict[str, Any]
    prev: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        """The entry as ``show --json`` and the web API give it: post (its number), time,
        the action in Danish, who, and its details (without the record hash an ``add``
        keeps under ``post``, as in the citizen's access package)."""
        return {"post": self.seq, "tid": self.at,
                "handling": ACTIONS.get(self.action, self.action), "hvem": self.actor,
                **{k: v for k, v in self.details.items() if k != "post"}}


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the text that is hashed."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(keys: ArchiveKeys, seq: int, at: str, action: str, consent_id: int | None,
               actor: str, citizen: str | None, details: str, prev: str) -> str:
    """The HMAC-SHA256 (chain key) of one entry's columns and its predecessor's hash."""
    return keys.mac(canonical([seq, at, action, consent_id, actor, citizen, details, prev]))


def now_utc() -> str:
    """The current time as ISO 8601 UTC with seconds: ``2026-11-23T15:01:07Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def append(conn: sqlite3.Connection, keys: ArchiveKeys, action: str, consent_id: int | None,
           details: dict[str, Any], actor: str, citizen: str | None = None,
           at: str | None = None) -> Entry:
    """Append one entry. Call inside the transaction that makes the change it records."""
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at = at or now_utc()
    text = canonical(details)
    digest = entry_hash(keys, seq, at, action, consent_id, actor, citizen, text, prev)
    conn.execute(f"INSERT INTO audit ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (seq, at, action, consent_id, actor, citizen, text, prev, digest))
    conn.execute("INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) "
                 "ON CONFLICT(one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                 (seq, digest))
    return Entry(seq, at, action, consent_id, actor, citizen, details, prev, digest)


def _row_to_entry(row: tuple) -> Entry:
    seq, at, action, consent_id, actor, citizen, details, prev, digest = row
    try:
        parsed = json.loads(details)
    except (TypeError, ValueError):
        parsed = {"_ulæselig": str(details)}
    return Entry(seq, at, action, consent_id, actor, citizen,
                 parsed if isinstance(parsed, dict) else {}, prev, digest)


def entries(conn: sqlite3.Connection, consent_id: int | None = None,
            citizen: str | None = None) -> list[Entry]:
    """The entries in order: all, those of one consent, or those about one citizen."""
    sql = f"SELECT {_COLS} FROM audit"
    if consent_id is not None:
        rows = conn.execute(sql + " WHERE consent_id = ? ORDER BY seq",
                            (consent_id,)).fetchall()
    elif citizen is not None:
        rows = conn.execute(sql + " WHERE citizen = ? ORDER BY seq", (citizen,)).fetchall()
    else:
        rows = conn.execute(sql + " ORDER BY seq").fetchall()
    return [_row_to_entry(r) for r in rows]


def highest_used(conn: sqlite3.Connection) -> int:
    """The highest entry number SQLite ever handed out (AUTOINCREMENT), 0 if none."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    return int(row[0]) if row else 0


def verify_chain(conn: sqlite3.Connection, keys: ArchiveKeys
                 ) -> tuple[list[Entry], list[Problem]]:
    """Check every link of the chain under the key; return the entries and the problems.

    Each problem has the place ``revisionslog`` or ``revisionslog post N`` and a
    registered code (``chain-gap``, ``chain-broken``, ``entry-changed``, ``chain-rewritten``,
    ``head-missing``, ``head-moved``, ``entries-cut``, ``key-mismatch``, ``key-id-missing``).
    The entries are returned even when broken, so the caller can cross-check the index.
    """
    problems: list[Problem] = []
    info = conn.execute("SELECT key_id FROM archive_info WHERE one = 1").fetchone()
    if info is None:
        problems.append(finding("key-id-missing", "revisionslog", "arkivets nøgle-id mangler "
                                "(arkivet er ændret uden om skema)"))
    elif info[0] != keys.key_id:
        problems.append(finding("key-mismatch", "revisionslog", "nøglen passer ikke til "
                                "arkivet: kæden er beregnet med en anden nøgle, eller der er "
                                "brugt en forkert nøgle"))
    rows = conn.execute(f"SELECT {_COLS} FROM audit ORDER BY seq").fetchall()
    prev_hash, expected_seq = GENESIS, 1
    changed: list[Problem] = []
    for row in rows:
        seq, at, action, consent_id, actor, citizen, details, prev, digest = row
        place = f"revisionslog post {seq}"
        if seq != expected_seq:
            missing = (f"post {expected_seq}" if seq == expected_seq + 1
                       else f"post {expected_seq}–{seq - 1}")
            problems.append(finding("chain-gap", place,
                                    f"{missing} mangler: der er slettet i revisionsloggen"))
        if prev != prev_hash:
            problems.append(finding("chain-broken", place, "kæden er brudt: posten peger ikke "
                                    "på den forrige post"))
        if entry_hash(keys, seq, at, action, consent_id, actor, citizen, details,
                      prev) != digest:
            changed.append(finding("entry-changed", place, "posten er ændret efter den blev "
                                   "skrevet (hashen passer ikke)"))
        prev_hash, expected_seq = digest, seq + 1
    if len(rows) > 1 and len(changed) == len(rows):
        problems.append(finding("chain-rewritten", "revisionslog", f"alle {len(rows)} poster "
                                "har forkert nøglet hash: kæden er beregnet igen uden arkivets "
                                "nøgle"))
    else:
        problems += changed
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
    last = rows[-1] if rows else None
    if head is None and last is not None:
        problems.append(finding("head-missing", "revisionslog", "kædens hoved mangler"))
    elif head is not None and (last is None or (head[0], head[1]) != (last[0], last[8])):
        problems.append(finding("head-moved", "revisionslog", f"de seneste poster (til og med "
                                f"post {head[0]}) mangler eller er ændret"))
    used = highest_used(conn)
    top = max(last[0] if last else 0, head[0] if head else 0)
    if used > top:
        cut = f"post {top + 1}" + (f"–{used}" if used > top + 1 else "")
        problems.append(finding("entries-cut", "revisionslog", f"{cut} er skrevet og siden "
                                "slettet fra enden af revisionsloggen"))
    return [_row_to_entry(r) for r in rows], problems
