"""Collect a folder of returned forms (.docx and .pdf) into one workbook.

Every file under the folder is read (in a process pool), recognised by the form id and
version it carries, extracted and validated. Nothing stops the run: a broken, encrypted,
truncated or hostile file gets a status and a Danish message instead; so does a file
that crashes its worker process or takes longer than the read limit
(:func:`toolkit.limits.read_seconds`) to read. A file returned twice (same bytes, by
SHA-256) is counted once.

The workbook (:func:`workbook`, written by :mod:`toolkit.render.collected`) has a *Status*
sheet (one row per file and problem), one sheet per form, one per list and one per
overview a schema asks for with ``x-overview``. Text from returned files is always written
as text, never as a formula. The bytes are the same on every run over the same folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import danish, pool
from .catalogue import load_form
from .errors import DocumentError, NotAFormError, SkemaError, os_reason
from .limits import MAX_FILE_BYTES, TOO_SLOW, LimitError, bounded, read_file, read_seconds
from .problems import Problem, Report, note

OK, MISSING, INVALID, UNREADABLE, NOT_A_FORM, INTERNAL = (
    "ok", "mangler svar", "ugyldig", "ulæselig", "ikke en formular", "intern fejl")
#: Every status a file can get, from best to worst. ``intern fejl`` is a bug in skema met
#: while reading the file: the file is not blamed, and the other files are still read.
STATUSES = (OK, MISSING, INVALID, UNREADABLE, NOT_A_FORM, INTERNAL)
#: The suffixes collected (``.doc`` only to say it must be saved as ``.docx``).
SUFFIXES = (".docx", ".pdf", ".doc")
#: A file whose reading takes longer than this (in a worker process) is given up.
#: Codes of problems that only say an answer is missing.
_MISSING_CODES = ("required", "minItems")
_FIXED_TIME = (2019, 2, 26, 0, 0, 0)
_FIXED_ISO = "2019-02-26T00:00:00Z"
_MAX_CELL = 32_767
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Entry:
    """What became of one file of the folder."""

    path: str  # relative to the folder, with forward slashes
    sha256: str = ""
    status: str = UNREADABLE
    form_id: str | None = None
    version: str | None = None
    data: dict | None = None
    problems: list[Problem] = field(default_factory=list)  # the data's, by field
    notes: list[Problem] = field(default_factory=list)  # how the file was read
    message: str = ""  # why the file could not be read
    hint: str = ""
    duplicate_of: str | None = None
    code: str = "file_unreadable"  # the problem code of ``message``

    def report(self) -> Report:
        """Everything said about the file, as problems with codes; CPR masked."""
        if self.duplicate_of:
            return Report([note("duplicate", danish.mask_cpr(
                f"samme indhold som {self.duplicate_of}; tælles kun én gang"))])
        out = [note(self.code, self.message, self.hint)] if self.message else []
        out += self.notes + self.problems
        return Report([replace(p, message=danish.mask_cpr(p.message),
                               detail=danish.mask_cpr(p.detail)) for p in out])

    def messages(self) -> list[tuple[str, str, str, str]]:
        """(field path, label, message, hint) lines for the status report, CPR masked."""
        return [(p.path, p.label, p.message, p.detail) for p in self.report()]


@dataclass
class Collection:
    """Every file of a folder, in sorted path order (duplicates included, marked)."""

    root: str
    form_id: str | None
    entries: list[Entry]

    def unique(self) -> list[Entry]:
        """The entries without the duplicates."""
        return [e for e in self.entries if e.duplicate_of is None]

    def counts(self) -> dict[str, int]:
        """Number of distinct files per status."""
        counts = dict.fromkeys(STATUSES, 0)
        for entry in self.unique():
            counts[entry.status] += 1
        return counts

    @property
    def all_ok(self) -> bool:
        """True when every file was read and is valid."""
        return all(e.status == OK for e in self.entries)


# ---------------------------------------------------------------------------------------
# Finding and reading files
# ---------------------------------------------------------------------------------------
def display_name(name: str | Path) -> str:
    """A file name as text that can always be shown and written: bytes that are not UTF-8
    (``\\xff`` from a shared drive) become U+FFFD instead of failing every output."""
    return os.fsencode(str(name)).decode("utf-8", "replace")


def find_files(root: str | Path, follow_links: bool = False) -> list[Path]:
    """Every regular .docx, .pdf and .doc under root (sub-folders too), sorted; hidden
    files, Word/LibreOffice lock files, symlinked folders and entries that are skipped
    (see :func:`scan`) are left out."""
    return scan(root, follow_links)[0]


def scan(root: str | Path, follow_links: bool = False) -> tuple[list[Path], list[Entry]]:
    """The files to read under ``root`` and an Entry for each one that is skipped, with
    why: not a regular file (a FIFO or device would block a reader), a broken or looping
    symlink, or a symlink leading out of the folder (followed only with ``follow_links``).

    Symlinked folders are never entered (no loops); names are listed whatever their bytes.
    """
    root = Path(root)
    inside = root.resolve()
    found, skipped = [], []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            if name.startswith((".", "~$")) or Path(name).suffix.lower() not in SUFFIXES:
                continue
            path = Path(folder) / name
            why = _not_readable_why(path, inside, follow_links)
            rel = display_name(path.relative_to(root).as_posix())
            if why:
                skipped.append(Entry(rel, status=UNREADABLE, message=f"sprunget over: {why}",
                                     hint=_SKIP_HINT))
            else:
                found.append(path)
    found.sort(key=lambda p: p.relative_to(root).as_posix())
    skipped.sort(key=lambda e: e.path)
    return found, skipped


_SKIP_HINT = "Læg formularen i mappen som en almindelig fil, og kør igen."


def _not_readable_why(path: Path, inside: Path, follow_links: bool) -> str:
    """Why ``path`` is not read, or "" when it is a regular file to read."""
    import stat

    try:
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except RuntimeError:
                return "et symbolsk link, der peger på sig selv (i ring)"
            except OSError as err:
                if err.errno == 40:  # ELOOP
                    return "et symbolsk link, der peger på sig selv (i ring)"
                return "et symbolsk link, der ikke peger på nogen fil"
            if not follow_links and not target.is_relative_to(inside):
                return ("et symbolsk link, der fører ud af mappen; det følges kun med "
                        "--follow-links")
        mode = path.stat().st_mode
    except OSError as err:
        return f"filen kan ikke åbnes ({os_reason(err)})"
    if stat.S_ISREG(mode):
        return ""
    kinds = ((stat.S_ISDIR, "en mappe"), (stat.S_ISFIFO, "en navngiven kanal (FIFO)"),
             (stat.S_ISCHR, "en enhed"), (stat.S_ISBLK, "en enhed"),
             (stat.S_ISSOCK, "en sokkel"))
    kind = next((word for test, word in kinds if test(mode)), "ikke en almindelig fil")
    return f"{kind}, ikke en almindelig fil"


def read_entry(path: str | Path, rel: str, form_id: str | None = None) -> Entry:
    """Read one returned file into an Entry; never raises."""
    entry = Entry(rel)
    try:
        _read(Path(path), entry, form_id)
    except NotAFormError as err:
        entry.status, entry.message, entry.hint = NOT_A_FORM, str(err), err.hint
        entry.code = "not_a_form"
    except SkemaError as err:
        entry.status, entry.message, entry.hint = UNREADABLE, str(err), err.hint
    except MemoryError:
        entry.status = UNREADABLE
        entry.message = "filen er for stor til at blive læst"
        entry.hint = "Bed afsenderen om at gemme formularen igen."
    except OSError as err:  # the file itself: permissions, vanished, a read error
        entry.status = UNREADABLE
        entry.message = f"filen kan ikke åbnes ({os_reason(err)})"
        entry.hint = "Kontroller, at filen findes og kan læses, og kør igen."
    except Exception as err:  # noqa: BLE001 - a bug in skema: this file only, never "damaged"
        entry.status, entry.code = INTERNAL, "internal_error"
        entry.message = (f"intern fejl i skema ({type(err).__name__}) – meld den til "
                         "udviklerne; filen er ikke nødvendigvis beskadiget")
        entry.hint = ("Kør skema --debug extract med filen for at se detaljerne, og send "
                      "dem til udviklerne.")
    entry.message = danish.mask_cpr(entry.message)
    return entry


def _read(path: Path, entry: Entry, form_id: str | None) -> None:
    from .readers.docx import extract_docx
    from .readers.pdf import extract_pdf

    data = read_file(path, MAX_FILE_BYTES)
    entry.sha256 = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise DocumentError("gamle Word-filer (.doc) kan ikke læses",
                            hint="Åbn filen i Word og gem den som Word-dokument (.docx).")
    if not data:
        raise DocumentError("filen er tom (0 byte)",
                            hint="Bed afsenderen om at sende den udfyldte formular igen.")
    reader = extract_docx if suffix == ".docx" else extract_pdf
    try:
        result = reader(data, entry.path, None)
    except NotAFormError:
        if not form_id:
            raise
        result = reader(data, entry.path, form_id)  # a copy without the form's identity
    if form_id and result.form.id != form_id:
        raise NotAFormError(
            f"filen er en \"{result.form.id}\"-formular ({result.form.title}), ikke en "
            f"\"{form_id}\"-formular som angivet med --form; den er sprunget over",
            hint="Kør uden --form for at samle alle slags formularer.")
    entry.form_id, entry.version = result.form.id, result.version
    entry.data, entry.notes = result.data, list(result.notes)
    entry.problems = list(result.report)
    codes = {p.code for p in result.report}
    if not result.report.problems:
        entry.status = OK if _has_answers(result.data) else MISSING
        if entry.status == MISSING:
            entry.notes.append(note("not_filled", "formularen er ikke udfyldt"))
    elif codes <= set(_MISSING_CODES):
        entry.status = MISSING
    else:
        entry.status = INVALID


def _has_answers(data: Any) -> bool:
    if isinstance(data, dict):
        return any(_has_answers(v) for v in data.values())
    if isinstance(data, list):
        return any(_has_answers(v) for v in data)
    return data not in (None, "", False)


def _lost(rel: str, reason: str) -> Entry:
    """The entry of a file whose reading crashed its worker or took too long."""
    if reason == pool.TOO_SLOW:
        return Entry(rel, status=UNREADABLE, code="too_slow",
                     message=TOO_SLOW.format(seconds=f"{read_seconds():g}"),
                     hint="Bed afsenderen om at gemme formularen igen, gerne uden store "
                     "billeder.")
    return Entry(rel, status=UNREADABLE, code="crashed",
                 message="filen fik læseren til at gå ned og kan ikke læses",
                 hint="Bed afsenderen om at gemme og sende filen igen.")


def _task(args: tuple[str, str, str | None]) -> Entry:
    return read_entry(*args)


def read_bounded(task: tuple[str, str, str | None]) -> Entry:
    """:func:`read_entry` within the limits of :mod:`toolkit.limits` (a forked child with
    bounded time and memory): the way a file is read outside a worker pool."""
    try:
        return bounded(read_entry, *task)
    except LimitError as err:
        return Entry(task[1], status=UNREADABLE, code=err.code,
                     message=danish.mask_cpr(str(err)), hint=err.hint)


def collect(root: str | Path, form_id: str | None = None,
            workers: int | None = None, follow_links: bool = False,
            on_entry: Callable[[Entry], None] | None = None) -> Collection:
    """Read every returned form under ``root``; ``form_id`` keeps only that form.

    ``workers``: processes to use (default: one per core; 1 reads in this process).
    ``follow_links``: read files that symlinks lead to outside ``root`` too.
    ``on_entry(entry)`` is called (in this process) for each file as it has been read,
    in the order they finish (before duplicates are marked); the skipped files first.
    """
    root = Path(root)
    if form_id:
        load_form(form_id)  # UnknownFormError before any work
    paths, skipped = scan(root, follow_links)
    if on_entry:
        for entry in skipped:
            on_entry(entry)
    tasks = [(str(p), display_name(p.relative_to(root).as_posix()), form_id) for p in paths]
    entries = _read_all(tasks, workers, on_entry) + skipped
    entries.sort(key=lambda e: e.path)
    return Collection(display_name(root), form_id, entries)


def collect_files(paths: list[str | Path], form_id: str | None = None,
                  workers: int | None = None) -> Collection:
    """Like :func:`collect`, for the files named (shown as given), in the order given."""
    if form_id:
        load_form(form_id)
    tasks = [(str(p), display_name(Path(p).as_posix()), form_id) for p in paths]
    return Collection("", form_id, _read_all(tasks, workers))


def _read_all(tasks: list[tuple[str, str, str | None]], workers: int | None,
              on_entry: Callable[[Entry], None] | None = None) -> list[Entry]:
    """Read the files, spread over processes; the same bytes twice are marked duplicates."""
    workers = workers or pool.cores()
    if workers <= 1 or len(tasks) < 8:
        # no pool: each file is read in a bounded child (time and memory) all the same
        entries = []
        for task in tasks:
            entries.append(read_bounded(task))
            if on_entry:
                on_entry(entries[-1])
    else:
        chunk = max(1, min(16, len(tasks) // (workers * 8)))
        slots: list[Entry | None] = [None] * len(tasks)
        for done in pool.run(_task, tasks, workers, chunk=chunk, seconds=read_seconds(),
                             isolate=True):
            for i, entry in done:
                got = _lost(tasks[i][1], entry.reason) if isinstance(
                    entry, pool.Lost) else entry
                slots[i] = got
                if on_entry:
                    on_entry(got)
        entries = [e for e in slots if e is not None]
    mark_duplicates(entries)
    return entries


def mark_duplicates(entries: list[Entry]) -> None:
    """Mark files with the same bytes as duplicates of one of them, decided after reading:
    the copy kept is the one read best (an ``ok`` form, not an unreadable copy of it under
    a wrong suffix), then the first in path order."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.sha256:
            groups.setdefault(entry.sha256, []).append(entry)
    for same in groups.values():
        keep = min(same, key=lambda e: STATUSES.index(e.status))  # min keeps the first
        for entry in same:
            if entry is not keep:
                entry.duplicate_of = keep.path


# ---------------------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------------------
def workbook(collection: Collection) -> bytes:
    """The collection as .xlsx bytes (identical bytes for the same collection); see
    :mod:`toolkit.render.collected`."""
    from .render.collected import collected_workbook

    return collected_workbook(collection)
