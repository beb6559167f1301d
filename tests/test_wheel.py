"""The built wheel works on its own: schemas, templates, fonts and data come from inside it.

The wheel is built from a copy of the checkout and installed with ``pip --target`` (no
dependencies, they are already here); ``skema`` then runs from a folder outside the
checkout, so nothing can be found in the repository by accident. `.ci/wheel-check` does the
same with a brand-new venv and the dependencies from PyPI.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, _missing

pytestmark = pytest.mark.wheel

_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "ud", "*.egg-info",
                                     "__pycache__", ".pytest_cache", ".ruff_cache",
                                     ".mypy_cache", ".installed")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of the checkout (no stale build/ folder)."""
    if importlib.util.find_spec("pip") is None:
        _missing("pip findes ikke i dette Python-miljø", "pip mangler i CI's venv")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_NOT_SOURCE)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(tmp / "dist"), str(src)], check=True, capture_output=True, timeout=300)
    (found,) = (tmp / "dist").glob("skema-*.whl")
    return found


def test_wheel_holds_schemas_templates_fonts_and_types(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    schemas = {f"toolkit/schemas/{p.name}" for p in (ROOT / "schemas").glob("*.schema.json")}
    templates = {f"toolkit/form_templates/{p.name}" for p in (ROOT / "form_templates").glob(
        "*.docx")}
    assert len(schemas) == len(templates) == 6
    assert schemas | templates <= names
    assert {"toolkit/py.typed", "toolkit/data/kommuner.json", "toolkit/fonts/LICENSE",
            "toolkit/fonts/DejaVuSans.ttf", "toolkit/fonts/DejaVuSans-Bold.ttf",
            "toolkit/fonts/DejaVuSans-Oblique.ttf",
            "toolkit/fonts/DejaVuSans-BoldOblique.ttf"} <= names
    assert not any(n.startswith(("samples/", "tests/", "schemas/")) for n in names)


def test_installed_wheel_runs_skema_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SKEMA_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    work = tmp_path / "elsewhere"
    work.mkdir()

    def skema(*args: str) -> str:
        done = subprocess.run([str(site / "bin" / "skema"), *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run(
        [sys.executable, "-c", "import toolkit; from toolkit.catalogue import template_dir;"
         "from toolkit.resources import font_file;"
         "print(toolkit.__file__); print(template_dir()); print(font_file('bold'))"],
        cwd=work, env=env, capture_output=True, text=True, check=True).stdout.split("\n")
    assert all(line.startswith(str(site)) for line in where[:3]), where

    ids = [line.split()[0] for line in skema("forms").splitlines()]
    assert ids == ["forberedende-skema", "handleplan", "indsatsskema", "samarbejdsmodel",
                   "samtykke", "strategi"]
    skema("fill", "strategi", str(ROOT / "samples" / "strategi.json"), "-o", "x.docx")
    assert '"kommune": "Eksempel"' in skema("extract", "x.docx")
    skema("blank", "samtykke", "-o", "x.pdf")
    assert (work / "x.pdf").read_bytes().startswith(b"%PDF")
