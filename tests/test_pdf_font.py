"""The field font in a PDF: an embedded subset that covers the answers, Danish and what a
partner may type later; made once per process."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import ROOT, _need
from fontTools.ttLib import TTFont
from pypdf import PdfReader, PdfWriter

from toolkit.catalogue import load_form
from toolkit.readers.pdf import extract_pdf
from toolkit.render.font_subset import TYPEABLE, font_program
from toolkit.render.pdf import render_pdf

SAMPLE = json.loads((ROOT / "samples" / "indsatsskema.json").read_text(encoding="utf-8"))
FULL_FONT = ROOT / "toolkit" / "fonts" / "DejaVuSans.ttf"


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    exe = _need("pdftotext", "apt-get install poppler-utils")
    src = tmp_path / "in.pdf"
    src.write_bytes(pdf)
    return subprocess.run([exe, str(src), "-"], check=True, capture_output=True,
                          text=True).stdout


def _field_font(pdf: bytes) -> tuple[TTFont, int]:
    """The program of the AcroForm's field font (/DR /SkemaSansU) as a fontTools font."""
    doc = pikepdf.open(io.BytesIO(pdf))
    type0 = doc.Root.AcroForm.DR.Font.SkemaSansU
    simple = doc.Root.AcroForm.DR.Font.SkemaSans
    descriptor = type0.DescendantFonts[0].FontDescriptor
    assert simple.FontDescriptor.objgen == descriptor.objgen  # one program for both
    data = descriptor.FontFile2.read_bytes()
    assert int(descriptor.FontFile2.Length1) == len(data)
    return TTFont(io.BytesIO(data)), len(data)


def _covered(pdf: bytes) -> set[str]:
    """Characters some embedded font program has a real glyph for.

    reportlab's page fonts are simple TrueType subsets with their own codes: their
    ToUnicode map gives the character of a code, the program's cmap the glyph of a code.
    """
    doc = pikepdf.open(io.BytesIO(pdf))
    out: set[str] = set()
    for obj in doc.objects:
        if not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
                and obj.get("/Subtype") == "/TrueType" and "/FontDescriptor" in obj):
            continue
        program = TTFont(io.BytesIO(obj.FontDescriptor.FontFile2.read_bytes()))
        if "/ToUnicode" not in obj:  # the WinAnsi field font: a Unicode cmap
            out |= {chr(u) for u, g in program.getBestCmap().items() if g != ".notdef"}
            continue
        codes: dict[int, str] = {}
        for table in program["cmap"].tables:
            codes.update(table.cmap)
        cmap = obj.ToUnicode.read_bytes().decode("latin-1")
        for code, uni in re.findall(r"<([0-9A-Fa-f]{2})> <([0-9A-Fa-f]{4})>", cmap):
            glyph = codes.get(int(code, 16))
            if int(uni, 16) and glyph not in (None, ".notdef"):
                out.add(chr(int(uni, 16)))
    return out


def _values(pdf: bytes) -> dict[str, str]:
    """Text and drop-down values of the filled fields, by name."""
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    return {name: str(f.get("/V")) for name, f in fields.items()
            if f.get("/FT") in ("/Tx",) and f.get("/V") not in (None, "")}


def test_filled_pdf_embeds_a_subset_covering_danish_and_the_answers():
    pdf = render_pdf(load_form("indsatsskema"), SAMPLE)
    font, size = _field_font(pdf)
    assert size < FULL_FONT.stat().st_size / 10  # a subset, not the 757 KB font
    cmap = font.getBestCmap()
    for char in "æøåÆØÅéüÉ–—“”‘’…€✓☐☒":
        assert ord(char) in cmap, char
    answers = "".join(_values(pdf).values())
    assert answers and "ø" in answers
    assert {c for c in answers if c.strip()} <= {chr(u) for u in cmap}
    assert len(pdf) <= 120_000


def test_page_text_glyphs_are_embedded(tmp_path):
    pdf = render_pdf(load_form("indsatsskema"), SAMPLE)
    text = _pdftotext(pdf, tmp_path)
    covered = _covered(pdf)
    assert set("æøåÆØÅ") <= covered
    missing = {c for c in text if c.strip() and c not in covered}
    assert not missing, missing


def test_pdftotext_shows_every_value(tmp_path):
    pdf = render_pdf(load_form("indsatsskema"), SAMPLE)
    squashed = re.sub(r"\s+", "", _pdftotext(pdf, tmp_path))
    values = _values(pdf)
    assert len(values) > 10
    for name, value in values.items():
        assert re.sub(r"\s+", "", value) in squashed, name


@pytest.mark.parametrize("value", ["Åse Østergård Ærø", "Bjørn – “Møller” … é ü ß €",
                                   "Łukasz Żółć Şahin"])
def test_a_partner_types_danish_into_the_blank_later(tmp_path, value):
    """pypdf regenerates the appearance with the embedded /DA font: shown and read back."""
    form = load_form("indsatsskema")
    blank = render_pdf(form, None, blank=True)
    font, _size = _field_font(blank)
    assert {ord(c) for c in value if c != " "} <= set(font.getBestCmap())
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, {"borger.navn": value})
    out = io.BytesIO()
    writer.write(out)
    filled = out.getvalue()
    assert value in _pdftotext(filled, tmp_path)
    assert extract_pdf(filled).data["borger"]["navn"] == value


def test_a_character_outside_the_repertoire_is_added_to_the_subset():
    form = load_form("indsatsskema")
    data = json.loads(json.dumps(SAMPLE))
    data["borger"]["navn"] = "Ωmega Ψ"
    assert ord("Ω") not in TYPEABLE
    font, _size = _field_font(render_pdf(form, data))
    assert {ord("Ω"), ord("Ψ"), ord("æ")} <= set(font.getBestCmap())


def test_font_is_subset_and_compressed_once_per_process():
    form = load_form("indsatsskema")
    render_pdf(form, SAMPLE)
    before = font_program.cache_info()
    render_pdf(form, SAMPLE)
    render_pdf(form, None, blank=True)
    after = font_program.cache_info()
    assert after.misses == before.misses and after.hits >= before.hits + 2


def test_the_subset_is_the_same_bytes_at_any_time(monkeypatch):
    """A batch's worker and a later ``skema fill`` of the same row give identical files."""
    from fontTools.ttLib.tables import _h_e_a_d

    path = str(FULL_FONT)
    monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda: 3_000_000_000)
    first = font_program.__wrapped__(path)
    monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda: 3_000_000_999)
    assert font_program.__wrapped__(path) == first


def test_page_fonts_keep_their_glyphs_without_licence_text_and_hints():
    pdf = render_pdf(load_form("indsatsskema"), SAMPLE)
    doc = pikepdf.open(io.BytesIO(pdf))
    programs = [obj.FontFile2 for obj in doc.objects if isinstance(obj, pikepdf.Dictionary)
                and obj.get("/Type") == "/FontDescriptor" and "/FontFile2" in obj]
    assert len(programs) >= 3  # regular and bold page text, the field font
    for program in programs:
        data = program.read_bytes()
        assert int(program.Length1) == len(data)
        font = TTFont(io.BytesIO(data), checkChecksums=2)  # raises on a wrong checksum
        ids = {rec.nameID for rec in font["name"].names}
        assert 1 in ids and 13 not in ids
        assert "fpgm" not in font and "prep" not in font
        assert len(font.getGlyphOrder()) > 50


@pytest.mark.parametrize("style", ["regular", "bold"])
@pytest.mark.parametrize("extra", [frozenset(), frozenset({ord("Ω"), 0x1F600, ord("Ж")})])
def test_the_subset_is_the_one_fonttools_makes_of_the_whole_font(monkeypatch, style, extra):
    """The glyphs no subset keeps are emptied before fontTools reads the font (a fraction
    of the time): the program is byte for byte the one it makes from the whole file."""
    from toolkit.render import font_subset
    from toolkit.resources import font_file

    path = font_file(style)
    quick = font_program.__wrapped__(path, extra)
    monkeypatch.setattr(font_subset, "_only_glyphs", lambda data, unicodes: data)
    assert quick == font_program.__wrapped__(path, extra)
