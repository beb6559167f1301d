"""The command line: exit codes and the exact Danish messages."""

from __future__ import annotations

import json

import pytest

from toolkit.cli import main

SAMPLES = __import__("conftest").ROOT / "samples"




def test_forms_lists_the_catalogue(run):
    result = run("forms")
    assert result.exit_code == 0
    assert "strategi" in result.output and "handleplan" in result.output
    assert "Lokal strategi for inddragelse af borgerens netværk" in result.output


def test_schema_prints_json(run):
    result = run("schema", "handleplan")
    assert result.exit_code == 0
    assert json.loads(result.output)["x-form"] == "handleplan"


def test_unknown_form_is_usage_error(run):
    result = run("schema", "strategy")
    assert result.exit_code == 2
    assert result.output == (
        'Fejl: Ukendt formular: "strategy".\n  Tip: Kendte formularer: forberedende-skema, '
        "handleplan, indsatsskema, samarbejdsmodel, samtykke, strategi.\n")


def test_missing_data_file(run, tmp_path):
    result = run("validate", "strategi", tmp_path / "findes-ikke.json")
    assert result.exit_code == 2
    assert f"{tmp_path / 'findes-ikke.json'}: filen findes ikke." in result.output


def test_malformed_json_names_the_line(run, tmp_path):
    bad = tmp_path / "data.json"
    bad.write_text('{\n  "kommune": "Aarhus"\n  "journalnummer": "1"\n}\n', encoding="utf-8")
    result = run("validate", "strategi", bad)
    assert result.exit_code == 1
    assert f"{bad}, linje 3, kolonne 3: ugyldig JSON (mangler komma)." in result.output


def test_malformed_yaml_names_the_line(run, tmp_path):
    bad = tmp_path / "data.yaml"
    bad.write_text('kommune: Aarhus\nkontaktperson:\n  navn: "Hans\n', encoding="utf-8")
    result = run("validate", "strategi", bad)
    assert result.exit_code == 1
    assert f"{bad}, linje 3" in result.output and "ugyldig YAML" in result.output


def test_validate_sample_ok_and_problems_exit_1(run, tmp_path):
    ok = run("validate", "strategi", SAMPLES / "strategi.json")
    assert ok.exit_code == 0, ok.output
    data = json.loads((SAMPLES / "strategi.json").read_text(encoding="utf-8"))
    data["kontaktperson"]["email"] = "hans.kommune.dk"
    del data["maal"]
    path = tmp_path / "strategi.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bad = run("validate", "strategi", path)
    assert bad.exit_code == 1
    lines = bad.output.strip().splitlines()
    assert f'{path}: kontaktperson.email: "Kontaktperson – e-mail" skal være en ' \
        "e-mailadresse, fx navn@kommune.dk" in lines
    assert any(line.startswith(f"{path}: maal: ") and line.endswith("skal udfyldes")
               for line in lines)


def test_fill_blank_extract_and_no_overwrite(run, tmp_path):
    out = tmp_path / "strategi.docx"
    result = run("fill", "strategi", SAMPLES / "strategi.json", "-o", out)
    assert result.exit_code == 0, result.output
    again = run("fill", "strategi", SAMPLES / "strategi.json", "-o", out)
    assert again.exit_code == 1
    assert f"{out}: filen findes allerede og overskrives ikke." in again.output
    assert run("fill", "strategi", SAMPLES / "strategi.json", "-o", out,
               "--overwrite").exit_code == 0
    extracted = run("extract", out)
    assert extracted.exit_code == 0, extracted.output
    sample = json.loads((SAMPLES / "strategi.json").read_text(encoding="utf-8"))
    assert json.loads(extracted.output) == sample
    blank = tmp_path / "tom.docx"
    assert run("blank", "handleplan", "-o", blank).exit_code == 0
    empty = run("extract", blank)
    assert empty.exit_code == 1
    assert f'{blank}: kommune: "Kommune" skal udfyldes' in empty.output


def test_extract_to_file_and_several_files(run, tmp_path):
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    run("fill", "strategi", SAMPLES / "strategi.json", "-o", a)
    run("fill", "handleplan", SAMPLES / "handleplan.json", "-o", b)
    out = tmp_path / "svar.json"
    result = run("extract", a, b, "-o", out)
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert [p["formular"] for p in payload] == ["strategi", "handleplan"]


def test_extract_bad_files_go_on(run, tmp_path):
    good = tmp_path / "god.docx"
    run("fill", "strategi", SAMPLES / "strategi.json", "-o", good)
    fake = tmp_path / "falsk.docx"
    fake.write_text("ikke en zip", encoding="utf-8")
    old = tmp_path / "gammel.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    result = run("extract", fake, old, good)
    assert result.exit_code == 1
    assert (f"Fejl: {fake}: filen er ikke et Word-dokument (.docx) eller er beskadiget\n"
            "  Tip: Gem dokumentet igen som .docx.") in result.output
    assert f"Fejl: {old}: gamle Word-filer (.doc) kan ikke læses." in result.output
    assert '"kommune"' in result.output  # the good file was still read


def test_custom_template_refused_with_list(run, tmp_path):
    from docx_edit import edit_document, sdt_by_tag

    from toolkit.catalogue import load_form
    from toolkit.render.docx import build_template

    def drop(root):
        sdt = sdt_by_tag(root, "journalnummer")
        sdt.getparent().remove(sdt)

    tpl = tmp_path / "egen.docx"
    tpl.write_bytes(edit_document(build_template(load_form("strategi")), drop))
    result = run("fill", "strategi", SAMPLES / "strategi.json", "-o", tmp_path / "x.docx",
                 "--template", tpl)
    assert result.exit_code == 1
    assert "skabelonen passer ikke til formularen \"strategi\"" in result.output
    assert "  - mangler feltet journalnummer (\"" in result.output
    assert not (tmp_path / "x.docx").exists()


def test_wrong_output_type_is_usage_error(run, tmp_path):
    result = run("blank", "strategi", "-o", tmp_path / "x.odt")
    assert result.exit_code == 2
    assert 'Filtypen ".odt" understøttes ikke her; brug .docx, .pdf eller .xlsx.' in result.output


def test_no_traceback_without_debug(tmp_path, capsys, monkeypatch):
    import toolkit.catalogue as catalogue

    def boom(*args, **kwargs):
        raise RuntimeError("hemmelig 010190-1234")

    monkeypatch.setattr(catalogue, "form_titles", boom)
    with pytest.raises(SystemExit) as info:
        main(["forms"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "010190-1234" not in err
    assert err == ("Fejl: uventet fejl i skema (RuntimeError). Det er en fejl i programmet, "
                   "ikke i dine filer.\n  Tip: Kør kommandoen igen som skema --debug … for at "
                   "se detaljerne, og meld fejlen til udviklerne.\n")
    with pytest.raises(SystemExit) as info:
        main(["--debug", "forms"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "RuntimeError: hemmelig" in err and "uventet fejl i skema (RuntimeError)" in err


def test_danish_help(run):
    result = run("--help")
    assert result.exit_code == 0
    assert "Brug: " in result.output and "Vis denne hjælp og afslut." in result.output
    assert "Kontroller data og vis hvert problem" in result.output


# --- PDF through the command line -------------------------------------------------------
@pytest.mark.parametrize("form_id", ["indsatsskema", "samtykke"])
def test_pdf_fill_then_extract_equals_sample(run, tmp_path, form_id):
    sample = json.loads((SAMPLES / f"{form_id}.json").read_text(encoding="utf-8"))
    pdf = tmp_path / "udfyldt.pdf"
    assert run("fill", form_id, SAMPLES / f"{form_id}.json", "-o", pdf).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    result = run("extract", pdf)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == sample


def test_pdf_flatten_reads_back_with_note(run, tmp_path):
    sample = json.loads((SAMPLES / "samtykke.json").read_text(encoding="utf-8"))
    flat = tmp_path / "flad.pdf"
    assert run("fill", "samtykke", SAMPLES / "samtykke.json", "-o", flat,
               "--flatten").exit_code == 0
    assert b"/Widget" not in flat.read_bytes()
    result = run("extract", flat, "-o", tmp_path / "svar.json")
    assert result.exit_code == 0, result.output
    assert "en flad kopi" in result.output
    assert json.loads((tmp_path / "svar.json").read_text(encoding="utf-8")) == sample


def test_pdf_blank_and_option_misuse(run, tmp_path):
    assert run("blank", "handleplan", "-o", tmp_path / "tom.pdf").exit_code == 0
    result = run("fill", "samtykke", SAMPLES / "samtykke.json", "-o", tmp_path / "x.docx",
                 "--flatten")
    assert result.exit_code == 2
    assert "Fejl: --flatten kan kun bruges, når der skrives en .pdf." in result.output
    assert not (tmp_path / "x.docx").exists()


def test_pdf_extract_bad_file_is_one_line(run, tmp_path):
    fake = tmp_path / "svar.pdf"
    fake.write_text("hej", encoding="utf-8")
    result = run("extract", fake)
    assert result.exit_code == 1
    assert result.output.startswith(f"Fejl: {fake}: ")
    assert "Traceback" not in result.output


def test_extract_several_files_to_a_workbook(run, tmp_path):
    from openpyxl import load_workbook

    a, b = tmp_path / "a.docx", tmp_path / "b.pdf"
    run("fill", "strategi", SAMPLES / "strategi.json", "-o", a)
    run("fill", "samtykke", SAMPLES / "samtykke.json", "-o", b)
    fake = tmp_path / "c.docx"
    fake.write_text("ikke en zip", encoding="utf-8")
    out = tmp_path / "svar.xlsx"
    result = run("extract", a, b, fake, "-o", out)
    assert result.exit_code == 1
    assert f"{fake.as_posix()}: ulæselig: " in result.output
    wb = load_workbook(out)
    status = {r[0]: r[3] for r in wb["Status"].iter_rows(min_row=2, values_only=True)}
    assert status == {a.as_posix(): "ok", b.as_posix(): "ok", fake.as_posix(): "ulæselig"}
    assert {"Status", "Lokal strategi for inddragelse…", "Samtykkeerklæring"} <= \
        set(wb.sheetnames)  # sheets named by the forms' titles
    again = run("extract", a, "-o", out)
    assert again.exit_code == 1 and "overskrives ikke" in again.output
