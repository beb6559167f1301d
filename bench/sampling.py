"""Run a command while sampling it: the one loop both memory-measuring benchmarks use."""

from __future__ import annotations

import resource
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path


def run_sampled(cmd: list[str], cwd: Path, sample: Callable[[int], None],
                interval: float) -> tuple[int, str, str, float, float]:
    """Run ``cmd``, calling ``sample(pid)`` every ``interval`` seconds until it ends.

    Returns (exit code, stdout, stderr, wall seconds, CPU seconds of the finished children).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            sample(proc.pid)
            stop.wait(interval)

    sampler = threading.Thread(target=loop, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.returncode, out, err, wall, cpu
