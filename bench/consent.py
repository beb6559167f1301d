"""Benchmark of the consent archive: add 10,000 consents, then `list` with each filter.

    python bench/consent.py [--n 10000] [--dir FOLDER]

Each consent is a small scanned-PDF stand-in (4 KB, unique bytes) with made-up metadata
for 2,000 fictitious citizens; 5 % are withdrawn. Every add is a real one: file written
via tmp/ + fsync + link, its own BEGIN IMMEDIATE transaction with its audit entry.
Then `skema consent list` runs in-process (query + table formatting) with each filter
(`--cpr` is a look-up: it writes its audit entry, keyed, with the actor), and `verify`
re-hashes everything and checks the keyed chain against a signed checkpoint. Exit status
1 if a `list` takes 1 s or more.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from toolkit.cli import cli  # noqa: E402
from toolkit.consent import Archive, keys  # noqa: E402

TODAY = _dt.date(2025, 6, 1)


def fake_cpr(i: int) -> str:
    """A made-up CPR number with a valid date part (not a real person)."""
    day = _dt.date(1950, 1, 1) + _dt.timedelta(days=(i * 37) % 20000)
    return f"{day:%d%m%y}-{1000 + i % 9000:04d}"


def _tiny_pdf(i: int) -> bytes:
    """A one-page PDF with a line of text (a scan stand-in Ghostscript can render)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, f"Scannet samtykke {i}")
    page.save()
    return buffer.getvalue()


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dir", default=None, help="folder for the archive (default: temp)")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="samtykke-bench-") as tmp:
        root = Path(args.dir or tmp) / "arkiv"
        key_file = Path(tmp) / "noegler" / "archive.key"
        archive_keys, _ = keys.create(key_file)
        citizens = [fake_cpr(i) for i in range(2000)]
        started = time.perf_counter()
        with Archive(root, today=TODAY, create=True, keys=archive_keys,
                     renditions=False) as arch:
            for i in range(args.n):
                start = TODAY + _dt.timedelta(days=rng.randint(-800, 60))
                end = start + _dt.timedelta(days=rng.randint(30, 730))
                body = f"%PDF-1.4\n% scannet samtykke {i}\n".encode() + os.urandom(4096)
                arch.add_bytes(body, f"scan-{i}.pdf", {
                    "cpr": citizens[i % len(citizens)], "navn": f"Borger {i % 2000}",
                    "formaal": f"Koordineret indsats nr. {i}",
                    "gyldig_fra": start.isoformat(), "gyldig_til": end.isoformat()})
            added = time.perf_counter() - started
            withdrawn = 0
            for consent_id in rng.sample(range(1, args.n + 1), args.n // 10):
                start = _dt.date.fromisoformat(arch.get(consent_id).gyldig_fra)
                if start > TODAY or withdrawn == args.n // 20:
                    continue  # a withdrawal lies between the consent's start and today
                day = max(start, TODAY - _dt.timedelta(days=rng.randint(0, 90)))
                arch.withdraw(consent_id, day)
                withdrawn += 1
        print(f"tilføjet: {args.n} samtykker på {added:.1f} s "
              f"({added / args.n * 1000:.2f} ms pr. samtykke, uden PDF/A)")
        sample = 20
        started = time.perf_counter()
        with Archive(Path(tmp) / "pdfa", today=TODAY, create=True, keys=archive_keys) as arch:
            for i in range(sample):
                pdf = _tiny_pdf(i)
                arch.add_bytes(pdf, f"pdfa-{i}.pdf", {
                    "cpr": citizens[i], "formaal": "PDF/A-prøve", "gyldig_fra": "2025-01-01",
                    "gyldig_til": "2025-12-31"})
            made = sum(1 for r in arch.rendition_rows() if r["kind"] == "pdfa" and r["sha256"])
        took = time.perf_counter() - started
        print(f"tilføjet med PDF/A-2b: {sample} scanninger på {took:.1f} s "
              f"({took / sample * 1000:.0f} ms pr. samtykke; {made} PDF/A lavet)")

        runner = CliRunner()
        env = {"SKEMA_ARCHIVE": str(root), "SKEMA_TODAY": TODAY.isoformat(),
               "SKEMA_ARCHIVE_KEY_FILE": str(key_file), "SKEMA_ARCHIVE_KEY": ""}
        slow = False
        filters = [[], ["--cpr", citizens[17]], ["--status", "aktiv"],
                   ["--status", "udløbet"], ["--status", "tilbagekaldt"],
                   ["--expires-within", "30d"]]
        for extra in filters:
            started = time.perf_counter()
            result = runner.invoke(cli, ["consent", "list", *extra], env=env)
            took = time.perf_counter() - started
            rows = result.output.strip().splitlines()[-1]
            label = " ".join(extra).replace(citizens[17], "DDMMÅÅ-XXXX") or "(intet filter)"
            ok = result.exit_code == 0 and took < 1.0
            slow = slow or not ok
            print(f"list {label:<28} {took * 1000:7.1f} ms  {rows}"
                  + ("" if ok else "  FOR LANGSOM/FEJL"))
        point = Path(tmp) / "kontrolpunkt.json"
        started = time.perf_counter()
        result = runner.invoke(cli, ["consent", "checkpoint", "-o", str(point)], env=env)
        print(f"checkpoint: {(time.perf_counter() - started) * 1000:.1f} ms, "
              f"exit {result.exit_code}")
        started = time.perf_counter()
        result = runner.invoke(cli, ["consent", "verify", "--checkpoint", str(point)], env=env)
        print(f"verify --checkpoint: {time.perf_counter() - started:.1f} s, "
              f"exit {result.exit_code}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
