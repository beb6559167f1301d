"""The catalogue's schemas: well-formed, laid out completely, verbatim, with valid samples."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT, seed_text
from jsonschema import Draft202012Validator

from toolkit.catalogue import form_ids, load_form
from toolkit.validation import validate

FORMS = form_ids()


@pytest.mark.parametrize("form_id", FORMS)
def test_schema_is_valid_json_schema(form_id):
    form = load_form(form_id)
    Draft202012Validator.check_schema(form.schema)
    assert form.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert form.id == form_id and re.fullmatch(r"\d+\.\d+\.\d+", form.version)
    assert form.title and form.description


@pytest.mark.parametrize("form_id", FORMS)
def test_every_field_is_laid_out_once(form_id):
    form = load_form(form_id)
    idents = [s.ident for s in form.slots()]
    assert len(idents) == len(set(idents)), "a field appears twice in x-layout"
    laid_out = {s.field.path for s in form.slots()}
    assert laid_out == set(form.fields), set(form.fields) ^ laid_out


@pytest.mark.parametrize("form_id", FORMS)
def test_field_ids_are_ascii_snake_case_and_labels_danish(form_id):
    form = load_form(form_id)
    for path, fld in form.fields.items():
        for part in path.split("."):
            assert part == "*" or re.fullmatch(r"[a-z][a-z0-9_]*", part), path
        assert fld.label and fld.label != fld.key, path


@pytest.mark.parametrize("form_id", FORMS)
def test_aliases_are_unique(form_id):
    form = load_form(form_id)
    aliases = [s.field.label + (f": {s.field.choice_title(s.option)}" if s.option else "")
               for s in form.slots()]
    assert len(aliases) == len(set(aliases))


@pytest.mark.parametrize("form_id", FORMS)
def test_sample_is_valid(form_id):
    sample = ROOT / "samples" / f"{form_id}.json"  # every form has one (the demo fills it)
    report = validate(load_form(form_id), json.loads(sample.read_text(encoding="utf-8")))
    assert report.valid, report.to_text()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _static_texts(form) -> list[str]:
    texts = []
    for block in form.layout:
        for key in ("heading", "text"):
            if key in block:
                texts.append(block[key])
        texts.extend(block.get("bullets", []))
    return texts


@pytest.mark.parametrize("form_id,seed", [
    ("strategi", "000_4d4dbd32747f6a76.txt"),
    ("handleplan", "004_b0fe0926a7a6788e.txt"),
])
def test_static_text_and_questions_are_verbatim(form_id, seed):
    form = load_form(form_id)
    source = _norm(seed_text(seed).replace("*", ""))
    missing = []
    for text in _static_texts(form):
        plain = _norm(text.replace("*", ""))
        if "{" in plain:
            continue  # a heading with the municipality's name filled in
        if plain not in source:
            missing.append(plain)
    assert not missing, missing


def test_strategi_questions_and_spilleregler():
    form = load_form("strategi")
    source = seed_text("000_4d4dbd32747f6a76.txt")
    questions = re.findall(r"^\| ([^|]+\?) \| \|$", source, flags=re.M)
    assert len(questions) == 5
    assert [form.fields[k].label for k in ("maal", "identifikation", "inddragelse",
            "samtykke_og_databeskyttelse", "opfoelgning")] == [q.strip() for q in questions]
    rules = re.findall(r"^- ✓ (.+)$", source, flags=re.M)
    bullets = [b for block in form.layout if block.get("marker") == "✓"
               for b in block["bullets"]]
    assert bullets == rules and len(rules) == 6


def test_handleplan_maalsaetninger_verbatim():
    form = load_form("handleplan")
    source = _norm(seed_text("004_b0fe0926a7a6788e.txt"))
    page5 = source[source.index("Disse mål er:"):source.index("For at sikre at")]
    expected = [_norm(m) for m in re.findall(r"• ([^•]+)", page5)]
    titles = [t for _, t in form.fields["aktiviteter.*.maalsaetninger"].choices]
    assert titles == expected and len(titles) == 6
    assert form.lists["aktiviteter"].blank_rows == 6
