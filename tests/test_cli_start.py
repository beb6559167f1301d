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
