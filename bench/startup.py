"""Start-up time of the command line against ``python -c pass``.

    python bench/startup.py [--runs 20]

Each command runs ``--runs`` times as its own process (``python -m toolkit …``); the
best and the median wall and CPU time are printed, and the median minus that of
``python -c pass`` (what skema itself costs). Byte code is written to a temporary cache
first (one warm-up run per command), as an installed package has it;
``PYTHONDONTWRITEBYTECODE`` would otherwise make every run compile the sources.
Commands: ``--help``, ``forms``, ``fill`` (one plan from ``samples/`` to .docx) and
``consent add`` of one scanned PDF to a fresh archive per run (``consent init`` is not
timed). The figures move with the load of the machine: compare the differences, and the
best runs, not single medians.

What is compared: every figure is of the whole process as the shell sees it (start to
exit, Ghostscript and every child included: ``RUSAGE_CHILDREN``). ``med-pass`` subtracts
the median of ``python -c pass`` (the interpreter's own start and exit, with this
machine's ``site``), which is what issue 15's "within 60 ms of ``python -c pass``" for
``--help`` and ``forms`` means. Its "``consent add`` within 150 ms" is the absolute wall
time (the first two columns), ``python -c pass`` included. ``--only consent`` times
``python -c pass`` and the commands whose name holds the word (quicker repeats).

``--compare DIR [DIR…]`` runs every command in other checkouts too (``git worktree add
/tmp/before main``), alternating run by run, so both trees see the same load: the
before/after figures of one change come from one run. The load average is printed.
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


def _env(cache: Path, root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    env["PYTHONPATH"] = str(root)
    return env


def _run(argv: list[str], env: dict[str, str], root: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the child and what it waited for) of one
    run."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=root, check=False,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv[2:])} ({root}): exit {proc.returncode}\n"
                         f"{proc.stderr.decode(errors='replace')}")
    return wall, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime


class Tree:
    """One checkout whose commands are timed: its environment, archive and scan."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root = root
        self.env = _env(work / "pyc", root)
        self.env["SKEMA_ARCHIVE_KEY_FILE"] = str(work / "archive.key")
        self.scan = work / "scan.pdf"
        self.archive = work / "arkiv"
        self.out = work / "ud.docx"
        self.counter = iter(range(10**9))
        subprocess.run([PY, "-m", "toolkit", "consent", "init", "--archive",
                        str(self.archive)], env=self.env, cwd=root, check=True,
                       stdout=subprocess.DEVNULL)

    def argv(self, case: str) -> list[str]:
        """The command line of ``case``; for ``consent add`` a new scan (other bytes)."""
        skema = [PY, "-m", "toolkit"]
        if case == "skema consent add (1 file)":
            self.scan.write_bytes(SCAN + f"% {next(self.counter)}\n".encode())
            return [*skema, "consent", "add", "--archive", str(self.archive), "--cpr",
                    "010190-1234", "--purpose", "Samarbejde om indsatsplan", "--valid-from",
                    "2026-01-01", "--valid-to", "2026-12-31", "--add-anyway",
                    str(self.scan)]
        return {
            "python -c pass": [PY, "-c", "pass"],
            "skema --help": [*skema, "--help"],
            "skema forms": [*skema, "forms"],
            "skema fill (docx)": [*skema, "fill", "indsatsskema",
                                  str(self.root / "samples" / "indsatsskema.json"), "-o",
                                  str(self.out), "--overwrite"],
        }[case]


CASES = ("python -c pass", "skema --help", "skema forms", "skema fill (docx)",
         "skema consent add (1 file)")


def main() -> int:
    """Run the benchmark and print a table (ms)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--compare", type=Path, nargs="+", default=[],
                    help="other checkouts, run alternately with this one")
    ap.add_argument("--only", default="", help="only the commands whose name holds this")
    args = ap.parse_args()
    cases = [c for c in CASES if c == CASES[0] or args.only in c]
    work = Path(tempfile.mkdtemp(prefix="skema-startup-"))
    roots = [ROOT] + [tree.resolve() for tree in args.compare]
    times: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
    load = os.getloadavg()
    try:
        trees = []
        for number, root in enumerate(roots):
            (work / str(number)).mkdir()
            trees.append(Tree(root, work / str(number)))
        for case in cases:
            for tree in trees:
                _run(tree.argv(case), tree.env, tree.root)  # warm-up: byte code, disk cache
            for _ in range(args.runs):
                for number, tree in enumerate(trees):
                    wall, cpu = _run(tree.argv(case), tree.env, tree.root)
                    got = times.setdefault((number, case), ([], []))
                    got[0].append(wall)
                    got[1].append(cpu)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    print(f"load average (1 min) {load[0]:.1f} before, {load_after[0]:.1f} after; "
          f"{args.runs} runs each")
    print("ms; wall = elapsed, cpu = user+system of the process; -pass = minus python -c pass")
    for number, root in enumerate(roots):
        print(f"\n{root}")
        print(f"{'command':<28}{'wall best':>10}{'median':>8}{'med-pass':>10}"
              f"{'cpu best':>10}{'median':>8}{'med-pass':>10}")
        base_wall, base_cpu = times[(number, CASES[0])]
        for case in cases:
            wall, cpu = times[(number, case)]
            print(f"{case:<28}{min(wall) * 1e3:10.1f}{statistics.median(wall) * 1e3:8.1f}"
                  f"{(statistics.median(wall) - statistics.median(base_wall)) * 1e3:10.1f}"
                  f"{min(cpu) * 1e3:10.1f}{statistics.median(cpu) * 1e3:8.1f}"
                  f"{(statistics.median(cpu) - statistics.median(base_cpu)) * 1e3:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
