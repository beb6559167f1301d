"""The pages every kind of job has (/batch and /indsamling): the upload form with the
user's latest jobs, the upload that makes a job (303 to its page), the job's page and the
status fragment that page polls (htmx), and its files for download.

A kind of job describes its pages with :class:`JobPages` and adds them to its router with
:meth:`JobPages.add_routes`; what differs (which files are taken, what the job page shows)
is the kind's own ``accept`` and ``context`` functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from . import jobs
from .catalogue import MEDIA
from .pages import render
from .security import require
from .store import Identity
from .uploads import megabytes, uploads

User = Annotated[Identity, Depends(require("sagsbehandler"))]
#: ``accept(request, who, form, files)``: keep an upload as a new job (its answer: 303 to
#: the job's page, or the form page with a problem).
Accept = Callable[[Request, Identity, FormData, list[UploadFile]], Response]
#: ``context(request, job, full)``: what the job's page (``full``) or its status fragment
#: shows beyond the job itself.
Context = Callable[[Request, jobs.Job, bool], dict[str, Any]]


@dataclass(frozen=True)
class JobPages:
    """The pages of one kind of job under ``path`` (``/batch``)."""

    kind: str
    path: str
    form_template: str
    job_template: str
    status_template: str
    #: The 404 text of a job that is not there (or is another user's).
    missing: str
    #: What else the upload form shows (its choices), made for each page.
    form_extra: Callable[[], dict[str, Any]] = dict

    def form_page(self, request: Request, who: Identity, error: str = "", status: int = 200,
                  **extra: Any) -> Response:
        """The upload form, with ``error`` above it, and the user's latest jobs."""
        config = request.app.state.config
        return render(request, self.form_template, {
            "fejl": error, "graense": megabytes(config.max_upload_bytes),
            "antal": config.max_upload_files,
            "seneste": jobs.recent(request.app, who.name, self.kind), **self.form_extra(),
            **extra}, status=status)

    def job(self, request: Request, who: Identity, job_id: str) -> jobs.Job:
        """``who``'s own job of this kind, else 404."""
        return jobs.owned_or_404(request.app, who, job_id, self.kind, self.missing)

    def result(self, request: Request, who: Identity, job_id: str, file: str,
               name: Callable[[jobs.Job], str], missing: str) -> Response:
        """The file ``file`` of ``who``'s finished job as a download named ``name(job)``;
        404 with ``missing`` while the job is not done."""
        job = self.job(request, who, job_id)
        path = jobs.folder(request.app.state.config, job.id) / file
        if job.state != jobs.DONE or not path.is_file():
            raise HTTPException(404, missing)
        return download_file(path, name(job))

    def job_context(self, request: Request, job: jobs.Job) -> dict[str, Any]:
        """What every job page shows: the job, its number in the queue, how long it is kept."""
        return {"job": job, "nr": jobs.place(request.app, job), "dage": jobs.KEEP_DAYS}

    def add_routes(self, router: APIRouter, field: str, accept: Accept,
                   context: Context) -> None:
        """Add ``GET path`` (the form), ``POST path`` (the files of ``field`` to
        ``accept``, in a worker thread), ``GET path/{job}`` and ``GET path/{job}/status``."""

        def page(request: Request, who: User) -> Response:
            """The upload form and the user's latest jobs."""
            return self.form_page(request, who)

        async def upload(request: Request, who: User) -> Response:
            """Take the upload and make a job of it (303 to the job's page)."""
            form = await request.form()
            files = uploads(form.getlist(field))
            return await run_in_threadpool(accept, request, who, form, files)

        def job_page(request: Request, who: User, job_id: str) -> Response:
            """The job: its state and, once done, its results."""
            job = self.job(request, who, job_id)
            return render(request, self.job_template, {
                **self.job_context(request, job), **context(request, job, True)})

        def job_status(request: Request, who: User, job_id: str) -> Response:
            """The state fragment the job page polls."""
            job = self.job(request, who, job_id)
            return render(request, self.status_template, {
                **self.job_context(request, job), **context(request, job, False)})

        router.add_api_route(self.path, page, methods=["GET"])
        router.add_api_route(self.path, upload, methods=["POST"])
        router.add_api_route(self.path + "/{job_id}", job_page, methods=["GET"])
        router.add_api_route(self.path + "/{job_id}/status", job_status, methods=["GET"])


def download_file(path: Path, name: str) -> Response:
    """A job's file as a download named ``name`` (its type by its suffix)."""
    kind = name.rsplit(".", 1)[-1]
    return FileResponse(path, media_type=MEDIA.get(kind, "application/octet-stream"),
                        headers={"content-disposition": f'attachment; filename="{name}"'})
