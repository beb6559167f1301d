"""Start-up of ``skema`` installed from its wheel, against that venv's ``python -c pass``.

    python -m pip wheel --no-deps -w /tmp/whl . && python -m venv /tmp/v \\
        && /tmp/v/bin/python -m pip install /tmp/whl/skema-*.whl
    python bench/startup_wheel.py --runs 30 /tmp/v [/tmp/v-before ...]
    python bench/startup_wheel.py --only help,forms /tmp/v /tmp/v-before

``bench/startup.py`` times the checkout with the Python that runs it. In this sandbox that
Python's ``site`` loads an editable install's finder (``importlib.resources``,
``importlib.util`` …) before any command, so ``python -c pass`` takes ~47 ms and a command
is not charged for those modules; an installed wheel's venv starts in ~13 ms and the
command pays for them itself. This times ``python -c pass``, ``skema --help``,
``skema forms``, ``skema fill`` (one plan from ``samples/`` to .docx) and ``skema consent
add`` of one scanned PDF (the sample scan, made new each run by a comment after its end)
into an archive of that venv's own (``consent init`` is not timed), for each venv given,
the venvs alternating run by run (so a before/after pair shares the machine's moods), from
a folder outside any checkout. Printed: best and median wall time, each also minus that
venv's ``python -c pass`` (issue 15's "within 60 ms of ``python -c pass``" for ``--help``
and ``forms``; its "``consent add`` within 150 ms" is the wall time itself), and the median
CPU time (user + system, Ghostscript included), which moves less with the load. The load
average before and after is printed: compare figures of one run, not of two. A benchmark,
not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The sample scanned consent; a comment after its end makes each run's file new.
with open(os.path.join(ROOT, "samples", "samtykker", "scannet-samtykke.pdf"), "rb") as _f:
    SCAN = _f.read()
CASES = ("python -c pass", "skema --help", "skema forms", "skema fill (docx)",
         "skema consent add (1 file)")


class Venv:
    """One venv whose commands are timed, with a work folder of its own (its archive, its
    archive key, the scan and the filled document)."""

    def __init__(self, venv: str, work: str) -> None:
        self.venv = venv
        self.work = work
        self.env = dict(os.environ)
        for name in [n for n in self.env if n.startswith("SKEMA_")] + ["PYTHONPATH"]:
            self.env.pop(name, None)
        self.env["SKEMA_ARCHIVE_KEY_FILE"] = os.path.join(work, "archive.key")
        self.env["SKEMA_CACHE"] = os.path.join(work, "cache")
        self.archive = os.path.join(work, "arkiv")
        self.scan = os.path.join(work, "scan.pdf")
        self.runs = 0
        self.times: dict[str, tuple[list[float], list[float]]] = {}
        self.initialised = False

    def argv(self, case: str) -> list[str]:
        """The command line of ``case``; for ``consent add`` a new scan (other bytes), in an
        archive made by the first call."""
        skema = os.path.join(self.venv, "bin", "skema")
        if case == "skema consent add (1 file)":
            if not self.initialised:
                subprocess.run([skema, "consent", "init", "--archive", self.archive],
                               env=self.env, cwd=self.work, check=True,
                               stdout=subprocess.DEVNULL)
                self.initialised = True
            self.runs += 1
            with open(self.scan, "wb") as handle:
                handle.write(SCAN + f"% {self.runs}\n".encode())
            return [skema, "consent", "add", "--archive", self.archive, "--cpr",
                    "010190-1234", "--purpose", "Samarbejde om indsatsplan", "--valid-from",
                    "2026-01-01", "--valid-to", "2026-12-31", "--add-anyway", self.scan]
        return {
            "python -c pass": [os.path.join(self.venv, "bin", "python"), "-c", "pass"],
            "skema --help": [skema, "--help"],
            "skema forms": [skema, "forms"],
            "skema fill (docx)": [skema, "fill", "indsatsskema",
                                  os.path.join(ROOT, "samples", "indsatsskema.json"), "-o",
                                  os.path.join(self.work, "ud.docx"), "--overwrite"],
        }[case]

    def run(self, case: str) -> None:
        """Run ``case`` once; keep its wall and CPU time."""
        argv = self.argv(case)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(argv, env=self.env, cwd=self.work, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode:
            raise SystemExit(f"{case} ({self.venv}): exit {proc.returncode}\n"
                             f"{proc.stderr.decode(errors='replace')}")
        got = self.times.setdefault(case, ([], []))
        got[0].append(wall * 1000)
        got[1].append((after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime) * 1000)


def main() -> int:
    """Run the commands of every venv, alternating, and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("venvs", nargs="+", help="venvs with skema installed from its wheel")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--only", default="",
                    help="only the commands whose name holds one of these words, separated "
                         "by commas (--only help,forms; python -c pass always)")
    args = ap.parse_args()
    cases = [c for c in CASES if c == CASES[0] or any(w in c for w in args.only.split(","))]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as away:
        venvs = []
        for number, venv in enumerate(args.venvs):
            os.mkdir(os.path.join(away, str(number)))
            venvs.append(Venv(venv, os.path.join(away, str(number))))
        for venv in venvs:  # warm-up: the disk cache, the schema markers, the archive
            for case in cases:
                venv.run(case)
            venv.times.clear()
        for _ in range(args.runs):
            for venv in venvs:
                for case in cases:
                    venv.run(case)
    print(f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"{args.runs} runs each; ms (wall, and median cpu = user+system)")
    print(f"{'venv':<22}{'command':<28}{'best':>7}{'-pass':>7}{'median':>8}{'-pass':>7}"
          f"{'cpu med':>9}")
    for venv in venvs:
        base = venv.times[CASES[0]][0]
        for case in cases:
            wall, cpu = venv.times[case]
            print(f"{venv.venv[-22:]:<22}{case:<28}{min(wall):7.1f}{min(wall) - min(base):7.1f}"
                  f"{statistics.median(wall):8.1f}"
                  f"{statistics.median(wall) - statistics.median(base):7.1f}"
                  f"{statistics.median(cpu):9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
