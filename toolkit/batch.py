"""Batch: one filled document per valid row of an input workbook.

The parent process reads the workbook (without validation) row by row as the workers get
free and names every row; worker processes (:mod:`toolkit.pool`, the rows streamed to
them a few chunks at a time) validate, render with the compiled Word template and write
each file atomically (temporary file in the output folder, then ``link``/``replace``).
Neither the rows nor their results are kept: memory does not grow with the number of
rows. A journal (``.manifest.csv.partial``) is appended per chunk, the manifest lines are
written in row order to ``.manifest.csv.next`` as the rows finish, and that file becomes
``manifest.csv`` at the end, so an interrupted batch leaves only whole files and a re-run
finishes the rest:
a file that exists with exactly the bytes the row makes is left alone, one with other
bytes is only replaced with ``overwrite``. The written files are synced to the disk a
thousand at a time as the rows finish (the last ones at the end), so before the manifest
is written.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import danish, pool
from .catalogue import Form, shape_of
from .errors import BatchError, SkemaError, WorkerLost, os_reason
from .faults import fault_message, folder_fault
from .fileio import csv_cell, csv_text, sync_files, write_atomic
from .limits import process_alive
from .pool import cores
from .validation import Problem

MANIFEST = "manifest.csv"
JOURNAL = ".manifest.csv.partial"
NEXT_MANIFEST = ".manifest.csv.next"
TMP_PREFIX = ".skema-tmp-"
SYNC_STEP = 1000  # written files synced together, as the run goes
KEPT = 1000  # results that are not ok kept for the caller (the first, in row order)
FORMATS = {"docx": ("docx",), "pdf": ("pdf",), "both": ("docx", "pdf")}

# Status words of the manifest (Danish: the user reads them).
WRITTEN, UNCHANGED, INVALID, EXISTS, FAILED = (
    "skrevet", "uændret", "ugyldig", "findes", "fejl")
OK_STATUSES = (WRITTEN, UNCHANGED)


@dataclass
class RowResult:
    """What happened to one row (and one format): the manifest line plus problems."""

    row: int
    file: str
    sha256: str
    status: str
    problems: list[Problem] = field(default_factory=list)
    message: str = ""
    fault: OSError | None = None  # the output folder failed (full, read-only, gone)

    @property
    def ok(self) -> bool:
        """True when the file is there with the row's content."""
        return self.status in OK_STATUSES


@dataclass
class BatchResult:
    """The outcome of a batch: counts per status, the rows that gave no file, and the
    workbook-level problems. Every row's line is in ``manifest.csv``; only the first
    :data:`KEPT` results that are not ok are kept here, in row order (so memory does not
    grow with the rows, also when every row is invalid); ``counts`` counts them all."""

    results: list[RowResult]  # the first KEPT results that are not ok, in row order
    problems: list[Problem]
    rows: int
    interrupted: bool = False
    worker_lost: bool = False  # interrupted because a worker process died
    fault: str = ""  # the Danish word when the output folder failed and the run stopped
    counts: dict[str, int] = field(default_factory=dict)  # status -> results
    done: int = 0  # rows finished (all of them unless interrupted)

    @property
    def failed(self) -> list[RowResult]:
        """Rows (per format) that did not give a file."""
        return [r for r in self.results if not r.ok]

    def count(self, status: str) -> int:
        """How many results have this status."""
        return self.counts.get(status, 0)


# ---------------------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------------------
_FIELD = re.compile(r"\{([^{}]*)\}")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?", re.I)
SPECIAL = ("row", "key", "form")
MAX_NAME_BYTES = 150


def default_pattern(form: Form) -> str:
    """The form's ``x-filename`` pattern, else ``{form}-{row}``: never a CPR number."""
    pattern = form.schema.get("x-filename")
    return pattern if isinstance(pattern, str) and pattern.strip() else "{form}-{row}"


def check_pattern(form: Form, pattern: str) -> list[str]:
    """The field paths of a name pattern; BatchError for unknown or CPR fields."""
    from .sources.workbook_layout import layout

    paths = _FIELD.findall(pattern)
    if danish.contains_cpr(_FIELD.sub(" ", pattern)):
        raise BatchError(f"Navnemønstret \"{danish.mask_cpr(pattern)}\" indeholder et "
                         "CPR-nummer; CPR-numre må ikke stå i filnavne.",
                         hint="Brug fx {row} eller et sagsnummer.")
    if "{" in _FIELD.sub("", pattern) or "}" in _FIELD.sub("", pattern):
        raise BatchError(f"Navnemønstret \"{pattern}\" har en krøllet parentes uden make.",
                         hint="Skriv felter som {sag.sagsnummer} eller {row}.")
    if not paths:
        raise BatchError(f"Navnemønstret \"{pattern}\" nævner intet felt, så alle filer "
                         "ville få samme navn.",
                         hint="Tag fx {row} (rækkens nummer) med i mønstret.")
    known = ", ".join(p for p, f in form.fields.items()
                      if f.list_path is None and f.format != "cpr")
    for path in paths:
        if path in SPECIAL:
            if path == "key":
                key = layout(form).key_field
                if key and form.fields[key].format == "cpr":
                    raise BatchError("{key} er et CPR-nummer i denne formular og kan ikke "
                                     "indgå i filnavne.", hint="Brug fx {row}.")
            continue
        fld = form.fields.get(shape_of(path))
        if fld is None or "*" in path:
            raise BatchError(f"Navnemønstret nævner feltet \"{path}\", som formularen "
                             f"\"{form.id}\" ikke har.",
                             hint=f"Brug {{row}}, {{key}} eller et af felterne: {known}.")
        if fld.format == "cpr":
            raise BatchError(f"Feltet \"{path}\" er et CPR-nummer; CPR-numre må ikke stå i "
                             "filnavne.", hint="Brug fx {row} eller et sagsnummer.")
    return paths


def safe_name(text: str) -> str:
    """A file name (without suffix) that is safe on Linux, macOS and Windows.

    Path separators and characters Windows refuses become ``_``; ``..`` cannot occur;
    leading dots and trailing dots/spaces are removed; reserved device names (CON, NUL,
    COM1 …) get a ``_`` in front; the name is cut to a safe length.
    """
    text = unicodedata.normalize("NFC", text)
    text = danish.mask_cpr(text, "_")
    parts = re.split(r"[\\/]+", text)  # path segments "." and ".." are dropped
    text = "_".join(p for p in parts if p.strip(" .") or not p)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = text.strip(" .")
    if _RESERVED.fullmatch(text):
        text = "_" + text
    while len(text.encode("utf-8")) > MAX_NAME_BYTES:
        text = text[:-1]
    return text.rstrip(" .")


def file_stems(form: Form, records: list, pattern: str) -> list[str]:
    """A unique, safe file name stem per record (collisions get ``-2``, ``-3`` …).

    Names are compared without regard to case (Windows and macOS folders).
    """
    namer = Namer(form, pattern)
    return [namer.stem(rec) for rec in records]


class Namer:
    """File name stems for records one at a time, as :func:`file_stems` gives them.

    Keeps only the (hashes of the) names given so far.
    """

    def __init__(self, form: Form, pattern: str) -> None:
        check_pattern(form, pattern)
        self.form = form
        self.pattern = pattern
        self.taken: set[int] = set()
        self.plain = pattern == "{form}-{row}"  # unique already: rows differ

    def stem(self, rec: Any) -> str:
        """The stem of the next record."""
        from .paths import get_value

        form = self.form

        def value(m: re.Match) -> str:
            path = m.group(1)
            if path == "row":
                return str(rec.row)
            if path == "key":
                return str(rec.key or "")  # (a Record, or a RawRecord: no field values)
            if path == "form":
                return form.id
            found = get_value(rec.data, path)
            return "" if found is None or isinstance(found, (dict, list)) else str(found)

        stem = safe_name(_FIELD.sub(value, self.pattern)) or f"{form.id}-{rec.row}"
        if self.plain:
            return stem
        candidate, n = stem, 1
        while _name_hash(candidate) in self.taken:
            n += 1
            candidate = f"{stem}-{n}"
        self.taken.add(_name_hash(candidate))
        return candidate


def _name_hash(name: str) -> int:
    """64 bits of the case-folded name: names compared without regard to case."""
    return int.from_bytes(hashlib.blake2b(name.casefold().encode(), digest_size=8).digest(),
                          "big")


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str | None:
    try:
        return _sha(path.read_bytes())
    except OSError:
        return None


def write_output(path: Path, data: bytes, overwrite: bool) -> tuple[str, str, str]:
    """Write one output atomically; (status, sha256, message). Never a half-written file.

    An existing file with the same bytes is left alone (``uændret``); one with other bytes
    is replaced only with ``overwrite`` (else ``findes``).
    """
    sha = _sha(data)
    if path.exists():
        if _file_sha(path) == sha:
            return UNCHANGED, sha, ""
        if not overwrite:
            return EXISTS, "", "filen findes allerede med andet indhold og overskrives ikke"
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # no fsync per file: one sync at the end
            handle.write(data)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the file appeared meanwhile
            except FileExistsError:
                if _file_sha(path) == sha:
                    return UNCHANGED, sha, ""
                return EXISTS, "", ("filen findes allerede med andet indhold og overskrives "
                                    "ikke")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return WRITTEN, sha, ""


def clean_temp_files(outdir: Path) -> int:
    """Remove temporary files that a killed batch left behind (their process is gone).

    The folder is read one entry at a time (``Path.glob`` lists it whole first: 26 MB for
    the 100,000 documents of a finished batch)."""
    removed = 0
    try:
        entries = os.scandir(outdir)
    except OSError:  # (no folder: nothing left behind)
        return 0
    with entries:
        for entry in entries:
            if not entry.name.startswith(TMP_PREFIX):
                continue
            match = re.match(re.escape(TMP_PREFIX) + r"(\d+)-", entry.name)
            if match and process_alive(int(match.group(1))):
                continue
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


# ---------------------------------------------------------------------------------------
# Validation fast path
# ---------------------------------------------------------------------------------------
_FAST: dict[int, tuple[Form, Callable[[Any], bool]]] = {}


def row_problems(form: Form, record: Any, profile: Any = None) -> list[Problem]:
    """The problems of one record, exactly as ``validate_record`` gives them.

    A row without reading problems that the schema surely accepts and that breaks no
    cross-field rule has none; only other rows go through the full validation.
    """
    from .sources.excel import validate_record
    from .validation import rule_problems, surely_valid

    cached = _FAST.get(id(form))
    if cached is None or cached[0] is not form:
        cached = _FAST[id(form)] = (form, surely_valid(form.schema))
    reading = record.read_problems if record.read_problems is not None else record.problems
    if not reading and cached[1](record.data):
        if not rule_problems(form, record.data):
            return []
    return validate_record(form, record, profile)


# ---------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------
@dataclass
class _Job:
    """What every row needs besides itself (the workers inherit it through fork)."""

    form: Form
    formats: tuple[str, ...]
    outdir: Path
    overwrite: bool
    compiled: Any
    profile: Any = None  # the municipality's Profile, or None
    build: Callable[[Any], Any] | None = None  # makes a row read raw into its Record
    # set once the output folder failed, in the process that saw it (each worker has its
    # own copy): its later rows are not rendered, as they could not be written either
    fault: OSError | None = None


def _do_row(job: _Job, item: tuple[Any, str]) -> list[RowResult]:
    rec, stem = item
    if job.build is not None:  # converted here, in the worker: the parent only reads
        rec = job.build(rec)
    if job.fault is not None:
        return [RowResult(rec.row, f"{stem}.{job.formats[0]}", "", FAILED, [],
                          os_reason(job.fault), job.fault)]
    problems = row_problems(job.form, rec, job.profile)
    if problems:
        return [RowResult(rec.row, "", "", INVALID, list(problems))]
    out: list[RowResult] = []
    for fmt in job.formats:
        name = f"{stem}.{fmt}"
        try:
            if fmt == "docx":
                from .render.letterhead import docx_letterhead
                from .render.word_compiled import docx_title

                data = docx_letterhead(job.compiled.render(rec.data, profile=job.profile),
                                       job.form, job.profile,
                                       docx_title(job.form, rec.data, job.profile))
            else:
                from . import fill

                data = fill(job.form, rec.data, "pdf", profile=job.profile)
            status, sha, message = write_output(job.outdir / name, data, job.overwrite)
        except SkemaError as exc:
            out.append(RowResult(rec.row, name, "", FAILED, [], str(exc)))
            continue
        except OSError as exc:
            if folder_fault(exc):  # every later file would fail too: stop here
                job.fault = OSError(exc.errno, exc.strerror)
                out.append(RowResult(rec.row, name, "", FAILED, [], os_reason(exc),
                                     job.fault))
                return out
            out.append(RowResult(rec.row, name, "", FAILED, [],
                                 f"filen kunne ikke skrives ({os_reason(exc)})"))
            continue
        out.append(RowResult(rec.row, name, sha, status, [], message))
    return out


def _chunk(total: int, jobs: int) -> int:
    return max(1, min(64, total // (jobs * 8) or 1))


# ---------------------------------------------------------------------------------------
# The batch
# ---------------------------------------------------------------------------------------
def run_batch(form: Form, source: str | Path, outdir: str | Path, fmt: str = "docx",
              pattern: str | None = None, jobs: int | None = None, overwrite: bool = False,
              template: str | Path | None = None,
              progress: Callable[[int, int], None] | None = None,
              on_result: Callable[[RowResult], None] | None = None,
              on_read: Callable[[list[Problem]], None] | None = None,
              reader: Callable[..., Any] | None = None,
              profile: Any = None) -> BatchResult:
    """Make one document per valid row of the workbook ``source`` in ``outdir``.

    ``fmt``: ``docx``, ``pdf`` or ``both``. ``pattern``: file name pattern of field paths
    (``{sag.sagsnummer}-{borger.navn}``, plus ``{row}``, ``{key}``, ``{form}``).
    ``on_read(problems)`` is called with the workbook-level problems once they are known
    (before the first row); ``progress(done, total)`` and ``on_result(result)`` are called
    in the parent as rows finish. ``reader(source, form, validate=False)`` opens the
    workbook (default :func:`~toolkit.sources.excel.stream_workbook`, which reads the rows
    as they are needed; a reader may also return a read ``WorkbookData``). ``profile``:
    the municipality's :class:`~toolkit.profile.Profile` on every document (None:
    neutral). Raises
    BatchError, DataFileError or TemplateError before anything is written when the batch
    cannot start; KeyboardInterrupt is turned into ``interrupted=True`` after the workers
    are stopped and no half-written file is left.
    """
    from .render.word_compiled import compiled_template
    from .sources.excel import stream_workbook

    if fmt not in FORMATS:
        raise BatchError(f"Formatet \"{fmt}\" understøttes ikke.",
                         hint="Brug docx, pdf eller both.")
    pattern = pattern or default_pattern(form)
    namer = Namer(form, pattern)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise BatchError(f"{outdir}: findes og er ikke en mappe.",
                         hint="Vælg en mappe til dokumenterne med -o.")
    formats = FORMATS[fmt]
    compiled = compiled_template(form, template) if "docx" in formats else None
    if "pdf" in formats:
        from .render.pdf_acro import warm_field_font

        files = profile.font_files() if profile is not None else None
        warm_field_font(files["regular"] if files else None)  # before the workers fork
    book: Any = reader(source, form, validate=False) if reader else stream_workbook(source,
                                                                                    form)
    total = getattr(book, "rows", None)
    if not isinstance(total, int):  # a read WorkbookData
        total = len(book.records)
    problems = list(book.problems)
    if on_read:
        on_read(list(problems))
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        if not os.access(outdir, os.W_OK | os.X_OK):
            raise PermissionError
    except OSError as exc:
        raise BatchError(f"{outdir}: mappen kan ikke oprettes eller skrives i"
                         f"{f' ({exc.strerror})' if exc.strerror else ''}.",
                         hint="Vælg en anden mappe med -o, eller ret rettighederne.") from None
    clean_temp_files(outdir)

    jobs = max(1, jobs or cores())
    job = _Job(form, formats, outdir, overwrite, compiled, profile)
    rows: Iterable[Any] = book.records
    if getattr(book, "build", None) is not None and \
            set(_FIELD.findall(pattern)) <= set(SPECIAL):  # names need no field values
        rows, job.build = book.raw, book.build

    def items() -> Iterator[tuple[Any, str]]:
        """The rows with their names, handed out until the output folder fails."""
        for rec in rows:
            if fault is not None:
                return
            yield rec, namer.stem(rec)

    kept: list[RowResult] = []
    unsynced: list[str] = []  # files written since the last sync
    counts: dict[str, int] = {}
    done = 0
    interrupted = lost = False
    fault: OSError | None = None
    journal: _Journal | None = None
    try:
        journal = _Journal(outdir / JOURNAL)
        manifest = _OrderedManifest(outdir / NEXT_MANIFEST)
    except OSError as exc:
        if journal is not None:
            journal.close()  # an earlier run's journal stays
        raise BatchError(fault_message(outdir, exc, f"0 af {total * len(formats)} "
                                       "dokumenter skrevet")) from None
    try:
        if progress:
            progress(0, total)
        for chunk in pool.run(functools.partial(_do_row, job), items(), jobs,
                              chunk=_chunk(total, jobs)):
            rows = [res for _i, row in chunk for res in row]
            fault = fault or next((r.fault for r in rows if r.fault), None)
            rows = [r for r in rows if not r.fault]
            for res in rows:  # counted first: the files are there even if a line is not
                counts[res.status] = counts.get(res.status, 0) + 1
                if not res.ok:
                    kept.append(res)
                    if len(kept) >= 2 * KEPT:  # the chunks come in any order
                        kept = _first_kept(kept)
            journal.add(rows)
            unsynced += [r.file for r in rows if r.status == WRITTEN]
            if len(unsynced) >= SYNC_STEP:  # while the workers go on: not all at the end
                sync_files([outdir / name for name in unsynced])
                unsynced = []
            if fault:  # this run's manifest is not published: only the journal counts
                done += len({r.row for r in rows})
            else:
                manifest.add(chunk)
                done += len(chunk)
            for res in rows:
                if on_result:
                    on_result(res)
            if progress:
                progress(done, total)
            # after a fault no row is handed out; the chunks in the workers' hands finish
            # (their files, written or not, are in the journal: it matches the folder)
    except KeyboardInterrupt:  # the workers are stopped by now
        interrupted = True
    except WorkerLost:
        interrupted, lost = True, True
    except OSError as exc:  # the journal itself could not be written
        if not folder_fault(exc):
            raise
        fault = exc
    finally:
        journal.close()
        manifest.close()
        clean_temp_files(outdir)
    kept = _first_kept(kept)
    try:
        if fault is None:
            # the documents reach the disk before the manifest says they are there
            sync_files([outdir / name for name in unsynced], outdir)
        if fault is None and not interrupted:
            manifest.publish(outdir / MANIFEST)
            journal.remove()
    except OSError as exc:
        if not folder_fault(exc):
            raise
        fault = exc
    word = ""
    if fault is not None:
        good = sum(counts.get(status, 0) for status in OK_STATUSES)
        word = fault_message(outdir, fault, f"{good} af {total * len(formats)} dokumenter "
                                            "skrevet")
    if interrupted or fault is not None:
        with contextlib.suppress(OSError):  # the folder may be gone or read-only
            manifest.remove()
    return BatchResult(kept, problems, total, interrupted or bool(word), lost, word, counts,
                       done)


def _first_kept(results: list[RowResult]) -> list[RowResult]:
    """The first :data:`KEPT` of ``results`` in row order."""
    return sorted(results, key=lambda r: (r.row, r.file))[:KEPT]


class _CsvFile:
    """A CSV file the batch writes in the output folder, whole lines at a time (written
    through the file descriptor: a write that fails is cut back to the last whole line)."""

    def __init__(self, path: Path, append: bool, lineterminator: str = "\r\n") -> None:
        self.path = path
        self.lineterminator = lineterminator
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if append else os.O_TRUNC)
        self.fd = os.open(path, flags, 0o644)

    def write_rows(self, rows: Iterable[Iterable[object]]) -> None:
        """Append the lines whole, or not at all (a full disk never cuts a line); every
        cell formula-safe (:func:`~toolkit.fileio.csv_cell`)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator=self.lineterminator)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
        data = buf.getvalue().encode("utf-8")
        if not data:
            return
        size = os.fstat(self.fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]
        except OSError:
            os.ftruncate(self.fd, size)  # back to the last whole line
            raise

    def close(self) -> None:
        """Close the file (the lines written so far stay)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def remove(self) -> None:
        """Close and remove the file."""
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


class _OrderedManifest(_CsvFile):
    """The manifest lines written in row order as chunks finish (in any order).

    Finished chunks wait until every earlier one is in, so only the few that overtook
    others are held; :meth:`publish` makes the file ``manifest.csv`` atomically.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, append=False, lineterminator="\n")
        self.write_rows([("row", "file", "sha256", "status")])
        self.waiting: dict[int, list[RowResult]] = {}
        self.next = 0

    def add(self, chunk: list[tuple[int, list[RowResult]]]) -> None:
        """The results of a finished chunk: (item number, results of the row)."""
        for i, results in chunk:
            self.waiting[i] = results
        lines = []
        while self.next in self.waiting:
            for res in sorted(self.waiting.pop(self.next), key=lambda r: r.file):
                lines.append((res.row, res.file, res.sha256, res.status))
            self.next += 1
        self.write_rows(lines)

    def publish(self, target: Path) -> None:
        """Make the file ``target``: synced, then renamed over it, then the folder synced."""
        self.close()
        sync_files([self.path])
        os.replace(self.path, target)
        sync_files([], target.parent)


class _Journal(_CsvFile):
    """Manifest lines appended per chunk, so an interrupted run shows how far it got."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, append=True)

    def add(self, chunk: list[RowResult]) -> None:
        """Append the lines of the chunk's results."""
        self.write_rows((res.row, res.file, res.sha256, res.status) for res in chunk)


def manifest_csv(results: list[RowResult]) -> bytes:
    """The manifest: one line per row and format (row, file, sha256, status)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["row", "file", "sha256", "status"])
    for res in results:
        out.writerow([csv_cell(v) for v in (res.row, res.file, res.sha256, res.status)])
    return buf.getvalue().encode("utf-8")


def write_manifest(path: Path, results: list[RowResult]) -> None:
    """Write ``manifest.csv`` atomically (it is the batch's own file: replaced each run)."""
    write_atomic(path, manifest_csv(results), overwrite=True)


def read_manifest(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a manifest.csv as dicts (row as int)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows = [{key: csv_text(value) for key, value in row.items()} for row in rows]
    for row in rows:
        row["row"] = int(row["row"])
    return rows


def describe(problem: Problem, source: str) -> str:
    """One Danish line for a row problem: the workbook, the cell, the field; CPR masked."""
    return danish.mask_cpr(f"{source}, {problem}" if problem.place else f"{source}: {problem}")
