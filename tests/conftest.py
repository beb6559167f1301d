"""Shared fixtures: the test-only form, LibreOffice and poppler helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from toolkit.catalogue import load_form

HERE = Path(__file__).parent
ROOT = HERE.parent
#: The source documents the forms reproduce: ``$SKEMA_SEEDS``, else ``../shared/seeds``.
SEEDS = Path(os.environ.get("SKEMA_SEEDS") or ROOT.parent / "shared" / "seeds")

#: Values that must render literally and come back unchanged.
HOSTILE = [
    "<b>fed</b> & \"citat\" 'enkelt'",
    "{{ x }} og {% if y %}z{% endif %} og {# kommentar #}",
    "Æbleø på Ærø – Åse Østergård 😀 ✓",
    "første linje\nanden linje\n\nefter tom linje",
    "tab\tmellem",
    "x" * 10_000,
    "]]> <![CDATA[ &amp; &#x41;",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(skip_reason: str, ci_reason: str) -> None:
    """The one way a test gives up: a skip with its reason, but a failure under CI=true."""
    if in_ci():
        pytest.fail(ci_reason)
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    pytest.skip(f"{test}: {skip_reason}" if test else skip_reason)


def _need(tool: str, package: str = "LibreOffice/poppler-utils") -> str:
    """The tool's path; skips when it is missing, fails under CI (.ci/run installs it)."""
    path = shutil.which(tool)
    if path is None:
        _missing(f"{tool} er ikke installeret ({package})",
                 f"{tool} mangler i CI; .ci/run skal installere {package}")
    return path


def seed_text(name: str) -> str:
    """A source document from ``SEEDS``; skips when absent (a plain clone), fails under CI."""
    path = SEEDS / name
    if not path.is_file():
        _missing(f"kildedokumentet {name} findes ikke i {SEEDS} "
                 "(sæt $SKEMA_SEEDS eller læg ../shared/seeds ved siden af repoet)",
                 f"kildedokumentet {path} mangler i CI")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def soffice(tmp_path_factory):
    """A function converting a file with LibreOffice: convert(path, "pdf"|"docx") -> Path."""
    exe = _need("soffice")
    profile = tmp_path_factory.mktemp("lo-profile")

    def convert(path: Path, target: str) -> Path:
        outdir = path.parent / f"lo-{target}"
        outdir.mkdir(exist_ok=True)
        subprocess.run(
            [exe, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", target, "--outdir", str(outdir), str(path)],
            check=True, capture_output=True, timeout=180,
        )
        out = outdir / (path.stem + "." + target)
        assert out.is_file(), f"LibreOffice skrev ikke {out}"
        return out

    return convert


@pytest.fixture(scope="session")
def pdftotext():
    exe = _need("pdftotext")

    def run(path: Path) -> str:
        return subprocess.run([exe, str(path), "-"], check=True,
                              capture_output=True, text=True).stdout

    return run


@pytest.fixture
def proeve(monkeypatch, tmp_path):
    """The test-only form with every field kind, its template built into tmp_path."""
    from toolkit.render.docx import build_template

    monkeypatch.setenv("SKEMA_SCHEMAS", str(HERE / "fixtures" / "schemas"))
    monkeypatch.setenv("SKEMA_TEMPLATES", str(tmp_path / "tpl"))
    form = load_form("proeve")
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "proeve.docx").write_bytes(build_template(form))
    return form


def proeve_data(text: str = "Hans Hansen") -> dict:
    """A valid filled proeve form; ``text`` goes into every free-text field."""
    return {
        "kommune": "København",
        "navn": text,
        "cpr": "010190-1234",
        "dato": "2019-02-26",
        "kontakt": {"email": "hh@kk.dk", "ok": True, "telefon": "12 34 56 78"},
        "farve": "roed",
        "svar": text,
        "delmaal": [text, "andet delmål"],
        "aktiviteter": [
            {"aktivitet": text, "maal": ["a", "c"], "hvornaar": "2020-01-31",
             "lang": text, "fra": "2019-03", "til": "2019-05"},
            {"aktivitet": "Anden", "maal": ["b"], "fra": "2019-04", "til": "2019-04"},
        ],
        "periode": {"start": "2019-03-01", "slut": "2019-08-31"},
    }


@pytest.fixture
def run():
    """Run the ``skema`` command line in-process (click's CliRunner); returns the result."""
    from click.testing import CliRunner

    from toolkit.cli import cli

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke
