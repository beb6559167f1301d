"""The library changes no process-wide state: only the command line may (DESIGN.md).

Library calls (fill, blank, extract, read a workbook, validate, collect, batch) are run
and the process's garbage collector, signal handlers, timers, logging set-up, warning
filters, recursion limit, environment and locale are compared before and after.
"""

from __future__ import annotations

import copy
import gc
import json
import locale
import logging
import os
import signal
import sys
import warnings
from pathlib import Path

import openpyxl  # noqa: F401 - imports numpy, which adds warning filters of its own
import pypdf  # noqa: F401
from test_consent import signing as signing  # the fixture: a self-made certificate signs

import toolkit.readers.docx
import toolkit.readers.pdf  # noqa: F401 - third-party modules are imported before the snapshot
from toolkit import blank, extract, fill, load_form, validate
from toolkit.batch import run_batch
from toolkit.collect import collect
from toolkit.sources.excel import read_workbook

ROOT = Path(__file__).resolve().parent.parent
SIGNALS = [s for s in signal.Signals if s not in (signal.SIGKILL, signal.SIGSTOP)]


def _logger_state(logger: logging.Logger) -> tuple:
    return (logger.level, list(logger.handlers), logger.propagate, logger.disabled,
            list(logger.filters))


def snapshot() -> dict:
    """Everything process-wide that a library might be tempted to change."""
    loggers = {name: _logger_state(obj) for name, obj in
               logging.Logger.manager.loggerDict.items() if isinstance(obj, logging.Logger)}
    return {
        "gc": (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()),
        "signals": {s: signal.getsignal(s) for s in SIGNALS},
        "timer": signal.getitimer(signal.ITIMER_REAL),
        "root logger": _logger_state(logging.getLogger()),
        "loggers": loggers,
        "logging disabled": logging.root.manager.disable,
        "warnings": list(warnings.filters),
        "recursion": sys.getrecursionlimit(),
        "environ": dict(os.environ),
        "locale": locale.setlocale(locale.LC_ALL, None),
        "cwd": os.getcwd(),
    }


def changed(before: dict, after: dict) -> dict:
    """What differs; a logger first made by the calls counts when it is not a default one."""
    out = {k: (before[k], after[k]) for k in before if k != "loggers" and before[k] != after[k]}
    default = (logging.NOTSET, [], True, False, [])
    for name, state in after["loggers"].items():
        if before["loggers"].get(name, default) != state:
            out[f"logger {name}"] = (before["loggers"].get(name, default), state)
    return out


# Calls that change process-wide state; made from the library's own code they fail the test
# even when the library puts the old state back afterwards (another thread would see it).
FORBIDDEN = {gc.disable, gc.enable, gc.freeze, gc.unfreeze, gc.set_threshold, signal.signal,
             signal.setitimer, signal.alarm, os.sync, sys.setrecursionlimit, locale.setlocale,
             os.putenv, os.unsetenv}
FORBIDDEN_CODE = {f.__code__ for f in (
    logging.Logger.setLevel, logging.Logger.addHandler, logging.Logger.removeHandler,
    logging.Filterer.addFilter, logging.basicConfig, logging.disable,
    warnings.filterwarnings, warnings.simplefilter, os._Environ.__setitem__,
    os._Environ.__delitem__)}


def _ours(frame) -> bool:
    name = frame.f_globals.get("__name__", "") if frame else ""
    return (name == "toolkit" or name.startswith("toolkit.")) and not name.startswith(
        ("toolkit.cli", "toolkit.commands"))


class Watch:
    """Records the forbidden calls the library makes (this thread) while it is active."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, frame, event: str, arg) -> None:
        if event == "c_call" and arg in FORBIDDEN and _ours(frame):
            self.calls.append(f"{frame.f_globals['__name__']}: {arg.__name__}")
        elif event == "call" and frame.f_code in FORBIDDEN_CODE and _ours(frame.f_back):
            self.calls.append(f"{frame.f_back.f_globals['__name__']}: {frame.f_code.co_name}")

    def __enter__(self) -> Watch:
        sys.setprofile(self)
        return self

    def __exit__(self, *_) -> None:
        sys.setprofile(None)


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def test_library_calls_leave_process_state_alone(tmp_path):
    before = snapshot()
    with Watch() as watch:
        _library_calls(tmp_path)
    assert watch.calls == []
    assert changed(before, snapshot()) == {}


def _library_calls(tmp_path: Path) -> None:
    docx = tmp_path / "ind" / "strategi.docx"
    docx.parent.mkdir()
    docx.write_bytes(fill("strategi", _sample("strategi")))
    pdf = tmp_path / "ind" / "samarbejdsmodel.pdf"
    pdf.write_bytes(fill("samarbejdsmodel", _sample("samarbejdsmodel"), "pdf"))
    broken = tmp_path / "ind" / "afkortet.pdf"
    broken.write_bytes(pdf.read_bytes()[: len(pdf.read_bytes()) // 2])  # pypdf repairs/logs
    for i in range(8):  # enough files for the process pool
        (tmp_path / "ind" / f"kopi{i}.docx").write_bytes(docx.read_bytes())
    assert extract(docx).data == _sample("strategi")
    assert extract(pdf).data == _sample("samarbejdsmodel")
    blank("indsatsskema", "xlsx")
    form = load_form("indsatsskema")
    book = read_workbook(ROOT / "samples" / "indsatsplaner.xlsx", form)
    assert book.records
    bad = copy.deepcopy(_sample("indsatsskema"))
    bad["borger"]["cpr"] = "nej"
    assert validate(form, bad).problems
    for workers in (1, 2):
        assert len(collect(tmp_path / "ind", workers=workers).entries) == 11
    result = run_batch(form, ROOT / "samples" / "indsatsplaner.xlsx", tmp_path / "ud", jobs=2)
    assert result.count("skrevet") > 100


def test_consent_add_of_a_signed_pdf_leaves_process_state_alone(tmp_path, signing):
    """Checking a PDF signature with pyHanko used to add a logging handler on every call."""
    from toolkit.consent import Archive

    first, second = _sample("samtykke"), _sample("samtykke")
    second["journalnummer"] = "27.12.00-G01-2-25"
    paths = []
    for i, data in enumerate((first, second)):
        paths.append(tmp_path / f"underskrevet{i}.pdf")
        paths[-1].write_bytes(signing(fill("samtykke", data, "pdf")))
    arch, _ = Archive.init(tmp_path / "arkiv", key_file=tmp_path / "noegle" / "archive.key")
    with arch:
        arch.add(paths[0])  # pyHanko imported, its loggers made, before the snapshot
        before = snapshot()
        with Watch() as watch:
            consent = arch.add(paths[1], add_anyway=True)
    assert [(s["underskriver"], s["status"]) for s in consent.signatures] == [
        ("Nukaaka Olsen", "intakt")]
    assert watch.calls == []
    assert changed(before, snapshot()) == {}


def test_the_command_line_silences_pyhanko_once(tmp_path):
    """The CLI quiets pyHanko's loggers (its traceback without trust roots is expected);
    running commands again adds no handlers."""
    from click.testing import CliRunner

    from toolkit.cli import cli

    for _ in range(3):
        assert CliRunner().invoke(cli, ["forms"]).exit_code == 0
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        ours = [type(h) for h in logger.handlers
                if not type(h).__module__.startswith("_pytest")]  # pytest's capture aside
        assert ours == [logging.NullHandler]
        assert logger.propagate is False
