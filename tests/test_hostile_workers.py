"""Issue 13: the worker processes of ``collect`` and ``batch`` stop, quietly, when their
parent is killed outright (SIGKILL, the out-of-memory killer); none goes on reading a
hostile file for hours or waits for ever for more work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from test_hostile import ROOT, indsats_book, shared_stream


def start(*args: object, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "toolkit", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})


def busy_workers(parent: subprocess.Popen, ready, seconds: float = 60) -> list[psutil.Process]:
    """The parent's worker processes, once ``ready(workers)`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert parent.poll() is None, parent.communicate()
        workers = psutil.Process(parent.pid).children(recursive=True)
        if len(workers) >= 2 and ready(workers):
            return workers
        time.sleep(0.1)
    parent.kill()
    pytest.fail(f"no busy workers within {seconds} s: {parent.communicate()}")


def kill_and_watch(parent: subprocess.Popen, workers: list[psutil.Process]) -> float:
    """SIGKILL the parent; the seconds until every worker has stopped (fails after 10)."""
    start = time.monotonic()
    parent.send_signal(signal.SIGKILL)
    gone, alive = psutil.wait_procs(workers, timeout=10)
    for proc in alive:
        proc.kill()
    assert alive == [], "workers outlived their parent"
    out, err = parent.communicate(timeout=10)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err
    return time.monotonic() - start


def test_collect_workers_stop_when_collect_is_killed(tmp_path):
    """Eight copies of the PDF whose 2,000 pages share one content stream keep both workers
    reading (the limit is two minutes): killed, they stop within seconds."""
    root = tmp_path / "returnerede"
    root.mkdir()
    first = shared_stream(root / "svar0.pdf")
    for i in range(1, 8):
        (root / f"svar{i}.pdf").write_bytes(first.read_bytes())
    parent = start("collect", root, "-o", tmp_path / "samlet.xlsx", "--form",
                   "samarbejdsmodel", "--jobs", "2", env={"SKEMA_READ_SECONDS": "120"})

    def reading(workers: list[psutil.Process]) -> bool:
        return sum(w.cpu_times().user > 1 for w in workers) >= 2

    seconds = kill_and_watch(parent, busy_workers(parent, reading))
    print(f"målt: arbejdsprocesserne stoppede {seconds:.2f} s efter forælderen")
    assert not (tmp_path / "samlet.xlsx").exists()


def test_batch_workers_stop_when_batch_is_killed(tmp_path):
    """Killed mid-run, the batch's workers neither finish the book nor wait for ever."""
    book = indsats_book(tmp_path, [f"Borger {i}" for i in range(400)])
    out = tmp_path / "ud"
    parent = start("batch", "indsatsskema", book, "-o", out, "--jobs", "2")

    def writing(_workers: list[psutil.Process]) -> bool:
        return len(list(out.glob("*.docx"))) >= 4

    workers = busy_workers(parent, writing, seconds=120)
    kill_and_watch(parent, workers)
    written = len(list(out.glob("*.docx")))
    time.sleep(1)
    assert len(list(out.glob("*.docx"))) == written < 400
