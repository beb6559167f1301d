"""Schemas are checked when loaded: JSON Schema 2020-12 and the meta-schema of the x- keywords."""

from __future__ import annotations

import copy
import io
import json
import os
import sys
import zipfile

import pytest
from conftest import HERE, ROOT, proeve_data
from jsonschema import Draft202012Validator

from toolkit import catalogue
from toolkit.catalogue import check_schema, form_ids, load_form, meta_schema
from toolkit.derived import DRAWINGS
from toolkit.errors import SchemaError

SCHEMAS = ROOT / "schemas"
README_HINT = "Ret skemaet; dets nøgleord (også x-nøgleordene) er beskrevet i schemas/README.md."


def strategi() -> dict:
    return json.loads((SCHEMAS / "strategi.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def own(tmp_path, monkeypatch):
    """A municipality's own schema folder; returns a function that writes one schema."""
    monkeypatch.setenv("SKEMA_SCHEMAS", str(tmp_path))
    monkeypatch.setenv("SKEMA_CACHE", str(tmp_path / "cache"))

    def write(schema: dict | str, name: str = "strategi") -> None:
        text = schema if isinstance(schema, str) else json.dumps(schema, ensure_ascii=False)
        (tmp_path / f"{name}.schema.json").write_text(text, encoding="utf-8")

    return write


def refused(schema) -> SchemaError:
    with pytest.raises(SchemaError) as err:
        check_schema(schema, "minform.schema.json")
    return err.value


def test_misspelled_root_x_keyword_is_refused_with_the_message(own):
    schema = strategi()
    schema["x-layot"] = schema.pop("x-layout")
    own(schema)
    with pytest.raises(SchemaError) as err:
        load_form("strategi")
    assert str(err.value) == ('Skemaet "strategi.schema.json" kan ikke bruges: ukendt nøgleord '
                              '"x-layot" ved $.x-layot (mente du "x-layout"?).')
    assert err.value.hint == README_HINT


def test_misspelled_x_keyword_on_a_field_names_its_place():
    schema = strategi()
    schema["properties"]["kommune"]["x-lable"] = "Kommunen"
    assert str(refused(schema)) == (
        'Skemaet "minform.schema.json" kan ikke bruges: ukendt nøgleord "x-lable" ved '
        '$.properties.kommune.x-lable (mente du "x-label"?).')


def test_root_keyword_on_a_field_is_refused():
    schema = strategi()
    schema["properties"]["kommune"]["x-layout"] = []
    assert str(refused(schema)) == (
        'Skemaet "minform.schema.json" kan ikke bruges: ukendt nøgleord "x-layout" ved '
        "$.properties.kommune.x-layout.")


def test_misspelled_key_inside_x_layout_is_refused():
    schema = strategi()
    schema["x-layout"][1]["levl"] = 2
    assert str(refused(schema)) == (
        'Skemaet "minform.schema.json" kan ikke bruges: ukendt nøgleord "levl" ved '
        '$.x-layout[1].levl (mente du "level"?).')


def test_layout_block_of_no_known_kind_and_wrong_values_are_refused():
    schema = strategi()
    schema["x-layout"][2] = {"headng": "Indledning"}
    assert str(refused(schema)).startswith(
        'Skemaet "minform.schema.json" kan ikke bruges: $.x-layout[2]: blokken har ingen '
        "kendt type; en blok har et af nøgleordene heading, text, bullets, fields, rows,")
    schema = strategi()
    schema["x-layout"][1]["level"] = "2"
    assert str(refused(schema)) == ('Skemaet "minform.schema.json" kan ikke bruges: '
                                    "$.x-layout[1].level skal være et helt tal.")
    schema = strategi()
    schema["x-layout"].append({"image": "cirkel"})
    assert str(refused(schema)).endswith('.image skal være en af: "netvaerkscirkel".')
    schema = strategi()
    schema["x-rules"] = [{"rule": "order", "earlier": "periode.start"}]
    assert str(refused(schema)) == ('Skemaet "minform.schema.json" kan ikke bruges: '
                                    'nøgleordet "later" mangler ved $.x-rules[0].')


def test_schema_that_is_not_json_schema_2020_12_is_refused():
    schema = strategi()
    schema["required"] = "kommune"
    err = refused(schema)
    assert str(err) == ('Skemaet "minform.schema.json" kan ikke bruges: $.required skal '
                        "være en liste.")
    assert err.hint == "Ret skemaet, så det er gyldigt JSON Schema 2020-12."
    schema = strategi()
    schema["properties"]["kommune"]["type"] = "strin"
    assert str(refused(schema)) == (
        'Skemaet "minform.schema.json" kan ikke bruges: nøgleordet "type" ved '
        "$.properties.kommune.type har en ugyldig værdi.")
    schema = strategi()
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    assert str(refused(schema)) == (
        'Skemaet "minform.schema.json" kan ikke bruges: $.$schema skal være '
        '"https://json-schema.org/draft/2020-12/schema".')


def test_x_form_must_match_the_file_name_and_json_must_parse(own):
    schema = strategi()
    own(schema, "vores-strategi")
    with pytest.raises(SchemaError) as err:
        load_form("vores-strategi")
    assert str(err.value) == ('Skemaet "vores-strategi.schema.json" kan ikke bruges: "x-form" '
                              'er "strategi", men filen hedder "vores-strategi.schema.json".')
    own('{"x-form": "strategi",\n  "title": }')
    with pytest.raises(SchemaError) as err:
        load_form("strategi")
    assert str(err.value) == ('Skemaet "strategi.schema.json" er ikke gyldig JSON '
                              "(linje 2, kolonne 12).")


def test_cli_shows_the_schema_error_without_a_traceback(own, run):
    schema = strategi()
    schema["x-layout"][1]["levl"] = 2
    own(schema)
    for args in (("forms",), ("schema", "strategi")):
        result = run(*args)
        assert result.exit_code == 1
        assert result.output.startswith('Fejl: Skemaet "strategi.schema.json" kan ikke bruges: '
                                        'ukendt nøgleord "levl" ved $.x-layout[1].levl')


def test_a_valid_schema_is_checked_once_an_invalid_one_every_time(own, monkeypatch, tmp_path):
    forms_module = sys.modules["toolkit.catalogue"]
    calls = []
    real = forms_module.check_schema
    monkeypatch.setattr(forms_module, "check_schema", lambda *a: calls.append(a) or real(*a))
    schema = strategi()
    own(schema)
    for mtime in (1.0, 2.0):  # each command loads anew (the in-process cache keys on mtime)
        forms_module._load("strategi", mtime)
    assert len(calls) == 1 and len(list((tmp_path / "cache").iterdir())) == 1
    schema["x-layout"][1]["levl"] = 2
    own(schema)
    for mtime in (3.0, 4.0):
        with pytest.raises(SchemaError):
            forms_module._load("strategi", mtime)
    assert len(calls) == 3 and len(list((tmp_path / "cache").iterdir())) == 1


def _same_crc(valid: bytes, invalid: bytes, form_id: str) -> bytes:
    """``invalid`` made into the same marker name as ``valid``: as long (its last string
    padded), and with 48 letters near its end chosen between two each so that the CRC-32 of
    its marker content is that of the valid one. CRC-32 is affine in the bits of a message
    of a given length, so the choice is a linear system over GF(2) (the way any checksum
    marker can be forged by someone who supplies the schema folder)."""
    import zlib

    pad = b'"x"}'
    assert invalid.endswith(pad) and len(invalid) < len(valid) - 48
    invalid = invalid[:-len(pad)] + b'"' + b"a" * (len(valid) - len(invalid) + 1) + b'"}'
    assert len(invalid) == len(valid)
    crc = lambda raw: zlib.crc32(catalogue._marker(form_id, raw)[1])  # noqa: E731
    places = range(len(invalid) - 52, len(invalid) - 4)
    base = crc(invalid)
    basis: list[tuple[int, int]] = []  # (CRC delta, places toggled), distinct top bits
    for place in places:
        toggled = bytearray(invalid)
        toggled[place] = ord("b")
        delta, mask = crc(bytes(toggled)) ^ base, 1 << (place - places[0])
        for known, known_mask in basis:
            if delta ^ known < delta:
                delta, mask = delta ^ known, mask ^ known_mask
        if delta:
            basis = sorted([*basis, (delta, mask)], reverse=True)
    want, chosen = crc(valid) ^ base, 0
    for known, known_mask in basis:
        if want ^ known < want:
            want, chosen = want ^ known, chosen ^ known_mask
    assert want == 0
    forged = bytearray(invalid)
    for place in places:
        if chosen >> (place - places[0]) & 1:
            forged[place] = ord("b")
    return bytes(forged)


def test_a_forged_marker_name_never_skips_the_check(own, monkeypatch, tmp_path):
    """An invalid schema made to share a valid one's marker name (the same CRC-32 and
    length) is still checked and refused: the marker holds the exact bytes found valid."""
    calls = []
    real = catalogue.check_schema
    monkeypatch.setattr(catalogue, "check_schema", lambda *a: calls.append(a) or real(*a))
    catalogue._load.cache_clear()  # the in-process cache keys on (form id, mtime)
    schema = strategi()
    schema.pop("description", None)
    schema["description"] = "v" * 100  # the last key: the padding goes at the end
    valid = json.dumps(schema, ensure_ascii=False).encode("utf-8")
    schema["x-layout"][1]["levl"] = 2
    schema["description"] = "x"
    invalid = _same_crc(valid, json.dumps(schema, ensure_ascii=False).encode("utf-8"),
                        "strategi")
    assert catalogue._marker("strategi", invalid)[0] == catalogue._marker("strategi", valid)[0]
    assert invalid != valid
    own(valid.decode("utf-8"))
    catalogue._load("strategi", 1.0)
    own(invalid.decode("utf-8"))
    with pytest.raises(SchemaError, match='ukendt nøgleord "levl"'):
        catalogue._load("strategi", 2.0)
    with pytest.raises(SchemaError, match='ukendt nøgleord "levl"'):
        catalogue.form_titles()
    assert len(calls) == 3
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [
        os.path.basename(catalogue._marker("strategi", valid)[0])]  # no temporary left


def test_a_marker_that_does_not_hold_the_exact_bytes_is_not_trusted(own, monkeypatch):
    """Only a marker that holds exactly what was found valid, and the form's listing after
    it, is trusted: not one of other bytes, one cut short (a crash while writing it), or
    one with something else after it. ``skema forms`` shows the listing it holds."""
    calls = []
    real = catalogue.check_schema
    monkeypatch.setattr(catalogue, "check_schema", lambda *a: calls.append(a) or real(*a))
    catalogue._load.cache_clear()
    own(strategi())
    raw = (catalogue.schema_dir() / "strategi.schema.json").read_bytes()
    path, content = catalogue._marker("strategi", raw)
    title = "Lokal strategi for inddragelse af borgerens netværk"
    listing = f"5:1.0.0{len(title.encode())}:{title}".encode()
    mtime = 1.0
    for held in (b"", content, content[:-1] + listing, content + listing[:4],
                 content + listing[:-2],  # the title cut short (a crash after the rename)
                 content + listing + b" - forfalsket",
                 content + b" " + listing, content.replace(b"Lokal", b"lokal") + listing,
                 content + b"x:" + listing, content + b"9" * 5000 + b":" + listing,
                 content + listing):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(held)
        before = len(calls)
        assert catalogue._load("strategi", mtime).id == "strategi"
        mtime += 1
        assert len(calls) == before + (held != content + listing), held[-20:]
        with open(path, "rb") as handle:
            assert handle.read() == content + listing  # written again after the check
    assert catalogue.form_titles() == [("strategi", "1.0.0", title)]
    assert len(calls) == 10  # trusted: the listing only reads it
    with open(path, "wb") as handle:
        handle.write(content + b"6:2.0.0x10:Den eneste")
    assert catalogue.form_titles() == [("strategi", "2.0.0x", "Den eneste")]  # what it holds
    assert len(calls) == 10


def test_a_marker_that_is_no_regular_file_is_not_read_or_followed(own, monkeypatch,
                                                                   tmp_path):
    """A marker that is a pipe (no writer: reading would wait for ever), a link (to an
    endless device, or to a file someone wants overwritten) or a folder is not read: the
    schema is checked, the marker written as a new file in its place, and what a link led
    to is left as it was. The form's older markers are removed."""
    calls = []
    real = catalogue.check_schema
    monkeypatch.setattr(catalogue, "check_schema", lambda *a: calls.append(a) or real(*a))
    own(strategi())
    raw = (catalogue.schema_dir() / "strategi.schema.json").read_bytes()
    path, _content = catalogue._marker("strategi", raw)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    victim = tmp_path / "vigtig.txt"
    victim.write_text("vigtigt", encoding="utf-8")
    older = [os.path.join(folder, "schema-ok-strategi-5dc8-0badf00d"),
             os.path.join(folder, "schema-ok-" + "a" * 40)]
    other_form = os.path.join(folder, "schema-ok-strategi-x-5dc8-0badf00d")
    for name in (*older, other_form):
        with open(name, "wb"):
            pass
    makers = [lambda: os.mkfifo(path), lambda: os.symlink("/dev/zero", path),
              lambda: os.symlink(victim, path), lambda: os.mkdir(path)]
    for number, make in enumerate(makers, start=1):
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        elif os.path.lexists(path):
            os.unlink(path)
        make()
        catalogue._load.cache_clear()
        assert catalogue._load("strategi", 1.0).id == "strategi"
        assert len(calls) == number
        assert os.path.isdir(path) or (os.path.isfile(path) and not os.path.islink(path))
    assert victim.read_text(encoding="utf-8") == "vigtigt"
    assert not any(os.path.exists(name) for name in older)
    assert os.path.exists(other_form)  # another form's marker is its own
    assert not [n for n in os.listdir(folder) if n.endswith(".tmp")]
    fresh = tmp_path / "ny" / "cache"
    monkeypatch.setenv("SKEMA_CACHE", str(fresh))
    catalogue._load.cache_clear()
    catalogue._load("strategi", 1.0)
    assert fresh.stat().st_mode & 0o777 == 0o700  # the cache is the user's own
    assert [p.stat().st_mode & 0o777 for p in fresh.iterdir()] == [0o600]


def test_a_cache_that_cannot_be_written_or_no_home_only_costs_a_check(own, monkeypatch,
                                                                      tmp_path):
    calls = []
    real = catalogue.check_schema
    monkeypatch.setattr(catalogue, "check_schema", lambda *a: calls.append(a) or real(*a))
    catalogue._load.cache_clear()
    own(strategi())
    (tmp_path / "fil").write_text("ikke en mappe", encoding="utf-8")
    monkeypatch.setenv("SKEMA_CACHE", str(tmp_path / "fil" / "cache"))
    assert [t[0] for t in catalogue.form_titles()] == ["strategi"]
    assert catalogue._load("strategi", 1.0).id == "strategi"
    monkeypatch.delenv("SKEMA_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", "~")  # no home directory: nothing is remembered
    assert catalogue._cache_folder() is None
    assert catalogue._load("strategi", 2.0).id == "strategi"
    assert len(calls) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fil", "strategi.schema.json"]


def test_the_listing_is_the_forms_titles_and_builds_no_form_it_trusts(own, monkeypatch):
    own(strategi())
    assert catalogue.form_titles() == [(f.id, f.version, f.title) for f in catalogue.forms()]
    monkeypatch.setattr(catalogue, "Form", None)  # a trusted schema is only read
    assert [t[0] for t in catalogue.form_titles()] == ["strategi"]


@pytest.mark.parametrize("form_id", form_ids())
def test_every_shipped_schema_passes(form_id):
    schema = json.loads((SCHEMAS / f"{form_id}.schema.json").read_text(encoding="utf-8"))
    check_schema(schema, f"{form_id}.schema.json", form_id)
    assert load_form(form_id).id == form_id


def test_the_test_form_passes_and_the_meta_schema_is_valid_2020_12():
    path = HERE / "fixtures" / "schemas" / "proeve.schema.json"
    check_schema(json.loads(path.read_text(encoding="utf-8")), path.name, "proeve")
    Draft202012Validator.check_schema(meta_schema())


def test_meta_schema_names_every_drawing_and_every_x_keyword_the_schemas_use():
    assert meta_schema()["$defs"]["block_image"]["properties"]["image"]["enum"] == list(DRAWINGS)
    allowed = set(meta_schema()["propertyNames"]["then"]["enum"]) | set(
        meta_schema()["$defs"]["node"]["propertyNames"]["then"]["enum"])
    used: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            used.update(k for k in node if k.startswith("x-"))
            for key, value in node.items():
                if key not in ("x-enum-titles", "x-enum-descriptions"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in SCHEMAS.glob("*.schema.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    assert used <= allowed
    assert all(f"`{k}`" in readme for k in allowed), allowed


# -- form-specific words come from the schema ------------------------------------------------
def _docx_text(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")


def test_month_overview_header_and_note_are_the_schemas(proeve):
    from toolkit import fill

    data = proeve_data()
    filled = _docx_text(fill(proeve, data, "docx"))
    assert ">Aktivitet</w:t>" in filled and ">Indsats</w:t>" not in filled
    del data["periode"]
    empty = _docx_text(fill(proeve, data, "docx"))
    assert "Månedsoversigten dannes ud fra aktiviteterne, når perioden er udfyldt." in empty


def test_signature_fields_only_over_the_lines_the_schema_names(proeve):
    from pypdf import PdfReader

    from toolkit import fill
    from toolkit.catalogue import Form

    def signatures(form) -> list[str]:
        fields = PdfReader(io.BytesIO(fill(form, proeve_data(), "pdf"))).get_fields() or {}
        return sorted(k for k, v in fields.items() if v.get("/FT") == "/Sig")

    assert signatures(proeve) == ["Underskrift1"]
    schema = copy.deepcopy(proeve.schema)
    block = next(b for b in schema["x-layout"] if "signature" in b)
    block["signed"] = ["Dato", "Underskrift"]
    assert signatures(Form(schema)) == ["Underskrift1", "Underskrift2"]
    del block["signed"]
    assert signatures(Form(schema)) == []
