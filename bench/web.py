"""Benchmark: a batch through the web app against the same batch on the command line.

    python bench/web.py [--rows 1000] [--keep DIR]

1. Generates an ``indsatsskema`` input workbook with ``--rows`` fictitious citizens
   (``bench/fakedata.py``, as ``bench/batch.py`` does; not timed).
2. (a) ``skema batch indsatsskema input.xlsx -o DIR`` as its own process: wall time; and
   ``skema validate indsatsskema input.xlsx`` (the check the page makes before "Start").
3. (b) ``skema serve --data D --port P`` as its own process (uvicorn on 127.0.0.1), driven
   by httpx as the page is: upload the workbook to ``POST /batch`` (the check, as
   ``skema validate``), ``POST /batch/{job}/start``, poll ``/batch/{job}/status`` every
   0.1 s until the documents are there, download ``dokumenter.zip``. Wall time of each
   step and of all of them; the server's start-up is not counted.
4. Checks that the zip holds the same files as DIR with the same ``manifest.csv``.

Prints the figures and the ratios (b)/(a). A benchmark, not a test: the numbers depend on
the machine and its load.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fakedata import write_indsats_workbook  # noqa: E402


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str) -> float:
    """Wall seconds of ``skema ARGS`` in its own process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SKEMA_PROFILE", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "toolkit", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"skema {args[0]} fejlede:\n{done.stderr}")
    return wall


class Server:
    """``skema serve`` in its own process on a free port of 127.0.0.1."""

    def __init__(self, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("SKEMA_PROFILE", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "serve", "--data", str(data), "--port",
             str(self.port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)

    def __enter__(self) -> Server:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + "/batch", timeout=2)
                return self
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("skema serve startede ikke: "
                                     + (self.proc.stderr.read().decode() if self.proc.stderr
                                        else "")) from None
                time.sleep(0.1)

    def __exit__(self, *_: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def web_batch(url: str, book: Path) -> tuple[dict[str, float], bytes]:
    """(seconds per step, the zip) of the batch through the web app."""
    import httpx

    times: dict[str, float] = {}
    with httpx.Client(base_url=url, timeout=600) as client:
        client.get("/batch")
        token = client.cookies["skema_csrf"]
        start = time.perf_counter()
        with open(book, "rb") as handle:
            r = client.post("/batch", data={"csrf": token, "formular": "indsatsskema"},
                            files={"fil": (book.name, handle)})
        if r.status_code != 303:
            raise SystemExit(f"upload fejlede ({r.status_code})")
        page = r.headers["location"]
        times["upload og kontrol"] = time.perf_counter() - start
        mark = time.perf_counter()
        client.post(page + "/start", data={"csrf": token})
        while True:
            text = client.get(page + "/status").text
            if "Hent dokumenterne" in text:
                break
            if "mislykkedes" in text:
                raise SystemExit("kørslen mislykkedes")
            time.sleep(0.1)
        times["kørsel"] = time.perf_counter() - mark
        mark = time.perf_counter()
        got = client.get(page + "/dokumenter.zip")
        times["hent zip"] = time.perf_counter() - mark
        times["i alt"] = time.perf_counter() - start
    if got.status_code != 200:
        raise SystemExit(f"zip-filen kunne ikke hentes ({got.status_code})")
    return times, got.content


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="skema-bench-web-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        book = work / "input.xlsx"
        write_indsats_workbook(book, args.rows, seed=1)
        print(f"{args.rows} rækker ({book.stat().st_size // 1024} KB), "
              f"{os.cpu_count()} kerner, load {os.getloadavg()[0]:.2f}")
        out = work / "cli"
        check = cli("validate", "indsatsskema", str(book))
        batch = cli("batch", "indsatsskema", str(book), "-o", str(out))
        print(f"(a) kommandolinjen: skema batch {batch:.2f} s; skema validate {check:.2f} s "
              f"først, som siden gør: {check + batch:.2f} s i alt")
        with Server(work / "data") as server:
            times, data = web_batch(server.url, book)
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in times.items() if k != "i alt")
        print(f"(b) web-appen: {times['i alt']:.2f} s ({steps})")
        print(f"(b)/(a): {times['i alt'] / batch:.2f} mod skema batch alene, "
              f"{times['i alt'] / (check + batch):.2f} mod validate + batch; kørslen alene "
              f"{times['kørsel'] / batch:.2f}")
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            same_names = sorted(z.namelist()) == sorted(p.name for p in out.iterdir())
            same_manifest = z.read("manifest.csv") == (out / "manifest.csv").read_bytes()
        print(f"samme filer: {'ja' if same_names else 'NEJ'}, samme manifest.csv: "
              f"{'ja' if same_manifest else 'NEJ'} ({len(data) // 1024} KB zip)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
