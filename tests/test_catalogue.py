"""The six forms end to end in Word: round trips, derived content, verbatim questions."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from conftest import HERE, HOSTILE, ROOT, seed_text
from lxml import etree

from toolkit.catalogue import form_ids, load_form
from toolkit.readers.docx import extract_docx
from toolkit.render.docx import render

FORMS = form_ids()


def sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def doc_text(data: bytes) -> str:
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    return re.sub(r"\s+", " ", "".join(root.itertext()))


def answers(value):
    """The data without unchecked boxes: what a person actually answered."""
    if isinstance(value, dict):
        out = {k: answers(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (False, {}, [], None)}
    if isinstance(value, list):
        return [answers(v) for v in value]
    return value


def hostile(form, data: dict) -> dict:
    """The sample with every free-text field (top level and first list row) hostile."""
    i = 0
    for path, fld in form.fields.items():
        if fld.kind not in ("text", "long") or fld.format:
            continue
        if fld.list_path is None:
            node, parts = data, path.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = HOSTILE[i % len(HOSTILE)]
            i += 1
        else:
            items = data.get(fld.list_path.split(".")[0])
            for part in fld.list_path.split(".")[1:]:
                items = items.get(part) if isinstance(items, dict) else None
            if items and not form.lists[fld.list_path].scalar:
                items[0][fld.key] = HOSTILE[(i + 3) % len(HOSTILE)] + " – række"
                i += 1
    return data


@pytest.mark.parametrize("form_id", FORMS)
def test_sample_round_trip(form_id):
    form = load_form(form_id)
    data = sample(form_id)
    result = extract_docx(render(form, data))
    assert result.data == data
    assert result.report.valid, result.report.to_text()


@pytest.mark.parametrize("form_id", FORMS)
def test_hostile_round_trip(form_id):
    form = load_form(form_id)
    data = hostile(form, sample(form_id))
    assert extract_docx(render(form, data)).data == data


@pytest.mark.parametrize("form_id", FORMS)
def test_blank_extracts_to_empty(form_id):
    form = load_form(form_id)
    result = extract_docx(render(form, None, blank=True))
    assert answers(result.data) == {}
    assert result.report.problems and {p.code for p in result.report} <= {"required",
                                                                           "minItems"}


@pytest.mark.parametrize("form_id", FORMS)
def test_round_trip_after_libreoffice(form_id, tmp_path, soffice):
    form = load_form(form_id)
    data = hostile(form, sample(form_id))
    src = tmp_path / f"{form_id}.docx"
    src.write_bytes(render(form, data))
    assert extract_docx(soffice(src, "docx").read_bytes()).data == data
    blank = tmp_path / f"{form_id}-tom.docx"
    blank.write_bytes(render(form, None, blank=True))
    assert answers(extract_docx(soffice(blank, "docx").read_bytes()).data) == {}


def test_samarbejdsmodel_questions_in_schema_and_document():
    form = load_form("samarbejdsmodel")
    questions = [q for q in (HERE / "data" / "samarbejdsmodel_questions.txt")
                 .read_text(encoding="utf-8").splitlines() if q.strip()]
    assert len(questions) >= 25
    titles = {f.schema.get("title") for f in form.fields.values()}
    titles |= {form.schema_at(path).get("title") for path in form.lists}
    text = doc_text(render(form, sample("samarbejdsmodel")))
    blank = doc_text(render(form, None, blank=True))
    for question in questions:
        assert question in titles, question
        assert question in text and question in blank, question
    source = re.sub(r"\s+", " ", seed_text("004_b0fe0926a7a6788e.txt"))
    for heading in ("Målgruppe og samarbejdspartnere", "Organisering af indsatsen",
                    "Kommunikation", "Planer og arbejdsredskaber", "Tilbudsoversigt",
                    "Formidling og opdatering af den overordnede ramme"):
        assert heading in text and heading in source


def test_kommune_placeholders_take_the_name():
    form = load_form("samarbejdsmodel")
    data = sample("samarbejdsmodel")
    data["kommune"] = "København"
    text = doc_text(render(form, data))
    assert "aktører i Københavns Kommune" in text
    assert "I Københavns Kommune er følgende personer udpeget som mulige tovholdere" in text
    assert "aktører i [xx] Kommune" in doc_text(render(form, None, blank=True))


def test_month_overview_derived_from_interventions():
    form = load_form("indsatsskema")
    data = sample("indsatsskema")
    data["periode"] = {"start": "2024-10-01", "slut": "2025-03-31"}
    data["indsatser"] = [
        {"omraade": "sundhed", "indsats": "Behandling", "start_maaned": "2024-10",
         "slut_maaned": "2024-12", "status": "i_gang"},
        {"omraade": "beskaeftigelse", "indsats": "Praktik", "start_maaned": "2025-02",
         "slut_maaned": "2025-03", "status": "planlagt"},
    ]
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(render(form, data)))
                            .read("word/document.xml"))
    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    table = next(t for t in root.iter(f"{W}tbl")
                 if "".join(t.itertext()).startswith("Indsatsokt24"))
    rows = [["".join(c.itertext()) for c in r.findall(f"{W}tc")] for r in table.findall(f"{W}tr")]
    # the month on one line, the year below it (a line break between: no text)
    assert rows[0] == ["Indsats", "okt24", "nov24", "dec24", "jan25", "feb25", "mar25"]
    assert len(table.findall(f"{W}tr")[0].findall(f".//{W}br")) == 6
    assert rows[1] == ["Behandling", "X", "X", "X", "", "", ""]
    assert rows[2] == ["Praktik", "", "", "", "", "X", "X"]
    assert len(rows) == 3
    # derived: no content control in the overview, so nothing to type in or extract
    assert not list(table.iter(f"{W}sdt"))


# --- the same forms as fillable PDF -----------------------------------------------------
@pytest.mark.parametrize("form_id", FORMS)
def test_pdf_hostile_round_trip_filled_and_flattened(form_id):
    from toolkit.readers.pdf import extract_pdf
    from toolkit.render.pdf import render_pdf

    form = load_form(form_id)
    data = hostile(form, sample(form_id))
    assert extract_pdf(render_pdf(form, data)).data == data
    assert extract_pdf(render_pdf(form, data, flatten=True)).data == data


@pytest.mark.parametrize("form_id", FORMS)
def test_pdf_blank_extracts_to_empty(form_id):
    from toolkit.readers.pdf import extract_pdf
    from toolkit.render.pdf import render_pdf

    result = extract_pdf(render_pdf(load_form(form_id), None, blank=True))
    assert answers(result.data) == {}


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _kept_together(tbl) -> bool:
    rows = tbl.findall(f"{W}tr")
    unsplit = all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows[1:])
    # every cell's first paragraph (label and answer); extra lines of a multi-line
    # answer are made at fill time and need not carry it
    kept = all(next(tc.iter(f"{W}p")).find(f"{W}pPr/{W}keepNext") is not None
               for r in rows[:-1] for tc in r.iter(f"{W}tc"))
    return unsplit and kept


def test_item_blocks_and_month_overview_are_never_split():
    form = load_form("indsatsskema")
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(render(form, sample("indsatsskema"))))
                            .read("word/document.xml"))
    blocks = [t for t in root.iter(f"{W}tbl")
              if any((tag.get(f"{W}val") or "").startswith("indsatser.")
                     for tag in t.iter(f"{W}tag"))]
    assert len(blocks) == len(sample("indsatsskema")["indsatser"])
    assert all(_kept_together(t) for t in blocks)
    overview = [t for t in root.iter(f"{W}tbl") if t not in blocks and "Indsats" == "".join(
        t.find(f"{W}tr").find(f"{W}tc").itertext())]
    assert len(overview) == 1 and _kept_together(overview[0])


def test_fields_lists_and_slots_are_immutable_values():
    """Field, ListDef and Slot behave as the frozen dataclasses they were: compared, hashed
    and shown by their values (a field without its schema node), not assignable, and they
    pickle and copy (a form's fields go to a bounded child and back)."""
    import copy
    import pickle

    from toolkit.catalogue import Field, Form

    form = load_form("indsatsskema")
    fld = next(f for f in form.fields.values() if f.list_path)
    same = Field(fld.path, fld.label, fld.kind, fld.help, fld.format, fld.choices,
                 fld.list_path, fld.required, schema={"other": "node"})
    assert same == fld and hash(same) == hash(fld) and same.schema != fld.schema
    assert Field(fld.path, fld.label + " ", fld.kind) != fld
    assert fld != tuple(getattr(fld, n) for n in Field._fields[:8])
    assert repr(Field("a", "b", "text")) == ("Field(path='a', label='b', kind='text', help='', "
                                             "format=None, choices=(), list_path=None, "
                                             "required=False)")
    assert Field("a", "b", "text").schema == {}
    for record in (fld, form.lists[fld.list_path], form.slots()[0]):
        for name in type(record)._fields:
            with pytest.raises(AttributeError):
                setattr(record, name, None)
            with pytest.raises(AttributeError):
                delattr(record, name)
        with pytest.raises(AttributeError):
            record.extra = 1  # type: ignore[union-attr]
        back = pickle.loads(pickle.dumps(record))
        assert back == record and copy.deepcopy(record) == record
        assert repr(back) == repr(record) and hash(back) == hash(record)
    assert pickle.loads(pickle.dumps(fld)).schema == fld.schema
    again = Form(form.schema)
    assert again.slots() == form.slots() and again.lists == form.lists
    assert len({*form.fields.values(), *again.fields.values()}) == len(form.fields)
