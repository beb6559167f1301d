"""The append-only audit log of the consent archive: a hash chain in SQLite.

Every change to the archive is one row in ``audit``. A row's ``hash`` is the SHA-256 of
its own columns together with the previous row's hash (``prev``), so editing, deleting or
reordering any row breaks the chain at that row, and :func:`verify_chain` names it. The
newest row's number and hash are also kept in ``audit_head`` (updated in the same
transaction), so cutting rows off the end is noticed too.

Entries never hold a CPR number: details name consent numbers, file hashes and dates.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    consent_id INTEGER,
    details TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_consent ON audit(consent_id);
CREATE TABLE IF NOT EXISTS audit_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"""

#: Danish words for the actions, as shown in ``show`` and ``verify``.
ACTIONS = {
    "add": "tilføjet",
    "withdraw": "tilbagekaldt",
    "export": "udleveret (eksport)",
    "purge": "slettet (opbevaringstid udløbet)",
}


@dataclass(frozen=True)
class Entry:
    """One audit row."""

    seq: int
    at: str
    action: str
    consent_id: int | None
    details: dict[str, Any]
    prev: str
    hash: str


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the text that is hashed."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(seq: int, at: str, action: str, consent_id: int | None, details: str,
               prev: str) -> str:
    """The SHA-256 of one entry's columns and its predecessor's hash."""
    text = canonical([seq, at, action, consent_id, details, prev])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now_utc() -> str:
    """The current time as ISO 8601 UTC with seconds: ``2026-11-23T15:01:07Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def append(conn: sqlite3.Connection, action: str, consent_id: int | None,
           details: dict[str, Any], at: str | None = None) -> Entry:
    """Append one entry. Call inside the transaction that makes the change it records."""
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at = at or now_utc()
    text = canonical(details)
    digest = entry_hash(seq, at, action, consent_id, text, prev)
    conn.execute("INSERT INTO audit (seq, at, action, consent_id, details, prev, hash) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)", (seq, at, action, consent_id, text, prev,
                                                  digest))
    conn.execute("INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) "
                 "ON CONFLICT(one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                 (seq, digest))
    return Entry(seq, at, action, consent_id, details, prev, digest)


def _row_to_entry(row: tuple) -> Entry:
    seq, at, action, consent_id, details, prev, digest = row
    try:
        parsed = json.loads(details)
    except (TypeError, ValueError):
        parsed = {"_ulæselig": str(details)}
    return Entry(seq, at, action, consent_id, parsed if isinstance(parsed, dict) else {},
                 prev, digest)


def entries(conn: sqlite3.Connection, consent_id: int | None = None) -> list[Entry]:
    """The entries in order, all or those of one consent."""
    sql = "SELECT seq, at, action, consent_id, details, prev, hash FROM audit"
    if consent_id is None:
        rows = conn.execute(sql + " ORDER BY seq").fetchall()
    else:
        rows = conn.execute(sql + " WHERE consent_id = ? ORDER BY seq",
                            (consent_id,)).fetchall()
    return [_row_to_entry(r) for r in rows]


def verify_chain(conn: sqlite3.Connection) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Check every link of the chain; return the entries and the problems found.

    A problem is ``(place, message)`` with place ``revisionslog post N``. The entries are
    returned even when broken, so the caller can cross-check the index against them.
    """
    problems: list[tuple[str, str]] = []
    rows = conn.execute("SELECT seq, at, action, consent_id, details, prev, hash FROM audit "
                        "ORDER BY seq").fetchall()
    prev_hash, expected_seq = GENESIS, 1
    for row in rows:
        seq, at, action, consent_id, details, prev, digest = row
        place = f"revisionslog post {seq}"
        if seq != expected_seq:
            missing = (f"post {expected_seq}" if seq == expected_seq + 1
                       else f"post {expected_seq}–{seq - 1}")
            problems.append((place, f"{missing} mangler: der er slettet i revisionsloggen"))
        if prev != prev_hash:
            problems.append((place, "kæden er brudt: posten peger ikke på den forrige post"))
        if entry_hash(seq, at, action, consent_id, details, prev) != digest:
            problems.append((place, "posten er ændret efter den blev skrevet "
                                    "(hashen passer ikke)"))
        prev_hash, expected_seq = digest, seq + 1
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
    last = rows[-1] if rows else None
    if head is None and last is not None:
        problems.append(("revisionslog", "kædens hoved mangler"))
    elif head is not None and (last is None or (head[0], head[1]) != (last[0], last[6])):
        problems.append(("revisionslog", f"de seneste poster (til og med post {head[0]}) "
                                         "mangler eller er ændret"))
    return [_row_to_entry(r) for r in rows], problems
