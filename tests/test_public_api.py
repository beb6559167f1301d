"""The public API (toolkit/__init__.py): what it exports, what extract() returns, and that
``import toolkit`` stays light."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import typing
from pathlib import Path

import toolkit

ROOT = Path(__file__).resolve().parent.parent


def test_every_exported_name_exists_and_has_a_docstring():
    for name in toolkit.__all__:
        value = getattr(toolkit, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), f"{name} has no docstring"
    assert {"Extraction", "Problem", "Report", "extract", "fill", "validate"} <= set(
        toolkit.__all__)


def test_extract_returns_the_exported_extraction(tmp_path):
    data = json.loads((ROOT / "samples" / "strategi.json").read_text(encoding="utf-8"))
    path = tmp_path / "strategi.docx"
    path.write_bytes(toolkit.fill("strategi", data))
    got = toolkit.extract(path)
    assert isinstance(got, toolkit.Extraction)
    assert got.data == data and isinstance(got.report, toolkit.Report) and got.report.valid
    hints = typing.get_type_hints(toolkit.extract, globalns={  # names only type-checked
        **vars(toolkit), "Extraction": toolkit.Extraction, "Path": Path})
    assert hints["return"] is toolkit.Extraction


def test_import_toolkit_loads_no_reader_or_renderer():
    code = ("import sys, toolkit; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('lxml', 'pypdf', 'reportlab', 'docx', 'openpyxl', 'pyhanko') or "
            "m.startswith(('toolkit.readers.', 'toolkit.render.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_no_public_function_shadows_a_module():
    """``toolkit.forms()`` and ``toolkit.extract()`` are functions; no submodule of the
    package has the name of a public function (issue 16, point 11)."""
    import importlib.util
    import inspect

    functions = [n for n in toolkit.__all__ if inspect.isfunction(getattr(toolkit, n))]
    assert {"forms", "extract", "fill", "blank", "validate"} <= set(functions)
    shadowed = [n for n in functions if importlib.util.find_spec(f"toolkit.{n}") is not None]
    assert shadowed == []
