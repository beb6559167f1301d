"""The /indsamling page (Indsamling): upload returned forms (many files, a folder, or a
.zip), follow them being read file by file, download the collected workbook.

``POST /indsamling`` keeps the files in a new job's folder (``filer/``, a folder upload's
sub-folders kept, a .zip unpacked safely: :mod:`toolkit.web.uploads`) and queues the job;
the worker (:mod:`toolkit.web.jobs`) runs :func:`toolkit.collect.collect` on the folder,
as ``skema collect DIR -o samlet.xlsx`` does, writing a status line per file as it is
read, and then the workbook (:func:`toolkit.collect.workbook`).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from .. import danish
from ..collect import STATUSES, SUFFIXES, Entry, collect, workbook
from ..fileio import write_atomic
from . import jobs
from .job_pages import JobPages, User
from .store import Identity
from .uploads import (
    check_count,
    check_sizes,
    copy_bounded,
    display,
    free_name,
    remove_empty_dirs,
    safe_relative,
    strip_common_folder,
    unpack_zip,
)

router = APIRouter()
KIND = "indsamling"
FILES = "filer"
LINES = "status.jsonl"
FINAL = "status.json"
WORKBOOK = "samlet.xlsx"
#: CSS class of each status on the page.
STATUS_CLASS = {"ok": "status-ok", "mangler svar": "status-advarsel"}


def line(entry: Entry) -> dict[str, Any]:
    """The status line of one file: name, status and what was found (CPR masked)."""
    messages = []
    for path, label, message, hint in entry.messages():
        where = f"{path}: \"{label}\" " if path else ""
        messages.append(danish.mask_cpr(where + message + (f" ({hint})" if hint else "")))
    status = "dublet" if entry.duplicate_of else entry.status
    return {"fil": danish.mask_cpr(entry.path), "status": status, "beskeder": messages,
            "klasse": STATUS_CLASS.get(status, "status-fejl" if status != "dublet" else "")}


# ---------------------------------------------------------------------------------------
# The job (skema collect)
# ---------------------------------------------------------------------------------------
def run_job(app: Any, job: jobs.Job, progress: jobs.Progress) -> dict[str, Any]:
    """Collect the job's folder (in the worker), a status line per file as it is read."""
    base = jobs.folder(app.state.config, job.id)
    total = job.total
    done = 0
    with open(base / LINES, "w", encoding="utf-8") as lines:
        def on_entry(entry: Entry) -> None:
            nonlocal done
            done += 1
            lines.write(json.dumps(line(entry), ensure_ascii=False) + "\n")
            lines.flush()
            progress(done, max(total, done))

        collection = collect(base / FILES, on_entry=on_entry)
    write_atomic(base / WORKBOOK, workbook(collection), overwrite=True)
    final = [line(e) for e in collection.entries]
    (base / FINAL).write_text(json.dumps(final, ensure_ascii=False), encoding="utf-8")
    progress(done, max(total, done), force=True)
    counts = collection.counts()
    return {"files": len(collection.unique()),
            "duplicates": len(collection.entries) - len(collection.unique()),
            "counts": [[s, counts[s]] for s in STATUSES if counts[s]]}


jobs.register(KIND, run_job)


def start(app: Any) -> None:
    """Start the job worker shared with /batch."""
    jobs.start(app)


# ---------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------
PAGES = JobPages(KIND, "/indsamling", "indsamling.html", "indsamling-job.html",
                 "indsamling-status.html", "Indsamlingen findes ikke (eller er ikke din).")


def _accept(request: Request, who: Identity, _form: Any, files: list[Any]) -> Response:
    """Keep the files (a .zip unpacked) and queue their collection (303 to the job)."""
    if not files:
        return PAGES.form_page(request, who, "Vælg de returnerede filer, en mappe eller en "
                                             "zip-fil.", status=422)
    config = request.app.state.config
    check_count(len(files), config.max_upload_files)
    check_sizes(files, config.max_upload_bytes)
    names = [safe_relative(f.filename or "fil") for f in files]
    names = strip_common_folder(names)
    job_id, base = jobs.new_job(request.app)
    root = base / FILES
    try:
        count = _save(files, names, root, config)
    except BaseException:
        jobs.discard(request.app, job_id)
        raise
    if not count:
        jobs.discard(request.app, job_id)
        return PAGES.form_page(request, who, "Der var ingen .docx- eller .pdf-filer blandt de "
                                             "valgte filer.", status=422)
    first = display(files[0].filename)
    title = first if len(files) == 1 else f"{len(files)} filer"
    jobs.add(request.app, job_id, KIND, who.name, {"titel": title}, total=count)
    return RedirectResponse(f"/indsamling/{job_id}", status_code=303)


def _save(files: list[Any], names: list[PurePosixPath], root: Path, config: Any) -> int:
    """Save the uploads under ``root`` (zips unpacked); the number of files to read."""
    root.mkdir(parents=True, exist_ok=True)
    count = 0
    for upload_file, rel in zip(files, names):
        suffix = rel.suffix.lower()
        if suffix == ".zip":
            packed = free_name(root.parent, PurePosixPath("upload.zip"))
            copy_bounded(upload_file.file, packed, config.max_upload_bytes,
                         display(upload_file.filename))
            into = root if len(files) == 1 else root.joinpath(*rel.parts[:-1], rel.stem)
            try:
                count += len(unpack_zip(packed, into, SUFFIXES, config.max_upload_bytes,
                                        config.max_upload_files - count,
                                        display(upload_file.filename)))
            finally:
                packed.unlink(missing_ok=True)
                remove_empty_dirs(root)
        elif suffix in SUFFIXES:
            copy_bounded(upload_file.file, free_name(root, rel), config.max_upload_bytes,
                         display(upload_file.filename))
            count += 1
    check_count(count, config.max_upload_files)
    return count


def _context(request: Request, job: jobs.Job, _full: bool) -> dict[str, Any]:
    base = jobs.folder(request.app.state.config, job.id)
    lines: list[dict[str, Any]] = []
    if job.state == jobs.DONE and (base / FINAL).is_file():
        lines = json.loads((base / FINAL).read_text(encoding="utf-8"))
    elif job.state == jobs.RUNNING and (base / LINES).is_file():
        with open(base / LINES, encoding="utf-8") as handle:
            for raw in handle:
                try:
                    lines.append(json.loads(raw))
                except ValueError:  # a line being written
                    break
    return {"linjer": lines, "laest": max(job.done, len(lines))}  # the count comes later


PAGES.add_routes(router, "filer", _accept, _context)


@router.get("/indsamling/{job_id}/samlet.xlsx")
def workbook_download(request: Request, who: User, job_id: str) -> Response:
    """The collected workbook (``skema collect DIR -o samlet.xlsx``)."""
    return PAGES.result(request, who, job_id, WORKBOOK, lambda _job: WORKBOOK,
                        "Regnearket er ikke lavet endnu.")

