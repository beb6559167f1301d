"""Start-up time of the command line against ``python -c pass``.

    python bench/startup.py [--runs 20]

Each command runs ``--runs`` times as its own process (``python -m toolkit …``); the
best and the median wall time are printed next to ``python -c pass`` and the difference
(what skema itself costs). Byte code is written to a temporary cache first (one warm-up
run per command), as an installed package has it; ``PYTHONDONTWRITEBYTECODE`` would
otherwise make every run compile the sources. Commands: ``--help``, ``forms``, ``fill``
(one plan from ``samples/`` to .docx) and ``consent add`` of one scanned PDF to a fresh
archive per run (``consent init`` is not timed). The figures move with the load of the
machine: compare the differences, and the best runs, not single medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
#: The sample scanned consent; a comment after its end makes each run's file new.
SCAN = (ROOT / "samples" / "samtykker" / "scannet-samtykke.pdf").read_bytes()


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _time(argv: list[str], env: dict[str, str], runs: int,
          before: object = None) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system of the child) of ``runs`` runs."""
    wall, cpu = [], []
    for _ in range(runs):
        if callable(before):
            before()
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, cwd=ROOT, check=False,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        if proc.returncode:
            raise SystemExit(f"{' '.join(argv[2:])}: exit {proc.returncode}\n"
                             f"{proc.stderr.decode(errors='replace')}")
    return wall, cpu


def main() -> int:
    """Run the benchmark and print a table (ms)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="skema-startup-"))
    env = _env(work / "pyc")
    env["SKEMA_ARCHIVE_KEY_FILE"] = str(work / "archive.key")
    skema = [PY, "-m", "toolkit"]
    sample = ROOT / "samples" / "indsatsskema.json"
    scan = work / "scan.pdf"
    counter = iter(range(10**9))
    archive = work / "arkiv"
    add = [*skema, "consent", "add", "--archive", str(archive), "--cpr", "010190-1234",
           "--purpose", "Samarbejde om indsatsplan", "--valid-from", "2026-01-01",
           "--valid-to", "2026-12-31", "--add-anyway", str(scan)]
    def fresh_archive() -> None:  # a new scan (other bytes) for the same archive
        scan.write_bytes(SCAN + f"% {next(counter)}\n".encode())

    subprocess.run([*skema, "consent", "init", "--archive", str(archive)], env=env,
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    cases = [
        ("python -c pass", [PY, "-c", "pass"], None),
        ("skema --help", [*skema, "--help"], None),
        ("skema forms", [*skema, "forms"], None),
        ("skema fill (docx)", [*skema, "fill", "indsatsskema", str(sample), "-o",
                               str(work / "ud.docx"), "--overwrite"], None),
        ("skema consent add (1 file)", add, fresh_archive),
    ]
    try:
        rows = []
        for name, argv, before in cases:
            _time(argv, env, 1, before)  # warm-up: byte code and disk cache
            rows.append((name, _time(argv, env, args.runs, before)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base_wall, base_cpu = rows[0][1]
    print("ms; wall = elapsed, cpu = user+system of the process; -pass = minus python -c pass")
    print(f"{'command':<28}{'wall best':>10}{'median':>8}{'best-pass':>10}"
          f"{'cpu best':>10}{'median':>8}{'best-pass':>10}")
    for name, (wall, cpu) in rows:
        print(f"{name:<28}{min(wall) * 1e3:10.1f}{statistics.median(wall) * 1e3:8.1f}"
              f"{(min(wall) - min(base_wall)) * 1e3:10.1f}{min(cpu) * 1e3:10.1f}"
              f"{statistics.median(cpu) * 1e3:8.1f}{(min(cpu) - min(base_cpu)) * 1e3:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
