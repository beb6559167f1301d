"""Fill → extract on the test-only form that has every field kind."""

from __future__ import annotations

import copy
import io
import zipfile

import pytest
from conftest import HOSTILE, proeve_data
from docx_edit import ancestor, edit_document, edit_part, sdt_by_tag, strip_tags
from lxml import etree

from toolkit.errors import TemplateError
from toolkit.readers.docx import extract_docx
from toolkit.render.docx import build_template, check_template, render
from toolkit.render.ooxml import W, w, w14


def test_round_trip_every_kind(proeve):
    data = proeve_data()
    result = extract_docx(render(proeve, data))
    assert result.data == data
    assert result.report.valid, result.report.to_text()
    assert result.form.id == "proeve" and result.version == "1.0.0"


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_render_literally(proeve, value):
    data = proeve_data(value)
    out = render(proeve, data)
    assert extract_docx(out).data == data
    xml = zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml").decode()
    assert "{{" not in xml.replace("{{ x }}", "")  # no template syntax left but the value's
    etree.fromstring(xml.encode())  # still well-formed


def test_newline_is_a_break_in_word(proeve):
    out = render(proeve, proeve_data("en\nto"))
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml"))
    sdt = sdt_by_tag(root, "navn")
    paras = sdt.findall(f"{w('sdtContent')}/{w('p')}")
    assert ["".join(p.itertext()) for p in paras] == ["en", "to"]


def test_controls_are_typed_and_labelled(proeve):
    out = render(proeve, proeve_data())
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml"))

    def pr(tag):
        return sdt_by_tag(root, tag).find(w("sdtPr"))

    assert pr("kontakt.email").find(w("alias")).get(w("val")) == "Kontaktperson – e-mail"
    assert pr("kontakt.ok").find(f"{w14('checkbox')}/{w14('checked')}").get(w14("val")) == "1"
    assert pr("dato").find(w("date")).get(w("fullDate")) == "2019-02-26T00:00:00Z"
    assert "".join(sdt_by_tag(root, "dato").itertext()) == "26. februar 2019"
    items = pr("farve").findall(f"{w('dropDownList')}/{w('listItem')}")
    assert [(i.get(w("displayText")), i.get(w("value"))) for i in items] == [
        ("Grøn", "groen"), ("Rød", "roed")]
    assert pr("aktiviteter.1.maal:b") is not None
    assert len(pr("kommune").findall(f"{w('dropDownList')}/{w('listItem')}")) == 98


def test_custom_properties_identify_the_form(proeve):
    out = render(proeve, proeve_data())
    custom = zipfile.ZipFile(io.BytesIO(out)).read("docProps/custom.xml").decode()
    assert ">proeve<" in custom and ">1.0.0<" in custom


def test_blank_has_placeholders_and_extracts_empty(proeve):
    out = render(proeve, None, blank=True)
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml"))
    assert len(root.findall(f".//{w('showingPlcHdr')}")) > 10
    assert "Klik eller tryk her for at skrive tekst." in "".join(root.itertext())
    tags = [t.get(w("val")) for t in root.iter(w("tag"))]
    assert "aktiviteter.2.aktivitet" in tags and "aktiviteter.3.aktivitet" not in tags
    result = extract_docx(out)
    assert result.data == {"kontakt": {"ok": False}}
    assert ("navn", "skal udfyldes") in [(p.path, p.message) for p in result.report]


def test_tags_dropped_reads_by_alias_and_order(proeve):
    data = proeve_data()
    out = edit_document(render(proeve, data), strip_tags)
    result = extract_docx(out)
    assert result.data == data
    assert any("ingen tags" in n.message for n in result.notes)


def test_tags_and_aliases_dropped_reads_by_order(proeve):
    def strip_all(root):
        strip_tags(root)
        for alias in list(root.iter(w("alias"))):
            alias.getparent().remove(alias)

    data = proeve_data()
    assert extract_docx(edit_document(render(proeve, data), strip_all)).data == data


def test_copied_row_and_block_are_new_items(proeve):
    data = proeve_data()

    def copy_rows(root):
        row = ancestor(sdt_by_tag(root, "delmaal.1"), "tr")
        row.addnext(copy.deepcopy(row))
        # copy the whole first activity block: heading paragraph + table
        table = ancestor(sdt_by_tag(root, "aktiviteter.0.aktivitet"), "tbl")
        heading = table.getprevious()
        last = ancestor(sdt_by_tag(root, "aktiviteter.1.aktivitet"), "tbl")
        last.addnext(copy.deepcopy(table))
        last.addnext(copy.deepcopy(heading))

    result = extract_docx(edit_document(render(proeve, data), copy_rows))
    assert result.data["delmaal"] == data["delmaal"] + [data["delmaal"][1]]
    assert result.data["aktiviteter"] == data["aktiviteter"] + [data["aktiviteter"][0]]


def test_answer_typed_in_word_with_paragraphs_and_formatting(proeve):
    def retype(root):
        sdt = sdt_by_tag(root, "svar")
        content = sdt.find(w("sdtContent"))
        for p in list(content):
            content.remove(p)
        content.append(etree.fromstring(
            f'<w:p xmlns:w="{W}"><w:r><w:t>Først </w:t></w:r><w:r><w:rPr><w:b/></w:rPr>'
            '<w:t>fed</w:t></w:r><w:r><w:tab/><w:t>efter tab</w:t><w:br/>'
            '<w:t>ny linje</w:t></w:r></w:p>'))
        content.append(etree.fromstring(
            f'<w:p xmlns:w="{W}"><w:r><w:t xml:space="preserve">Andet afsnit</w:t></w:r>'
            '<w:ins><w:r><w:t> indsat</w:t></w:r></w:ins>'
            '<w:del><w:r><w:delText>slettet</w:delText></w:r></w:del></w:p>'))

    result = extract_docx(edit_document(render(proeve, proeve_data()), retype))
    assert result.data["svar"] == "Først fed\tefter tab\nny linje\nAndet afsnit indsat"


def test_dropdown_display_text_and_danish_dates_coerced(proeve):
    def retype(root):
        sdt_by_tag(root, "farve").find(f".//{w('t')}").text = "grøn"
        date = sdt_by_tag(root, "dato")
        date.find(f".//{w('t')}").text = "3.4.2019"
        date.find(f"{w('sdtPr')}/{w('date')}").attrib.pop(w("fullDate"))
        sdt_by_tag(root, "periode.start").find(f".//{w('t')}").text = "2019-03-01"
        sdt_by_tag(root, "kommune").find(f".//{w('t')}").text = "Københavns Kommune"

    result = extract_docx(edit_document(render(proeve, proeve_data()), retype))
    assert result.data["farve"] == "groen"
    assert result.data["dato"] == "2019-04-03"
    assert result.data["kommune"] == "København"


def test_unchecked_and_checked_boxes(proeve):
    def toggle(root):
        box = sdt_by_tag(root, "kontakt.ok").find(f"{w('sdtPr')}/{w14('checkbox')}")
        box.find(w14("checked")).set(w14("val"), "0")
        box2 = sdt_by_tag(root, "aktiviteter.0.maal:b").find(f"{w('sdtPr')}/{w14('checkbox')}")
        box2.find(w14("checked")).set(w14("val"), "1")

    result = extract_docx(edit_document(render(proeve, proeve_data()), toggle))
    assert result.data["kontakt"]["ok"] is False
    assert result.data["aktiviteter"][0]["maal"] == ["a", "b", "c"]


def test_control_in_header_is_read(proeve, tmp_path):
    """A municipality moved the name field into the page header of its own template."""
    template = build_template(proeve)

    def take(root):
        sdt = sdt_by_tag(root, "navn")
        cell = sdt.getparent()
        cell.remove(sdt)
        cell.append(etree.fromstring(f'<w:p xmlns:w="{W}"/>'))
        take.moved = sdt

    template = edit_document(template, take)
    header = [n for n in zipfile.ZipFile(io.BytesIO(template)).namelist()
              if n.startswith("word/header")]
    assert header, "the generated template has a page header"

    def put(root):
        root.append(take.moved)

    template = edit_part(template, header[0], put)
    path = tmp_path / "egen.docx"
    path.write_bytes(template)
    assert check_template(proeve, template) == []
    data = proeve_data("Navn i sidehoved")
    assert extract_docx(render(proeve, data, template=path)).data == data


def test_custom_template_with_wrong_fields_is_refused(proeve, tmp_path):
    def damage(root):
        sdt = sdt_by_tag(root, "kontakt.email")
        sdt.getparent().remove(sdt)
        sdt_by_tag(root, "navn").find(f"{w('sdtPr')}/{w('tag')}").set(w("val"), "fornavn")

    path = tmp_path / "egen.docx"
    path.write_bytes(edit_document(build_template(proeve), damage))
    with pytest.raises(TemplateError) as info:
        render(proeve, proeve_data(), template=path)
    message = str(info.value)
    assert "mangler feltet kontakt.email (\"Kontaktperson – e-mail\")" in message
    assert "mangler feltet navn (\"Navn\")" in message
    assert "har feltet fornavn, som formularen \"proeve\" ikke kender" in message


def test_month_overview_is_derived(proeve):
    out = render(proeve, proeve_data())
    text = "".join(etree.fromstring(
        zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml")).itertext())
    # month and year on two lines of the column head (mar / 19)
    assert "mar19" in text and "aug19" in text and "sep19" not in text
    xml = zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml").decode()
    assert xml.count(">mar</w:t><w:br/><w:t>19<") == 1


def test_libreoffice_save_round_trip(proeve, tmp_path, soffice):
    data = proeve_data(HOSTILE[0] + "\n" + HOSTILE[2] + "\t" + HOSTILE[1])
    src = tmp_path / "udfyldt.docx"
    src.write_bytes(render(proeve, data))
    saved = soffice(src, "docx")
    result = extract_docx(saved.read_bytes())
    assert result.data == data
    blank = tmp_path / "tom.docx"
    blank.write_bytes(render(proeve, None, blank=True))
    assert extract_docx(soffice(blank, "docx").read_bytes()).data == {"kontakt": {"ok": False}}
