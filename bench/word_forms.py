"""Word fill per document for each form, this checkout beside others, in one run.

    python bench/word_forms.py                      # this checkout
    python bench/word_forms.py --compare /tmp/base  # and a baseline checkout (git worktree)

Each form's sample is filled ``--docs`` times in one process (CPU ms per document, after
one warm-up fill); where the form draws a list (the network circle), every document gets
another list (a number added to each name), so no drawing is reused from the one before.
The checkouts alternate form by form and round by round, so they share the machine's
moods. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CHILD = """
import copy, json, sys, time
import toolkit
fid, n = sys.argv[1], int(sys.argv[2])
data = json.load(open(sys.argv[3], encoding="utf-8"))
docs = []
for i in range(n):
    d = copy.deepcopy(data)
    for key, value in d.items():
        if isinstance(value, list) and value and all(isinstance(p, dict) and "navn" in p
                                                     for p in value):
            d[key] = [dict(p, navn=f"{p['navn']} {i}") for p in value]
    docs.append(d)
toolkit.fill(fid, data, "docx")
start = time.process_time()
for d in docs:
    toolkit.fill(fid, d, "docx")
print((time.process_time() - start) / n * 1000)
"""
FORMS = ["strategi", "forberedende-skema", "indsatsskema", "samarbejdsmodel", "handleplan",
         "samtykke"]


def main() -> int:
    """Time every form in every checkout, alternating, and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--compare", nargs="*", default=[], help="other checkouts")
    ap.add_argument("--docs", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    trees = [str(ROOT), *args.compare]
    got: dict[tuple[str, str], list[float]] = {}
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        for fid in FORMS:
            for tree in trees:
                sample = ROOT / "samples" / f"{fid}.json"
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD, fid, str(args.docs), str(sample)],
                    cwd=tree, env={**os.environ, "PYTHONPATH": tree}, check=True,
                    capture_output=True, text=True).stdout
                got.setdefault((tree, fid), []).append(float(out))
    print(f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"{args.docs} documents a form, {args.rounds} rounds; CPU ms per document "
          "(best / median)")
    print(f"{'form':<20}" + "".join(f"{t[-24:]:>26}" for t in trees))
    for fid in FORMS:
        cells = [f"{min(got[(t, fid)]):10.1f} / {statistics.median(got[(t, fid)]):7.1f}"
                 for t in trees]
        print(f"{fid:<20}" + "".join(f"{c:>26}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
