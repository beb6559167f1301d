"""The /batch page (Masseudfyldning): upload an input workbook, see its validation report,
start the batch, follow it, download the documents.

1. ``POST /batch`` (``formular``, ``fil``): the workbook is kept in a new job's folder and
   checked as ``skema validate FORM fil.xlsx --report rapport.xlsx`` does (the same library
   calls, in a bounded child process: :func:`toolkit.limits.bounded`); ``/batch/{job}``
   shows every problem with its sheet, cell and field, and the report workbook.
2. ``POST /batch/{job}/start`` queues the job (:mod:`toolkit.web.jobs`); the worker runs
   :func:`toolkit.batch.run_batch` on it as ``skema batch FORM fil.xlsx -o DIR`` does and
   packs DIR's files (the documents and ``manifest.csv``) as ``dokumenter.zip``.
   ``/batch/{job}/status`` is the small fragment the page polls (htmx) meanwhile.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from .. import danish
from ..catalogue import forms
from ..errors import SkemaError
from ..validation import Problem
from . import jobs
from .catalogue import form_or_404
from .job_pages import JobPages, User, download_file
from .store import Identity
from .uploads import check_count, check_sizes, copy_bounded, display

router = APIRouter()
KIND = "batch"
INPUT = "input.xlsx"
REPORT = "rapport.xlsx"
PROBLEMS = "problemer.json"
ZIP = "dokumenter.zip"
#: The check of a workbook may take this many times the time limit of reading one file.
CHECK_SECONDS_FACTOR = 5
#: Problems shown on the page (the rest are counted; all of them are in the report workbook).
SHOWN = 500


# ---------------------------------------------------------------------------------------
# Checking the workbook (skema validate)
# ---------------------------------------------------------------------------------------
@dataclass
class Checked:
    """What ``skema validate`` finds in a workbook: rows, rows with problems, the problems
    and the notes."""

    rows: int
    bad: int
    problems: list[Problem]
    notes: list[Problem] = field(default_factory=list)


def check_workbook(form_id: str, path: str) -> Checked:
    """The validation of ``skema validate FORM path``: the same library calls."""
    from ..catalogue import load_form
    from ..sources.excel import read_workbook

    frm = load_form(form_id)
    book = read_workbook(path, frm)
    return Checked(len(book.records), sum(1 for r in book.records if not r.valid),
                   list(book.report()), book.notes())


def report_workbook(path: str, problems: list[Problem], notes: list[Problem]) -> bytes:
    """The report workbook of ``skema validate FORM path --report`` (the same call)."""
    from ..render.xlsx import report_copy

    return report_copy(path, problems, notes)


def saved_problems(base: Path) -> tuple[list[Problem], list[Problem]]:
    """The problems and notes of a job's check, as kept in its folder."""
    import json

    kept = json.loads((base / PROBLEMS).read_text(encoding="utf-8"))
    return ([Problem(**p) for p in kept["problems"]], [Problem(**p) for p in kept["notes"]])


def problem_row(problem: Problem) -> dict[str, str]:
    """One line of the report table: sheet, cell, field and message (CPR masked)."""
    from ..sources.workbook_cells import column_letter, parse_place

    where = parse_place(problem.place)
    sheet, cell = "", problem.place
    if where is not None:
        sheet = where[0]
        cell = f"{column_letter(where[1])}{where[2]}" if where[1] is not None \
            else f"række {where[2]}"
    return {"ark": sheet, "celle": cell, "sti": problem.path, "felt": problem.label,
            "besked": danish.mask_cpr(problem.message),
            "hjaelp": danish.mask_cpr(problem.detail)}


# ---------------------------------------------------------------------------------------
# The job (skema batch)
# ---------------------------------------------------------------------------------------
def run_job(app: Any, job: jobs.Job, progress: jobs.Progress) -> dict[str, Any]:
    """Run the batch of a job (in the worker) and pack its folder as the zip."""
    from ..batch import INVALID, MANIFEST, run_batch
    from ..catalogue import load_form

    config = app.state.config
    base = jobs.folder(config, job.id)
    out = base / "dokumenter"
    name = str(job.params.get("fil", INPUT))
    try:
        result = run_batch(load_form(job.params["form"]), base / INPUT, out, progress=progress,
                           profile=config.profile)
    except SkemaError as exc:
        raise jobs.JobFailed(str(exc).replace(str(base / INPUT), name), hint=exc.hint) \
            from None
    if result.fault:
        raise jobs.JobFailed(result.fault.replace(str(out), "jobbets mappe"))
    if result.interrupted:
        raise jobs.JobFailed("En arbejdsproces stoppede uventet (fx løbet tør for hukommelse); "
                             "start kørslen igen.")
    progress(result.done, result.rows, force=True)
    pack(out, base / ZIP)
    if not (out / MANIFEST).is_file():
        raise jobs.JobFailed("Kørslen gav intet manifest; start den igen.")
    shutil.rmtree(out, ignore_errors=True)
    not_made = [{"raekke": r.row, "fil": danish.mask_cpr(r.file), "status": r.status,
                 "besked": danish.mask_cpr(r.message or "; ".join(
                     f"{p.place}: {p.message}" if p.place else p.message
                     for p in r.problems[:3]))}
                for r in result.results if not r.ok][:SHOWN]
    return {"rows": result.rows, "written": result.count("skrevet"),
            "unchanged": result.count("uændret"),
            "invalid": result.count(INVALID),  # (one result per invalid row)
            "failed": result.count("findes") + result.count("fejl"),
            "not_made": not_made}


def pack(folder: Path, target: Path) -> None:
    """The files of ``folder`` (sorted, no hidden files) as a zip at ``target``, written
    whole or not at all; documents stored as they are (they are zips themselves)."""
    tmp = target.with_name(target.name + ".tmp")
    names = sorted(p for p in os.listdir(folder) if not p.startswith("."))
    with zipfile.ZipFile(tmp, "w") as archive:
        for name in names:
            kind = zipfile.ZIP_STORED if name.endswith((".docx", ".pdf")) \
                else zipfile.ZIP_DEFLATED
            archive.write(folder / name, name, compress_type=kind)
    os.replace(tmp, target)


jobs.register(KIND, run_job)


def start(app: Any) -> None:
    """Start the job worker shared with /indsamling."""
    jobs.start(app)


# ---------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------
PAGES = JobPages(KIND, "/batch", "batch.html", "batch-job.html", "batch-status.html",
                 "Kørslen findes ikke (eller er ikke din).",
                 lambda: {"formularer": forms(), "valgt": "indsatsskema"})


def _form_page(request: Request, who: Identity, error: str = "", chosen: str = "",
               status: int = 200) -> Response:
    return PAGES.form_page(request, who, error, status, **({"valgt": chosen} if chosen else {}))


def _accept(request: Request, who: Identity, form: Any, files: list[Any]) -> Response:
    """Keep the workbook in a new job's folder and check it (in a bounded child); the
    job's report (303 to /batch/{job})."""
    import json

    from ..limits import LimitError, bounded, read_seconds

    form_id = str(form.get("formular") or "")
    if form_id not in {f.id for f in forms()}:
        return _form_page(request, who, "Vælg en formular på listen.", status=422)
    if not files:
        return _form_page(request, who, "Vælg projektmappen (.xlsx), der skal udfyldes fra.",
                          form_id, status=422)
    check_count(len(files), 1)
    upload_file = files[0]
    config = request.app.state.config
    name = display(upload_file.filename)
    if Path(upload_file.filename or "").suffix.lower() not in (".xlsx", ".xlsm"):
        return _form_page(request, who, f"\"{name}\" er ikke en Excel-projektmappe (.xlsx). "
                          "Gem den som .xlsx i Excel, og prøv igen.", form_id, status=422)
    check_sizes(files, config.max_upload_bytes)
    job_id, base = jobs.new_job(request.app)
    try:
        copy_bounded(upload_file.file, base / INPUT, config.max_upload_bytes, name)
        # a workbook of many thousand rows takes longer than one returned form
        checked = bounded(check_workbook, form_id, str(base / INPUT),
                          seconds=CHECK_SECONDS_FACTOR * read_seconds())
    except (LimitError, SkemaError) as exc:
        jobs.discard(request.app, job_id)
        message = danish.mask_cpr(str(exc).replace(str(base / INPUT), name))
        hint = f" {exc.hint}" if exc.hint else ""
        return _form_page(request, who, message + hint, form_id, status=422)
    except BaseException:
        jobs.discard(request.app, job_id)
        raise
    (base / PROBLEMS).write_text(json.dumps(
        {"problems": [asdict(p) for p in checked.problems],
         "notes": [asdict(p) for p in checked.notes]}, ensure_ascii=False),
        encoding="utf-8")
    jobs.add(request.app, job_id, KIND, who.name,
             {"form": form_id, "fil": name, "rows": checked.rows, "bad": checked.bad,
              "problems": len(checked.problems)}, state=jobs.CHECKED, total=checked.rows)
    return RedirectResponse(f"/batch/{job_id}", status_code=303)


def _context(request: Request, job: jobs.Job, report: bool) -> dict[str, Any]:
    base = jobs.folder(request.app.state.config, job.id)
    problems: list[Problem] = []
    notes: list[Problem] = []
    if report and (base / PROBLEMS).is_file():
        problems, notes = saved_problems(base)
    return {"formular": form_or_404(job.params["form"]),
            "problemer": [problem_row(p) for p in problems[:SHOWN]],
            "noter": [problem_row(p) for p in notes[:SHOWN]],
            "flere": max(0, len(problems) - SHOWN)}


PAGES.add_routes(router, "fil", _accept, _context)


@router.post("/batch/{job_id}/start")
def start_job(request: Request, who: User, job_id: str) -> Response:
    """Queue the batch (a second press does nothing)."""
    job = PAGES.job(request, who, job_id)
    jobs.enqueue(request.app, job_id, jobs.FAILED if job.state == jobs.FAILED else jobs.CHECKED)
    return RedirectResponse(f"/batch/{job_id}", status_code=303)


@router.get("/batch/{job_id}/rapport.xlsx")
def report_download(request: Request, who: User, job_id: str) -> Response:
    """The workbook with each problem marked on its cell (``skema validate --report``)."""
    from ..fileio import write_atomic
    from ..limits import LimitError, bounded

    job = PAGES.job(request, who, job_id)
    base = jobs.folder(request.app.state.config, job.id)
    path = base / REPORT
    if not path.is_file():  # made on the first download (it takes a while: openpyxl)
        if not (base / INPUT).is_file() or not (base / PROBLEMS).is_file():
            raise HTTPException(404, "Rapporten findes ikke.")
        try:
            data = bounded(report_workbook, str(base / INPUT), *saved_problems(base))
        except (LimitError, SkemaError) as exc:
            raise HTTPException(422, danish.mask_cpr(
                str(exc).replace(str(base / INPUT), str(job.params.get("fil"))))) from None
        write_atomic(path, data, overwrite=True)
    return download_file(path, f"{job.params['form']}-rapport.xlsx")


@router.get("/batch/{job_id}/dokumenter.zip")
def zip_download(request: Request, who: User, job_id: str) -> Response:
    """The documents and manifest.csv as one zip (once the batch is done)."""
    return PAGES.result(request, who, job_id, ZIP, lambda j: f"{j.params['form']}-dokumenter.zip",
                        "Dokumenterne er ikke lavet endnu.")
