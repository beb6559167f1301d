"""Benchmark: ``skema batch`` against the plain docxtpl loop, same data, same template.

    python bench/batch.py [--rows 10000] [--sample 500] [--jobs N] [--keep DIR]
    python bench/batch.py --format compare   # Word (10,000 rows) and PDF (1,000) side by side
    python bench/batch.py --format pdf --rows 1000

1. Generates an ``indsatsskema`` input workbook with ``--rows`` fictitious citizens
   (about six interventions each; ``bench/fakedata.py``), not timed.
2. (a) The plain docxtpl loop: per row ``DocxTemplate(path)``, ``render(ctx,
   autoescape=True)``, ``save()``, the context already in memory, timed on ``--sample``
   rows and reported per document.
3. (b) ``skema batch indsatsskema input.xlsx -o DIR`` as a separate process: reading,
   validation, rendering and writing included, wall time for all rows; peak memory is
   the largest sum of PSS over the process and its workers (sampled every 50 ms) and
   the largest single RSS.

Prints the figures, the ratio (a)/(b) per document and whether the targets are met:
(b) at least 15 times faster per document, 10,000 documents in at most 20 s, peak memory
under 500 MB. This is a benchmark, not a test: the numbers depend on the machine and its
load.

``--format pdf`` runs (b) with ``--format pdf`` instead (no docxtpl loop); ``--format
compare`` runs (b) for Word on ``--rows`` rows and then for PDF on the first ``--pdf-rows``
(default 1,000) of the same data, and prints ms per document of each, the ratio PDF/Word
(target: at most 5) and the PDF file sizes (target: at most 120 KB). Start-up (about a
second of CPU) is in both figures, so use enough rows that it does not count.

``--form FORM`` (pdf/compare) runs another form: its ``samples/FORM.json`` on every row
(indsatsskema: the fictitious citizens). ``--format blank`` times each form's blank PDF
and blank Word document in this process (``--sample`` of each, at most 100) and prints
the ratio and the PDF size.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fakedata import write_indsats_workbook  # noqa: E402
from bench.sampling import run_sampled  # noqa: E402
from toolkit.catalogue import load_form  # noqa: E402
from toolkit.render.word_build import template_path  # noqa: E402
from toolkit.render.word_fill import display, reference_texts, tables  # noqa: E402
from toolkit.sources.excel import read_workbook  # noqa: E402


def plain_docxtpl(form, records: list, outdir: Path) -> tuple[float, float]:
    """(wall, CPU) seconds per document of the plain docxtpl loop (contexts built first)."""
    from docxtpl import DocxTemplate

    path = template_path(form)
    contexts = [{"v": display(form, form.schema, r.data, ""), "ref": reference_texts(form, r.data),
                 "tables": tables(form, r.data), "images": {}} for r in records]
    start, cpu = time.perf_counter(), time.process_time()
    for i, ctx in enumerate(contexts):
        tpl = DocxTemplate(path)
        tpl.render(ctx, autoescape=True)
        tpl.save(outdir / f"plain-{i}.docx")
    return ((time.perf_counter() - start) / len(contexts),
            (time.process_time() - cpu) / len(contexts))


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_batch(book: Path, outdir: Path, jobs: int | None, fmt: str = "docx",
              form: str = "indsatsskema") -> tuple[float, float, int, float, str]:
    """(wall s, CPU s, exit code, peak PSS MB of the process tree, stdout) of skema batch."""
    cmd = [sys.executable, "-m", "toolkit", "batch", form, str(book),
           "-o", str(outdir), "--format", fmt] + (["--jobs", str(jobs)] if jobs else [])
    peak = 0

    def sample(pid: int) -> None:
        nonlocal peak
        peak = max(peak, sum(_pss_kb(p) for p in _tree(pid)))

    code, out, err, wall, cpu = run_sampled(cmd, ROOT, sample, 0.05)
    if err.strip():
        print(err.strip()[-2000:], file=sys.stderr)
    return wall, cpu, code, peak / 1024, out.strip()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the workbook and outputs in this folder")
    parser.add_argument("--format", choices=["docx", "pdf", "compare", "blank"],
                        default="docx",
                        help="docx: against the docxtpl loop; pdf: the PDF batch; "
                        "compare: Word and PDF batches side by side; blank: each form's "
                        "blank PDF and Word document")
    parser.add_argument("--pdf-rows", type=int, default=1000,
                        help="rows for the PDF batch (--format pdf/compare)")
    parser.add_argument("--form", default="indsatsskema",
                        help="the form of --format pdf/compare (its sample on every row)")
    args = parser.parse_args()
    if args.format == "blank":
        blanks_side_by_side(min(args.sample, 100))
        return
    if args.format != "docx":
        formats_side_by_side(args)
        return

    work = Path(tempfile.mkdtemp(prefix="skema-bench-"))
    try:
        form = load_form("indsatsskema")
        book = work / "input.xlsx"
        t0 = time.perf_counter()
        write_indsats_workbook(book, args.rows, seed=1)
        print(f"workbook: {args.rows} rows written in {time.perf_counter() - t0:.1f} s "
              f"({book.stat().st_size / 1e6:.1f} MB)")
        records = read_workbook(book, form, validate=False).records
        items = sum(len(r.data.get("indsatser") or []) for r in records)
        print(f"          {items / len(records):.1f} interventions per row on average")

        sample = records[: max(1, min(args.sample, len(records)))]
        plain_dir = work / "plain"
        plain_dir.mkdir()
        per_plain, cpu_plain = plain_docxtpl(form, sample, plain_dir)
        print(f"(a) plain docxtpl loop: {per_plain * 1000:.1f} ms per document "
              f"(CPU {cpu_plain * 1000:.1f} ms; sample of {len(sample)}, data in memory)")
        shutil.rmtree(plain_dir)

        out = work / "out"
        load = os.getloadavg()[0]
        wall, cpu, code, peak_mb, summary = run_batch(book, out, args.jobs)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        made = len(list(out.glob("*.docx")))
        per_batch = wall / max(1, made)
        ratio = per_plain / per_batch
        print(f"(b) skema batch: {made} documents in {wall:.1f} s wall "
              f"= {per_batch * 1000:.2f} ms per document (exit {code}; reading and "
              f"validation included)")
        print(f"    CPU {cpu:.1f} s over all processes = {cpu / max(1, made) * 1000:.2f} ms "
              f"per document; load average before the run {load:.1f} on "
              f"{os.cpu_count()} cores")
        print(f"    {summary}")
        print(f"    peak memory: {peak_mb:.0f} MB (sum of PSS over the process tree), "
              f"largest single process RSS {rss_mb:.0f} MB")
        print(f"ratio (a)/(b) per document: {ratio:.1f}x wall "
              f"(CPU: {cpu_plain / (cpu / max(1, made)):.1f}x)")
        scale = 10_000 / max(1, made)
        checks = [
            ("(b) at least 15x faster per document", ratio >= 15),
            ("10,000 documents in at most 20 s", wall * scale <= 20),
            ("peak memory under 500 MB", peak_mb < 500),
        ]
        _report(checks, args.keep, book)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _report(checks: list[tuple[str, bool]], keep: Path | None, book: Path) -> None:
    """Print whether each target is met; keep the workbook if asked."""
    for label, ok in checks:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(book, keep / book.name)


def _one_format(book: Path, out: Path, jobs: int | None, fmt: str,
                form: str = "indsatsskema") -> dict:
    """Run skema batch for one format; its figures per document."""
    load = os.getloadavg()[0]
    wall, cpu, code, peak_mb, summary = run_batch(book, out, jobs, fmt, form)
    files = list(out.glob(f"*.{fmt}"))
    made = max(1, len(files))
    sizes = [f.stat().st_size for f in files] or [0]
    print(f"{fmt:4s}: {len(files)} documents in {wall:.1f} s wall = {wall / made * 1000:.2f} ms "
          f"per document; CPU {cpu / made * 1000:.2f} ms per document (exit {code}; load "
          f"average before {load:.1f} on {os.cpu_count()} cores; peak {peak_mb:.0f} MB PSS)")
    print(f"      file size: mean {sum(sizes) / len(sizes) / 1000:.1f} KB, "
          f"max {max(sizes) / 1000:.1f} KB")
    print(f"      {summary}")
    return {"wall": wall / made, "cpu": cpu / made, "max": max(sizes), "code": code}


def formats_side_by_side(args: argparse.Namespace) -> None:
    """``--format pdf`` / ``compare``: the PDF batch, and the Word batch beside it."""
    work = Path(tempfile.mkdtemp(prefix="skema-bench-"))
    try:
        book, small = work / "input.xlsx", work / "input-pdf.xlsx"
        pdf_rows = min(args.pdf_rows, args.rows)
        _workbook(args.form, small, pdf_rows)  # the same first rows
        got = {}
        if args.format == "compare":
            _workbook(args.form, book, args.rows)
            print(f"Word: {args.rows} rows; PDF: the first {pdf_rows} ({args.form})")
            got["docx"] = _one_format(book, work / "docx", args.jobs, "docx", args.form)
        got["pdf"] = _one_format(small, work / "pdf", args.jobs, "pdf", args.form)
        pdf = got["pdf"]
        checks = [("PDF file size at most 120 KB", pdf["max"] <= 120_000)]
        if "docx" in got:
            wall = pdf["wall"] / got["docx"]["wall"]
            cpu = pdf["cpu"] / got["docx"]["cpu"]
            print(f"ratio PDF/Word per document: {wall:.1f}x wall, {cpu:.1f}x CPU")
            checks.insert(0, ("PDF within 5x of Word per document (CPU)", cpu <= 5))
        _report(checks, args.keep, book)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _workbook(form_id: str, path: Path, rows: int) -> None:
    """An input workbook of ``rows`` rows: fictitious citizens for indsatsskema, else the
    form's sample on every row."""
    if form_id == "indsatsskema":
        write_indsats_workbook(path, rows, seed=1)
        return
    import json

    from toolkit.render.xlsx import input_workbook

    sample = json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))
    path.write_bytes(input_workbook(load_form(form_id), [sample] * rows))


def blanks_side_by_side(count: int) -> None:
    """``--format blank``: per form, ms of CPU per blank PDF and Word document (made in
    this process, after one of each), the ratio and the PDF's size."""
    from toolkit import blank
    from toolkit.catalogue import form_ids

    worst = 0.0
    for form_id in form_ids():
        cpu, size = {}, 0
        for fmt in ("pdf", "docx"):
            size = len(blank(form_id, fmt)) if fmt == "pdf" else size
            start = time.process_time()
            for _ in range(count):
                blank(form_id, fmt)
            cpu[fmt] = (time.process_time() - start) / count * 1000
        ratio = cpu["pdf"] / cpu["docx"]
        worst = max(worst, ratio)
        print(f"{form_id:20s} blank PDF {cpu['pdf']:6.2f} ms, Word {cpu['docx']:7.2f} ms "
              f"(CPU per document): ratio {ratio:4.1f}x; PDF {size / 1000:.1f} KB")
    for label, ok in [("blank PDF within 5x of blank Word for every form", worst <= 5)]:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")


if __name__ == "__main__":
    main()
