"""skema batch: one document per valid row, byte-identical to skema fill, resumable."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit import fill, load_form
from toolkit.batch import (
    EXISTS,
    INVALID,
    UNCHANGED,
    WRITTEN,
    BatchError,
    check_pattern,
    file_stems,
    read_manifest,
    run_batch,
    safe_name,
)
from toolkit.cli import cli
from toolkit.readers.docx import extract_docx
from toolkit.render.xlsx import input_workbook
from toolkit.sources.excel import Record, read_workbook

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = json.loads((ROOT / "samples" / "indsatsskema.json").read_text(encoding="utf-8"))
CPR = SAMPLE["borger"]["cpr"]


@pytest.fixture(scope="module")
def form():
    return load_form("indsatsskema")


def rows(n: int, bad: dict[int, str] | None = None) -> list[dict]:
    """n valid indsatsskema rows with distinct names; ``bad``: index -> what to break."""
    out = []
    for i in range(n):
        data = copy.deepcopy(SAMPLE)
        data["borger"]["navn"] = f"Borger {i + 1}"
        data["borger"]["cpr"] = f"{(i % 28) + 1:02d}0190-{1000 + i:04d}"
        data["sagsbehandler"] = f"Sagsbehandler {i % 3}"
        out.append(data)
    for i, what in (bad or {}).items():
        if what == "date":
            out[i]["periode"]["start"] = "2024-13-01"
        elif what == "month":
            out[i]["indsatser"][1]["start_maaned"] = "2023-01"
    return out


def workbook(tmp_path: Path, form, data: list[dict], name: str = "input.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(input_workbook(form, data))
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def files(folder: Path, suffix: str = ".docx") -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == suffix}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- content -------------------------------------------------------------------------------
def test_batch_output_is_byte_identical_to_fill(tmp_path, form):
    data = rows(3)
    book = workbook(tmp_path, form, data)
    result = invoke("batch", "indsatsskema", str(book), "-o", str(tmp_path / "out"),
                    "--jobs", "1")
    assert result.exit_code == 0, result.output
    records = read_workbook(book, form).records
    made = files(tmp_path / "out")
    assert len(made) == 3
    for rec in records:
        single = tmp_path / f"row{rec.row}.json"
        single.write_text(json.dumps(rec.data, ensure_ascii=False), encoding="utf-8")
        out = tmp_path / f"row{rec.row}.docx"
        res = invoke("fill", "indsatsskema", str(single), "-o", str(out))
        assert res.exit_code == 0, res.output
        assert made[f"indsatsskema-{rec.row}.docx"] == out.read_bytes()
        assert made[f"indsatsskema-{rec.row}.docx"] == fill(form, rec.data)
        assert extract_docx(out.read_bytes()).data == rec.data


def test_batch_is_identical_to_fill_from_the_workbook_row(tmp_path, form):
    book = workbook(tmp_path, form, rows(3, bad={1: "month"}))
    out = tmp_path / "out"
    assert invoke("batch", "indsatsskema", str(book), "-o", str(out), "--format", "both",
                  "--jobs", "2").exit_code == 1
    for row in (2, 4):
        for suffix in ("docx", "pdf"):
            single = tmp_path / f"fill-{row}.{suffix}"
            res = invoke("fill", "indsatsskema", str(book), "-o", str(single),
                         "--row", str(row))
            assert res.exit_code == 0, res.output
            assert (out / f"indsatsskema-{row}.{suffix}").read_bytes() == single.read_bytes()
    assert not (out / "indsatsskema-3.docx").exists()


def test_form_with_images_uses_the_slow_path_with_the_same_bytes(tmp_path):
    frm = load_form("forberedende-skema")
    data = json.loads((ROOT / "samples" / "forberedende-skema.json").read_text("utf-8"))
    book = tmp_path / "fs.xlsx"
    book.write_bytes(input_workbook(frm, [data, data]))
    out = tmp_path / "out"
    result = invoke("batch", "forberedende-skema", str(book), "-o", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    rec = read_workbook(book, frm).records[1]
    made = (out / f"forberedende-skema-{rec.row}.docx").read_bytes()
    assert made == fill(frm, rec.data)
    assert any(n.startswith("word/media/") for n in zipfile.ZipFile(io.BytesIO(made)).namelist())


def test_empty_workbook_makes_nothing_and_says_so(tmp_path, form):
    book = workbook(tmp_path, form, [])
    out = tmp_path / "out"
    result = invoke("batch", "indsatsskema", str(book), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Bemærk: projektmappen har ingen udfyldte rækker" in result.stderr
    assert (out / "manifest.csv").read_text(encoding="utf-8") == "row,file,sha256,status\n"


def test_fill_is_deterministic_and_whole(form):
    first, second = fill(form, SAMPLE), fill(form, SAMPLE)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert z.testzip() is None
        assert {i.date_time for i in z.infolist()} == {(2019, 2, 26, 0, 0, 0)}


def test_custom_template_is_compiled_the_same_way(tmp_path, form):
    from toolkit.render.docx import template_path

    custom = tmp_path / "vores.docx"
    custom.write_bytes(template_path(form).read_bytes())
    book = workbook(tmp_path, form, rows(2))
    result = invoke("batch", "indsatsskema", str(book), "-o", str(tmp_path / "out"),
                    "--template", str(custom), "--jobs", "1")
    assert result.exit_code == 0, result.output
    rec = read_workbook(book, form).records[0]
    assert (tmp_path / "out" / f"indsatsskema-{rec.row}.docx").read_bytes() == fill(
        form, rec.data, template=custom)


def test_custom_template_that_does_not_fit_is_refused(tmp_path, form):
    other = tmp_path / "forkert.docx"
    other.write_bytes((ROOT / "form_templates" / "samtykke.docx").read_bytes())
    book = workbook(tmp_path, form, rows(1))
    result = invoke("batch", "indsatsskema", str(book), "-o", str(tmp_path / "out"),
                    "--template", str(other))
    assert result.exit_code == 1
    assert "skabelonen passer ikke til formularen \"indsatsskema\"" in result.output
    assert "Tip:" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -- invalid rows --------------------------------------------------------------------------
def test_invalid_rows_are_reported_with_cells_and_skipped(tmp_path, form):
    book = workbook(tmp_path, form, rows(5, bad={1: "date", 3: "month"}))
    out = tmp_path / "out"
    result = invoke("batch", "indsatsskema", str(book), "-o", str(out), "--jobs", "1")
    assert result.exit_code == 1
    err = result.stderr
    assert "Række 3 er ugyldig og springes over:" in err
    assert (f"{book}, Borgere!G3: periode.start: \"Planperiode – start\" er en dato, der ikke "
            "findes (\"2024-13-01\"): et år har kun 12 måneder") in err
    assert "Række 5 er ugyldig og springes over:" in err
    assert "Indsatser!E" in err and "indsatser.1.start_maaned" in err
    assert CPR not in result.output and "-1001" not in err
    assert sorted(files(out)) == ["indsatsskema-2.docx", "indsatsskema-4.docx",
                                  "indsatsskema-6.docx"]
    assert "3 filer skrevet, 2 ugyldige rækker sprunget over (5 rækker)" in result.stdout
    manifest = read_manifest(out / "manifest.csv")
    assert [(m["row"], m["status"]) for m in manifest] == [
        (2, WRITTEN), (3, INVALID), (4, WRITTEN), (5, INVALID), (6, WRITTEN)]
    assert all(m["file"] == "" and m["sha256"] == "" for m in manifest
               if m["status"] == INVALID)


def test_all_valid_exits_zero_and_says_so(tmp_path, form):
    book = workbook(tmp_path, form, rows(2))
    result = invoke("batch", "indsatsskema", str(book), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{tmp_path / 'out'}: 2 filer skrevet (2 rækker)")
    assert result.stderr == ""  # no progress bar when not on a terminal


def test_not_a_workbook_and_unknown_form(tmp_path, form):
    data = tmp_path / "data.json"
    data.write_text("{}", encoding="utf-8")
    result = invoke("batch", "indsatsskema", str(data), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "Excel-projektmappe (.xlsx)" in result.output
    book = workbook(tmp_path, form, rows(1))
    result = invoke("batch", "ukendt", str(book), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "Ukendt formular" in result.output
    result = invoke("batch", "indsatsskema", str(tmp_path / "mangler.xlsx"), "-o", "x")
    assert result.exit_code == 2 and "findes ikke" in result.output


# -- names ---------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, safe", [
    ("../../etc/passwd", "etc_passwd"),
    ("a/b\\c", "a_b_c"),
    ('x:*?"<>|y', "x_y"),
    ("..", ""),
    ("navn...", "navn"),
    ("navn. . ", "navn"),
    (".skjult", "skjult"),
    ("CON", "_CON"),
    ("con.docx", "_con.docx"),
    ("LPT1", "_LPT1"),
    ("nul", "_nul"),
    ("CONTROL", "CONTROL"),
    ("tab\tog\nlinje", "tab_og_linje"),
    ("Åse Østergård", "Åse Østergård"),
    ("a..b", "a.b"),
    ("cpr 250679-1457 her", "cpr _ her"),
    ("2506791457", "_"),
    ("sag 2024001234", "sag 2024001234"),
    ("12345678901", "12345678901"),
])
def test_safe_name(raw, safe):
    assert safe_name(raw) == safe


def test_long_names_are_cut(form):
    name = safe_name("æ" * 300)
    assert len(name.encode("utf-8")) <= 150 and set(name) == {"æ"}


def _record(row: int, data: dict) -> Record:
    return Record(row=row, key=str(row - 1), data=data, problems=[])


def test_name_pattern_collisions_and_empty_values(form):
    people = [{"borger": {"navn": n}} for n in
              ["Ib", "ib", "Ib", "", "../..", "Ib-2", "CON"]]
    recs = [_record(i + 2, d) for i, d in enumerate(people)]
    assert file_stems(form, recs, "{borger.navn}") == [
        "Ib", "ib-2", "Ib-3", "indsatsskema-5", "indsatsskema-6", "Ib-2-2", "_CON"]
    assert file_stems(form, recs[:2], "{row}-{borger.navn}-{form}") == [
        "2-Ib-indsatsskema", "3-ib-indsatsskema"]


@pytest.mark.parametrize("pattern, message", [
    ("{borger.cpr}", "CPR-numre må ikke stå i filnavne"),
    ("{sag.sagsnummer}", "som formularen \"indsatsskema\" ikke har"),
    ("{indsatser.*.indsats}", "som formularen \"indsatsskema\" ikke har"),
    ("fast-navn", "nævner intet felt"),
    ("{borger.navn", "krøllet parentes"),
])
def test_bad_patterns_are_refused(form, pattern, message):
    with pytest.raises(BatchError, match=message.replace("(", r"\(")):
        check_pattern(form, pattern)


def test_bad_pattern_is_a_usage_error_and_writes_nothing(tmp_path, form):
    book = workbook(tmp_path, form, rows(1))
    out = tmp_path / "out"
    result = invoke("batch", "indsatsskema", str(book), "-o", str(out),
                    "--name", "{borger.cpr}")
    assert result.exit_code == 2
    assert "CPR-numre må ikke stå i filnavne" in result.output and "Tip:" in result.output
    assert not out.exists()


def test_name_pattern_end_to_end_stays_in_the_folder(tmp_path, form):
    data = rows(3)
    data[0]["borger"]["navn"] = "../../udenfor"
    data[1]["borger"]["navn"] = "Åse/Ærø"
    data[2]["borger"]["navn"] = "åse/ærø"
    book = workbook(tmp_path, form, data)
    out = tmp_path / "ud" / "mappe"
    result = invoke("batch", "indsatsskema", str(book), "-o", str(out),
                    "--name", "{borger.navn}")
    assert result.exit_code == 0, result.output
    assert sorted(files(out)) == ["udenfor.docx", "Åse_Ærø.docx", "åse_ærø-2.docx"]
    assert sorted(p.name for p in tmp_path.rglob("*.docx")) == sorted(files(out))


def test_default_name_never_holds_a_cpr_number(tmp_path, form):
    data = rows(3)
    book = workbook(tmp_path, form, data)
    out = tmp_path / "out"
    assert invoke("batch", "indsatsskema", str(book), "-o", str(out)).exit_code == 0
    names = " ".join(files(out))
    for row in data:
        cpr = row["borger"]["cpr"]
        assert cpr not in names and cpr.replace("-", "") not in names
        assert cpr[:6] not in names
    assert sorted(files(out)) == [f"indsatsskema-{r}.docx" for r in (2, 3, 4)]


def test_default_name_from_the_schema(tmp_path, form, monkeypatch):
    monkeypatch.setitem(form.schema, "x-filename", "{sagsbehandler}")
    book = workbook(tmp_path, form, rows(4))
    out = tmp_path / "out"
    assert invoke("batch", "indsatsskema", str(book), "-o", str(out),
                  "--jobs", "1").exit_code == 0
    assert sorted(files(out)) == ["Sagsbehandler 0-2.docx", "Sagsbehandler 0.docx",
                                  "Sagsbehandler 1.docx", "Sagsbehandler 2.docx"]


# -- overwrite and manifest ------------------------------------------------------------------
def test_no_overwrite_without_flag(tmp_path, form):
    book = workbook(tmp_path, form, rows(2))
    out = tmp_path / "out"
    out.mkdir()
    (out / "indsatsskema-2.docx").write_bytes(b"mit eget dokument")
    result = invoke("batch", "indsatsskema", str(book), "-o", str(out))
    assert result.exit_code == 1
    assert (f"{out / 'indsatsskema-2.docx'} (række 2): filen findes allerede med andet "
            "indhold og overskrives ikke.  Tip: brug --overwrite") in result.stderr
    assert (out / "indsatsskema-2.docx").read_bytes() == b"mit eget dokument"
    assert (out / "indsatsskema-3.docx").is_file()
    statuses = {m["file"]: m["status"] for m in read_manifest(out / "manifest.csv")}
    assert statuses == {"indsatsskema-2.docx": EXISTS, "indsatsskema-3.docx": WRITTEN}

    again = invoke("batch", "indsatsskema", str(book), "-o", str(out), "--overwrite")
    assert again.exit_code == 0, again.output
    assert (out / "indsatsskema-2.docx").read_bytes()[:2] == b"PK"
    statuses = {m["file"]: m["status"] for m in read_manifest(out / "manifest.csv")}
    assert statuses == {"indsatsskema-2.docx": WRITTEN, "indsatsskema-3.docx": UNCHANGED}
    assert "1 fil skrevet, 1 fandtes allerede med samme indhold" in again.stdout


def test_manifest_lists_every_file_with_its_hash(tmp_path, form):
    book = workbook(tmp_path, form, rows(4, bad={2: "date"}))
    out = tmp_path / "out"
    invoke("batch", "indsatsskema", str(book), "-o", str(out), "--jobs", "2")
    text = (out / "manifest.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "row,file,sha256,status"
    manifest = read_manifest(out / "manifest.csv")
    assert [m["row"] for m in manifest] == [2, 3, 4, 5]
    for m in manifest:
        if m["status"] == WRITTEN:
            assert sha((out / m["file"]).read_bytes()) == m["sha256"]
    assert not (out / ".manifest.csv.partial").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [m["file"] for m in manifest if m["file"]] + ["manifest.csv"])


def test_format_both(tmp_path, form):
    book = workbook(tmp_path, form, rows(2))
    out = tmp_path / "out"
    result = invoke("batch", "indsatsskema", str(book), "-o", str(out), "--format", "both")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "indsatsskema-2.docx", "indsatsskema-2.pdf", "indsatsskema-3.docx",
        "indsatsskema-3.pdf", "manifest.csv"]
    rec = read_workbook(book, form).records[0]
    assert (out / "indsatsskema-2.pdf").read_bytes() == fill(form, rec.data, "pdf")
    assert (out / "indsatsskema-2.docx").read_bytes() == fill(form, rec.data)
    manifest = read_manifest(out / "manifest.csv")
    assert [(m["row"], m["file"]) for m in manifest] == [
        (2, "indsatsskema-2.docx"), (2, "indsatsskema-2.pdf"),
        (3, "indsatsskema-3.docx"), (3, "indsatsskema-3.pdf")]


def test_jobs_1_and_2_make_the_same_files(tmp_path, form):
    book = workbook(tmp_path, form, rows(40, bad={7: "month"}))
    one, two = tmp_path / "one", tmp_path / "two"
    r1 = invoke("batch", "indsatsskema", str(book), "-o", str(one), "--jobs", "1")
    r2 = invoke("batch", "indsatsskema", str(book), "-o", str(two), "--jobs", "2")
    assert r1.exit_code == r2.exit_code == 1
    assert files(one) == files(two) and len(files(one)) == 39
    assert (one / "manifest.csv").read_bytes() == (two / "manifest.csv").read_bytes()
    assert r1.stderr == r2.stderr


def test_written_files_are_synced_as_the_run_goes_and_before_the_manifest(tmp_path, form,
                                                                          monkeypatch):
    import toolkit.batch as batch_module

    book = workbook(tmp_path, form, rows(7, bad={3: "date"}))
    out = tmp_path / "out"
    out.mkdir()
    first = read_workbook(book, form).records[0].data
    (out / "indsatsskema-2.docx").write_bytes(fill(form, first))
    synced: list[tuple[list[str], bool]] = []  # (names, manifest there yet)
    real = batch_module.sync_files

    def spy(paths, folder=None):
        paths = list(paths)
        synced.append(([Path(p).name for p in paths], (out / "manifest.csv").exists()))
        real(paths, folder)

    monkeypatch.setattr(batch_module, "sync_files", spy)
    monkeypatch.setattr(batch_module, "SYNC_STEP", 2)
    result = run_batch(form, book, out, jobs=1)
    assert result.count(WRITTEN) == 5 and result.count(UNCHANGED) == 1
    names = [name for group, _ in synced for name in group if name.endswith(".docx")]
    written = [m["file"] for m in read_manifest(out / "manifest.csv") if m["status"] == WRITTEN]
    assert sorted(names) == sorted(written) and len(names) == 5  # each once, unchanged not
    assert not any(there for group, there in synced if group)  # only the folder after it
    assert len([g for g, _ in synced if any(n.endswith(".docx") for n in g)]) >= 2  # as it goes


def test_temporary_files_of_ended_processes_are_removed_and_nothing_else(tmp_path):
    from toolkit.batch import clean_temp_files

    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()
        names = [f".skema-tmp-{dead}-a", f".skema-tmp-{os.getpid()}-b",
                 f".skema-tmp-{live.pid}-c", "indsatsskema-2.docx", ".skema-tmp-x"]
        for name in names:
            (tmp_path / name).write_bytes(b"x")
        assert clean_temp_files(tmp_path) == 3
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            f".skema-tmp-{live.pid}-c", "indsatsskema-2.docx"]
        assert clean_temp_files(tmp_path / "findes-ikke") == 0
    finally:
        live.kill()
        live.wait()


def test_library_api_reports_progress(tmp_path, form):
    book = workbook(tmp_path, form, rows(3))
    seen = []
    result = run_batch(form, book, tmp_path / "out", jobs=1,
                       progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    assert result.count(WRITTEN) == 3 and not result.failed and not result.interrupted


def test_rows_are_read_as_the_workers_need_them(tmp_path, form):
    from toolkit.sources.excel import WorkbookStream, stream_workbook

    n = 300
    book = workbook(tmp_path, form, rows(n))
    read: list[int] = []
    seen_at_first_result: list[int] = []

    def reader(source, frm, validate=False):
        stream = stream_workbook(source, frm)

        def counted():
            for rec in stream.records:
                read.append(rec.row)
                yield rec

        return WorkbookStream(frm, stream.problems, stream.rows, stream.source, counted())

    def on_result(res):
        if not seen_at_first_result:
            seen_at_first_result.append(len(read))

    for jobs in (1, 2):
        read.clear()
        seen_at_first_result.clear()
        result = run_batch(form, book, tmp_path / f"out{jobs}", jobs=jobs, reader=reader,
                           on_result=on_result)
        assert result.count(WRITTEN) == n and result.done == n and not result.results
        # chunks of 18 rows: a few in the workers' hands, not the whole workbook
        assert 0 < seen_at_first_result[0] <= 18 * 5, (jobs, seen_at_first_result)
        assert len(read) == n
        lines = (tmp_path / f"out{jobs}" / "manifest.csv").read_text().splitlines()
        assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(2, n + 2))


# -- interruption ------------------------------------------------------------------------------
def _start(book: Path, out: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", "batch", "indsatsskema", str(book), "-o", str(out),
         "--jobs", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True)


def _wait_for_files(out: Path, proc: subprocess.Popen, at_least: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if out.is_dir() and len(list(out.glob("*.docx"))) >= at_least:
            return
        if proc.poll() is not None:
            pytest.fail("batchen blev færdig, før den kunne afbrydes: " + proc.stderr.read())
        time.sleep(0.005)
    pytest.fail("batchen skrev ingen filer")


def _check_complete(out: Path, n: int) -> None:
    manifest = read_manifest(out / "manifest.csv")
    assert [m["row"] for m in manifest] == list(range(2, n + 2))
    assert {m["status"] for m in manifest} <= {WRITTEN, UNCHANGED}
    for m in manifest:
        body = (out / m["file"]).read_bytes()
        assert sha(body) == m["sha256"]
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            assert z.testzip() is None
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [m["file"] for m in manifest] + ["manifest.csv"])


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_interrupted_batch_leaves_whole_files_and_rerun_finishes(tmp_path, form, how):
    n = 600
    book = workbook(tmp_path, form, rows(n))
    out = tmp_path / "out"
    proc = _start(book, out)
    _wait_for_files(out, proc, 20)
    if how == "SIGKILL":
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, no clean-up
    else:
        os.kill(proc.pid, getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    if how != "SIGKILL":
        assert "Afbrudt efter" in err and "kør samme kommando igen" in err
        assert not list(out.glob(".skema-tmp-*"))  # no half-written temporary file left
        assert "Traceback" not in err
    done = sorted(out.glob("*.docx"))
    assert 0 < len(done) < n
    for path in done:  # every file that is there is whole
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
    before = {p.name: p.stat().st_mtime_ns for p in done}
    assert not (out / "manifest.csv").exists()
    assert (out / ".manifest.csv.partial").exists() or how == "SIGKILL"

    result = invoke("batch", "indsatsskema", str(book), "-o", str(out))
    assert result.exit_code == 0, result.output
    _check_complete(out, n)
    statuses = {m["file"]: m["status"] for m in read_manifest(out / "manifest.csv")}
    assert all(statuses[name] == UNCHANGED for name in before)
    assert all((out / name).stat().st_mtime_ns == ns for name, ns in before.items())
    assert sum(s == WRITTEN for s in statuses.values()) == n - len(before)


def test_progress_bar_only_on_a_terminal(tmp_path, form):
    import pty

    book = workbook(tmp_path, form, rows(3))
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "batch", "indsatsskema", str(book), "-o",
         str(tmp_path / "tty"), "--jobs", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.returncode == 0
    assert f"Rækker  [{'#' * 36}]  3/3".encode() in shown  # click.progressbar
    assert b"\r" not in out  # stdout (piped) gets the summary only
    piped = subprocess.run(
        [sys.executable, "-m", "toolkit", "batch", "indsatsskema", str(book), "-o",
         str(tmp_path / "pipe"), "--jobs", "1"],
        cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == b""


# -- validation fast path ------------------------------------------------------------------------
def test_fast_path_gives_exactly_the_problems_of_validate_record(tmp_path, form):
    sys.path.insert(0, str(ROOT))
    from bench.fakedata import write_indsats_workbook
    from toolkit.batch import row_problems
    from toolkit.sources.excel import validate_record

    book = tmp_path / "fejl.xlsx"
    write_indsats_workbook(book, 120, seed=3, mistakes=20)
    records = read_workbook(book, form, validate=False).records
    invalid = 0
    for rec in records:
        expected = validate_record(form, rec)
        assert row_problems(form, rec) == expected
        invalid += bool(expected)
    assert invalid >= 10  # the deliberate mistakes are found through the fast path too


def _mutations(data: dict):
    """Data with one thing changed at a time: every leaf gets wrong values and types."""
    wrong = [None, "", 0, 1.5, True, [], {}, "x", "2019-13-45", "Ukendt", ["a", "a"],
             "250679-1457", "a" * 3, ("a", "b"), (), float("nan"), date(2019, 2, 26),
             "2019-02-31", "2019-02", "København ", "Københavns Kommune", "a@b", 10**30]

    def leaves(node, path=()):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from leaves(v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from leaves(v, path + (i,))
        yield path

    for path in list(leaves(data)):
        for value in wrong:
            changed = copy.deepcopy(data)
            if not path:
                continue
            node = changed
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
            yield changed
        if path and isinstance(path[-1], str):  # the key removed
            changed = copy.deepcopy(data)
            node = changed
            for part in path[:-1]:
                node = node[part]
            del node[path[-1]]
            yield changed
    extra = copy.deepcopy(data)
    extra["ukendt_felt"] = "x"
    yield extra


@pytest.mark.parametrize("form_id", ["indsatsskema", "forberedende-skema", "samtykke",
                                     "handleplan", "strategi", "samarbejdsmodel"])
def test_surely_valid_is_never_true_for_invalid_data(form_id):
    from toolkit.validation import _validator, surely_valid

    frm = load_form(form_id)
    data = json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))
    check = surely_valid(frm.schema)
    validator = _validator(frm)
    sure = 0
    for changed in _mutations(data):
        if check(changed):
            sure += 1
            assert not list(validator.iter_errors(changed)), changed
    assert sure > 0  # the fast path is taken for valid data


def test_surely_valid_checks_every_format_as_full_validation_does():
    from toolkit.validation import FORMAT_CHECKER, FORMATS, surely_valid

    values = ["", "x", "2019-02-26", "2019-02-31", "2019-2-26", "2019-02", "2019-13",
              "hh@kk.dk", "hh@", "a@b", "12 34 56 78", "1234567", "010190-1234", "0101901234",
              "310290-1234", "København", "Københavns Kommune", "Aarhus", "2019-02-26\n"]
    for name in FORMATS:
        check = surely_valid({"type": "string", "format": name})
        for value in values:
            assert check(value) == FORMAT_CHECKER.conforms(value, name), (name, value)


def test_surely_valid_is_never_sure_of_what_it_cannot_check():
    from toolkit.validation import surely_valid

    assert not surely_valid({"type": "string", "format": "postnummer"})("8000")
    check = surely_valid({"type": "array"})
    assert check([1, 2]) and not check((1, 2))  # jsonschema: a tuple is not an array
    assert not surely_valid({"type": "object"})({"a": date(2019, 2, 26)})
    assert not surely_valid({"type": "object"})({1: "a"})


def test_output_that_is_a_file_is_a_usage_error(tmp_path, form):
    book = workbook(tmp_path, form, rows(1))
    clash = tmp_path / "fil.txt"
    clash.write_text("x", encoding="utf-8")
    result = invoke("batch", "indsatsskema", str(book), "-o", str(clash))
    assert result.exit_code == 2
    assert (f"Fejl: Ugyldig værdi for '-o' / '--output': '{clash}' er en fil, ikke en mappe."
            in result.output)
    inside = invoke("batch", "indsatsskema", str(book), "-o", str(clash / "under"))
    assert inside.exit_code == 2 and "kan ikke oprettes" in inside.output
    assert clash.read_text(encoding="utf-8") == "x"


def test_help_is_danish_and_names_the_pattern_fields(form):
    result = invoke("batch", "--help")
    assert result.exit_code == 0
    assert "Lav ét udfyldt dokument pr. gyldig række" in result.output
    assert "-o, --output MAPPE" in result.output and "--jobs N" in result.output
    with pytest.raises(BatchError) as err:
        check_pattern(form, "{ukendt}")
    assert "borger.navn" in err.value.hint and "borger.cpr" not in err.value.hint


def _children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            out.extend(int(c) for c in handle.read().split())
    return out


def test_a_killed_worker_stops_the_batch_instead_of_hanging(tmp_path, form):
    n = 600
    book = workbook(tmp_path, form, rows(n))
    out = tmp_path / "out"
    proc = _start(book, out)
    _wait_for_files(out, proc, 20)
    workers = _children(proc.pid)
    assert workers
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "en arbejdsproces stoppede uventet" in err
    assert "kør samme kommando igen for at lave resten, evt. med --jobs 1." in err
    assert "Traceback" not in err
    result = invoke("batch", "indsatsskema", str(book), "-o", str(out))
    assert result.exit_code == 0, result.output
    _check_complete(out, n)


def test_workbook_problems_come_first_and_fail_the_batch(tmp_path, form):
    sys.path.insert(0, str(ROOT))
    from bench.fakedata import write_indsats_workbook

    book = tmp_path / "fejl.xlsx"
    mistakes = write_indsats_workbook(book, 40, seed=2, mistakes=10)
    result = invoke("batch", "indsatsskema", str(book), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    extra = [m for m in mistakes if m.kind == "extra_column"]
    assert extra
    assert lines[0].startswith(f"Bemærk: {book}, {extra[0].place}: Kolonnen ")
    first_row = next(i for i, line in enumerate(lines) if line.startswith("Række "))
    assert all(line.startswith("Bemærk: ") for line in lines[:first_row])
    for m in mistakes:
        if m.kind not in ("extra_column", "cpr_lost_zero"):
            assert f", {m.place}: " in result.stderr, m
    for line in lines:
        assert not re.search(r"\d{6}-\d{4}", line), line


def test_hostile_values_survive_the_batch(tmp_path, form):
    from conftest import HOSTILE

    values = HOSTILE + ["=HYPERLINK(\"http://x\")", "../../etc/passwd", "CON"]
    data = rows(len(values))
    for row, value in zip(data, values):
        row["borger"]["navn"] = value
        row["indsatser"][0]["beskrivelse"] = value
        row["opfoelgning"]["aftaler"] = value
    book = workbook(tmp_path, form, data)
    out = tmp_path / "out"
    result = invoke("batch", "indsatsskema", str(book), "-o", str(out),
                    "--name", "{borger.navn}")
    assert result.exit_code == 0, result.output
    records = read_workbook(book, form).records
    manifest = {m["row"]: m["file"] for m in read_manifest(out / "manifest.csv")}
    assert len(set(manifest.values())) == len(values)
    for rec in records:
        made = (out / manifest[rec.row]).read_bytes()
        assert extract_docx(made).data == rec.data
        assert made == fill(form, rec.data)
    assert {p.parent for p in tmp_path.rglob("*.docx")} == {out}


def test_the_batch_parent_freezes_what_its_workers_inherit(tmp_path, form, monkeypatch):
    """The command moves what the parent holds after the first pass (the toolkit, the
    template, the reading) out of the collector's sight before the workers fork, so the
    parent's collections do not un-share those pages; at the end they are given back."""
    import gc

    import toolkit.pool as pool_module

    frozen_at_fork: list[int] = []
    real = pool_module._Pool.__init__

    def spy(self, *args, **kwargs):
        frozen_at_fork.append(gc.get_freeze_count())
        real(self, *args, **kwargs)

    monkeypatch.setattr(pool_module._Pool, "__init__", spy)
    before = gc.get_freeze_count()
    book = workbook(tmp_path, form, rows(20))
    result = invoke("batch", "indsatsskema", str(book), "-o", str(tmp_path / "out"),
                    "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert frozen_at_fork and all(n > before + 1000 for n in frozen_at_fork)
    assert gc.get_freeze_count() == before


def test_collector_freezable_gives_the_objects_back_also_after_an_error():
    import gc

    from toolkit.commands.process import collector_freezable

    before = gc.get_freeze_count()
    with collector_freezable():  # not asked to freeze: nothing changes
        assert gc.get_freeze_count() == before
    assert gc.get_freeze_count() == before
    with pytest.raises(RuntimeError), collector_freezable() as freeze:
        freeze()
        assert gc.get_freeze_count() > before
        raise RuntimeError
    assert gc.get_freeze_count() == before


def test_only_the_first_results_that_are_not_ok_are_kept_but_all_are_counted(
        tmp_path, form, monkeypatch):
    """A workbook of only invalid rows does not make the parent hold every row's problems
    to the end: the first KEPT in row order, and the counts (the command says all of
    them)."""
    import toolkit.batch as batch_module

    monkeypatch.setattr(batch_module, "KEPT", 2)
    book = workbook(tmp_path, form, rows(9, bad={i: "date" for i in (0, 2, 3, 5, 6, 8)}))
    result = run_batch(form, book, tmp_path / "out", jobs=2)
    assert [(r.row, r.status) for r in result.results] == [(2, INVALID), (4, INVALID)]
    assert result.count(INVALID) == 6 and result.count(WRITTEN) == 3
    cli = invoke("batch", "indsatsskema", str(book), "-o", str(tmp_path / "cli"),
                 "--jobs", "2")
    assert "3 filer skrevet, 6 ugyldige rækker sprunget over (9 rækker)" in cli.stdout
    assert cli.stderr.count("er ugyldig og springes over:") == 6
