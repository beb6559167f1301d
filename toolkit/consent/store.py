"""The consent archive: content-addressed documents plus a SQLite index and audit log.

Layout of an archive folder (mode 0700, files 0600/0400)::

    index.sqlite            the index (WAL) and the audit log (see audit.py)
    objects/ab/cdef…        the exact bytes of each document, named by SHA-256, read-only
    tmp/                    documents being added (a leftover here is a killed add)

Adding writes the document to ``tmp/``, fsyncs it, links it into ``objects/`` and only
then inserts the index row and its audit entry in one ``BEGIN IMMEDIATE`` transaction.
A process killed in between leaves at most a file without an index row, which
:meth:`Archive.verify` reports (and adding the same document again adopts).

CPR numbers are stored in the index (they are the lookup key) but never in file names,
audit entries or messages (those use :func:`toolkit.danish.mask_cpr`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import io
import json
import os
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .. import danish
from . import audit
from .metadata import merge_metadata, metadata_from_form, normalize_cpr, parse_day, sniff_kind
from .model import (
    COLUMNS,
    DEFAULT_RETENTION_YEARS,
    STATUSES,
    ArchiveError,
    Consent,
    Finding,
    PurgeResult,
    record_hash,
)

INDEX = "index.sqlite"
DEFAULT_ARCHIVE = "samtykkearkiv"

SCHEMA = """
CREATE TABLE IF NOT EXISTS consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    original_name TEXT NOT NULL,
    added_at TEXT NOT NULL,
    source TEXT NOT NULL,
    form_version TEXT,
    cpr TEXT NOT NULL,
    navn TEXT NOT NULL,
    formaal TEXT NOT NULL,
    gyldig_fra TEXT NOT NULL,
    gyldig_til TEXT NOT NULL,
    meta TEXT NOT NULL,
    signatures TEXT NOT NULL,
    withdrawn_on TEXT
);
CREATE INDEX IF NOT EXISTS consents_cpr ON consents(cpr);
CREATE INDEX IF NOT EXISTS consents_til ON consents(gyldig_til);
"""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Archive:
    """An archive folder. ``today`` fixes the date statuses are computed for (tests)."""

    def __init__(self, root: str | Path, today: _dt.date | None = None,
                 create: bool = False) -> None:
        self.root = Path(root)
        self.today = today or _dt.date.today()
        self.index = self.root / INDEX
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        if not self.index.is_file():
            if not create:
                raise ArchiveError(
                    f"{self.root}: her er intet samtykkearkiv.",
                    hint="Tilføj et samtykke med 'skema consent add', eller peg på arkivet "
                         "med --archive eller $SKEMA_ARCHIVE.")
            self._create_folders()
        self.conn = self._connect()

    # -- setup

    def _create_folders(self) -> None:
        for folder in (self.root, self.objects, self.tmp):
            if not folder.is_dir():
                try:
                    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                except OSError as exc:
                    raise ArchiveError(f"{folder}: mappen kan ikke oprettes ({exc.strerror}).",
                                       hint="Vælg et andet sted med --archive.") from None
                os.chmod(folder, 0o700)
        if not self.index.exists():
            fd = os.open(self.index, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.index), timeout=60, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 60000")
            for attempt in range(100):
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    break
                except sqlite3.OperationalError:
                    if attempt == 99:
                        raise
                    time.sleep(0.05)
            conn.execute("PRAGMA synchronous = FULL")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not {"consents", "audit", "audit_head"} <= tables:
                with self._tx(conn):
                    for statement in (SCHEMA + audit.SCHEMA).split(";"):
                        if statement.strip():
                            conn.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{self.index}: arkivets indeks kan ikke åbnes ({exc}).",
                               hint="Tjek at stien peger på et samtykkearkiv.") from None
        return conn

    @staticmethod
    @contextlib.contextmanager
    def _tx(conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close the index."""
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def object_path(self, digest: str) -> Path:
        """Where the document with this SHA-256 is kept."""
        return self.objects / digest[:2] / digest[2:]

    # -- reading

    def _select(self, where: str = "", params: Iterable[Any] = (),
                order: str = "id") -> list[Consent]:
        sql = f"SELECT {', '.join(COLUMNS)} FROM consents {where} ORDER BY {order}"
        return [Consent.from_row(r) for r in self.conn.execute(sql, tuple(params))]

    def get(self, consent_id: int) -> Consent:
        """The consent with this number, or ArchiveError naming it."""
        found = self._select("WHERE id = ?", (consent_id,))
        if not found:
            purged = self.conn.execute("SELECT at FROM audit WHERE consent_id = ? AND "
                                       "action = 'purge'", (consent_id,)).fetchone()
            if purged:
                raise ArchiveError(f"samtykke nr. {consent_id}: er slettet {purged[0][:10]}, "
                                   "da opbevaringstiden var udløbet.",
                                   hint="Se historikken med 'skema consent verify'.")
            raise ArchiveError(f"samtykke nr. {consent_id}: findes ikke i arkivet.",
                               hint="Se numrene med 'skema consent list'.")
        return found[0]

    def list(self, cpr: str | None = None, status: str | None = None,
             expires_within: int | None = None) -> list[Consent]:
        """Consents, filtered by citizen, status on ``today`` and expiry within N days."""
        day = self.today.isoformat()
        clauses, params = [], []
        if cpr:
            clauses.append("cpr = ?")
            params.append(normalize_cpr(cpr))
        withdrawn = "(withdrawn_on IS NOT NULL AND withdrawn_on <= ?)"
        if status == "tilbagekaldt":
            clauses.append(withdrawn)
            params.append(day)
        elif status in ("aktiv", "kommende", "udløbet"):
            clauses.append(f"NOT {withdrawn}")
            params.append(day)
            clauses.append({"aktiv": "gyldig_fra <= ? AND gyldig_til >= ?",
                            "kommende": "gyldig_fra > ? AND gyldig_til >= ?",
                            "udløbet": "gyldig_til < ? AND 1 = ?"}[status])
            params += [day, 1 if status == "udløbet" else day]
        elif status is not None:
            raise ArchiveError(f"--status: \"{status}\" er ikke en status.",
                               hint="Brug " + ", ".join(STATUSES) + ".")
        if expires_within is not None:
            # in force today and its last day in force within the period
            last = _dt.date.fromordinal(self.today.toordinal() + expires_within).isoformat()
            clauses.append(f"NOT {withdrawn} AND gyldig_fra <= ? AND gyldig_til >= ? AND "
                           "min(gyldig_til, coalesce(date(withdrawn_on, '-1 day'), "
                           "gyldig_til)) <= ?")
            params += [day, day, day, last]
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        order = "gyldig_til, id" if expires_within is not None else "id"
        return self._select(where, params, order)

    def history(self, consent_id: int) -> list[audit.Entry]:
        """The audit entries of one consent, oldest first."""
        return audit.entries(self.conn, consent_id)

    def read(self, consent: Consent) -> bytes:
        """The document's bytes, checked against its SHA-256."""
        path = self.object_path(consent.sha256)
        try:
            data = path.read_bytes()
        except OSError:
            raise ArchiveError(f"samtykke nr. {consent.id}: dokumentet mangler i arkivet "
                               f"({path.relative_to(self.root)}).",
                               hint="Kør 'skema consent verify' og hent en kopi fra "
                                    "sikkerhedskopien.") from None
        if hashlib.sha256(data).hexdigest() != consent.sha256:
            raise ArchiveError(f"samtykke nr. {consent.id}: dokumentet i arkivet er ændret "
                               "(SHA-256 passer ikke); det udleveres ikke.",
                               hint="Kør 'skema consent verify' og hent en kopi fra "
                                    "sikkerhedskopien.")
        return data

    # -- adding

    def add(self, path: str | Path, given: dict[str, Any] | None = None,
            trust_roots: Iterable[str | Path] = ()) -> Consent:
        """Archive a signed consent file. Metadata comes from our ``samtykke`` form when
        the file is one, otherwise from ``given`` (scans); citizen, purpose and validity
        are required either way."""
        from .. import extract
        from ..errors import DocumentError

        path = Path(path)
        place = danish.mask_cpr(str(path))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ArchiveError(f"{place}: filen kan ikke læses ({exc.strerror}).",
                               hint="Tjek stien og filnavnet.") from None
        kind = self._kind(data, place)
        from_form, version = None, None
        if kind in ("pdf", "docx"):
            try:
                result = extract(path)
            except DocumentError:
                result = None  # a scan or another document: the options must say it all
            if result is not None:
                if result.form.id != "samtykke":
                    raise ArchiveError(
                        f"{place}: dokumentet er formularen \"{result.form.title}\", ikke en "
                        "samtykkeerklæring.", hint="Arkivér kun samtykkeerklæringer.")
                from_form, version = metadata_from_form(result.data), result.version
        meta = merge_metadata(from_form, given or {}, place)
        source = "formular" if from_form else "oplysninger"
        return self._add(data, kind, path.name, meta, source, version, trust_roots)

    def add_bytes(self, data: bytes, name: str, given: dict[str, Any],
                  trust_roots: Iterable[str | Path] = ()) -> Consent:
        """Archive a document whose metadata is given (no form reading): scans, bulk."""
        place = danish.mask_cpr(name)
        kind = self._kind(data, place)
        meta = merge_metadata(None, given, place)
        return self._add(data, kind, name, meta, "oplysninger", None, trust_roots)

    @staticmethod
    def _kind(data: bytes, place: str) -> str:
        if not data:
            raise ArchiveError(f"{place}: filen er tom.", hint="Vælg den underskrevne fil.")
        kind = sniff_kind(data)
        if kind is None:
            raise ArchiveError(f"{place}: filtypen kan ikke arkiveres.",
                               hint="Arkivér en PDF, en Word-fil (.docx) eller en scanning "
                                    "(PDF, JPEG, PNG eller TIFF).")
        return kind

    def _add(self, data: bytes, kind: str, name: str, meta: dict[str, Any], source: str,
             version: str | None, trust_roots: Iterable[str | Path]) -> Consent:
        from . import signatures

        digest = hashlib.sha256(data).hexdigest()
        place = danish.mask_cpr(name)
        existing = self.conn.execute("SELECT id FROM consents WHERE sha256 = ?",
                                     (digest,)).fetchone()
        if existing:
            raise self._duplicate(place, existing[0])
        sigs = signatures.check(data, kind, trust_roots)
        self._store_blob(data, digest)
        raw = {
            "sha256": digest, "size": len(data), "kind": kind,
            "original_name": danish.mask_cpr(Path(name).name), "added_at": audit.now_utc(),
            "source": source, "form_version": version, "cpr": meta["cpr"],
            "navn": str(meta.get("navn") or ""), "formaal": meta["formaal"],
            "gyldig_fra": meta["gyldig_fra"], "gyldig_til": meta["gyldig_til"],
            "meta": audit.canonical(meta), "signatures": audit.canonical(sigs),
        }
        columns = [c for c in COLUMNS if c not in ("id", "withdrawn_on")]
        try:
            with self._tx(self.conn):
                cur = self.conn.execute(
                    f"INSERT INTO consents ({', '.join(columns)}) VALUES "
                    f"({', '.join('?' * len(columns))})", [raw[c] for c in columns])
                consent_id = int(cur.lastrowid)
                audit.append(self.conn, "add", consent_id, {
                    "sha256": digest, "post": record_hash(raw), "kilde": source,
                    "gyldig_fra": meta["gyldig_fra"], "gyldig_til": meta["gyldig_til"],
                }, at=raw["added_at"])
        except sqlite3.IntegrityError:
            # the same document added by another process meanwhile: its blob is theirs
            row = self.conn.execute("SELECT id FROM consents WHERE sha256 = ?",
                                    (digest,)).fetchone()
            raise self._duplicate(place, row[0] if row else "?") from None
        return self.get(consent_id)

    @staticmethod
    def _duplicate(place: str, consent_id: Any) -> ArchiveError:
        return ArchiveError(f"{place}: dokumentet er allerede arkiveret som samtykke nr. "
                            f"{consent_id}.", hint=f"Se det med 'skema consent show "
                                                   f"{consent_id}'.")

    def _store_blob(self, data: bytes, digest: str) -> Path:
        """Write the bytes to ``objects/`` via ``tmp/``: fsync, link, read-only."""
        final = self.object_path(digest)
        if final.exists():
            if _sha256_file(final) == digest:
                return final  # left by an add that was killed before its index row
            raise ArchiveError(f"{final.relative_to(self.root)}: en ændret fil ligger allerede "
                               "på dokumentets plads i arkivet.",
                               hint="Kør 'skema consent verify'.")
        final.parent.mkdir(mode=0o700, exist_ok=True)
        self.tmp.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="add-", suffix=".tmp", dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o400)
            try:
                os.link(tmp, final)
            except FileExistsError:
                if _sha256_file(final) != digest:
                    raise ArchiveError(f"{final.relative_to(self.root)}: en anden fil ligger "
                                       "på dokumentets plads.",
                                       hint="Kør 'skema consent verify'.") from None
            _fsync_dir(final.parent)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return final

    # -- changing

    def withdraw(self, consent_id: int, date: str | _dt.date) -> Consent:
        """Record a withdrawal: the consent is not in force from ``date`` on."""
        day = parse_day(date, "--date")
        with self._tx(self.conn):
            consent = self.get(consent_id)
            if consent.withdrawn_on:
                raise ArchiveError(f"samtykke nr. {consent_id}: er allerede tilbagekaldt fra "
                                   f"{danish.format_date(consent.withdrawn_on)}.",
                                   hint="En tilbagekaldelse kan ikke ændres; historikken "
                                        "vises med 'skema consent show'.")
            self.conn.execute("UPDATE consents SET withdrawn_on = ? WHERE id = ?",
                              (day, consent_id))
            audit.append(self.conn, "withdraw", consent_id, {"fra": day})
        return self.get(consent_id)

    def export(self, cpr: str) -> tuple[bytes, list[Consent]]:
        """A zip of every consent of one citizen: the documents plus one metadata JSON
        each (``samtykke-N.pdf`` + ``samtykke-N.json``); the export is audited."""
        consents = self.list(cpr=cpr)
        if not consents:
            raise ArchiveError(f"CPR {danish.mask_cpr(normalize_cpr(cpr))}: der er ingen "
                               "samtykker i arkivet.", hint="Tjek CPR-nummeret.")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
            for consent in consents:
                stem = f"samtykke-{consent.id}"
                package.writestr(stem + consent.suffix, self.read(consent))
                text = json.dumps(consent.to_json(self.today), ensure_ascii=False, indent=2)
                package.writestr(stem + ".json", text + "\n")
        with self._tx(self.conn):
            audit.append(self.conn, "export", None, {"numre": [c.id for c in consents]})
        return buffer.getvalue(), consents

    def purge(self, before: str | _dt.date, years: int = DEFAULT_RETENTION_YEARS,
              dry_run: bool = False) -> PurgeResult:
        """Delete the documents whose retention (``years`` after expiry or withdrawal)
        ran out before ``before``. A consent still in force, or one whose retention has
        not run out today, is refused. Each deletion leaves an audit entry."""
        cutoff = parse_day(before, "--before")
        result = PurgeResult()
        today = self.today.isoformat()
        for consent in self._select():
            until = consent.retained_until(years)
            if until >= cutoff:
                continue
            if consent.in_force(self.today):
                result.refused.append((consent, "er stadig i kraft"))
            elif until >= today:
                result.refused.append((consent, "skal opbevares til og med "
                                                f"{danish.format_date(until)}"))
            else:
                result.deleted.append(consent)
        if dry_run:
            return result
        for consent in result.deleted:
            with self._tx(self.conn):
                self.conn.execute("DELETE FROM consents WHERE id = ?", (consent.id,))
                audit.append(self.conn, "purge", consent.id, {
                    "sha256": consent.sha256, "opbevaret_til": consent.retained_until(years),
                    "før": cutoff})
            path = self.object_path(consent.sha256)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return result

    # -- checking

    def verify(self) -> tuple[list[Finding], dict[str, int]]:
        """Re-hash every document, check the audit chain and the index against it; list
        missing files, changed files, orphans and leftovers. Returns findings and counts."""
        findings: list[Finding] = []
        entries, chain = audit.verify_chain(self.conn)
        findings += [Finding(place, message) for place, message in chain]
        added: dict[int, audit.Entry] = {}
        withdrawn: dict[int, str] = {}
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
        rows = self._select()
        known = set()
        for consent in rows:
            place = f"samtykke nr. {consent.id}"
            known.add(consent.sha256)
            entry = added.get(consent.id)
            if entry is None:
                findings.append(Finding(place, "står i indekset uden at være tilføjet i "
                                               "revisionsloggen"))
            elif entry.details.get("post") != record_hash(consent.raw):
                findings.append(Finding(place, "oplysningerne i indekset er ændret efter "
                                               "tilføjelsen (passer ikke med revisionsloggen)"))
            if consent.id in purged:
                findings.append(Finding(place, "er slettet ifølge revisionsloggen, men står "
                                               "stadig i indekset"))
            if withdrawn.get(consent.id) != consent.withdrawn_on:
                findings.append(Finding(place, "tilbagekaldelsen i indekset passer ikke med "
                                               "revisionsloggen"))
            path = self.object_path(consent.sha256)
            rel = path.relative_to(self.root)
            if not path.is_file():
                findings.append(Finding(f"{place} ({rel})", "dokumentet mangler"))
            elif _sha256_file(path) != consent.sha256:
                findings.append(Finding(f"{place} ({rel})", "dokumentet er ændret (SHA-256 "
                                                            "passer ikke)"))
        ids = {c.id for c in rows}
        for consent_id in sorted(set(added) - ids - purged):
            findings.append(Finding(f"samtykke nr. {consent_id}", "mangler i indekset (slettet "
                                                                  "uden om arkivet)"))
        files = 0
        if self.objects.is_dir():
            for sub in sorted(self.objects.iterdir()):
                children = sorted(sub.iterdir()) if sub.is_dir() else [sub]
                for child in children:
                    files += 1
                    if sub.name + child.name not in known or child.parent == self.objects:
                        findings.append(Finding(str(child.relative_to(self.root)),
                                                "fil uden samtykke i indekset (forældreløs, "
                                                "fx fra en afbrudt tilføjelse)"))
        if self.tmp.is_dir():
            for child in sorted(self.tmp.iterdir()):
                findings.append(Finding(str(child.relative_to(self.root)),
                                        "rest af en afbrudt tilføjelse"))
        counts = {"samtykker": len(rows), "filer": files, "poster": len(entries)}
        return findings, counts

    def head(self) -> tuple[int, str]:
        """The newest audit entry's number and hash: note it elsewhere to anchor the log."""
        row = self.conn.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
        return (row[0], row[1]) if row else (0, audit.GENESIS)
