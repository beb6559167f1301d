"""Excel input workbooks: layout, reading rules, problem places, report copy, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.forms import form_ids, load_form
from toolkit.render.xlsx import input_workbook
from toolkit.sources.excel import read_workbook

ROOT = Path(__file__).resolve().parent.parent


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("form_id", form_ids())
def test_round_trip_every_sample(form_id, tmp_path):
    form = load_form(form_id)
    data = _sample(form_id)
    path = tmp_path / "in.xlsx"
    path.write_bytes(input_workbook(form, [data, data]))
    book = read_workbook(path, form)
    assert book.problems == []
    assert [r.key for r in book.records] == ["1", "2"]
    assert [r.row for r in book.records] == [2, 3]
    for rec in book.records:
        assert rec.problems == []
        assert rec.data == data
