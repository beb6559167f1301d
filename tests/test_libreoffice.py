"""Real clients: every generated Word file opens in LibreOffice, and poppler reads the PDF."""

from __future__ import annotations

import json
import re

import pytest
from conftest import HOSTILE, ROOT

from toolkit.catalogue import load_form
from toolkit.readers.docx import extract_docx
from toolkit.render.docx import render

FORMS = ["strategi", "handleplan"]  # the rest: test_catalogue.py


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _sample(form_id):
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def _leaf_texts(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaf_texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaf_texts(v)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("form_id", FORMS)
def test_filled_and_blank_convert_to_pdf_with_labels_and_values(form_id, tmp_path, soffice,
                                                                 pdftotext):
    form = load_form(form_id)
    data = _sample(form_id)
    filled = tmp_path / f"{form_id}.docx"
    filled.write_bytes(render(form, data))
    blank = tmp_path / f"{form_id}-tom.docx"
    blank.write_bytes(render(form, None, blank=True))
    text = _flat(pdftotext(soffice(filled, "pdf")))
    blank_text = _flat(pdftotext(soffice(blank, "pdf")))
    for fld in form.fields.values():
        title = _flat(fld.label if fld.list_path is None else fld.schema.get("title", ""))
        assert title[:40] in text and title[:40] in blank_text, title
    for value in _leaf_texts(data):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) or value in ("roed",):
            continue
        first_line = _flat(value.split("\n")[0])[:50]
        if first_line.strip() and not re.fullmatch(r"[a-z_]+", first_line):
            assert first_line in text, first_line
    assert "Klik eller tryk her for at skrive tekst." in blank_text
    assert "Side 1 af" in text


@pytest.mark.parametrize("form_id", FORMS)
def test_hostile_values_survive_libreoffice(form_id, tmp_path, soffice):
    form = load_form(form_id)
    data = _sample(form_id)
    long_fields = [p for p, f in form.fields.items() if f.kind in ("text", "long")
                   and "*" not in p]
    for i, path in enumerate(long_fields):
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = HOSTILE[i % len(HOSTILE)]
    first = next(iter(form.lists.values()), None)
    if first is not None and not first.scalar:
        key = next(f.key for f in first.fields if f.kind in ("text", "long"))
        items = data[first.path]
        items[0][key] = HOSTILE[3] + " " + HOSTILE[1]
    src = tmp_path / f"{form_id}.docx"
    src.write_bytes(render(form, data))
    assert extract_docx(src.read_bytes()).data == data
    saved = soffice(src, "docx")
    assert extract_docx(saved.read_bytes()).data == data


@pytest.mark.parametrize("form_id", FORMS)
def test_blank_after_libreoffice_is_empty(form_id, tmp_path, soffice):
    form = load_form(form_id)
    blank = tmp_path / f"{form_id}.docx"
    blank.write_bytes(render(form, None, blank=True))
    result = extract_docx(soffice(blank, "docx").read_bytes())
    assert result.data == {}
    assert {p.code for p in result.report} == {"required"}
