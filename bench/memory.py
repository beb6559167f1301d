"""Peak memory of ``skema batch`` against the number of rows.

    python bench/memory.py                 # 1,000 and 10,000 rows
    python bench/memory.py --large         # and 100,000 rows (the workbook takes minutes)
    python bench/memory.py --jobs 1        # one process (default: one worker per core)
    python bench/memory.py --books DIR --rows 1000 99999   # workbooks kept in DIR

For each size an ``indsatsskema`` workbook is written with ``bench/fakedata.py`` (about
six interventions per citizen; not measured), then ``skema batch indsatsskema BOOK -o
DIR`` runs as its own process while a thread samples the whole process tree (the parent
and its worker processes) every 20 ms with psutil: the largest sum of PSS (shared pages
counted once, split between the processes sharing them) and of RSS (shared pages counted
in every process) is the peak. Printed per size: rows, wall and CPU seconds (all, the
parent's as last sampled, the rest: the workers' and anything else), peak PSS and RSS in
MB, and the ratio of each peak to the smallest size's; the peak of the tree's anonymous
PSS (``Pss_Anon``: its heaps, without the shared libraries and files it maps, whose
share of PSS rises and falls as other programs on the machine map and unmap the same
files: 5-7 MB of a 99,999-row run's peak came from that); then, per process (``--each``),
the parent's and each worker's own peak PSS and USS and the parent's PSS at the tree's
peak (where the growth is). Needs psutil.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sampling import run_sampled  # noqa: E402


def _anon_pss(pid: int) -> int:
    """The anonymous part of a process's PSS in bytes (``Pss_Anon`` of
    ``/proc/PID/smaps_rollup``; 0 where the kernel does not give it)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss_Anon:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_memory(proc: psutil.Process, cpu: dict[int, float],
                 each: dict[int, tuple[int, int]] | None = None,
                 anon: list[int] | None = None) -> tuple[int, int]:
    """(PSS, RSS) in bytes summed over a process and all its descendants; the CPU
    seconds each has used so far go into ``cpu`` (by pid), (PSS, USS) of each into
    ``each`` (by pid) and the sum of their anonymous PSS into ``anon[0]`` when given."""
    pss = rss = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for member in members:
        try:
            info = member.memory_full_info()
            times = member.cpu_times()
        except psutil.Error:  # ended meanwhile
            continue
        pss += info.pss
        rss += info.rss
        cpu[member.pid] = times.user + times.system
        if each is not None:
            each[member.pid] = (info.pss, info.uss)
        if anon is not None:
            anon[0] += _anon_pss(member.pid)
    return pss, rss


def measure(book: Path, outdir: Path, jobs: int | None) -> dict[str, float]:
    """Run one batch; wall s, CPU s, exit code and peak PSS/RSS MB of its process tree."""
    cmd = [sys.executable, "-m", "toolkit", "batch", "indsatsskema", str(book), "-o",
           str(outdir)] + (["--jobs", str(jobs)] if jobs else [])
    peak = [0, 0]
    cpu: dict[int, float] = {}
    pids: list[int] = []
    own: dict[int, list[int]] = {}  # pid -> [peak PSS, peak USS]
    at_peak: dict[int, tuple[int, int]] = {}  # (PSS, USS) by pid when the tree peaked
    peak_anon = [0]

    def sample(pid: int) -> None:
        if not pids:
            pids.append(pid)
        each: dict[int, tuple[int, int]] = {}
        anon = [0]
        pss, rss = _tree_memory(psutil.Process(pid), cpu, each, anon)
        peak_anon[0] = max(peak_anon[0], anon[0])
        for member, (p, u) in each.items():
            got = own.setdefault(member, [0, 0])
            got[0], got[1] = max(got[0], p), max(got[1], u)
        if pss > peak[0]:
            at_peak.clear()
            at_peak.update(each)
        peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)

    code, _out, err, wall, total = run_sampled(cmd, ROOT, sample, 0.02)
    if code not in (0, 1):
        print(err[-2000:], file=sys.stderr)
    parent = cpu.get(pids[0], 0.0) if pids else 0.0
    mb = 2**20
    first = pids[0] if pids else -1
    workers = [own[p] for p in own if p != first]
    return {"wall": wall, "cpu": total, "parent": parent, "workers": total - parent,
            "code": code, "pss": peak[0] / mb, "rss": peak[1] / mb,
            "anon": peak_anon[0] / mb,
            "own": (f"parent PSS {own.get(first, [0, 0])[0] / mb:.1f} "
                    f"USS {own.get(first, [0, 0])[1] / mb:.1f}; workers PSS "
                    + "/".join(f"{w[0] / mb:.1f}" for w in workers) + " USS "
                    + "/".join(f"{w[1] / mb:.1f}" for w in workers)
                    + f"; at the tree's peak: parent PSS "
                    f"{at_peak.get(first, (0, 0))[0] / mb:.1f}, workers PSS "
                    + "/".join(f"{v[0] / mb:.1f}" for p, v in at_peak.items()
                               if p != first))}


def main() -> int:
    """Write the workbooks, run the batches, print the table."""
    from fakedata import write_indsats_workbook

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--large", action="store_true", help="also 100,000 rows")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--books", type=Path, default=None,
                    help="a folder of workbooks input-N.xlsx to use (and keep) instead of "
                         "writing each anew")
    ap.add_argument("--rows", type=int, nargs="*", default=None,
                    help="the sizes to run (default 1000 10000, and 100000 with --large)")
    ap.add_argument("--each", action="store_true",
                    help="also print each process's own peaks (parent, workers)")
    args = ap.parse_args()
    sizes = args.rows or [1_000, 10_000] + ([100_000] if args.large else [])
    print(f"{'rows':>8}{'wall s':>9}{'cpu s':>9}{'parent':>8}{'workers':>8}{'exit':>5}"
          f"{'peak PSS MB':>13}{'× first':>9}{'peak RSS MB':>13}{'× first':>9}"
          f"{'anon PSS MB':>13}{'× first':>9}", flush=True)
    first = None
    with tempfile.TemporaryDirectory(prefix="skema-memory-") as tmp:
        for rows in sizes:
            book = (args.books or Path(tmp)) / f"input-{rows}.xlsx"
            if not book.exists():
                write_indsats_workbook(book, rows)
            got = measure(book, Path(tmp) / f"ud-{rows}", args.jobs)
            first = first or got
            print(f"{rows:8d}{got['wall']:9.1f}{got['cpu']:9.1f}{got['parent']:8.1f}"
                  f"{got['workers']:8.1f}{got['code']:5d}"
                  f"{got['pss']:13.1f}{got['pss'] / first['pss']:9.2f}"
                  f"{got['rss']:13.1f}{got['rss'] / first['rss']:9.2f}"
                  f"{got['anon']:13.1f}{got['anon'] / max(first['anon'], 1e-9):9.2f}",
                  flush=True)
            if args.each:
                print(f"{'':8}{got['own']}", flush=True)
            if not args.books:
                book.unlink()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
