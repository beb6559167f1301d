"""Issue 13: the worker processes of ``collect`` and ``batch`` stop, quietly, when their
parent is killed outright (SIGKILL, the out-of-memory killer); none goes on reading a
hostile file for hours or waits for ever for more work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hostile import ROOT, indsats_book, shared_stream


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None when
    the process is gone or a zombie (stopped, waiting to be reaped)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return None if fields[0] in "ZX" else fields


def alive(pid: int) -> bool:
    """True while the process runs (a zombie has stopped)."""
    return stat(pid) is not None


def descendants(pid: int) -> list[int]:
    """Every running process below ``pid``."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat(int(entry.name))):
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def cpu_seconds(pid: int) -> float:
    """User CPU time of a process so far."""
    fields = stat(pid)
    return int(fields[11]) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def command_lines() -> list[str]:
    """The command lines of every running process."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            lines.append(raw.replace(b"\0", b" ").decode(errors="replace"))
    return lines


def start(*args: object, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "toolkit", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})


def busy_workers(parent: subprocess.Popen, ready, seconds: float = 60) -> list[int]:
    """The parent's worker processes, once ``ready(workers)`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert parent.poll() is None, parent.communicate()
        workers = descendants(parent.pid)
        if len(workers) >= 2 and ready(workers):
            return workers
        time.sleep(0.1)
    parent.kill()
    pytest.fail(f"no busy workers within {seconds} s: {parent.communicate()}")


def kill_and_watch(parent: subprocess.Popen, workers: list[int]) -> float:
    """SIGKILL the parent; the seconds until every worker has stopped (fails after 10)."""
    start = time.monotonic()
    parent.send_signal(signal.SIGKILL)
    while (left := [pid for pid in workers if alive(pid)]) and time.monotonic() < start + 10:
        time.sleep(0.05)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "workers outlived their parent"
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

    def reading(workers: list[int]) -> bool:
        return sum(cpu_seconds(pid) > 1 for pid in workers) >= 2

    seconds = kill_and_watch(parent, busy_workers(parent, reading))
    print(f"målt: arbejdsprocesserne stoppede {seconds:.2f} s efter forælderen")
    assert not (tmp_path / "samlet.xlsx").exists()


def test_batch_workers_stop_when_batch_is_killed(tmp_path):
    """Killed mid-run, the batch's workers neither finish the book nor wait for ever."""
    book = indsats_book(tmp_path, [f"Borger {i}" for i in range(400)])
    out = tmp_path / "ud"
    parent = start("batch", "indsatsskema", book, "-o", out, "--jobs", "2")

    def writing(_workers: list[int]) -> bool:
        return len(list(out.glob("*.docx"))) >= 4

    workers = busy_workers(parent, writing, seconds=120)
    kill_and_watch(parent, workers)
    written = len(list(out.glob("*.docx")))
    time.sleep(1)
    assert len(list(out.glob("*.docx"))) == written < 400


def grab(megabytes: int) -> str:
    """Take ``megabytes`` of memory in a worker: what a reader of a hostile file does."""
    try:
        return f"{len(bytearray(megabytes * 1024 * 1024)) // 1024 // 1024} MB"
    except MemoryError:
        return "MemoryError"


def test_a_pool_worker_has_the_memory_limit_of_a_file_read(monkeypatch):
    """collect --jobs N read each file in a worker with no memory limit (only --jobs 1
    read it in a bounded child); a worker now has the same limit, and a file that wants
    more fails alone (collect reports it as unreadable) while the others go on."""
    from toolkit import pool

    monkeypatch.setenv("SKEMA_READ_MEMORY_MB", "300")
    sizes = [50, 2000, 50, 100, 2000, 50, 50, 50]
    results = dict(i for chunk in pool.run(grab, sizes, workers=2) for i in chunk)
    assert [results[i] for i in range(len(sizes))] == [
        "50 MB", "MemoryError", "50 MB", "100 MB", "MemoryError", "50 MB", "50 MB", "50 MB"]
