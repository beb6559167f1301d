"""The consent archive: content-addressed documents plus a SQLite index and audit log.

Layout of an archive folder (mode 0700, files 0600/0400)::

    index.sqlite            the index (WAL) and the audit log (see audit.py)
    objects/ab/cdef…        the exact bytes of each document, named by SHA-256, read-only;
                            beside them, by their own SHA-256, each document's PDF/A-2b
                            rendition and its signature report as of the archiving day
    tmp/                    documents being added (a leftover here is a killed add, removed
                            by the next command that opens the archive)

The keys that anchor the audit log live outside the folder (keys.py); an archive opened
without them is refused.

Adding writes the document to ``tmp/``, fsyncs it, links it into ``objects/`` and only
then inserts the index row and its audit entry in one ``BEGIN IMMEDIATE`` transaction.
A process killed in between leaves at most a file without an index row, which
:meth:`Archive.verify` reports (and adding the same document again adopts).

CPR numbers are stored in the index (they are the lookup key) but never in file names,
audit entries or messages (those use :func:`toolkit.danish.mask_cpr`).
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as _dt
import errno
import functools
import getpass
import hashlib
import io
import os
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import danish
from ..errors import ArchiveError
from ..faults import fault_message, fault_of
from . import audit
from . import keys as keys_mod
from .keys import ArchiveKeys
from .metadata import merge_metadata, metadata_from_form, normalize_cpr, parse_day, sniff_kind
from .model import (
    COLUMNS,
    DEFAULT_RETENTION_YEARS,
    MIN_RETENTION_YEARS,
    STATUSES,
    Consent,
    PurgeResult,
    Verification,
    record_hash,
)

if TYPE_CHECKING:
    from .rendition import Pending

INDEX = "index.sqlite"
DEFAULT_ARCHIVE = "samtykkearkiv"
_HEX64 = frozenset("0123456789abcdef")

#: The form data that makes two consents the same consent (point 5 of issue 14).
SAME_CONSENT = ("cpr", "formaal", "parter", "gyldig_fra", "gyldig_til")

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

#: Files kept beside a document: ``pdfa`` (its PDF/A-2b rendition; sha256 NULL when it
#: could not be made, ``note`` says why) and ``signaturrapport`` (the signature check).
RENDITIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS renditions (
    consent_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER,
    tool TEXT NOT NULL,
    made_at TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (consent_id, kind)
);
"""
RENDITION_KINDS = ("pdfa", "signaturrapport")


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "ukendt"


@functools.lru_cache(maxsize=1)
def _pyhanko_name() -> str:
    """``pyHanko 0.25.1``: the signature checker named in each report (its version
    module, not importlib.metadata, which costs more than the rest of a scan's add)."""
    try:
        from pyhanko.version import __version__
    except ImportError:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"pyHanko {version('pyhanko')}"
        except PackageNotFoundError:
            return "pyHanko"
    return f"pyHanko {__version__}"


def _try_lock(handle: Any) -> bool | None:
    """True when an exclusive lock on the open file could be taken at once, False when
    another process holds it, None where there are no such locks (not POSIX)."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Archive:
    """An archive folder, opened with its keys.

    ``today`` fixes the date statuses are computed for (tests only: deletions and
    withdrawals are still bounded by the real clock). ``keys`` default to those of
    :func:`toolkit.consent.keys.load` (``key_file``, ``$SKEMA_ARCHIVE_KEY`` …). ``actor``
    names who acts in every audit entry (default: the OS user); the web app passes its
    user. ``renditions=False`` skips the PDF/A rendition (recorded as not made): bulk loads.
    """

    def __init__(self, root: str | Path, today: _dt.date | None = None,
                 create: bool = False, keys: ArchiveKeys | None = None,
                 key_file: str | Path | None = None, actor: str | None = None,
                 renditions: bool = True) -> None:
        self.root = Path(root)
        self.real_today = _dt.date.today()
        self.today = today or self.real_today
        self.index = self.root / INDEX
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.actor = actor or _os_user()
        self.renditions = renditions
        if not self.index.is_file() and not create:
            raise ArchiveError(
                f"{self.root}: her er intet samtykkearkiv.",
                hint="Opret det med 'skema consent init', eller peg på arkivet med "
                     "--archive eller $SKEMA_ARCHIVE.")
        self.keys = keys or keys_mod.load(key_file, self.root)
        if not self.index.is_file():
            self._create_folders()
        self._secure_root()
        self.conn = self._connect(create)
        self._clean_tmp()

    @classmethod
    def init(cls, root: str | Path, key_file: str | Path | None = None,
             actor: str | None = None) -> tuple[Archive, bool]:
        """Create a new archive and its keys (kept outside it; never overwritten).

        Returns the archive and whether new keys were made."""
        root = Path(root)
        if (root / INDEX).exists():
            raise ArchiveError(f"{root}: her er allerede et samtykkearkiv.",
                               hint="Brug det, eller vælg en anden mappe med --archive.")
        keys, made = keys_mod.create(key_file, root)
        return cls(root, create=True, keys=keys, actor=actor), made

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

    def _secure_root(self) -> None:
        """Owner-only rights on the archive folder, or a refusal saying why not."""
        if os.name != "posix":
            return
        try:
            mode = self.root.stat().st_mode & 0o777
            if mode != 0o700:
                os.chmod(self.root, 0o700)
        except OSError as exc:
            self._raise_fault(exc if exc.errno != errno.EPERM else None, "intet er ændret")
            raise ArchiveError(f"{self.root}: arkivets mappe kan ikke gøres privat (kun for "
                               f"ejeren) ({exc.strerror}).",
                               hint="Brug en mappe, du selv ejer, eller ret rettighederne "
                                    "med 'chmod 700'.") from None

    def _clean_tmp(self) -> None:
        """Remove what an interrupted add left in ``tmp/``.

        An add creates ``new-*``, locks it and only then renames it ``add-*.tmp``, holding
        the lock while it lives: an ``add-*.tmp`` that can be locked belongs to a dead
        process. Where there are no locks, and for ``new-*``, age decides (an hour)."""
        if not self.tmp.is_dir():
            return
        old = time.time() - 3600
        for child in self.tmp.iterdir():
            try:
                if child.name.startswith("add-") and child.name.endswith(".tmp"):
                    with open(child, "rb") as handle:
                        free = _try_lock(handle)
                    dead = free or (free is None and child.stat().st_mtime < old)
                else:
                    dead = child.name.startswith("new-") and child.stat().st_mtime < old
                if dead:
                    child.unlink()
            except OSError:
                continue

    def _connect(self, create: bool) -> sqlite3.Connection:
        conn = None
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
            needed = {"consents", "audit", "audit_head", "archive_info"}
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not needed <= tables:
                if not create:
                    raise sqlite3.DatabaseError("tabeller mangler")
                with self._tx(conn):
                    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
                    if tables and not tables & needed:
                        raise sqlite3.DatabaseError("ikke et samtykkearkiv")
                    for statement in (SCHEMA + audit.SCHEMA + RENDITIONS_SCHEMA).split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    public = (keys_mod.public_key_hex(self.keys.signing_pem)
                              if self.keys.signing_pem else None)
                    conn.execute("INSERT OR IGNORE INTO archive_info (one, key_id, public_key, "
                                 "created_at) VALUES (1, ?, ?, ?)",
                                 (self.keys.key_id, public, audit.now_utc()))
            elif "renditions" not in tables:
                with self._tx(conn):
                    conn.execute(RENDITIONS_SCHEMA)
        except sqlite3.DatabaseError as exc:
            if conn is not None:  # not left open (a long-lived process, a mount to release)
                conn.close()
            self._raise_fault(exc, "intet er ændret")
            raise ArchiveError(f"{self.index}: arkivets indeks kan ikke åbnes ({exc}).",
                               hint="Tjek at stien peger på et samtykkearkiv.") from None
        return conn

    def _check_key(self) -> None:
        """Refuse to change anything when the key is not this archive's."""
        row = self.conn.execute("SELECT key_id FROM archive_info WHERE one = 1").fetchone()
        if row is None or row[0] != self.keys.key_id:
            raise ArchiveError(f"{self.root}: nøglen passer ikke til arkivet; intet er "
                               "ændret.", hint="Brug arkivets egen nøgle (--key-file eller "
                                               "$SKEMA_ARCHIVE_KEY), og kør 'skema consent "
                                               "verify'.")

    @contextlib.contextmanager
    def _write(self, finished: str = "intet er ændret") -> Iterator[None]:
        """A write transaction, refused when the key is not this archive's; a fault of the
        archive's folder (disk full, read-only, gone) rolls it back and ends in one Danish
        message naming the folder and ``finished`` (what was done)."""
        self._check_key()
        try:
            with self._tx(self.conn):
                yield
        except (OSError, sqlite3.Error) as exc:
            self._raise_fault(exc, finished)
            raise

    def _raise_fault(self, exc: BaseException | None, finished: str) -> None:
        """ArchiveError when ``exc`` is a fault of the archive's folder; else nothing."""
        fault = fault_of(self.root, exc) if exc is not None else None
        if fault is not None:
            raise ArchiveError(fault_message(self.root, fault, finished),
                               hint="Intet er halvt skrevet; 'skema consent verify' "
                                    "kontrollerer arkivet.") from None

    def _log(self, action: str, consent_id: int | None, details: dict[str, Any],
             cpr: str | None = None, at: str | None = None) -> audit.Entry:
        """One audit entry by this archive's actor (inside a write transaction)."""
        citizen = self.keys.citizen(cpr) if cpr else None
        return audit.append(self.conn, self.keys, action, consent_id, details, self.actor,
                            citizen, at)

    def lookup(self, command: str, consents: builtins.list[Consent], cpr: str | None = None,
               reason: str = "") -> None:
        """Log a look-up: who (the actor), which citizen (keyed hash), which consents, why.

        ``cpr`` names the citizen looked for (also when nothing was found)."""
        citizens = {c.cpr for c in consents} | ({normalize_cpr(cpr)} if cpr else set())
        with self._write("intet er vist, for opslaget kan ikke logges"):
            chosen: builtins.list[str | None] = [*sorted(citizens)] or [None]
            for citizen in chosen:
                numbers = [c.id for c in consents if citizen is None or c.cpr == citizen]
                self._log("lookup", numbers[0] if len(numbers) == 1 else None,
                          {"kommando": command, "numre": numbers, "grund": reason}, citizen)

    @staticmethod
    @contextlib.contextmanager
    def _tx(conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            # a failed COMMIT (disk full) leaves the transaction open, or SQLite has
            # rolled it back already: either way nothing of it stays
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the index."""
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def object_path(self, digest: str) -> Path:
        """Where the document with this SHA-256 is kept; ArchiveError for anything but 64
        lower-case hex digits (an index row can never point outside ``objects/``)."""
        if len(digest) != 64 or not set(digest) <= _HEX64:
            raise ArchiveError(f"\"{digest[:80]}\" er ikke en SHA-256; stien ville pege uden "
                               "for arkivets dokumenter.",
                               hint="Indekset er ændret uden om skema: kør 'skema consent "
                                    "verify'.")
        return self.objects / digest[:2] / digest[2:]

    # -- reading

    def all(self) -> builtins.list[Consent]:
        """Every consent in the index, by number (no look-up: the archive's own work)."""
        return self._select()

    def _select(self, where: str = "", params: Iterable[Any] = (),
                order: str = "id") -> builtins.list[Consent]:
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
             expires_within: int | None = None, reason: str = "") -> builtins.list[Consent]:
        """Consents, filtered by citizen, status on ``today`` and expiry within N days.

        A search for a citizen is a look-up and is logged (with ``reason``)."""
        found = self._list(cpr, status, expires_within)
        if cpr:
            self.lookup("list", found, cpr, reason)
        return found

    def _list(self, cpr: str | None, status: str | None,
              expires_within: int | None) -> builtins.list[Consent]:
        day = self.today.isoformat()
        clauses: builtins.list[str] = []
        params: builtins.list[Any] = []
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

    def show(self, consent_id: int, reason: str = "") -> tuple[Consent, builtins.list[audit.Entry]]:
        """One consent and its history, for a person to see: logged as a look-up."""
        consent = self.get(consent_id)
        self.lookup("show", [consent], reason=reason)
        return consent, self.history(consent_id)

    def document(self, consent_id: int, reason: str = "") -> tuple[Consent, bytes]:
        """One consent's document (checked bytes), handed out: logged as a look-up."""
        consent = self.get(consent_id)
        data = self.read(consent)
        self.lookup("get", [consent], reason=reason)
        return consent, data

    def history(self, consent_id: int) -> builtins.list[audit.Entry]:
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
            trust_roots: Iterable[str | Path] = (), add_anyway: bool = False,
            prepared: tuple[bytes, str, Pending] | None = None) -> Consent:
        """Archive a signed consent file. Metadata comes from our ``samtykke`` form when
        the file is one, otherwise from ``given`` (scans); citizen, purpose and validity
        are required either way. A probable duplicate of a consent in force (same
        citizen, purpose, parties and validity) is refused unless ``add_anyway``.

        ``prepared``: the file's bytes, kind and rendition started before the archive was
        opened (:func:`toolkit.consent.rendition.start_file`); they are archived instead of
        reading the file again, with the same checks."""
        from .. import extract
        from ..errors import DocumentError
        from ..limits import LimitError, bounded, read_file
        from ..readers.pdf_plain import plain_pdf

        path = Path(path)
        place = danish.mask_cpr(str(path))
        started: Any
        if prepared is not None:
            data, kind, started = prepared
            if not self.renditions:
                started.cancel()
                started = contextlib.nullcontext(None)
        else:
            try:
                data = read_file(path)  # the size checked before reading (toolkit.limits)
            except DocumentError as exc:
                raise ArchiveError(f"{place}: {exc}.", hint=exc.hint) from None
            except OSError as exc:
                raise ArchiveError(f"{place}: filen kan ikke læses ({exc.strerror}).",
                                   hint="Tjek stien og filnavnet.") from None
            kind = self._kind(data, place)
            started = self._rendition(data, kind)
        with started as pending:  # made while the file is read
            if prepared is not None:
                kind = self._kind(data, place)  # the same checks as a file read here
            from_form, version = None, None
            if kind in ("pdf", "docx"):
                try:  # a scan is told apart without loading the form readers (bounded)
                    result = (None if kind == "pdf" and bounded(plain_pdf, data)
                              else extract(path))
                except LimitError as exc:  # too slow or too big: the same words anywhere
                    raise ArchiveError(f"{place}: {str(exc).split(': ', 1)[-1]}.",
                                       hint=exc.hint) from None
                except DocumentError:
                    result = None  # a scan or another document: the options must say it all
                if result is not None:
                    if result.form.id != "samtykke":
                        raise ArchiveError(
                            f"{place}: dokumentet er formularen \"{result.form.title}\", "
                            "ikke en samtykkeerklæring.",
                            hint="Arkivér kun samtykkeerklæringer.")
                    from_form, version = metadata_from_form(result.data), result.version
            meta = merge_metadata(from_form, given or {}, place)
            source = "formular" if from_form else "oplysninger"
            return self._add(data, kind, path.name, meta, source, version, trust_roots,
                             add_anyway, pending)

    def add_bytes(self, data: bytes, name: str, given: dict[str, Any],
                  trust_roots: Iterable[str | Path] = (), add_anyway: bool = False
                  ) -> Consent:
        """Archive a document whose metadata is given (no form reading): scans, bulk."""
        place = danish.mask_cpr(name)
        kind = self._kind(data, place)
        meta = merge_metadata(None, given, place)
        with self._rendition(data, kind) as pending:
            return self._add(data, kind, name, meta, "oplysninger", None, trust_roots,
                             add_anyway, pending)

    def _rendition(self, data: bytes, kind: str) -> Any:
        """The PDF/A rendition started now (a context that gives it up unless it was
        used), or a null context when this archive makes none (bulk loads)."""
        if not self.renditions:
            return contextlib.nullcontext(None)
        from .rendition import start

        return start(data, kind)

    def same_consent(self, meta: dict[str, Any]) -> Consent | None:
        """An existing consent in force today whose form data (citizen, purpose, parties,
        validity) equals ``meta``'s: the new document is probably a copy of it."""
        for consent in self._select("WHERE cpr = ?", (meta["cpr"],)):
            if consent.in_force(self.today) and all(
                    consent.meta.get(key) == meta.get(key) for key in SAME_CONSENT):
                return consent
        return None

    @staticmethod
    def _kind(data: bytes, place: str) -> str:
        from ..limits import LimitError, check_length

        if not data:
            raise ArchiveError(f"{place}: filen er tom.", hint="Vælg den underskrevne fil.")
        try:  # bytes handed over (add_bytes): the same size limit as a file's
            check_length(len(data))
        except LimitError as exc:
            raise ArchiveError(f"{place}: {exc}.", hint=exc.hint) from None
        kind = sniff_kind(data)
        if kind is None:
            raise ArchiveError(f"{place}: filtypen kan ikke arkiveres.",
                               hint="Arkivér en PDF, en Word-fil (.docx) eller en scanning "
                                    "(PDF, JPEG, PNG eller TIFF).")
        return kind

    def _add(self, data: bytes, kind: str, name: str, meta: dict[str, Any], source: str,
             version: str | None, trust_roots: Iterable[str | Path],
             add_anyway: bool, pending: Pending | None) -> Consent:
        from ..limits import LimitError, bounded
        from . import signatures

        digest = hashlib.sha256(data).hexdigest()
        place = danish.mask_cpr(name)
        existing = self.conn.execute("SELECT id FROM consents WHERE sha256 = ?",
                                     (digest,)).fetchone()
        if existing:
            raise self._duplicate(place, existing[0])
        self._check_key()  # before the document is stored
        twin = None if add_anyway else self.same_consent(meta)
        if twin is not None:
            raise ArchiveError(f"{place}: er sandsynligvis en kopi af samtykke nr. {twin.id} "
                               "(samme borger, formål, parter og gyldighed, og det er i "
                               "kraft); det arkiveres ikke.",
                               hint="Er det et nyt samtykke, så arkivér det med "
                                    "--add-anyway.")
        try:  # pyHanko reads the whole file: within the limits of every file read
            sigs = (bounded(signatures.check, data, kind, [str(r) for r in trust_roots])
                    if signatures.to_check(data, kind) else [])
        except LimitError as exc:
            raise ArchiveError(f"{place}: {exc}.", hint=exc.hint) from None
        made: builtins.list[Path] = []  # files this add put in objects/
        try:
            return self._index(data, kind, name, meta, source, version, digest, sigs, made,
                               pending)
        except sqlite3.IntegrityError:
            # the same document added by another process meanwhile: its blob is theirs
            row = self.conn.execute("SELECT id FROM consents WHERE sha256 = ?",
                                    (digest,)).fetchone()
            raise self._duplicate(place, row[0] if row else "?") from None
        except BaseException as exc:
            self._drop_unlisted(made)  # nothing half-written: no file without its index row
            if isinstance(exc, (OSError, sqlite3.Error)):
                self._raise_fault(exc, f"{place} er ikke arkiveret")
            raise

    def _index(self, data: bytes, kind: str, name: str, meta: dict[str, Any], source: str,
               version: str | None, digest: str, sigs: builtins.list[dict[str, Any]],
               made: builtins.list[Path], pending: Pending | None) -> Consent:
        """Store the document and its extras, then its index row and audit entry."""
        self._store_blob(data, digest, made=made)
        extras = self._extras(digest, sigs, made, pending)
        raw = {
            "sha256": digest, "size": len(data), "kind": kind,
            "original_name": danish.mask_cpr(Path(name).name), "added_at": audit.now_utc(),
            "source": source, "form_version": version, "cpr": meta["cpr"],
            "navn": str(meta.get("navn") or ""), "formaal": meta["formaal"],
            "gyldig_fra": meta["gyldig_fra"], "gyldig_til": meta["gyldig_til"],
            "meta": audit.canonical(meta), "signatures": audit.canonical(sigs),
        }
        columns = [c for c in COLUMNS if c not in ("id", "withdrawn_on")]
        with self._tx(self.conn):  # faults are worded by the caller (_add)
            cur = self.conn.execute(
                f"INSERT INTO consents ({', '.join(columns)}) VALUES "
                f"({', '.join('?' * len(columns))})", [raw[c] for c in columns])
            consent_id = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO renditions (consent_id, kind, sha256, size, tool, made_at, "
                "note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(consent_id, x["kind"], x["sha256"], x["size"], x["tool"],
                  raw["added_at"], x["note"]) for x in extras])
            self._log("add", consent_id, {
                "sha256": digest, "post": record_hash(raw), "kilde": source,
                "gyldig_fra": meta["gyldig_fra"], "gyldig_til": meta["gyldig_til"],
                **{x["kind"]: x["sha256"] for x in extras},
            }, meta["cpr"], at=raw["added_at"])
        return self.get(consent_id)

    def _drop_unlisted(self, made: builtins.list[Path]) -> None:
        """Remove the files an add that failed put in ``objects/``, unless an index row
        (another process's) names them."""
        for path in made:
            sha = path.parent.name + path.name
            with contextlib.suppress(OSError, sqlite3.Error):
                if self.conn.execute("SELECT 1 FROM consents WHERE sha256 = ? UNION ALL "
                                     "SELECT 1 FROM renditions WHERE sha256 = ?",
                                     (sha, sha)).fetchone() is None:
                    path.unlink()
                    _fsync_dir(path.parent)

    def _extras(self, digest: str, sigs: builtins.list[dict[str, Any]],
                made: builtins.list[Path], pending: Pending | None
                ) -> builtins.list[dict[str, Any]]:
        """Store the PDF/A rendition (``pending``: started with the add) and the signature
        report beside the document."""
        checker = _pyhanko_name()
        report = audit.canonical({"dokument": digest, "kontrolleret": audit.now_utc(),
                                  "værktøj": checker, "underskrifter": sigs}).encode("utf-8")
        report_sha = hashlib.sha256(report).hexdigest()
        self._store_blob(report, report_sha, made=made)  # stored while the copy is made
        if pending is not None:
            copy = pending.result()
            pdfa, tool, note = copy.data, copy.tool, copy.note
        else:
            pdfa, tool, note = None, "", "ikke lavet ved arkiveringen (masseindlæsning)"
        pdfa_sha = hashlib.sha256(pdfa).hexdigest() if pdfa is not None else None
        if pdfa is not None and pdfa_sha is not None:
            self._store_blob(pdfa, pdfa_sha, made=made)
        return [{"kind": "pdfa", "sha256": pdfa_sha, "size": len(pdfa) if pdfa else None,
                 "tool": tool, "note": note},
                {"kind": "signaturrapport", "sha256": report_sha, "size": len(report),
                 "tool": checker, "note": ""}]

    def rendition_rows(self, consent_id: int | None = None) -> builtins.list[dict[str, Any]]:
        """The files kept beside documents (PDF/A, signature report), with notes."""
        sql = "SELECT consent_id, kind, sha256, size, tool, made_at, note FROM renditions"
        rows = (self.conn.execute(sql + " ORDER BY consent_id, kind").fetchall()
                if consent_id is None else
                self.conn.execute(sql + " WHERE consent_id = ? ORDER BY kind",
                                  (consent_id,)).fetchall())
        keys = ("consent_id", "kind", "sha256", "size", "tool", "made_at", "note")
        return [dict(zip(keys, row)) for row in rows]

    def rendition(self, consent_id: int) -> bytes | None:
        """The PDF/A rendition's bytes (checked against its SHA-256), or None."""
        for row in self.rendition_rows(consent_id):
            path = self.stored_path(row["sha256"] or "")
            if row["kind"] == "pdfa" and path is not None and path.is_file():
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() == row["sha256"]:
                    return data
        return None

    def missing_renditions(self) -> builtins.list[tuple[int, str]]:
        """Consents without a PDF/A rendition, with the reason recorded."""
        return [(r["consent_id"], r["note"]) for r in self.rendition_rows()
                if r["kind"] == "pdfa" and r["sha256"] is None]

    @staticmethod
    def _duplicate(place: str, consent_id: Any) -> ArchiveError:
        return ArchiveError(f"{place}: dokumentet er allerede arkiveret som samtykke nr. "
                            f"{consent_id}.", hint=f"Se det med 'skema consent show "
                                                   f"{consent_id}'.")

    def _store_blob(self, data: bytes, digest: str,
                    made: builtins.list[Path] | None = None) -> Path:
        """Write the bytes to ``objects/`` via ``tmp/``: fsync, link, read-only; a file
        this call put there is added to ``made``."""
        final = self.object_path(digest)
        if final.exists():
            if sha256_file(final) == digest:
                return final  # left by an add that was killed before its index row
            raise ArchiveError(f"{final.relative_to(self.root)}: en ændret fil ligger allerede "
                               "på dokumentets plads i arkivet.",
                               hint="Kør 'skema consent verify'.")
        final.parent.mkdir(mode=0o700, exist_ok=True)
        self.tmp.mkdir(mode=0o700, exist_ok=True)
        fd, new = tempfile.mkstemp(prefix="new-", dir=self.tmp)
        tmp = new
        try:
            # locked, then named add-*.tmp, and held locked while it lives: the next
            # command removes only a dead add's file (see _clean_tmp)
            with os.fdopen(fd, "wb") as handle:
                _try_lock(handle)
                tmp = new.replace(os.sep + "new-", os.sep + "add-") + ".tmp"
                os.rename(new, tmp)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                os.chmod(tmp, 0o400)
                try:
                    os.link(tmp, final)
                    if made is not None:
                        made.append(final)
                except FileExistsError:
                    if sha256_file(final) != digest:
                        raise ArchiveError(f"{final.relative_to(self.root)}: en anden fil "
                                           "ligger på dokumentets plads.",
                                           hint="Kør 'skema consent verify'.") from None
                _fsync_dir(final.parent)
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return final

    # -- changing

    def withdraw(self, consent_id: int, date: str | _dt.date) -> Consent:
        """Record a withdrawal: the consent is not in force from ``date`` on. The date
        lies between the consent's start (or the day it was archived, if earlier) and
        today (by the real clock too): never before the consent began, never ahead."""
        day = parse_day(date, "--date")
        with self._write(f"tilbagekaldelsen af samtykke nr. {consent_id} er ikke registreret"):
            consent = self.get(consent_id)
            first = min(consent.gyldig_fra, consent.added_at[:10])
            last = min(self.today, self.real_today).isoformat()
            if not first <= day <= last:
                raise ArchiveError(
                    f"samtykke nr. {consent_id}: tilbagekaldelsen ({danish.format_date(day)}) "
                    f"skal ligge mellem {danish.format_date(first)} og i dag "
                    f"({danish.format_date(last)}).",
                    hint="Angiv den dag kommunen fik tilbagekaldelsen (--date).")
            if consent.withdrawn_on:
                raise ArchiveError(f"samtykke nr. {consent_id}: er allerede tilbagekaldt fra "
                                   f"{danish.format_date(consent.withdrawn_on)}.",
                                   hint="En tilbagekaldelse kan ikke ændres; historikken "
                                        "vises med 'skema consent show'.")
            self.conn.execute("UPDATE consents SET withdrawn_on = ? WHERE id = ?",
                              (day, consent_id))
            self._log("withdraw", consent_id, {"fra": day}, consent.cpr)
        return self.get(consent_id)

    def export(self, cpr: str, reason: str = "") -> tuple[bytes, builtins.list[Consent]]:
        """A zip of every consent of one citizen: the documents plus one metadata JSON
        each (``samtykke-N.pdf`` + ``samtykke-N.json``); logged as a look-up."""
        consents = self._list(cpr, None, None)
        if not consents:
            raise ArchiveError(f"CPR {danish.mask_cpr(normalize_cpr(cpr))}: der er ingen "
                               "samtykker i arkivet.", hint="Tjek CPR-nummeret.")
        from .access import write_consent

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
            for consent in consents:
                write_consent(package, self, consent)
        with self._write("intet er udleveret"):
            self._log("export", None, {"numre": [c.id for c in consents], "grund": reason},
                      consents[0].cpr)
        return buffer.getvalue(), consents

    def citizen_log(self, cpr: str) -> builtins.list[audit.Entry]:
        """Every audit entry about one citizen (added, withdrawn, purged, looked up),
        found by the keyed hash of the CPR number."""
        return audit.entries(self.conn, citizen=self.keys.citizen(normalize_cpr(cpr)))

    def access(self, cpr: str, reason: str = "") -> tuple[bytes, builtins.list[Consent]]:
        """The citizen's access request answered: a zip of their documents, metadata,
        history and look-up log with a Danish summary on top (``oversigt.html``)."""
        from .access import build

        cpr = normalize_cpr(cpr)
        consents = self._list(cpr, None, None)
        data = build(self, cpr, consents, self.citizen_log(cpr))
        with self._write("intet er udleveret"):
            self._log("access", None, {"numre": [c.id for c in consents], "grund": reason},
                      cpr)
        return data, consents

    def purge(self, before: str | _dt.date, years: int = DEFAULT_RETENTION_YEARS,
              dry_run: bool = False) -> PurgeResult:
        """Delete the documents whose retention (``years`` after expiry or withdrawal)
        ran out before ``before``. A consent still in force, or one whose retention has
        not run out, is refused, both by ``today`` and by the real clock; ``years`` below
        the legal minimum is refused; a path outside the object store is never deleted.
        Each deletion leaves an audit entry."""
        if years < MIN_RETENTION_YEARS:
            raise ArchiveError(f"opbevaringstiden {years} år er kortere end lovens mindstekrav "
                               f"på {MIN_RETENTION_YEARS} år efter udløb eller "
                               "tilbagekaldelse.",
                               hint=f"Brug mindst {MIN_RETENTION_YEARS} år.")
        cutoff = parse_day(before, "--before")
        result = PurgeResult()
        today = min(self.today, self.real_today).isoformat()
        for consent in self._select():
            until = consent.retained_until(years)
            if until >= cutoff:
                continue
            if consent.in_force(self.today) or consent.in_force(self.real_today):
                result.refused.append((consent, "er stadig i kraft"))
            elif until >= today:
                result.refused.append((consent, "skal opbevares til og med "
                                                f"{danish.format_date(until)}"))
            elif self.stored_path(consent.sha256) is None:
                result.refused.append((consent, "har en sti uden for arkivets dokumenter "
                                                "i indekset"))
            else:
                result.deleted.append(consent)
        if dry_run:
            return result
        for done, consent in enumerate(result.deleted):
            extras = [r["sha256"] for r in self.rendition_rows(consent.id) if r["sha256"]]
            with self._write(f"{done} af {len(result.deleted)} samtykker er slettet"):
                self.conn.execute("DELETE FROM consents WHERE id = ?", (consent.id,))
                self.conn.execute("DELETE FROM renditions WHERE consent_id = ?", (consent.id,))
                self._log("purge", consent.id, {
                    "sha256": consent.sha256, "opbevaret_til": consent.retained_until(years),
                    "før": cutoff}, consent.cpr)
            for sha in [consent.sha256, *extras]:
                shared = self.conn.execute(
                    "SELECT 1 FROM consents WHERE sha256 = ? UNION ALL SELECT 1 FROM "
                    "renditions WHERE sha256 = ?", (sha, sha)).fetchone()
                path = self.stored_path(sha)
                if path is not None and not shared:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
        return result

    def stored_path(self, digest: str) -> Path | None:
        """Where the file with this SHA-256 is kept, when that surely lies inside
        ``objects/``; None for anything else (a tampered index row)."""
        try:
            path = self.object_path(digest)
        except ArchiveError:
            return None
        base = self.objects.resolve()
        resolved = path.resolve()
        return path if resolved.is_relative_to(base) and resolved != base else None

    # -- checking

    def checkpoint(self) -> dict[str, Any]:
        """The current head (entry number, hash, time, consent count), signed with the
        signing key: keep it outside the archive; ``verify`` proves the history since."""
        from . import checkpoint

        return checkpoint.make(self)

    def verify(self, checkpoints: Iterable[dict[str, Any]] = ()) -> Verification:
        """Re-hash every document, check the keyed audit chain and the index against it;
        list missing files, changed files, orphans and leftovers; check that the history
        confirmed by each checkpoint is still there. Returns the problems (with codes)
        and the counts of what was checked."""
        from .verify import verify

        return verify(self, checkpoints)

    def head(self) -> tuple[int, str]:
        """The newest audit entry's number and hash."""
        row = self.conn.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
        return (row[0], row[1]) if row else (0, audit.GENESIS)

    def public_key(self) -> str | None:
        """The signing key's public half as stored in the archive (hex), if any."""
        row = self.conn.execute("SELECT public_key FROM archive_info WHERE one = 1").fetchone()
        return row[0] if row else None
