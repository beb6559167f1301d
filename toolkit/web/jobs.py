"""Background jobs of the web app: batch (/batch) and collect (/indsamling) run outside the
request, one at a time, in one worker thread per app.

A job is a row of the ``jobs`` table (:mod:`toolkit.web.store`) and a folder
``config.jobs/<job id>/`` holding its upload and results, so a page reload (or a new app on
the same data folder) shows the job as the database has it. States: ``checked`` (a batch's
workbook is validated and waits for "Start"), ``queued``, ``running``, ``done``, ``failed``.
Queued jobs run in the order they were queued; the page says which number in the queue a
job has. A job that raises is marked failed with a Danish message and the worker goes on
with the next. A job left ``running`` by an app that is gone (stopped, killed) is queued
again when a new app starts: batch and collect can both be run again from the start (a
batch skips the files it wrote already). When the app shuts down, the job in hand stops
at its next step (:class:`JobStopped`) and is queued again likewise.

Each kind of job registers its function with :func:`register`; :func:`start` starts the
worker thread of an app (once) and stops it when the app shuts down.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import danish
from ..errors import SkemaError

CHECKED, QUEUED, RUNNING, DONE, FAILED = "checked", "queued", "running", "done", "failed"
#: The states as the pages say them.
STATE_WORDS = {CHECKED: "kontrolleret", QUEUED: "venter på tur", RUNNING: "i gang",
               DONE: "færdig", FAILED: "fejlet"}
#: How often (seconds) a job's progress is written to the database at most.
PROGRESS_EVERY = 0.3
#: Days a finished or failed job (and its files) is kept; the pages say so.
KEEP_DAYS = 7

_LOG = logging.getLogger("skema.web.jobs")
_HANDLERS: dict[str, Callable[[Any, Job, Progress], dict[str, Any]]] = {}
_LIVE: set[str] = set()  # the worker instances of this process that are running
_LIVE_LOCK = threading.Lock()


class JobFailed(SkemaError):
    """A job that cannot be done; its Danish message is shown on the job's page."""


class JobStopped(Exception):
    """Raised by :class:`Progress` when the app shuts down: the job stops where it is (its
    worker processes killed, no half-written file) and is queued again for the next app."""


@dataclass(frozen=True)
class Job:
    """One job as the database has it."""

    id: str
    kind: str
    owner: str
    state: str
    params: dict[str, Any]
    created: float
    started: float | None
    finished: float | None
    done: int
    total: int
    message: str
    result: dict[str, Any]

    @property
    def state_word(self) -> str:
        """The state in Danish."""
        return STATE_WORDS.get(self.state, self.state)

    @property
    def percent(self) -> int:
        """How far the job is, 0–100."""
        return int(100 * self.done / self.total) if self.total else 0


_COLUMNS = ("id, kind, owner, state, params, created, started, finished, done, total, "
            "message, result")


def _job(row: tuple) -> Job:
    return Job(row[0], row[1], row[2], row[3], json.loads(row[4] or "{}"), row[5], row[6],
               row[7], row[8], row[9], row[10] or "", json.loads(row[11] or "{}"))


def folder(config: Any, job_id: str) -> Path:
    """The job's own folder (for its upload and results)."""
    return Path(config.jobs) / job_id


def new_job(app: Any) -> tuple[str, Path]:
    """A new job's id and its (new, empty) folder; the job is not in the database yet
    (:func:`add`)."""
    from .uploads import new_name

    job_id = new_name()  # letters only: the job's folder and address never look like a CPR
    path = folder(app.state.config, job_id)
    path.mkdir(parents=True)
    return job_id, path


def add(app: Any, job_id: str, kind: str, owner: str, params: dict[str, Any],
        state: str = QUEUED, total: int = 0) -> None:
    """Put the job in the database (``queued``: in the queue, and the worker woken)."""
    if state == QUEUED:
        params = {**params, "queued": time.time()}
    with app.state.store.connect() as conn:
        conn.execute("INSERT INTO jobs (id, kind, owner, state, params, created, total) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (job_id, kind, owner, state, json.dumps(params, ensure_ascii=False),
                      time.time(), total))
    _wake(app)


def discard(app: Any, job_id: str) -> None:
    """Remove a job that never got into the database (its folder)."""
    shutil.rmtree(folder(app.state.config, job_id), ignore_errors=True)


def get(app: Any, job_id: str, owner: str | None = None, kind: str | None = None
        ) -> Job | None:
    """The job (only when it is ``owner``'s and of ``kind``, when given), or None."""
    with app.state.store.connect() as conn:
        row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        return None
    job = _job(row)
    if (owner is not None and job.owner != owner) or (kind is not None and job.kind != kind):
        return None
    return job


def recent(app: Any, owner: str, kind: str, count: int = 10) -> list[Job]:
    """The owner's latest jobs of ``kind``, newest first."""
    with app.state.store.connect() as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND owner = ? "
                            "ORDER BY created DESC LIMIT ?", (kind, owner, count)).fetchall()
    return [_job(r) for r in rows]


def enqueue(app: Any, job_id: str, from_state: str = CHECKED) -> bool:
    """Queue a job that is in ``from_state``; False when it was not (already queued)."""
    with app.state.store.connect() as conn:
        row = conn.execute("SELECT params FROM jobs WHERE id = ? AND state = ?",
                           (job_id, from_state)).fetchone()
        if row is None:
            return False
        params = {**json.loads(row[0] or "{}"), "queued": time.time()}
        cur = conn.execute("UPDATE jobs SET state = ?, params = ? WHERE id = ? AND state = ?",
                           (QUEUED, json.dumps(params, ensure_ascii=False), job_id,
                            from_state))
    _wake(app)
    return cur.rowcount == 1


def place(app: Any, job: Job) -> int:
    """The job's number in the queue (1: next); 0 when it is not queued."""
    if job.state != QUEUED:
        return 0
    with app.state.store.connect() as conn:
        ahead = conn.execute(
            "SELECT COUNT(*) FROM jobs WHERE state = ? AND "
            "(json_extract(params, '$.queued') < ? OR "
            " (json_extract(params, '$.queued') = ? AND created < ?))",
            (QUEUED, job.params.get("queued", 0), job.params.get("queued", 0),
             job.created)).fetchone()[0]
    return int(ahead) + 1


def owned_or_404(app: Any, who: Any, job_id: str, kind: str, missing: str) -> Job:
    """The job of a page: ``who``'s own job of ``kind``, else 404 with ``missing``."""
    from fastapi import HTTPException

    job = get(app, job_id, owner=who.name, kind=kind)
    if job is None:
        raise HTTPException(404, missing)
    return job


class Progress:
    """What a job reports as it goes: ``progress(done, total)``, at most every
    :data:`PROGRESS_EVERY` seconds to the database (and always the last step). Raises
    :class:`JobStopped` once the app is shutting down."""

    def __init__(self, app: Any, job_id: str, stopping: threading.Event | None = None) -> None:
        self.store = app.state.store
        self.job_id = job_id
        self.stopping = stopping
        self.last = 0.0

    def __call__(self, done: int, total: int, force: bool = False) -> None:
        if self.stopping is not None and self.stopping.is_set():
            raise JobStopped()
        now = time.monotonic()
        if not force and done < total and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        with self.store.connect() as conn:
            conn.execute("UPDATE jobs SET done = ?, total = ? WHERE id = ?",
                         (done, total, self.job_id))


def register(kind: str, run: Callable[[Any, Job, Progress], dict[str, Any]]) -> None:
    """Make ``run(app, job, progress)`` the function of jobs of ``kind``; it returns the
    job's result (kept as JSON) or raises (the job fails with a Danish message)."""
    _HANDLERS[kind] = run


# ---------------------------------------------------------------------------------------
# The worker
# ---------------------------------------------------------------------------------------
class Worker(threading.Thread):
    """The thread that runs an app's queued jobs one at a time."""

    def __init__(self, app: Any) -> None:
        super().__init__(name="skema-jobs", daemon=True)
        self.app = weakref.ref(app)  # the thread ends by itself when the app is gone
        self.instance = f"{os.getpid()}:{secrets.token_hex(6)}"
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        """Take queued jobs until stopped."""
        with _LIVE_LOCK:
            _LIVE.add(self.instance)
        try:
            while not self.stopping.is_set():
                app = self.app()
                if app is None:
                    return
                job = _claim(app, self.instance)
                if job is not None:
                    _run(app, job, self.stopping)
                    purge(app)
                    continue
                del app
                self.wake.wait(1.0)
                self.wake.clear()
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(self.instance)

    def stop(self, wait: float = 30.0) -> None:
        """Stop: the job in hand stops at its next step and is queued again for the next
        app (waits at most ``wait`` seconds for that)."""
        self.stopping.set()
        self.wake.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(wait)


def start(app: Any) -> Worker:
    """Start the app's job worker (once), after queuing again the jobs a gone app left
    running; it stops when the app shuts down."""
    worker = getattr(app.state, "job_worker", None)
    if worker is not None:
        return worker
    _requeue_orphans(app)
    purge(app)
    worker = Worker(app)
    app.state.job_worker = worker
    app.router.on_shutdown.append(worker.stop)
    worker.start()
    return worker


def purge(app: Any, now: float | None = None) -> int:
    """Remove the jobs finished (or failed) more than :data:`KEEP_DAYS` ago, and checked
    batches never started within that time, with their folders; how many."""
    cutoff = (now or time.time()) - KEEP_DAYS * 86400
    with app.state.store.connect() as conn:
        rows = conn.execute(
            "SELECT id FROM jobs WHERE (state IN (?, ?) AND finished < ?) OR "
            "(state = ? AND created < ?)", (DONE, FAILED, cutoff, CHECKED, cutoff)).fetchall()
        for (job_id,) in rows:
            shutil.rmtree(folder(app.state.config, job_id), ignore_errors=True)
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
    return len(rows)


def _wake(app: Any) -> None:
    worker = getattr(app.state, "job_worker", None)
    if worker is not None:
        worker.wake.set()


def _requeue_orphans(app: Any) -> None:
    """Queue again the running jobs whose worker is gone (its process, or in this process
    a worker that stopped)."""
    with app.state.store.connect() as conn:
        rows = conn.execute("SELECT id, params FROM jobs WHERE state = ?",
                            (RUNNING,)).fetchall()
        for job_id, raw in rows:
            params = json.loads(raw or "{}")
            instance = str(params.get("worker", ""))
            if _worker_alive(instance):
                continue
            params.pop("worker", None)
            conn.execute("UPDATE jobs SET state = ?, params = ?, started = NULL, done = 0 "
                         "WHERE id = ? AND state = ?",
                         (QUEUED, json.dumps(params, ensure_ascii=False), job_id, RUNNING))


def _worker_alive(instance: str) -> bool:
    pid_text, _, _ = instance.partition(":")
    if not pid_text.isdigit():
        return False
    from ..limits import process_alive

    pid = int(pid_text)
    if pid == os.getpid():
        with _LIVE_LOCK:
            return instance in _LIVE
    return process_alive(pid)


def _claim(app: Any, instance: str) -> Job | None:
    """The next queued job, now marked running by this worker (None: the queue is empty)."""
    with app.state.store.connect() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE state = ? "
            "ORDER BY json_extract(params, '$.queued'), created LIMIT 5", (QUEUED,)).fetchall()
        for row in rows:
            job = _job(row)
            params = {**job.params, "worker": instance}
            cur = conn.execute(
                "UPDATE jobs SET state = ?, started = ?, params = ?, done = 0, message = NULL "
                "WHERE id = ? AND state = ?",
                (RUNNING, time.time(), json.dumps(params, ensure_ascii=False), job.id,
                 QUEUED))
            if cur.rowcount == 1:
                return get(app, job.id)
    return None


def _run(app: Any, job: Job, stopping: threading.Event | None = None) -> None:
    """Run one job; whatever it raises marks it failed (the worker goes on), but a job
    stopped by the app's shutdown is queued again."""
    handler = _HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise JobFailed(f"Ukendt slags job ({job.kind}).")
        result = handler(app, job, Progress(app, job.id, stopping))
    except JobStopped:
        with app.state.store.connect() as conn:
            conn.execute("UPDATE jobs SET state = ?, started = NULL, done = 0 WHERE id = ?",
                         (QUEUED, job.id))
        return
    except SkemaError as exc:
        hint = f" {exc.hint}" if getattr(exc, "hint", "") else ""
        _finish(app, job.id, FAILED, danish.mask_cpr(f"{exc}{hint}"), {})
        return
    except MemoryError:
        _finish(app, job.id, FAILED, "Jobbet løb tør for hukommelse og er stoppet. Prøv med "
                                     "færre rækker eller filer ad gangen.", {})
        return
    except Exception as exc:  # noqa: BLE001 - any bug: this job fails, the worker goes on
        _LOG.error("job %s (%s) stoppede: %s", job.id, job.kind, type(exc).__name__)
        _finish(app, job.id, FAILED,
                f"Der skete en intern fejl i skema ({type(exc).__name__}), og jobbet er "
                "stoppet. Prøv igen; sker det igen, så meld fejlen til udviklerne.", {})
        return
    _finish(app, job.id, DONE, "", result)


def _finish(app: Any, job_id: str, state: str, message: str, result: dict[str, Any]) -> None:
    with app.state.store.connect() as conn:
        conn.execute("UPDATE jobs SET state = ?, finished = ?, message = ?, result = ? "
                     "WHERE id = ?",
                     (state, time.time(), message, json.dumps(result, ensure_ascii=False),
                      job_id))
