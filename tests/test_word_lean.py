"""The lean Word package: nothing Word or LibreOffice needs is lost, the look is the same."""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile

import pytest
from conftest import ROOT, _need
from docx import Document
from lxml import etree

from toolkit.catalogue import form_ids, load_form
from toolkit.derived import drawing, month_overview_xml
from toolkit.errors import TemplateError
from toolkit.network_circle import render_png
from toolkit.readers.docx import extract_docx
from toolkit.render.ooxml import w
from toolkit.render.word_build import template_path
from toolkit.render.word_compiled import CompiledTemplate, compiled_template, render
from toolkit.render.word_fill import render_docxtpl
from toolkit.render.word_lean import lean_package

STORY = re.compile(r"word/(document|header\d*|footer\d*)\.xml")


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


def _parts(docx: bytes) -> dict[str, bytes]:
    src = zipfile.ZipFile(io.BytesIO(docx))
    return {name: src.read(name) for name in src.namelist()}


def _controls(docx: bytes) -> list[tuple[str, str, tuple[str, ...]]]:
    """(tag, alias, the sdtPr's element names) of every content control, in order."""
    root = etree.fromstring(_parts(docx)["word/document.xml"])
    out = []
    for pr in root.iter(w("sdtPr")):
        tag, alias = pr.find(w("tag")), pr.find(w("alias"))
        out.append((tag.get(w("val")) if tag is not None else "",
                    alias.get(w("val")) if alias is not None else "",
                    tuple(etree.QName(el).localname for el in pr
                          if isinstance(el.tag, str) and etree.QName(el).localname
                          not in ("showingPlcHdr",))))
    return out


@pytest.mark.parametrize("form_id", form_ids())
def test_filled_and_blank_documents_are_whole_packages_without_the_dead_parts(form_id):
    form = load_form(form_id)
    for docx in (render(form, _sample(form_id)), render(form, None, blank=True)):
        parts = _parts(docx)
        assert "word/stylesWithEffects.xml" not in parts
        assert "docProps/thumbnail.jpeg" not in parts
        types = parts["[Content_Types].xml"].decode()
        for name in re.findall(r'PartName="/([^"]+)"', types):
            assert name in parts, name
        for rels_name in [n for n in parts if n.endswith(".rels")]:
            base = rels_name.replace("_rels/", "").removesuffix(".rels")
            folder = base.rpartition("/")[0]
            for target, mode in re.findall(r'Target="([^"]+)"( TargetMode="External")?',
                                           parts[rels_name].decode()):
                if mode:
                    continue
                path = target.lstrip("/") if target.startswith("/") else \
                    "/".join(filter(None, [folder, target]))
                while "/../" in f"/{path}" or path.startswith("../"):
                    path = re.sub(r"(^|[^/]+/)\.\./", "", path, count=1)
                assert path in parts, (rels_name, target)
        doc = Document(io.BytesIO(docx))  # python-docx still opens it
        assert doc.paragraphs and doc.tables


@pytest.mark.parametrize("form_id", form_ids())
def test_every_style_a_part_names_is_still_defined(form_id):
    parts = _parts(render(load_form(form_id), _sample(form_id)))
    styles = etree.fromstring(parts["word/styles.xml"])
    defined = {st.get(w("styleId")): st for st in styles.iter(w("style"))}
    named = set()
    for name, body in parts.items():
        if STORY.fullmatch(name):
            for tag in ("pStyle", "rStyle", "tblStyle"):
                named |= {el.get(w("val")) for el in etree.fromstring(body).iter(w(tag))}
    assert named and named <= set(defined)
    for st in defined.values():  # what a kept style is based on is kept too
        based = st.find(w("basedOn"))
        assert based is None or based.get(w("val")) in defined
    assert {"Svar", "Etiket", "Hjaelp", "Lille", "TableGrid", "TableNormal"} <= set(defined)
    table_styles = [s for s, st in defined.items() if st.get(w("type")) == "table"]
    assert len(table_styles) < 5  # the 99 unused built-in table styles are gone


@pytest.mark.parametrize("form_id", ["indsatsskema", "samarbejdsmodel", "forberedende-skema"])
def test_content_controls_and_extraction_as_from_the_template_as_committed(form_id):
    """The lean package fills to the same controls (tag, alias, type) as the committed
    template filled by docxtpl, and reads back to the same data."""
    form = load_form(form_id)
    raw = template_path(form).read_bytes()
    data = _sample(form_id)
    lean = render(form, data)
    full = render_docxtpl(form, data, raw)
    assert _controls(lean) == _controls(full)
    assert extract_docx(lean).data == extract_docx(full).data


def test_table_look_goes_only_where_no_conditional_formatting_reads_it():
    doc = Document()
    doc.add_table(rows=1, cols=2).style = doc.styles["Table Grid"]
    doc.add_table(rows=1, cols=2).style = doc.styles["Light Shading"]  # has tblStylePr
    default = etree.SubElement(doc.settings.element, w("defaultTableStyle"))
    default.set(w("val"), "LightGrid-Accent2")  # what Word gives a new table
    buf = io.BytesIO()
    doc.save(buf)
    before = etree.fromstring(_parts(buf.getvalue())["word/document.xml"])
    assert all(t.find(f"{w('tblPr')}/{w('tblLook')}") is not None
               for t in before.iter(w("tbl")))
    parts = _parts(lean_package(buf.getvalue()))
    tables = list(etree.fromstring(parts["word/document.xml"]).iter(w("tbl")))
    looks = [t.find(f"{w('tblPr')}/{w('tblLook')}") is not None for t in tables]
    assert looks == [False, True]
    assert all(t.find(f"{w('tblPr')}/{w('tblW')}") is None for t in tables)  # auto: default
    styles = {st.get(w("styleId")) for st in
              etree.fromstring(parts["word/styles.xml"]).iter(w("style"))}
    assert {"TableGrid", "LightShading", "TableNormal", "LightGrid-Accent2"} <= styles
    assert "LightShading-Accent1" not in styles


def test_month_overview_keeps_spaces_only_where_they_would_be_lost():
    form = load_form("indsatsskema")
    block = next(b for b in form.layout if "month_overview" in b)
    data = _sample("indsatsskema")
    data["indsatser"][0]["indsats"] = "To  mellemrum"
    xml = month_overview_xml(form, block, data)
    assert '<w:t xml:space="preserve">To  mellemrum</w:t>' in xml
    label = data["indsatser"][1]["indsats"]
    assert f"<w:t>{label}</w:t>" in xml
    assert 'w:color="auto"' not in xml and "<w:tblW" not in xml


@pytest.mark.parametrize("form_id", ["indsatsskema", "forberedende-skema"])
def test_libreoffice_renders_the_lean_package_pixel_identical(form_id, soffice, tmp_path):
    """The same fill (docxtpl) of the committed template and of its lean package: every
    page LibreOffice renders is the same at 60 dpi."""
    form = load_form(form_id)
    raw = template_path(form).read_bytes()
    data = _sample(form_id)
    _assert_same_pages(soffice, tmp_path, render_docxtpl(form, data, raw),
                       render_docxtpl(form, data, lean_package(raw)), 2)


def _assert_same_pages(soffice, tmp_path, before: bytes, after: bytes, least: int) -> None:
    """Both .docx packages render through LibreOffice to the same pages at 60 dpi."""
    pdftoppm = _need("pdftoppm")
    pages = {}
    for name, package in (("before", before), ("after", after)):
        path = tmp_path / f"{name}.docx"
        path.write_bytes(package)
        pdf = soffice(path, "pdf")
        subprocess.run([pdftoppm, "-r", "60", str(pdf), str(tmp_path / name)], check=True)
        pages[name] = sorted(tmp_path.glob(f"{name}-*.ppm"))
    assert len(pages["before"]) == len(pages["after"]) >= least
    for a, b in zip(pages["before"], pages["after"]):
        assert a.read_bytes() == b.read_bytes(), b.name


@pytest.mark.parametrize("form_id", ["strategi", "forberedende-skema"])
def test_a_form_with_a_drawing_is_compiled_and_looks_as_docxtpl_made_it(form_id, soffice,
                                                                      tmp_path):
    """The network circle no longer sends its forms down docxtpl's path (a Jinja compile
    and a PNG encoding per document): the compiled fill has the drawing's PNG as its
    picture part, reads back to the same data, and LibreOffice renders every page as it
    renders docxtpl's fill of the same package."""
    form = load_form(form_id)
    data = _sample(form_id)
    assert compiled_template(form).fast
    compiled = render(form, data)
    slow = render_docxtpl(form, data, lean_package(template_path(form).read_bytes()))
    block = next(b for b in form.layout if "image" in b)
    parts = _parts(compiled)
    assert parts["word/media/skema-drawing1.png"] == drawing(block, data)
    assert b'Target="media/skema-drawing1.png"' in parts["word/_rels/document.xml.rels"]
    assert parts["word/document.xml"].count(b'r:embed="rIdSkemaDrawing1"') == 1
    assert _controls(compiled) == _controls(slow)
    assert extract_docx(compiled).data == extract_docx(slow).data
    _assert_same_pages(soffice, tmp_path, slow, compiled, 3)


def test_each_document_gets_its_own_network_circle():
    """The drawings kept per process are keyed by the list drawn: two plans with other
    networks get other pictures, each the one drawn afresh, and an empty network the
    blank circle."""
    form = load_form("forberedende-skema")
    data = _sample("forberedende-skema")
    other = {**data, "netvaerk": data["netvaerk"][:2]}
    empty = {**data, "netvaerk": []}
    got = [_parts(render(form, d))["word/media/skema-drawing1.png"]
           for d in (data, other, empty, data)]
    assert got[0] == got[3] == render_png(data["netvaerk"])
    assert got[1] == render_png(data["netvaerk"][:2]) != got[0]
    assert got[2] == render_png([]) != got[1]


def _with_body(form_id: str, change, **parts_changed: bytes) -> bytes:
    """The form's lean template with its body changed by ``change(xml, paragraph, tag)``
    (the drawing's paragraph and expression) and other parts replaced."""
    form = load_form(form_id)
    parts = _parts(lean_package(template_path(form).read_bytes()))
    doc = parts["word/document.xml"].decode()
    tag = re.search(r"\{\{ images\[[^]]*\] \}\}", doc).group(0)
    para = re.search(r"<w:p>(?:(?!<w:p>).)*?images\[.*?</w:p>", doc, re.S).group(0)
    parts["word/document.xml"] = change(doc, para, tag).encode()
    parts.update(parts_changed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for name, body in parts.items():
            out.writestr(name, body)
    return buf.getvalue()


def _pictures(docx: bytes) -> tuple[list[bytes], list[str], bytes]:
    """(shape ids of the body's pictures, the package's media parts, its content types)."""
    parts = _parts(docx)
    names = zipfile.ZipFile(io.BytesIO(docx)).namelist()
    assert len(names) == len(set(names))  # no zip member twice
    return (re.findall(rb'<wp:docPr id="(\d+)"', parts["word/document.xml"]),
            [n for n in names if n.startswith("word/media/")], parts["[Content_Types].xml"])


def test_a_custom_template_showing_a_drawing_twice_takes_the_docxtpl_path():
    """Two pictures from one compiled slot would share a shape id; such a template is
    filled by docxtpl instead, which numbers each picture (twice in the text, or once
    in a loop)."""
    form = load_form("strategi")
    twice = CompiledTemplate(form, _with_body("strategi", lambda d, p, t: d.replace(p, p + p)))
    assert not twice.fast
    ids, media, _ = _pictures(twice.render(_sample("strategi")))
    assert len(ids) == 2 and len(set(ids)) == 2 and len(media) == 1
    loop = CompiledTemplate(form, _with_body("strategi", lambda d, p, t: d.replace(
        t, "{% for i in range(2) %}" + t + "{% endfor %}")))
    ids, media, _ = _pictures(loop.render(_sample("strategi")))
    assert len(ids) == 2 and len(set(ids)) == 2 and len(media) == 1


@pytest.mark.parametrize("split", [
    # Word's spelling mark round an English word, between runs
    "</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:t>",
    "</w:t></w:r><w:r><w:rPr><w:lang w:val=\"da-DK\"/></w:rPr><w:t>",
])
def test_a_drawing_whose_expression_word_split_is_still_drawn(split):
    """Word splits ``{{ images[…] }}`` into runs as it edits; the compiled fill reads the
    expression as docxtpl does and still draws the circle."""
    form = load_form("forberedende-skema")
    raw = _with_body("forberedende-skema", lambda d, p, t: d.replace(
        t, t.replace("images", "ima" + split + "ges")))
    compiled = CompiledTemplate(form, raw)
    assert compiled.fast
    data = _sample("forberedende-skema")
    parts = _parts(compiled.render(data))
    block = next(b for b in form.layout if "image" in b)
    assert parts["word/media/skema-drawing1.png"] == drawing(block, data)
    assert parts["word/document.xml"].count(b'r:embed="rIdSkemaDrawing1"') == 1


@pytest.mark.parametrize("change", [
    lambda d, p, t: d.replace(t, "{% if false %}" + t + "{% endif %}"),
    lambda d, p, t: d.replace(t, "{# " + t[2:-2] + " #}"),
    lambda d, p, t: d.replace(p, "<w:p><w:r><w:t>images[…] er fjernet</w:t></w:r></w:p>"),
], ids=["condition", "comment", "text"])
def test_a_document_that_does_not_show_the_circle_does_not_carry_it(change):
    """The network's names are in the circle's picture: a document whose template leaves
    the picture out has no picture part and no relationship to one."""
    form = load_form("forberedende-skema")
    out = CompiledTemplate(form, _with_body("forberedende-skema", change)).render(
        _sample("forberedende-skema"))
    ids, media, _ = _pictures(out)
    assert ids == [] and media == []
    assert b"image" not in _parts(out)["word/_rels/document.xml.rels"]


def test_template_parts_and_ids_are_not_taken_twice():
    """A template that already has the drawing's part name is filled by docxtpl; a png
    type written in capitals is not added again; the drawing's shape id is above every
    id in the template and the letterhead logo's."""
    form = load_form("strategi")
    logo = (ROOT / "samples" / "eksempel-logo.png").read_bytes()
    taken = CompiledTemplate(form, _with_body("strategi", lambda d, p, t: d, **{
        "word/media/skema-drawing1.png": logo}))
    assert not taken.fast
    out = taken.render(_sample("strategi"))
    _ids, media, _ = _pictures(out)
    block = next(b for b in form.layout if "image" in b)
    assert [_parts(out)[m] for m in media] == [drawing(block, {})]  # the unused part dropped
    raw = lean_package(template_path(form).read_bytes())
    types = _parts(raw)["[Content_Types].xml"].replace(
        b"<Default ", b'<Default Extension="PNG" ContentType="image/png"/><Default ', 1)
    picture = ('<w:p><w:r><w:drawing><wp:inline><wp:extent cx="1" cy="1"/>'
               '<wp:docPr id="9500" name="x"/></wp:inline></w:drawing></w:r></w:p>')
    compiled = CompiledTemplate(form, _with_body(
        "strategi", lambda d, p, t: d.replace(p, p + picture), **{
            "[Content_Types].xml": types}))
    assert compiled.fast
    ids, _media, types_out = _pictures(compiled.render(_sample("strategi")))
    assert sorted(ids) == [b"9500", b"9501"]
    assert len(re.findall(rb'Extension="png"', types_out, re.I)) == 1


def test_a_custom_template_word_cannot_open_is_refused_with_its_name(tmp_path):
    """A template with a picture part of no content type (python-docx refuses it) gives a
    Danish error naming the file before any document, not an unexpected error."""
    form = load_form("strategi")
    raw = _parts(lean_package(template_path(form).read_bytes()))
    rels = raw["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdSkemaDrawing1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/image" '
        b'Target="media/skema-drawing1.png"/></Relationships>')
    path = tmp_path / "egen skabelon.docx"
    path.write_bytes(_with_body("strategi", lambda d, p, t: d, **{
        "word/_rels/document.xml.rels": rels,
        "word/media/skema-drawing1.png": (ROOT / "samples" / "eksempel-logo.png").read_bytes()}))
    with pytest.raises(TemplateError) as err:
        compiled_template(form, path)
    assert str(err.value) == (f"{path}: skabelonen kan ikke åbnes som Word-dokument (en del "
                              "af pakken mangler eller er ugyldig).")
