"""A bounded load run of the web app on 127.0.0.1: many people filling and downloading
while batches and collects are uploaded and consents archived.

    python bench/web_load.py                    # 50 users for 60 s, 3 batches, 3 collects
    python bench/web_load.py --seconds 10 --users 20

What it does:

1. starts ``skema serve --data TMP --port P`` (local mode, 127.0.0.1 only) as its own
   process and makes an API token with ``skema token new``;
2. measures the fill page's server time: ``GET /udfyld/{form}`` 20 times per form, one at
   a time (skipped, with a message, when the page is not in this build);
3. runs ``--users`` simulated users for ``--seconds``. Each user loops: a form (the six
   samples in turn) with its own marker in one text field, the fill page when it exists
   (``GET /udfyld/{form}``, a draft ``POST /udfyld/{form}/kladde`` as htmx sends it), then
   the document (Word and PDF in turn): half of them by the page's own form post
   (``POST /udfyld/{form}``, the answers under their data paths, ``handling`` word or
   pdf) when the page exists, the rest through ``POST /api/forms/{form}/fill``;
   ``--think`` seconds between requests. Every tenth user archives consents instead:
   the samtykke sample for a citizen of its own, filled as PDF, ``POST /api/consents``,
   then ``POST /api/consents/search`` with the CPR number in the body, which must find
   it. Meanwhile
   ``--batches`` batches (``POST /batch`` with ``samples/indsatsplaner.xlsx``, start,
   ``dokumenter.zip``) and ``--collects`` collects (``POST /indsamling`` with the files of
   ``samples/returnerede``, ``samlet.xlsx``) go through the page routes of the web app's
   route contract; a page group not in this build is skipped with a message;
4. checks: no failed request; every downloaded document read back with ``extract`` equals
   exactly the data its user sent (nothing lost or mixed up); every draft saved is in the
   database with its marker; every consent added is in the archive and ``verify`` finds
   nothing; each batch zip holds its manifest and each collect gives a workbook;
5. prints p50/p95 response times per kind of request and the throughput.

Exit status 0 when every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

FORMS = ("strategi", "handleplan", "samarbejdsmodel", "forberedende-skema", "indsatsskema",
         "samtykke")
#: The text field of each form that carries a user's marker (its own document's proof).
MARKER = {"strategi": ("maal",), "handleplan": ("projektleder",),
          "samarbejdsmodel": ("projektleder",), "forberedende-skema": ("borger", "navn"),
          "indsatsskema": ("sagsbehandler",), "samtykke": ("sagsbehandler",)}
HOST = "127.0.0.1"


def sample(form: str) -> dict[str, Any]:
    """The sample data of a form."""
    return json.loads((ROOT / "samples" / f"{form}.json").read_text(encoding="utf-8"))


def marked(form: str, marker: str) -> dict[str, Any]:
    """The form's sample with ``marker`` in its marker field."""
    data = copy.deepcopy(sample(form))
    *parents, last = MARKER[form]
    target = data
    for key in parents:
        target = target[key]
    target[last] = marker
    return data


def page_fields(form: str, data: dict[str, Any]) -> dict[str, list[str]]:
    """The fields a browser posts for ``data`` on the fill page: each answer under its data
    path (``indsatser.2.ansvarlig``), a ticked box ``ja`` (else ``nej``), a multi-select's
    choices repeated under its own path."""
    from toolkit import load_form

    multi = {p for p, f in load_form(form).fields.items() if f.kind == "multi"}
    out: dict[str, list[str]] = defaultdict(list)

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            if re.sub(r"\.\d+(?=\.|$)", ".*", path) in multi:
                out[path] += [str(v) for v in value]
            else:
                for i, item in enumerate(value):
                    walk(item, f"{path}.{i}")
        elif isinstance(value, bool):
            out[path].append("ja" if value else "nej")
        elif value is not None:
            out[path].append(str(value))

    walk(data, "")
    return dict(out)


def cpr_for(n: int) -> str:
    """A valid, fictitious CPR number of its own for consent ``n`` (born 1960-1999)."""
    day, month, year = n % 28 + 1, (n // 28) % 12 + 1, 60 + (n // 336) % 40
    return f"{day:02d}{month:02d}{year:02d}-{4000 + n % 5000:04d}"


@dataclass
class Results:
    """What every request did: times per kind, failures, documents to check."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)
    documents: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    consents: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, ok: bool, what: str = "") -> None:
        """One request: its kind, its time and whether it did what it should."""
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.failures.append(f"{kind}: {what}")


def timed(results: Results, kind: str, client: httpx.Client, method: str, url: str,
          expect: tuple[int, ...] = (200,), **kwargs: Any) -> httpx.Response | None:
    """Make one request, record its time and whether its status is one of ``expect``."""
    start = time.perf_counter()
    try:
        response = client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        results.record(kind, time.perf_counter() - start, False, f"{url}: {exc!r}")
        return None
    ok = response.status_code in expect
    results.record(kind, time.perf_counter() - start, ok,
                   f"{url}: {response.status_code} {response.text[:200]!r}")
    return response if ok else None


def client_for() -> httpx.Client:
    """A person's HTTP client. An idle connection is dropped after 3 s, before the server
    (uvicorn: 5 s) closes it: under load a person's thread may sleep past the server's
    limit and send on a connection being closed (a reset no real browser would see)."""
    return httpx.Client(timeout=120, limits=httpx.Limits(keepalive_expiry=3.0))


def csrf(client: httpx.Client, base: str) -> str:
    """The client's CSRF token (the catalogue page sets the cookie)."""
    if not client.cookies.get("skema_csrf"):
        client.get(base + "/")
    return client.cookies.get("skema_csrf") or ""


# -- the simulated people ---------------------------------------------------------------------

def filler(user: int, base: str, token: str, until: float, think: float, out: Path,
           results: Results, has_fill_page: bool) -> None:
    """One person filling forms and downloading them until ``until``."""
    api = {"authorization": f"Bearer {token}"}
    with client_for() as client:
        i = 0
        while time.monotonic() < until:
            form = FORMS[(user + i) % len(FORMS)]
            kind = ("docx", "pdf")[i % 2]
            marker = f"Bruger {user:02d} dokument {i} – æøå"
            data = marked(form, marker)
            if has_fill_page:
                timed(results, "side: udfyld", client, "GET", f"{base}/udfyld/{form}")
                fields = {**page_fields(form, data), "csrf": [csrf(client, base)]}
                if timed(results, "side: kladde", client, "POST",
                         f"{base}/udfyld/{form}/kladde", data=fields,
                         headers={"hx-request": "true"}):
                    with results.lock:
                        results.drafts.append(marker)
            if has_fill_page and i % 4 < 2:  # half the documents from the page's form post
                fields["handling"] = [("word", "pdf")[i % 2]]
                got = timed(results, f"side: udfyld {kind}", client, "POST",
                            f"{base}/udfyld/{form}", data=fields)
            else:
                got = timed(results, f"api: udfyld {kind}", client, "POST",
                            f"{base}/api/forms/{form}/fill?format={kind}", json=data,
                            headers=api)
            if got is not None:
                path = out / f"bruger{user:02d}-{i}.{kind}"
                path.write_bytes(got.content)
                with results.lock:
                    results.documents.append((path, data))
            i += 1
            time.sleep(think)


def archivist(user: int, base: str, token: str, until: float, think: float,
              results: Results) -> None:
    """One person archiving consents and finding them again until ``until``."""
    api = {"authorization": f"Bearer {token}"}
    with client_for() as client:
        i = 0
        while time.monotonic() < until:
            number = user * 1000 + i
            data = sample("samtykke")
            data["borger"]["cpr"] = cpr_for(number)
            data["formaal"] = f"{data['formaal']} (nr. {number})"
            pdf = timed(results, "api: udfyld pdf", client, "POST",
                        f"{base}/api/forms/samtykke/fill?format=pdf", json=data, headers=api)
            if pdf is not None:
                added = timed(results, "api: samtykke tilføj", client, "POST",
                              f"{base}/api/consents", expect=(201,), headers=api,
                              files={"fil": (f"samtykke-{number}.pdf", pdf.content)})
                if added is not None:
                    nr = added.json()["nr"]
                    with results.lock:
                        results.consents.append((data["borger"]["cpr"], nr))
                    found = timed(results, "api: samtykke søg", client, "POST",
                                  f"{base}/api/consents/search", headers=api,
                                  json={"cpr": data["borger"]["cpr"], "grund": "belastning"})
                    if found is not None and [c["nr"] for c in found.json()] != [nr]:
                        results.record("api: samtykke søg", 0.0, False,
                                       f"nr. {nr} ikke fundet: {found.text[:200]}")
            i += 1
            time.sleep(think)


def wait_for(results: Results, kind: str, client: httpx.Client, url: str,
             until: float) -> httpx.Response | None:
    """Poll ``url`` until it answers 200 (a job's result), at most until ``until``."""
    start = time.perf_counter()
    while time.monotonic() < until:
        response = client.get(url)
        if response.status_code == 200:
            results.record(kind, time.perf_counter() - start, True)
            return response
        if response.status_code >= 500 or response.status_code in (403, 405):
            results.record(kind, time.perf_counter() - start, False,
                           f"{url}: {response.status_code}")
            return None
        time.sleep(0.5)
    results.record(kind, time.perf_counter() - start, False, f"{url}: ikke færdig i tide")
    return None


def batch_job(n: int, base: str, results: Results, until: float, reports: list[str]) -> None:
    """Upload the sample workbook as a batch, start it and fetch its zip."""
    with client_for() as client:
        token = csrf(client, base)
        workbook = (ROOT / "samples" / "indsatsplaner.xlsx").read_bytes()
        made = timed(results, "side: batch upload", client, "POST", f"{base}/batch",
                     expect=(303,), data={"formular": "indsatsskema", "csrf": token},
                     files={"fil": ("indsatsplaner.xlsx", workbook)})
        if made is None:
            return
        job = made.headers["location"]
        timed(results, "side: batch start", client, "POST", f"{base}{job}/start",
              expect=(200, 303), data={"csrf": token})
        got = wait_for(results, "job: batch færdig", client, f"{base}{job}/dokumenter.zip",
                       until)
        if got is not None:
            with zipfile.ZipFile(io.BytesIO(got.content)) as z:
                names = z.namelist()
            ok = "manifest.csv" in names
            results.record("job: batch zip", 0.0, ok, f"batch {n}: uden manifest.csv")
            reports.append(f"batch {n}: {len(names) - 1} dokumenter + manifest.csv")


def collect_job(n: int, base: str, results: Results, until: float, reports: list[str]
                ) -> None:
    """Upload the returned sample files as a collect and fetch the workbook."""
    folder = ROOT / "samples" / "returnerede"
    files = [("filer", (p.name, p.read_bytes())) for p in sorted(folder.rglob("*"))
             if p.suffix in (".docx", ".pdf") and "defekte" not in p.parts]
    with client_for() as client:
        token = csrf(client, base)
        made = timed(results, "side: indsamling upload", client, "POST",
                     f"{base}/indsamling", expect=(303,), data={"csrf": token}, files=files)
        if made is None:
            return
        job = made.headers["location"]
        got = wait_for(results, "job: indsamling færdig", client,
                       f"{base}{job}/samlet.xlsx", until)
        if got is not None:
            ok = got.content[:2] == b"PK"
            results.record("job: indsamling regneark", 0.0, ok, f"indsamling {n}: ikke xlsx")
            reports.append(f"indsamling {n}: {len(files)} filer, {len(got.content)} bytes")


# -- the server and the checks ------------------------------------------------------------------

def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def skema(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line (``python -m toolkit``) and return its result."""
    return subprocess.run([sys.executable, "-m", "toolkit", *args], cwd=ROOT,
                          capture_output=True, text=True, check=True)


def start_server(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``skema serve`` on 127.0.0.1:``port``, answering; its output in ``log``."""
    with open(log, "wb") as handle:
        server = subprocess.Popen([sys.executable, "-m", "toolkit", "serve", "--data",
                                   str(data), "--port", str(port)], cwd=ROOT,
                                  stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("skema serve startede ikke inden for 60 s")


def route_exists(base: str, path: str) -> bool:
    """True when the page answers (not 404, not the skeleton's 501)."""
    return httpx.get(base + path, timeout=30).status_code not in (404, 501)


def page_times(base: str, rounds: int) -> dict[str, float]:
    """Median server time of ``GET /udfyld/{form}`` per form, one request at a time."""
    out = {}
    with httpx.Client(timeout=60) as client:
        for form in FORMS:
            client.get(f"{base}/udfyld/{form}")  # warm
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                client.get(f"{base}/udfyld/{form}").raise_for_status()
                times.append(time.perf_counter() - start)
            out[form] = statistics.median(times)
    return out


def warm_up(base: str, token: str) -> None:
    """One fill per form and format before the clock starts (the first of each compiles
    its template and loads its fonts)."""
    with client_for() as client:
        for form in FORMS:
            for kind in ("docx", "pdf"):
                client.post(f"{base}/api/forms/{form}/fill?format={kind}", json=sample(form),
                            headers={"authorization": f"Bearer {token}"}).raise_for_status()


def read_back(item: tuple[str, dict[str, Any]]) -> str | None:
    """None when the document extracts to exactly its data, else what differs."""
    from toolkit import extract

    path, data = item
    try:
        got = extract(path).data
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        return f"{Path(path).name}: {exc}"
    return None if got == data else f"{Path(path).name}: andre data end sendt"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def main() -> int:
    """Run the load, check, print; 0 when every check holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--collects", type=int, default=3)
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a user waits between two requests")
    parser.add_argument("--page-rounds", type=int, default=20)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="skema-web-load-"))
    data, out = tmp / "data", tmp / "dokumenter"
    out.mkdir()
    token = skema("token", "new", "--name", "belastning", "--data",
                  str(data)).stdout.splitlines()[-1]
    port = free_port()
    log = tmp / "server.log"
    server = start_server(data, port, log)
    base = f"http://{HOST}:{port}"
    results = Results()
    notes: list[str] = []
    try:
        has_fill = route_exists(base, f"/udfyld/{FORMS[0]}")
        has_batch = route_exists(base, "/batch")
        has_collect = route_exists(base, "/indsamling")
        pages: dict[str, float] = {}
        if has_fill:
            pages = page_times(base, args.page_rounds)
        else:
            notes.append("Udfyld-siden (/udfyld/{form}) findes ikke i denne udgave: sidetid "
                         "og kladder er sprunget over; brugerne udfylder gennem API'et.")
        if not has_batch:
            notes.append("Masseudfyldning (/batch) findes ikke i denne udgave: batchene er "
                         "sprunget over.")
        if not has_collect:
            notes.append("Indsamling (/indsamling) findes ikke i denne udgave: "
                         "indsamlingerne er sprunget over.")
        warm_up(base, token)
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        until = started + args.seconds
        threads = []
        for user in range(args.users):
            if user % 10 == 9:
                target, extra = archivist, (args.think, results)
            else:
                target, extra = filler, (args.think, out, results, has_fill)  # type: ignore
            threads.append(threading.Thread(target=target, args=(user, base, token, until,
                                                                 *extra)))
        jobs: list[str] = []
        job_until = until + 600  # a job started in the run may finish after it
        for n in range(args.batches if has_batch else 0):
            threads.append(threading.Thread(target=batch_job,
                                            args=(n, base, results, job_until, jobs)))
        for n in range(args.collects if has_collect else 0):
            threads.append(threading.Thread(target=collect_job,
                                            args=(n, base, results, job_until, jobs)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)

    # the checks, with the server stopped
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        wrong = [w for w in pool.map(read_back, [(str(p), d) for p, d in results.documents],
                                     chunksize=8) if w]
    lost_drafts = []
    if results.drafts:
        import sqlite3

        with sqlite3.connect(data / "skema-web.db") as conn:
            kept = "\n".join(r[0] for r in conn.execute("SELECT data FROM drafts"))
        lost_drafts = [m for m in results.drafts if json.dumps(m, ensure_ascii=False)[1:-1]
                       not in kept]
    from toolkit.consent import Archive

    archive_ok, archive_text = True, "intet arkiv (ingen samtykker tilføjet)"
    if (data / "samtykkearkiv").is_dir():
        with Archive(data / "samtykkearkiv", key_file=data / "noegler" / "archive.key") as arch:
            report = arch.verify()
            stored = {c.id for c in arch.all()}
        missing = [nr for _cpr, nr in results.consents if nr not in stored]
        archive_ok = report.valid and not missing and len(stored) == len(results.consents)
        archive_text = (f"verify: {len(report)} fund, {report.counts}; "
                        f"{len(results.consents)} tilføjet, {len(stored)} i arkivet")

    requests = sum(len(v) for k, v in results.times.items() if not k.startswith("job"))
    print(f"Belastning: {args.users} brugere i {args.seconds:g} s (tænketid {args.think:g} s), "
          f"{args.batches if has_batch else 0} batch, "
          f"{args.collects if has_collect else 0} indsamlinger; {os.cpu_count()} kerner; "
          f"kørte {elapsed:.1f} s; belastning (load average) før {load_before:.1f}, "
          f"efter {os.getloadavg()[0]:.1f}")
    for note in notes:
        print(f"Bemærk: {note}")
    if pages:
        print(f"Udfyld-sidens servertid (median af {args.page_rounds} GET, én ad gangen):")
        for form, seconds in pages.items():
            print(f"  {form:20} {seconds * 1000:7.1f} ms")
    print(f"{'forespørgsel':28} {'antal':>6} {'p50 ms':>8} {'p95 ms':>8} {'maks ms':>8}")
    for kind in sorted(results.times):
        values = results.times[kind]
        print(f"{kind:28} {len(values):6d} {percentile(values, 50) * 1000:8.0f} "
              f"{percentile(values, 95) * 1000:8.0f} {max(values) * 1000:8.0f}")
    documents = len(results.documents)
    print(f"Gennemløb: {requests / elapsed:.1f} forespørgsler/s, {documents / elapsed:.1f} "
          f"dokumenter/s ({documents} dokumenter, {len(results.consents)} samtykker)")
    for line in jobs:
        print(f"  {line}")
    checks = [
        ("ingen fejlede forespørgsler", not results.failures,
         "; ".join(results.failures[:5])),
        ("hvert dokument er brugerens eget (læst tilbage)", not wrong and documents > 0,
         "; ".join(wrong[:5]) or f"{documents} dokumenter"),
        ("ingen kladde tabt", not lost_drafts,
         f"{len(results.drafts)} gemt" if results.drafts else "ingen kladder (ingen side)"),
        ("samtykkearkivet i orden", archive_ok, archive_text),
    ]
    for name, ok, detail in checks:
        print(f"{'OK ' if ok else 'FEJL'} {name}: {detail}")
    errors = [line for line in log.read_text(errors="replace").splitlines()
              if "Error" in line or "Exception" in line]
    if errors:
        print(f"Serverens log ({log}) har {len(errors)} fejllinjer, fx: {errors[-1]}")
    return 0 if all(ok for _n, ok, _d in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
