"""Benchmark ``skema collect``: 1,000 returned Word forms and 1,000 PDF forms.

    python bench/collect.py [--docx 1000] [--pdf 1000] [--jobs N] [--dir DIR]

The folder is generated once (``--dir`` keeps it for the next run): the three forms a
project lead sends out (samarbejdsmodel, forberedende-skema, strategi), each file with
its own bytes (a PDF is slow to render, so PDFs and the slower Word forms are made from
a few distinct fillings, each copy with its own document id or zip comment, which the
reader never looks at: no copy is a duplicate). Then ``collect`` + ``workbook`` are timed
and the figures printed: seconds, files per second, peak memory of the main process and
of the largest worker. The goal: both done in at most 15 s on 2 cores.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import struct
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from toolkit import fill  # noqa: E402
from toolkit.collect import collect, workbook  # noqa: E402

GOAL_SECONDS = 15.0
NAMES = ("Jobcenter", "Værestedet", "Herberget", "Misbrugscentret", "Det Grønlandske Hus",
         "Kofoeds Skole", "Kirkens Korshær", "Ældresagen", "Østerbro Café", "Aaben Dør",
         "Åbent Hus", "Zonen", "Café Paamiut", "Blå Kors", "Røde Kors")
KOMMUNER = ("Aarhus", "Odense", "Aalborg", "Randers", "Vejle", "Esbjerg", "Horsens",
            "Kolding", "Næstved", "Høje-Taastrup", "København", "Ishøj")


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def variant(form_id: str, i: int) -> dict:
    """The form's sample data, made the i-th partner's own."""
    data = copy.deepcopy(_sample(form_id))
    kommune = KOMMUNER[i % len(KOMMUNER)]
    if form_id == "samarbejdsmodel":
        data["kommune"], data["projektleder"] = kommune, f"Projektleder nr. {i}"
        for j, item in enumerate(data["tilbud"]["kommunale"]):
            item["navn"] = f"{NAMES[(i + j) % len(NAMES)]} {kommune}"
        for j, item in enumerate(data["tilbud"]["private_frivillige"]):
            item["navn"] = NAMES[(i * 3 + j) % len(NAMES)]
    elif form_id == "strategi":
        data["kommune"] = kommune
        data["kontaktperson"]["navn"] = f"Kontaktperson nr. {i}"
    else:
        data["borger"]["navn"] = f"Borger nr. {i}"
    return data


def _render(args: tuple[str, int, str]) -> bytes:
    form_id, i, fmt = args
    return fill(form_id, variant(form_id, i), fmt)


def _own_bytes(data: bytes, fmt: str, n: int) -> bytes:
    """A copy with different bytes and the same content (PDF id / zip comment)."""
    if fmt == "pdf":
        at = data.rfind(b"/ID [ <")
        if at >= 0:
            ident = f"{n:032x}".encode()
            return data[: at + 7] + ident + data[at + 7 + 32:]
        return data + f"\n%{n}\n%%EOF\n".encode()
    comment = f"kopi {n}".encode()
    assert data[-22:-18] == b"PK\x05\x06"  # no comment yet
    return data[:-2] + struct.pack("<H", len(comment)) + comment


def generate(folder: Path, n_docx: int, n_pdf: int, workers: int) -> None:
    """Write the returned files (distinct renderings, then copies with their own bytes)."""
    plan = []  # (form, fmt, count, distinct renderings)
    for fmt, total in (("docx", n_docx), ("pdf", n_pdf)):
        shares = {"samarbejdsmodel": total - 2 * (total * 3 // 10),
                  "forberedende-skema": total * 3 // 10, "strategi": total * 3 // 10}
        for form_id, count in shares.items():
            fast = fmt == "docx" and form_id == "samarbejdsmodel"
            plan.append((form_id, fmt, count, count if fast else min(count, 8)))
    jobs = [(f, i, fmt) for f, fmt, _count, distinct in plan for i in range(distinct)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rendered = dict(zip(jobs, pool.map(_render, jobs, chunksize=4)))
    for form_id, fmt, count, distinct in plan:
        sub = folder / f"{form_id}-{fmt}"
        sub.mkdir(parents=True, exist_ok=True)
        for n in range(count):
            data = rendered[(form_id, n % distinct, fmt)]
            if n >= distinct:
                data = _own_bytes(data, fmt, n)
            (sub / f"partner-{n:04d}.{fmt}").write_bytes(data)


def main() -> None:
    """Generate (or reuse) the folder, time collect + workbook, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docx", type=int, default=1000)
    parser.add_argument("--pdf", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dir", type=Path, help="keep the generated folder here")
    args = parser.parse_args()
    tmp = None
    folder = args.dir
    if folder is None:
        tmp = tempfile.mkdtemp(prefix="skema-collect-bench-")
        folder = Path(tmp)
    marker = folder / f".bench-{args.docx}-{args.pdf}"
    if not marker.exists():
        start = time.perf_counter()
        generate(folder, args.docx, args.pdf, args.jobs)
        marker.write_text("ok")
        print(f"genererede {args.docx} Word- og {args.pdf} PDF-formularer i "
              f"{time.perf_counter() - start:.1f} s")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    try:
        start = time.perf_counter()
        result = collect(folder, workers=args.jobs)
        read = time.perf_counter() - start
        book = workbook(result)
        total = time.perf_counter() - start
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    n = len(result.entries)
    counts = ", ".join(f"{v} {k}" for k, v in result.counts().items() if v)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"filer: {n} ({size / 1024 / 1024:.0f} MB) med {args.jobs} processer: {counts}")
    print(f"læst og valideret: {read:.2f} s ({n / read:.0f} filer/s)")
    print(f"regneark: {total - read:.2f} s ({len(book) / 1024:.0f} KB)")
    print(f"i alt: {total:.2f} s (mål: højst {GOAL_SECONDS:.0f} s) – "
          f"{'OK' if total <= GOAL_SECONDS else 'FOR LANGSOMT'}")
    print(f"hukommelse: hovedproces højst {own:.0f} MB, største arbejdsproces højst "
          f"{kids:.0f} MB")
    if total > GOAL_SECONDS:
        sys.exit(1)


if __name__ == "__main__":
    main()
