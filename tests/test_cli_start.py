"""The command line starts fast (issue 15, start-up): ``skema --help`` and ``skema forms``
load neither the heavy libraries nor the modules of the commands they do not run, and the
root's lazily imported commands are listed exactly as they would be loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from toolkit.cli import LAZY_COMMANDS

ROOT = Path(__file__).resolve().parent.parent

#: What neither ``--help`` nor ``forms`` may import: the heavy libraries and the modules of
#: other commands (each a subprocess's own imports, seen with ``-X importtime``).
HEAVY = {"jsonschema", "jsonschema_rs", "pikepdf", "pypdf", "docx", "lxml", "openpyxl",
         "reportlab", "fontTools", "PIL", "yaml", "pyhanko", "cryptography", "sqlite3",
         "logging", "multiprocessing", "importlib.metadata", "toolkit.validation",
         "toolkit.values", "toolkit.profile", "toolkit.problems", "toolkit.fileio",
         "toolkit.commands.batch", "toolkit.commands.workbook", "toolkit.commands.consent",
         "toolkit.commands.collect", "toolkit.commands.profile", "toolkit.commands.serve",
         "toolkit.consent", "toolkit.render", "toolkit.readers", "toolkit.limits"}


def _imported(*argv: str) -> tuple[set[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "toolkit", *argv],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
              if line.startswith("import time:")}
    return loaded, proc.stdout


def _heavy(loaded: set[str]) -> set[str]:
    return {m for m in loaded if m in HEAVY or m.split(".")[0] in HEAVY
            or any(m.startswith(h + ".") for h in HEAVY)}


@pytest.mark.parametrize("argv", [("--help",), ("forms",)], ids=["--help", "forms"])
def test_help_and_forms_load_nothing_heavy(argv):
    loaded, out = _imported(*argv)
    assert "toolkit.cli" in loaded and "click" in loaded  # the listing is real
    assert _heavy(loaded) == set()
    if argv == ("forms",):
        assert "toolkit.catalogue" in loaded
        assert out.splitlines()[0].split()[:2] == ["forberedende-skema", "1.0.0"]
    else:
        assert "toolkit.catalogue" not in loaded
        for name in LAZY_COMMANDS:
            assert f"\n  {name} " in out


#: What ``--help`` and ``forms`` do without, although the standard library has it (each
#: costs a few ms from an installed wheel, where ``site`` has not loaded it before).
STDLIB_SPARED = {"pathlib", "hashlib", "dataclasses", "shutil", "tempfile",
                 "importlib.resources", "toolkit.danish"}


@pytest.mark.parametrize("argv", [("--help",), ("forms",)], ids=["--help", "forms"])
def test_help_and_forms_spare_pathlib_hashlib_and_the_rest(argv, tmp_path):
    """Seen without ``site`` (``-S``), which in a checkout's editable install loads some of
    them before any command: what the command itself imports. ``forms`` of schemas found
    valid before (the second run) does not parse them: not even :mod:`json` is loaded."""
    beside_click = os.path.dirname(os.path.dirname(click.__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), beside_click]),
           "SKEMA_CACHE": str(tmp_path)}
    env.pop("SKEMA_SCHEMAS", None)
    for run in ("first", "second"):
        proc = subprocess.run([sys.executable, "-S", "-X", "importtime", "-m", "toolkit",
                               *argv], env=env, cwd=ROOT, capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        loaded = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                  if line.startswith("import time:")}
        assert "click" in loaded and "toolkit.cli" in loaded
        checked = run == "first" and argv == ("forms",)  # each form built once
        assert loaded & STDLIB_SPARED == ({"toolkit.danish"} if checked else set()), run
        assert ("json" in loaded) == checked
    assert len(os.listdir(tmp_path)) == (6 if argv == ("forms",) else 0)


def test_a_lazy_command_is_imported_when_it_runs():
    loaded, out = _imported("consent", "--help")
    assert "toolkit.commands.consent" in loaded
    assert "toolkit.commands.batch" not in loaded and "toolkit.commands.serve" not in loaded
    assert out.startswith("Brug: skema consent [TILVALG] KOMMANDO [ARGUMENTER]...")


def test_lazy_short_help_is_the_commands_own():
    """The short help written in :data:`LAZY_COMMANDS` is what the loaded command says."""
    for name, (where, short) in LAZY_COMMANDS.items():
        module, _, attribute = where.partition(":")
        command = getattr(__import__(module, fromlist=["_"]), attribute)
        assert isinstance(command, click.Command) and command.name == name
        own = command.short_help or (command.help or "").split("\n\n")[0].replace("\n", " ")
        assert own == short, name


def test_help_lists_every_command_as_when_all_are_loaded():
    """``skema --help`` of a fresh process (no command loaded) is the help of a command
    line whose commands are all loaded (both in a process of their own: the same width)."""
    _, fresh = _imported("--help")
    load_all = ("import click; from toolkit.cli import cli, main; ctx = click.Context(cli); "
                "[cli.get_command(ctx, name) for name in cli.list_commands(ctx)]; "
                "assert set(cli.lazy) <= set(cli.commands); main(['--help'])")
    loaded = subprocess.run([sys.executable, "-c", load_all], cwd=ROOT, capture_output=True,
                            text=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == fresh
    assert "Kommandoer:\n  batch      Ét udfyldt dokument pr. gyldig række i en projektmappe.\n" \
        in fresh


# --- consent add: the PDF/A copy started first, the process ended without teardown -------
def _scan(path: Path, text: str) -> Path:
    from test_consent import scan_pdf

    path.write_bytes(scan_pdf(text))
    return path


def _program(tmp_path: Path, *argv: str, importtime: bool = False,
             code: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m toolkit ARGV`` (or ``python -c CODE ARGV``) with a key of its own."""
    env = {**os.environ, "SKEMA_ARCHIVE_KEY_FILE": str(tmp_path / "archive.key"),
           "PYTHONPATH": str(ROOT)}
    env.pop("SKEMA_ARCHIVE_KEY", None)
    head = ["-X", "importtime"] if importtime else []
    run = ["-c", code] if code else ["-m", "toolkit"]
    return subprocess.run([sys.executable, *head, *run, *argv], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)


def _archive_and_scan(tmp_path: Path) -> tuple[str, Path]:
    """A new archive (``consent init``) and a scanned consent to add to it."""
    from conftest import _need

    _need("gs", "ghostscript")
    arkiv = str(tmp_path / "arkiv")
    assert _program(tmp_path, "consent", "init", "--archive", arkiv).returncode == 0
    return arkiv, _scan(tmp_path / "scan.pdf", "papir")


SCAN = ["--cpr", "010190-1234", "--purpose", "Samarbejde", "--valid-from", "2026-01-01",
        "--valid-to", "2026-12-31"]


def test_consent_add_starts_ghostscript_before_opening_the_archive(tmp_path):
    """The first file's PDF/A copy is started before the index (sqlite3), the audit log and
    the keys are loaded: Ghostscript works while the archive opens."""
    arkiv, scan = _archive_and_scan(tmp_path)
    proc = _program(tmp_path, "consent", "add", "--archive", arkiv, *SCAN, str(scan),
                    importtime=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines()[1] == "  PDF/A-2b: lavet med Ghostscript"
    order = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:")]
    started = order.index("toolkit.consent.rendition")
    for later in ("sqlite3", "toolkit.consent.store", "toolkit.consent.audit",
                  "toolkit.consent.keys", "logging"):
        assert order.index(later) > started, later
    for unused_before in ("toolkit.values", "pickle", "dataclasses"):
        assert unused_before not in order[:started], unused_before  # ISO dates, no fork yet
    listed = _program(tmp_path, "consent", "verify", "--archive", arkiv)
    assert listed.returncode == 0 and "er i orden: 1 samtykker, 3 filer" in listed.stdout


#: ``skema ARGV`` through :func:`toolkit.cli.run`, with an atexit handler that says when
#: Python's normal exit (teardown) ran.
AT_EXIT = ("import atexit, sys\n"
           "atexit.register(lambda: print('teardown', flush=True))\n"
           "sys.argv = ['skema', *sys.argv[1:]]\n"
           "from toolkit.cli import run\n"
           "run()\n")


def test_a_finished_consent_command_ends_without_teardown(tmp_path):
    """A consent command whose archive is closed ends the process at once (its output and
    its archive complete); a failed one, and every other command, exits normally."""
    arkiv, scan = _archive_and_scan(tmp_path)
    added = _program(tmp_path, "consent", "add", "--archive", arkiv, *SCAN, str(scan),
                     code=AT_EXIT)
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines() == [
        f"{scan}: arkiveret som samtykke nr. 1 – borger (010190-xxxx), gyldig 01-01-2026 "
        "til 31-12-2026, status aktiv", "  PDF/A-2b: lavet med Ghostscript"]
    again = _program(tmp_path, "consent", "add", "--archive", arkiv, *SCAN, str(scan),
                     code=AT_EXIT)
    assert again.returncode == 1
    assert again.stdout == "teardown\n"
    assert again.stderr.startswith("Fejl: ")
    listed = _program(tmp_path, "consent", "list", "--archive", arkiv, code=AT_EXIT)
    assert listed.returncode == 0 and "teardown" not in listed.stdout
    assert listed.stdout.endswith("Samarbejde\n1 samtykke\n")
    copy = tmp_path / "kopi.pdf"
    got = _program(tmp_path, "consent", "get", "1", "-o", str(copy), "--archive", arkiv,
                   code=AT_EXIT)
    assert got.returncode == 0 and got.stdout.startswith(f"{copy}: samtykke nr. 1 skrevet")
    assert "teardown" not in got.stdout and copy.read_bytes() == scan.read_bytes()
    forms = _program(tmp_path, "forms", code=AT_EXIT)
    assert forms.returncode == 0 and "teardown" not in forms.stdout
    assert forms.stdout.startswith("forberedende-skema  1.0.0    Forberedende skema\n")
    schema = _program(tmp_path, "schema", "strategi", code=AT_EXIT)
    assert schema.returncode == 0 and schema.stdout.endswith("}\nteardown\n")
    verify = _program(tmp_path, "consent", "verify", "--archive", arkiv)
    assert verify.returncode == 0 and "er i orden: 1 samtykker, 3 filer" in verify.stdout


def test_a_prepared_add_has_the_checks_of_a_file_read_by_the_archive(tmp_path):
    """Archive.add with ``prepared`` (bytes, kind and rendition started before the archive
    was opened): the same checks and result; an archive that makes no renditions gives the
    started one up."""
    from toolkit.consent import Archive
    from toolkit.consent.keys import create
    from toolkit.consent.rendition import start_file

    key = tmp_path / "archive.key"
    create(key)
    empty = tmp_path / "tom.pdf"
    empty.write_bytes(b"")
    assert start_file(empty) is None and start_file(tmp_path / "mangler.pdf") is None
    scan = _scan(tmp_path / "scan.pdf", "papir")
    given = {"cpr": "010190-1234", "formaal": "Samarbejde", "gyldig_fra": "2026-01-01",
             "gyldig_til": "2026-12-31"}
    with Archive(tmp_path / "uden", create=True, key_file=key, renditions=False) as arch:
        prepared = start_file(scan)
        assert prepared is not None and prepared[1] == "pdf"
        consent = arch.add(scan, given, prepared=prepared)
        assert prepared[2].result().note == "opgivet"  # given up, not waited for
        assert arch.missing_renditions() == [
            (consent.id, "ikke lavet ved arkiveringen (masseindlæsning)")]


@pytest.mark.parametrize("package", ["toolkit", "toolkit.consent"])
def test_every_public_name_of_a_lazy_package_is_there(package):
    """``import toolkit`` and ``toolkit.consent`` import their names on first use: every
    name of ``__all__`` resolves (to the object of its module), an unknown one does not."""
    code = (f"import sys, {package} as p\n"
            "assert 'toolkit.catalogue' not in sys.modules and 'sqlite3' not in sys.modules\n"
            "for name in p.__all__:\n"
            "    value = getattr(p, name)\n"
            "    assert getattr(p, name) is value, name\n"
            "    assert name in dir(p), name\n"
            "try:\n"
            "    p.nope\n"
            "except AttributeError as exc:\n"
            "    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"module '{package}' has no attribute 'nope'\n"


def test_an_iso_date_option_is_read_as_the_danish_reader_reads_it():
    """``consent add``'s ``--valid-from``/``--valid-to`` in ``YYYY-MM-DD`` are taken without
    loading :mod:`toolkit.values`: the same date as :func:`toolkit.danish.parse_date`, and
    every other spelling (or a date that does not exist) is left to it."""
    import datetime as dt

    from toolkit import danish
    from toolkit.consent.metadata import iso_day as _iso_day

    day, days = dt.date(1, 1, 1), []
    while day.year < 9999:
        days.append(day.isoformat())
        day += dt.timedelta(days=97)
    for text in days + ["2024-02-29", "9999-12-31"]:
        assert _iso_day(text) == text == danish.parse_date(text)
    for text in ("2026-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
                 "0000-01-01", "2026-1-01", "2026-01-01 ", " 2026-01-01", "2026-01-01T",
                 "20260101", "2026-W01-1", "2026/01/01", "31-10-2025", "+026-01-01",
                 "\uff12\uff10\uff12\uff16-01-01", "2026-٠١-01", ""):
        assert _iso_day(text) is None, text
    assert danish.parse_date("2026-1-01") == "2026-01-01"  # left to the full reader
    assert danish.parse_date("2026-02-29") is None


def test_help_and_forms_end_without_teardown_a_failed_forms_with_it(tmp_path, monkeypatch):
    """``--help`` (of any command) and ``forms`` only print: the program ends at once, its
    output complete; a ``forms`` that fails (a schema that is not valid) exits normally."""
    for argv in (["--help"], ["fill", "--help"], ["consent", "add", "--help"]):
        shown = _program(tmp_path, *argv, code=AT_EXIT)
        assert shown.returncode == 0 and "teardown" not in shown.stdout, argv
        assert shown.stdout.startswith(f"Brug: skema {' '.join(argv[:-1])}".rstrip() + " ")
        assert shown.stdout == _program(tmp_path, *argv).stdout
    monkeypatch.setenv("SKEMA_SCHEMAS", str(tmp_path))
    monkeypatch.setenv("SKEMA_CACHE", str(tmp_path / "cache"))
    (tmp_path / "strategi.schema.json").write_text('{"x-form": "strategi"}', encoding="utf-8")
    failed = _program(tmp_path, "forms", code=AT_EXIT)
    assert failed.returncode == 1 and failed.stdout == "teardown\n"
    assert failed.stderr.startswith('Fejl: Skemaet "strategi.schema.json" kan ikke bruges')


@pytest.mark.parametrize("columns", [None, "", "x", "0", "-3", "40", "60", "100"])
def test_the_help_width_is_shutils_without_shutil(columns, monkeypatch):
    """The help page's width is found as :func:`shutil.get_terminal_size` finds it."""
    import shutil

    from toolkit.commands.base import terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.delenv("LINES", raising=False)
    assert terminal_columns() == shutil.get_terminal_size().columns
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("COLUMNS", "LINES"):
        env.pop(name, None)
    if columns is not None:
        env["COLUMNS"] = columns
    width = subprocess.run([sys.executable, "-c", "import click.formatting as f; "
                            "print(f.HelpFormatter().width)"], env=env, cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    ours = subprocess.run([sys.executable, "-c", "from toolkit.cli import cli; import click; "
                           "print(cli.context_class(cli).make_formatter().width)"],
                          env=env, cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    assert ours == width


def test_the_program_loads_the_command_line_with_the_collector_paused(tmp_path):
    """``skema`` (``toolkit.program:run``, also ``python -m toolkit``) loads the command
    line with the garbage collector paused and the objects it made frozen; the command
    runs with the collector on, as an in-process import of the command line leaves it."""
    code = ("import atexit, gc, sys\n"
            "sys.argv = ['skema', 'schema', 'strategi']\n"
            "seen = []\n"
            "gc.callbacks.append(lambda phase, info: seen.append(info) if phase == 'start' "
            "and 'toolkit.program' in sys.modules "
            "and not hasattr(sys.modules.get('toolkit.cli'), 'run') else None)\n"
            "atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 10000, "
            "len(seen), file=sys.stderr))\n"
            "from toolkit.program import run\n"
            "run()\n")
    proc = _program(tmp_path, code=code)
    assert proc.returncode == 0 and proc.stdout.startswith("{")
    assert proc.stderr == "True True 0\n"
    assert "toolkit.program:run" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    plain = subprocess.run([sys.executable, "-c", "import gc, toolkit.cli; "
                            "print(gc.isenabled(), gc.get_freeze_count())"],
                           cwd=ROOT, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert plain.stdout == "True 0\n"
