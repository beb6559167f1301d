"""One problem type with registered codes (toolkit.problems) for validation, reading
notes and collect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit import Problem, Report, fill, load_form, validate
from toolkit.problems import CODES, note, register, title
from toolkit.readers.docx import extract_docx

ROOT = Path(__file__).resolve().parent.parent


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def test_an_unregistered_code_is_refused():
    with pytest.raises(ValueError, match="unregistered problem code 'stavefejl'"):
        Problem("a", "A", "er forkert", "stavefejl")
    with pytest.raises(ValueError, match="registered with another title"):
        register("required", "noget andet")
    assert title("required") == "skal udfyldes" == Problem("a", "A", "x", "required").title


def test_validation_problems_carry_codes_and_print_as_table_and_json():
    data = _sample("forberedende-skema")
    data["borger"]["email"] = "camilla@"
    del data["borger"]["navn"]
    report = validate(load_form("forberedende-skema"), data)
    assert isinstance(report, Report)
    assert sorted(report.codes()) == ["format", "required"]
    assert [p.path for p in report.with_code("format")] == ["borger.email"]
    rows = report.to_table().splitlines()
    assert rows[0].split() == ["Sted", "Felt", "Type", "Besked"]
    assert any("Borger – e-mail" in r and "forkert format" in r and
               "skal være en e-mailadresse, fx navn@kommune.dk" in r for r in rows[1:])
    assert {"path", "label", "message", "code", "place"} == set(json.loads(
        report.to_json())[0])  # "detail" only when there is one


def test_extraction_notes_are_problems_with_codes():
    got = extract_docx(fill("strategi", _sample("strategi")), "x.docx", "strategi")
    assert got.notes == []
    got = extract_docx(fill("strategi", _sample("strategi")), "x.docx", "samarbejdsmodel")
    assert [n.code for n in got.notes][:1] == ["other_form"]
    assert got.notes[0].message == ('dokumentet er en "strategi"-formular, men læses som '
                                    '"samarbejdsmodel" som ønsket')
    assert str(got.notes[0]) == got.notes[0].message  # printed as before


def test_every_code_has_a_danish_title():
    assert all(isinstance(t, str) and t for t in CODES.values())
    assert note("duplicate", "samme indhold").title == "samme indhold som en anden fil"


def test_every_code_written_in_the_toolkit_is_registered():
    """Codes given as literals to Problem(…), note(…), finding(…) and the validator's
    ctx.add(…)."""
    import ast

    used: dict[str, str] = {}
    for path in (ROOT / "toolkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            position = {"Problem": 3, "note": 0, "finding": 0, "add": 2}.get(name)
            args = [kw.value for kw in node.keywords if kw.arg == "code"] or (
                node.args[position: position + 1] if position is not None else [])
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    used[arg.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    assert "missing_sheet" in used and "crashed" in used and "rollback" in used
    assert {code: where for code, where in used.items() if code not in CODES} == {}
