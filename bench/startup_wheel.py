"""Start-up of ``skema`` installed from its wheel, against that venv's ``python -c pass``.

    python -m pip wheel --no-deps -w /tmp/whl . && python -m venv /tmp/v \\
        && /tmp/v/bin/python -m pip install /tmp/whl/skema-*.whl
    python bench/startup_wheel.py --runs 30 /tmp/v [/tmp/v-before ...]

``bench/startup.py`` times the checkout with the Python that runs it. In this sandbox that
Python's ``site`` loads an editable install's finder (``importlib.resources``,
``importlib.util`` …) before any command, so ``python -c pass`` takes ~47 ms and a command
is not charged for those modules; an installed wheel's venv starts in ~13 ms and the
command pays for them itself. This times ``python -c pass``, ``skema --help`` and
``skema forms`` of each venv given, the venvs alternating run by run (so a before/after
pair shares the machine's moods), from a folder outside any checkout; prints best and
median, each also minus that venv's ``python -c pass``. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CASES = [("python -c pass", ["python", "-c", "pass"]), ("skema --help", ["skema", "--help"]),
         ("skema forms", ["skema", "forms"])]


def main() -> int:
    """Run the commands of every venv, alternating, and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("venvs", nargs="+", help="venvs with skema installed from its wheel")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    times: dict[tuple[str, str], list[float]] = {}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as away:
        for _ in range(args.runs):
            for venv in args.venvs:
                for name, cmd in CASES:
                    exe = [os.path.join(venv, "bin", cmd[0]), *cmd[1:]]
                    start = time.perf_counter()
                    subprocess.run(exe, cwd=away, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, check=True)
                    times.setdefault((venv, name), []).append(
                        (time.perf_counter() - start) * 1000)
    print(f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"{args.runs} runs each; ms")
    print(f"{'venv':<22}{'command':<16}{'best':>7}{'-pass':>7}{'median':>8}{'-pass':>7}")
    for venv in args.venvs:
        base = times[(venv, CASES[0][0])]
        for name, _cmd in CASES:
            got = times[(venv, name)]
            print(f"{venv[-22:]:<22}{name:<16}{min(got):7.1f}{min(got) - min(base):7.1f}"
                  f"{statistics.median(got):8.1f}"
                  f"{statistics.median(got) - statistics.median(base):7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
