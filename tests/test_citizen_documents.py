"""Documents a municipality can send (issue 12, points 3-5): the citizen's copy holds no
text meant for the staff and no placeholder text, labels do not repeat the heading above
them, Word and PDF show the same headings in the same order, page breaks keep what belongs
together, the network circle is readable, the profile's font is used, and the samples
agree with the sample profile (a consent that is valid today)."""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import re
import shutil
import zipfile

import pytest
from conftest import ROOT, _need
from openpyxl import load_workbook
from pypdf import PdfReader

from toolkit import blank, fill, load_form, validate
from toolkit.danish import kommuner
from toolkit.doc_labels import document_label
from toolkit.guidance import staff_help
from toolkit.network_circle import (
    PRINTED_WIDTH_PT,
    Geometry,
    crosses_line,
    layout,
    render_png,
)
from toolkit.profile import BUNDLED_FONT, load_profile

PROFILE = ROOT / "samples" / "kommune.yaml"
FORMS = ["forberedende-skema", "handleplan", "indsatsskema", "samarbejdsmodel", "samtykke",
         "strategi"]
#: The documents that go to citizens (FORMS.md: 2, 3, 6); the others are the staff's own.
CITIZEN = ["forberedende-skema", "indsatsskema", "samtykke"]
#: Words of the sources meant for the project's working group (issue 12, point 3).
STAFF_WORDS = ["KMD Opera", "Arbejdsgruppen anbefaler", "advisere tovholderne",
               "arbejdsgruppen", "farvegrupper", "I kan anvende netværkscirklen",
               "ifølge projektbeskrivelsen"]
PLACEHOLDER = "Klik eller tryk"


@pytest.fixture(scope="module")
def profile():
    return load_profile(PROFILE)


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _docx_xml(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")


def _docx_text(data: bytes) -> str:
    xml = _docx_xml(data)
    xml = re.sub(r"</w:p>", "\n", xml)
    return _norm(re.sub(r"<[^>]+>", "", xml).replace("&amp;", "&"))


def _pdf_text(data: bytes) -> str:
    """Page text and the values of the form fields (what a reader sees)."""
    reader = PdfReader(io.BytesIO(data))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts += [str(f.get("/V", "")) for f in (reader.get_fields() or {}).values()]
    return _norm(" ".join(parts))


# -- point 3: the citizen's copy speaks to the citizen ---------------------------------------
@pytest.mark.parametrize("form_id", FORMS)
def test_no_staff_text_in_any_filled_or_blank_document(form_id, profile):
    form = load_form(form_id)
    data = _sample(form_id)
    texts = {
        "docx": _docx_text(fill(form, data, "docx", profile=profile)),
        "pdf": _pdf_text(fill(form, data, "pdf", profile=profile)),
        "blank docx": _docx_text(blank(form, "docx", profile=profile)),
        "blank pdf": _pdf_text(blank(form, "pdf", profile=profile)),
    }
    phrases = [_norm(text)[:60] for _label, text in staff_help(form)]
    if form_id in CITIZEN:
        phrases += STAFF_WORDS
    for kind, text in texts.items():
        found = [p for p in phrases if p.lower() in text.lower()]
        assert not found, (kind, found)


def test_staff_text_is_kept_verbatim_as_help_and_shown_in_the_workbook():
    texts = {f: " ".join(t for _l, t in staff_help(load_form(f)))
             for f in ("forberedende-skema", "indsatsskema")}
    assert "gennemgår sagerne i KMD Opera med henblik på inddeling i 4 farvegrupper" \
        in texts["forberedende-skema"]
    assert "Arbejdsgruppen anbefaler, at indsatsplanen opdeles på måneder." \
        in texts["indsatsskema"]
    assert "har ansvaret for at advisere tovholderne" in texts["indsatsskema"]
    book = load_workbook(io.BytesIO(blank("indsatsskema", "xlsx")))
    rows = [[c for c in r if c] for r in book["Vejledning"].iter_rows(values_only=True)]
    start = rows.index(["Til sagsbehandleren (står ikke i dokumentet til borgeren)"])
    guide = {r[0]: r[1] for r in rows[start + 1:] if len(r) == 2}
    assert guide["Indsatser"] == ("Det skal være muligt for borgeren, at deltage i flere "
                                  "parallelle forløb på samme tid. Arbejdsgruppen anbefaler, "
                                  "at indsatsplanen opdeles på måneder.")


def test_labels_do_not_repeat_the_heading_above_them(profile):
    form = load_form("forberedende-skema")
    assert document_label(form, "borger.navn") == "Navn"
    assert document_label(form, "samtykke.givet") == "Borgeren har givet samtykke"
    assert form.fields["borger.navn"].label == "Borger – navn"  # Excel column, alias
    assert form.fields["udfordringer.misbrug.beroert"].label == "Misbrug – gælder for mig"
    data = _sample("forberedende-skema")
    for text in (_docx_text(fill(form, data, "docx", profile=profile)),
                 _pdf_text(fill(form, data, "pdf", profile=profile))):
        assert "Borger – navn" not in text and "Sag – sagsbehandler" not in text
        assert "berørt" not in text.lower()
        assert re.search(r"Borger Navn (Camilla Nørgaard Jensen )?CPR-nummer", text)
    consent = _docx_text(fill("samtykke", _sample("samtykke"), "docx", profile=profile))
    assert "Myndighed Kommune" in consent and "Afdeling Jobcenter Eksempel" in consent


def test_word_reads_back_a_document_whose_controls_were_removed():
    """The Word layout reader finds an answer beside its short label (and the old long one)."""
    from lxml import etree

    from toolkit.readers.docx import layout_to_data

    form = load_form("forberedende-skema")
    raw = fill(form, _sample("forberedende-skema"), "docx")
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(raw)).read("word/document.xml"))
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for sdt in list(root.iter(f"{ns}sdt")):  # unwrap every control: plain text remains
        content = sdt.find(f"{ns}sdtContent")
        parent = sdt.getparent()
        index = parent.index(sdt)
        for child in list(content if content is not None else []):
            parent.insert(index, child)
            index += 1
        parent.remove(sdt)
    data, _found = layout_to_data(form, [root])
    assert data["borger"]["navn"] == "Camilla Nørgaard Jensen"
    assert data["sag"]["sagsbehandler"] == "Mette Lauridsen"


# -- point 4: pages that look finished -------------------------------------------------------
@pytest.mark.parametrize("form_id", FORMS)
def test_no_placeholder_text_in_a_filled_word_document(form_id, profile):
    filled = _docx_xml(fill(form_id, _sample(form_id), "docx", profile=profile))
    assert PLACEHOLDER not in filled and "showingPlcHdr" not in filled
    empty = _docx_xml(blank(form_id, "docx"))
    assert PLACEHOLDER in empty and "showingPlcHdr" in empty


def test_empty_answer_in_a_filled_word_document_shows_nothing():
    data = _sample("forberedende-skema")
    assert "beskrivelse" not in data["udfordringer"]["misbrug"]
    xml = _docx_xml(fill("forberedende-skema", data, "docx"))
    sdt = re.search(r'<w:sdt>(?:(?!</w:sdt>).)*w:val="udfordringer\.misbrug\.beskrivelse"'
                    r"(?:(?!</w:sdt>).)*</w:sdt>", xml, flags=re.S)
    assert sdt is not None
    assert re.sub(r"<[^>]+>", "", sdt.group(0)).strip() == ""


def test_filled_pdf_has_no_spare_list_rows_and_a_blank_one_has():
    data = _sample("indsatsskema")
    filled = _pdf_text(fill("indsatsskema", data, "pdf"))
    assert f"Indsats {len(data['indsatser'])}" in filled
    assert f"Indsats {len(data['indsatser']) + 1}" not in filled
    assert "Indsats 6" in _pdf_text(blank("indsatsskema", "pdf"))


def _keep_next_paragraphs(xml: str) -> list[str]:
    paras = re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S)
    return ["<w:keepNext/>" in p for p in paras], paras


def test_word_keeps_the_signature_with_the_section_before_it():
    xml = _docx_xml(fill("indsatsskema", _sample("indsatsskema"), "docx"))
    body = xml[:xml.index("Borgerens underskrift")]
    last_table = body[body.rindex("<w:tbl>"):]  # the signature table
    before = body[:body.rindex("<w:tbl>")]
    previous = before[before.rindex("<w:tbl>"):]  # Opfølgning
    last_row = previous[previous.rindex("<w:tr"):]
    assert "<w:cantSplit/>" in last_row
    paras = re.findall(r"<w:p[ >].*?</w:p>", last_row, flags=re.S)
    assert paras and all("<w:keepNext/>" in p for p in paras)
    spacer = re.findall(r"<w:p[ >].*?</w:p>", before[before.rindex("</w:tbl>"):], re.S)
    assert all("<w:keepNext/>" in p for p in spacer)
    assert "<w:cantSplit/>" in last_table


def test_word_keeps_the_network_table_with_its_circle():
    xml = _docx_xml(fill("forberedende-skema", _sample("forberedende-skema"), "docx"))
    start = xml.index(">Netværk<")
    part = xml[start:xml.index(">Netværkscirklen<")]
    rows = re.findall(r"<w:tr[ >].*?</w:tr>", part, flags=re.S)
    assert len(rows) == 1 + len(_sample("forberedende-skema")["netvaerk"])
    for row in rows:
        assert "<w:cantSplit/>" in row
        assert all("<w:keepNext/>" in p for p in re.findall(r"<w:p[ >].*?</w:p>", row, re.S))


def _heading_order(form_id: str, text: str) -> list[str]:
    headings = [b["heading"] for b in load_form(form_id).layout
                if "heading" in b and "{" not in b["heading"]]
    flat = _norm(text)
    out, pos = [], 0
    for heading in headings:
        at = flat.find(heading, pos)
        assert at >= 0, (heading, flat[pos:pos + 200])
        out.append(heading)
        pos = at + len(heading)
    return out


@pytest.mark.parametrize("form_id", ["forberedende-skema", "indsatsskema", "samtykke"])
def test_word_and_pdf_show_the_same_headings_in_the_same_order(form_id, soffice, pdftotext,
                                                                 tmp_path, profile):
    data = _sample(form_id)
    docx = tmp_path / f"{form_id}.docx"
    docx.write_bytes(fill(form_id, data, "docx", profile=profile))
    ours = tmp_path / f"{form_id}.pdf"
    ours.write_bytes(fill(form_id, data, "pdf", profile=profile))
    word_text = pdftotext(soffice(docx, "pdf"))
    pdf_text = pdftotext(ours)
    assert _heading_order(form_id, word_text) == _heading_order(form_id, pdf_text)
    for text in (word_text, pdf_text):
        assert PLACEHOLDER not in text
        pages = [p for p in text.split("\f") if p.strip()]
        assert all("Eksempel Kommune" in p for p in pages)


def test_samarbejdsmodel_names_the_project_lead(profile):
    data = _sample("samarbejdsmodel")
    for fmt, read in (("docx", _docx_text), ("pdf", _pdf_text)):
        text = read(fill("samarbejdsmodel", data, fmt, profile=profile))
        assert f"Det er den kommunale projektleders ({data['projektleder']}) ansvar" in text


def test_handleplan_aktivitet_is_a_multi_line_field():
    form = load_form("handleplan")
    assert form.fields["aktiviteter.*.aktivitet"].kind == "long"
    data = _sample("handleplan")
    data["aktiviteter"][0]["aktivitet"] = " ".join(["Møder med projektgruppen"] * 24)
    reader = PdfReader(io.BytesIO(fill(form, data, "pdf")))
    field = next(f for name, f in reader.get_fields().items()
                 if name.endswith(".aktivitet") and name.startswith("aktiviteter.0"))
    assert int(field.get("/Ff", 0)) & (1 << 12)  # multiline
    widgets = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])]
    widget = next(w for w in widgets if w.get("/T") == "aktivitet"
                  and w["/Parent"].get_object().get("/T") == "0")  # aktiviteter.0.aktivitet
    stream = widget["/AP"]["/N"].get_object().get_data().decode("latin-1")
    sizes = [float(x) for x in re.findall(r"/\w+ ([\d.]+) Tf", stream)]
    assert sizes and min(sizes) >= 9, sizes  # never shrunk below 9 pt


# -- the network circle ----------------------------------------------------------------------
def test_network_circle_names_are_readable_and_clear_of_the_lines():
    persons = _sample("forberedende-skema")["netvaerk"]
    size = 1200
    geo = Geometry(size)
    per_pt = size / PRINTED_WIDTH_PT
    places = layout(persons, size)
    assert len(places) == len(persons)
    for place in places:
        assert place.font_size / per_pt >= 8 - 1e-6, place
        assert not crosses_line(geo, place.label_box), place
    assert [p.involved for p in places] == [bool(p.get("inddrages")) for p in persons]
    assert PRINTED_WIDTH_PT == pytest.approx(14 / 2.54 * 72)
    # a ring line through a box is seen
    c, hi = geo.centre, geo.ring_bounds(2)[1]
    x, y = c + hi * math.cos(math.pi / 4), c - hi * math.sin(math.pi / 4)
    assert crosses_line(geo, (x - 5, y - 5, x + 5, y + 5))
    assert not crosses_line(geo, (c + 20, c - 30, c + 40, c - 20))
    assert math.isclose(geo.outer, size * 0.40)
    assert render_png(persons, size=600)[:8] == b"\x89PNG\r\n\x1a\n"


# -- the profile's font ----------------------------------------------------------------------
def _font_names(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font")
        for font in (fonts.get_object() if fonts is not None else {}).values():
            names.add(str(font.get_object().get("/BaseFont", "")).split("+")[-1])
    return names


def _profile_with_font(tmp_path, font_lines: str):
    text = PROFILE.read_text(encoding="utf-8").replace("logo: eksempel-logo.png\n", "")
    path = tmp_path / "kommune.yaml"
    path.write_text(text + font_lines, encoding="utf-8")
    return path


def test_profile_font_is_used_in_word_and_pdf(tmp_path):
    source = _need("fc-match", "fontconfig")
    import subprocess

    found = subprocess.run([source, "-f", "%{file}", "Liberation Serif:style=Regular"],
                           capture_output=True, text=True).stdout
    if not found.endswith(".ttf"):
        pytest.skip("ingen TrueType-skrift at prøve med")  # not a missing tool: a host font
    shutil.copy(found, tmp_path / "Skrift.ttf")
    path = _profile_with_font(tmp_path, "skrifttype:\n  navn: Liberation Serif\n"
                                         "  normal: Skrift.ttf\n")
    prof = load_profile(path)
    assert prof.font_family() == "Liberation Serif" and not prof.font_warning
    pdf = fill("samtykke", _sample("samtykke"), "pdf", profile=prof)
    assert any(n.startswith("LiberationSerif") for n in _font_names(pdf))
    assert not any(n.startswith("DejaVu") for n in _font_names(pdf))
    docx = fill("samtykke", _sample("samtykke"), "docx", profile=prof)
    styles = zipfile.ZipFile(io.BytesIO(docx)).read("word/styles.xml").decode("utf-8")
    assert 'w:ascii="Liberation Serif"' in styles and BUNDLED_FONT not in styles
    neutral = fill("samtykke", _sample("samtykke"), "pdf")
    assert any(n.startswith("DejaVuSans") for n in _font_names(neutral))


def test_a_font_without_files_falls_back_to_dejavu_with_one_warning(tmp_path, run):
    path = _profile_with_font(tmp_path, "skrifttype:\n  navn: Frutiger\n")
    prof = load_profile(path)
    assert prof.font_family() == BUNDLED_FONT
    assert prof.font_warning == (
        "Skrifttypen \"Frutiger\" følger ikke med skema, og profilen angiver ingen skriftfil "
        "(skrifttype.normal); dokumenterne bruger den medfølgende DejaVu Sans.")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(_sample("samtykke")), encoding="utf-8")
    result = run("--profile", path, "fill", "samtykke", data, "-o", tmp_path / "s.pdf")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Advarsel: Skrifttypen \"Frutiger\"") == 1
    (tmp_path / "Frutiger.otf").write_bytes(b"OTTO" + b"\0" * 64)
    path = _profile_with_font(tmp_path, "skrifttype:\n  navn: Frutiger\n"
                                         "  normal: Frutiger.otf\n")
    assert load_profile(path).font_warning == (
        "Skrifttypen \"Frutiger\": Frutiger.otf er ikke en TrueType-fil (.ttf); dokumenterne "
        "bruger den medfølgende DejaVu Sans.")


# -- point 5: samples a reviewer believes ----------------------------------------------------
def test_the_demo_consent_is_valid_today(profile):
    data = _sample("samtykke")
    today = _dt.date.today()
    start = _dt.date.fromisoformat(data["gyldig_fra"])
    end = _dt.date.fromisoformat(data["gyldig_til"])
    assert start <= today <= end, (
        "samples/samtykke.json er udløbet: ryk gyldig_fra/gyldig_til frem (og Makefile's demo)")
    report = validate(load_form("samtykke"), data, profile)
    assert report.valid and not report.problems, report.to_text()


@pytest.mark.parametrize("form_id", ["forberedende-skema", "indsatsskema", "samtykke"])
def test_citizen_samples_belong_to_the_sample_municipality(form_id, profile):
    text = json.dumps(_sample(form_id), ensure_ascii=False)
    real = [k["navn"] for k in kommuner() if re.search(rf"\b{re.escape(k['navn'])}\b", text)]
    assert not real, real
    rendered = _docx_text(fill(form_id, _sample(form_id), "docx", profile=profile))
    assert not [k["navn"] for k in kommuner()
                if re.search(rf"\b{re.escape(k['navn'])} Kommune\b", rendered)]
    if form_id == "samtykke":
        assert "i din sag hos Eksempel Kommune." in rendered


# -- the month overview fits however long the plan runs ---------------------------------------
def test_month_overview_wraps_to_tables_of_at_most_twelve_months():
    from toolkit.derived import month_chunks

    assert [len(r) for r in month_chunks(24)] == [12, 12]
    assert [len(r) for r in month_chunks(13)] == [7, 6]
    assert [len(r) for r in month_chunks(6)] == [6]
    assert [r.start for r in month_chunks(36)] == [0, 12, 24]


def test_month_names_fit_their_columns_in_word_and_pdf(soffice, pdftotext, tmp_path):
    data = _sample("indsatsskema")
    data["periode"] = {"start": "2024-01-01", "slut": "2025-12-31"}
    for item in data["indsatser"]:
        item["start_maaned"], item["slut_maaned"] = "2024-03", "2025-10"
    docx = tmp_path / "lang.docx"
    docx.write_bytes(fill("indsatsskema", data, "docx"))
    xml = _docx_xml(docx.read_bytes())
    start = xml.index(">Månedsoversigt<")
    assert xml[start:].count("<w:tbl>") - xml[xml.index(">Tværfagligt team<"):].count(
        "<w:tbl>") == 2
    pdf = tmp_path / "lang.pdf"
    pdf.write_bytes(fill("indsatsskema", data, "pdf"))
    for text in (pdftotext(soffice(docx, "pdf")), pdftotext(pdf)):
        part = text[text.index("Månedsoversigt"):text.index("Tværfagligt team")]
        words = part.split()
        for name in ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt",
                     "nov", "dec"):
            assert words.count(name) == 2, (name, part[:400])  # whole, once per year


# Help that skema adds to fields the source does not have: the issuer block.
OWN_HELP = "Udstedt af"


def test_staff_help_is_the_sources_own_words():
    from conftest import seed_text

    source = _norm(seed_text("003_bebc1149db24e12b.txt") + " "
                   + seed_text("000_4d4dbd32747f6a76.txt")).replace("*", "")
    checked = 0
    for form_id in ("forberedende-skema", "indsatsskema"):
        for label, text in staff_help(load_form(form_id)):
            if label.endswith("kommune") or label.startswith(OWN_HELP):
                continue  # our own notes (profile, issuer block), not the source's text
            for sentence in re.split(r"(?<=[.:])\s+", _norm(text)):
                assert sentence in source, (form_id, label, sentence)
                checked += 1
    assert checked >= 10
