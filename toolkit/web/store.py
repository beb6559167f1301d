"""The web app's own SQLite database: users, API tokens, sessions, drafts and jobs.

One file (``skema-web.db`` in the data folder), WAL mode, a connection per operation so that
the request threads and the job worker never share one. Secrets are kept only as hashes:
passwords with argon2, tokens and session ids with SHA-256 (they are long random strings).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SkemaError

ROLES = ("sagsbehandler", "administrator")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password TEXT NOT NULL, role TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, digest TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL, created REAL NOT NULL, revoked REAL);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY, user TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS drafts (
    id TEXT PRIMARY KEY, form TEXT NOT NULL, owner TEXT NOT NULL, data TEXT NOT NULL,
    updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, owner TEXT NOT NULL, state TEXT NOT NULL,
    params TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL,
    done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0, message TEXT,
    result TEXT);
CREATE TABLE IF NOT EXISTS reveals (
    digest TEXT PRIMARY KEY, owner TEXT NOT NULL, consent INTEGER NOT NULL,
    expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, at);
"""


class WebError(SkemaError):
    """A user, token or setting of the web app that cannot be made or used."""


@dataclass(frozen=True)
class Identity:
    """Who makes a request: a user of server mode, an API token, or the local user."""

    name: str
    role: str
    kind: str  # "bruger", "token" or "lokal"

    def may(self, role: str) -> bool:
        """True when this identity has ``role`` (an administrator has every role)."""
        return self.role == role or self.role == "administrator"


def digest(secret: str) -> str:
    """The stored form of a token or session id."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


class WebStore:
    """The database of one data folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as conn:
            conn.executescript(_SCHEMA)

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one operation, committed when the block ends without error."""
        conn = sqlite3.connect(str(self.path), timeout=30)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA busy_timeout = 30000")
            with conn:
                yield conn
        finally:
            conn.close()

    # -- users -----------------------------------------------------------------------------
    def add_user(self, name: str, password: str, role: str) -> None:
        """Add a user of server mode (refused when the name is taken or the role unknown)."""
        if role not in ROLES:
            raise WebError(f"ukendt rolle: {role}",
                           hint="Vælg en af rollerne " + " og ".join(ROLES) + ".")
        if len(password) < 12:
            raise WebError("adgangskoden er for kort (mindst 12 tegn).")
        with self.connect() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise WebError(f"brugeren {name} findes allerede.")
            conn.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                         (name, _hasher().hash(password), role, time.time()))

    def users(self) -> list[dict[str, Any]]:
        """Every user: name, role and when made (never the password hash)."""
        with self.connect() as conn:
            rows = conn.execute("SELECT name, role, created FROM users ORDER BY name").fetchall()
        return [{"navn": r[0], "rolle": r[1], "oprettet": r[2]} for r in rows]

    def remove_user(self, name: str) -> None:
        """Remove a user and end their sessions (refused for an unknown name)."""
        with self.connect() as conn:
            cur = conn.execute("DELETE FROM users WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise WebError(f"brugeren {name} findes ikke.")
            conn.execute("DELETE FROM sessions WHERE user = ?", (name,))

    def check_password(self, name: str, password: str) -> Identity | None:
        """The user when the password is right, else None (also for an unknown user)."""
        from argon2.exceptions import VerificationError

        with self.connect() as conn:
            row = conn.execute("SELECT password, role FROM users WHERE name = ?",
                               (name,)).fetchone()
        if row is None:
            _hasher().hash(password)  # the same time for an unknown name as for a wrong password
            return None
        try:
            _hasher().verify(row[0], password)
        except VerificationError:
            return None
        return Identity(name, row[1], "bruger")

    # -- showing a CPR number once ----------------------------------------------------------
    def new_reveal(self, owner: str, consent_id: int, seconds: float = 120) -> str:
        """A one-time pass for ``owner`` to see consent ``consent_id``'s CPR number on the
        page the post redirects to (letters only: it is in that page's address)."""
        from .uploads import new_name

        grant = new_name()
        now = time.time()
        with self.connect() as conn:
            conn.execute("DELETE FROM reveals WHERE expires < ?", (now,))
            conn.execute("INSERT INTO reveals VALUES (?, ?, ?, ?)",
                         (digest(grant), owner, consent_id, now + seconds))
        return grant

    def take_reveal(self, grant: str, owner: str, consent_id: int) -> bool:
        """Use up a pass of :meth:`new_reveal`: True the first time, within its time, for
        its owner and consent; False ever after (a reload of the page)."""
        with self.connect() as conn:
            cur = conn.execute("DELETE FROM reveals WHERE digest = ? AND owner = ? AND "
                               "consent = ? AND expires >= ?",
                               (digest(grant), owner, consent_id, time.time()))
        return cur.rowcount == 1

    # -- failed log-ins ---------------------------------------------------------------------
    def login_attempt(self, keys: list[str], attempts: int, window: float) -> float:
        """Count a log-in attempt against each of ``keys`` (a user name, an address; kept as
        hashes) as failed until :meth:`login_succeeded` says otherwise; returns 0 then.

        When one of the keys already failed ``attempts`` times within the last ``window``
        seconds nothing is counted and the seconds to wait are returned instead: until the
        oldest of those failures has left the window. Checked and counted in one
        transaction, so attempts made at the same time cannot slip past the limit."""
        now = time.time()
        wait = 0.0
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM login_failures WHERE at <= ?", (now - window,))
            for key in keys:
                rows = conn.execute("SELECT at FROM login_failures WHERE key = ? "
                                    "ORDER BY at DESC LIMIT ?",
                                    (digest(key), attempts)).fetchall()
                if len(rows) >= attempts:
                    wait = max(wait, rows[-1][0] + window - now)
            if wait <= 0:
                conn.executemany("INSERT INTO login_failures VALUES (?, ?)",
                                 [(digest(k), now) for k in keys])
        return wait

    def login_succeeded(self, keys: list[str]) -> None:
        """Forget the failed log-ins of ``keys``."""
        with self.connect() as conn:
            conn.executemany("DELETE FROM login_failures WHERE key = ?",
                             [(digest(k),) for k in keys])

    # -- sessions --------------------------------------------------------------------------
    def new_session(self, user: str, minutes: int) -> str:
        """A new session for ``user``; returns its id (for the cookie)."""
        sid = secrets.token_urlsafe(32)
        with self.connect() as conn:
            conn.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?)",
                         (digest(sid), user, time.time() + minutes * 60))
        return sid

    def session_user(self, sid: str, minutes: int) -> Identity | None:
        """The user of a live session (its expiry moved on), or None."""
        now = time.time()
        with self.connect() as conn:
            row = conn.execute(
                "SELECT u.name, u.role FROM sessions s JOIN users u ON u.name = s.user "
                "WHERE s.digest = ? AND s.expires > ?", (digest(sid), now)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE sessions SET expires = ? WHERE digest = ?",
                         (now + minutes * 60, digest(sid)))
        return Identity(row[0], row[1], "bruger")

    def end_session(self, sid: str) -> None:
        """Log out."""
        with self.connect() as conn:
            conn.execute("DELETE FROM sessions WHERE digest = ?", (digest(sid),))

    # -- tokens ----------------------------------------------------------------------------
    def new_token(self, name: str, role: str = "sagsbehandler") -> tuple[int, str]:
        """A new API token: returns its number and the token (shown once, kept as a hash)."""
        if role not in ROLES:
            raise WebError(f"ukendt rolle: {role}",
                           hint="Vælg en af rollerne " + " og ".join(ROLES) + ".")
        token = "skema_" + secrets.token_urlsafe(32)
        with self.connect() as conn:
            cur = conn.execute(
                "INSERT INTO tokens (name, digest, role, created) VALUES (?, ?, ?, ?)",
                (name, digest(token), role, time.time()))
        return int(cur.lastrowid or 0), token

    def revoke_token(self, number: int) -> None:
        """Revoke a token by its number (refused when there is no live token of that number)."""
        with self.connect() as conn:
            cur = conn.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                               (time.time(), number))
        if cur.rowcount == 0:
            raise WebError(f"der er ingen gyldig nøgle med nummer {number}.",
                           hint="Se nøglerne med 'skema token list'.")

    def tokens(self) -> list[dict[str, Any]]:
        """Every token (number, name, role, created, revoked) — never the token itself."""
        with self.connect() as conn:
            rows = conn.execute("SELECT id, name, role, created, revoked FROM tokens "
                                "ORDER BY id").fetchall()
        return [dict(zip(("nummer", "navn", "rolle", "oprettet", "tilbagekaldt"), r))
                for r in rows]

    def token_identity(self, token: str) -> Identity | None:
        """The identity of a live token, or None."""
        with self.connect() as conn:
            row = conn.execute("SELECT name, role FROM tokens WHERE digest = ? AND "
                               "revoked IS NULL", (digest(token),)).fetchone()
        return None if row is None else Identity(f"nøgle:{row[0]}", row[1], "token")

    # -- drafts ----------------------------------------------------------------------------
    def save_draft(self, draft_id: str, form: str, owner: str, data: dict[str, Any]) -> None:
        """Keep (or replace) a draft's answers."""
        with self.connect() as conn:
            conn.execute("INSERT INTO drafts VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
                         "SET data = excluded.data, updated = excluded.updated "
                         "WHERE drafts.owner = excluded.owner",
                         (draft_id, form, owner, json.dumps(data, ensure_ascii=False),
                          time.time()))

    def draft(self, draft_id: str, owner: str) -> tuple[str, dict[str, Any]] | None:
        """(form, answers) of the owner's draft, or None."""
        with self.connect() as conn:
            row = conn.execute("SELECT form, data FROM drafts WHERE id = ? AND owner = ?",
                               (draft_id, owner)).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def drafts(self, owner: str, form: str | None = None) -> list[dict[str, Any]]:
        """The owner's drafts, newest first."""
        sql = "SELECT id, form, updated FROM drafts WHERE owner = ?"
        args: tuple[Any, ...] = (owner,)
        if form:
            sql += " AND form = ?"
            args += (form,)
        with self.connect() as conn:
            rows = conn.execute(sql + " ORDER BY updated DESC", args).fetchall()
        return [{"id": r[0], "form": r[1], "updated": r[2]} for r in rows]

    def delete_draft(self, draft_id: str, owner: str) -> None:
        """Remove a draft."""
        with self.connect() as conn:
            conn.execute("DELETE FROM drafts WHERE id = ? AND owner = ?", (draft_id, owner))
