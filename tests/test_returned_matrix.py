"""Returned forms as partners really return them (issue 11): filled, rewritten, flattened,
printed and edited by other programs, then read back with ``extract``.

Each case compares the data that went in with what comes out, value by value (one value is
a text, a date, a ticked box, one option of a multi-select, one cell of a list row). Every
value must either come back exactly or be *reported* (a problem on its path or on the list
or group it belongs to); a value that comes back different without a report is *wrong*,
and no case may have one. The counts are printed (``pytest -s``) and, with
``SKEMA_MATRIX_OUT=file``, appended to a file as JSON lines.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT, _missing, _need
from lxml import etree

from toolkit import fill, load_form
from toolkit.catalogue import Form, shape_of
from toolkit.errors import DocumentError
from toolkit.readers.docx import extract_docx
from toolkit.readers.pdf import extract_pdf, read_fields
from toolkit.render.ooxml import w
from toolkit.validation import Problem, Report

FORMS = ["handleplan", "samtykke", "strategi", "samarbejdsmodel", "indsatsskema",
         "forberedende-skema"]
PDF_CASES = ["pymupdf", "pdfium", "pymupdf+qpdf", "pymupdf+mutool", "pymupdf+pdftk-flatten",
             "pymupdf+pdftocairo", "pymupdf+gs", "skema+pdftk-flatten", "skema+gs",
             "skema+pdftocairo"]
DOCX_CASES = ["docx-added-row", "docx-bold-run", "docx-extra-paragraph", "docx-odt-docx",
              "docx-pandoc", "docx-lo-pdf", "docx-lo-uno"]


# ---------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------
def leaves(form: Form, data: dict) -> dict[str, object]:
    """Every value of data by its field name (``liste.0.felt``, ``valg:option``)."""
    out: dict[str, object] = {}

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            fld = form.fields.get(shape_of(path))
            if fld is not None and fld.kind == "multi":
                for option in node:
                    out[f"{path}:{option}"] = True
            else:
                for i, item in enumerate(node):
                    walk(item, f"{path}.{i}")
        elif node not in (None, "", False):
            out[path] = node

    walk(data, "")
    return out


def _covers(problem_path: str, name: str) -> bool:
    return not problem_path or name == problem_path or name.startswith(
        (problem_path + ".", problem_path + ":"))


def count(form: Form, expected: dict, extraction) -> dict[str, object]:
    """exact / reported / wrong over the expected values and any extra value read."""
    want, got = leaves(form, expected), leaves(form, extraction.data)
    paths = [p.path for p in extraction.report.problems]
    exact = reported = 0
    wrong: list[str] = []
    for name in sorted(set(want) | set(got)):
        if name in want and got.get(name) == want[name]:
            exact += 1
        elif any(_covers(p, name) for p in paths):
            reported += 1
        else:
            wrong.append(f"{name}: {want.get(name)!r} -> {got.get(name)!r}")
    return {"exact": exact, "reported": reported, "wrong": len(wrong), "detail": wrong}


def _read(reader, data: bytes, form_id: str):
    """The extraction, or a stand-in reporting the whole form when the file is refused
    (a Danish error is a report, not a silent wrong value)."""
    try:
        return reader(data, form_id=form_id)
    except DocumentError as err:
        return SimpleNamespace(
            data={}, report=Report([Problem("", "", str(err), "file_unreadable")]))


def _record(form_id: str, case: str, counts: dict) -> None:
    line = (f"{form_id:20} {case:24} exact {counts['exact']:3}  reported "
            f"{counts['reported']:3}  wrong {counts['wrong']:3}")
    print("\n" + line)
    out = os.environ.get("SKEMA_MATRIX_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"form": form_id, "case": case,
                                     **{k: counts[k] for k in ("exact", "reported", "wrong")}})
                         + "\n")


def _sample(form_id: str) -> dict:
    return json.loads((ROOT / "samples" / f"{form_id}.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------
# Programs
# ---------------------------------------------------------------------------------------
def _run(args: list[str], timeout: int = 180) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=timeout)


def _through(tool: str, package: str, args_of, data: bytes, suffix: str = ".pdf") -> bytes:
    """Run a file through a command line program: args_of(src, dst) -> argv."""
    exe = _need(tool, package)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / f"in{suffix}", Path(tmp) / "out.pdf"
        src.write_bytes(data)
        _run(args_of(exe, str(src), str(dst)))
        return dst.read_bytes()


def _qpdf(data: bytes) -> bytes:
    return _through("qpdf", "qpdf", lambda e, s, d: [e, s, d], data)


def _mutool(data: bytes) -> bytes:
    return _through("mutool", "mupdf-tools", lambda e, s, d: [e, "clean", "-gg", s, d], data)


def _pdftk_flatten(data: bytes) -> bytes:
    return _through("pdftk", "pdftk-java", lambda e, s, d: [e, s, "output", d, "flatten"],
                    data)


def _pdftocairo(data: bytes) -> bytes:
    return _through("pdftocairo", "poppler-utils", lambda e, s, d: [e, "-pdf", s, d], data)


def _gs(data: bytes) -> bytes:
    return _through("gs", "ghostscript", lambda e, s, d: [
        e, "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=pdfwrite",
        f"-sOutputFile={d}", s], data)


def _module(name: str, package: str):
    try:
        return __import__(name)
    except ImportError:
        _missing(f"{package} er ikke installeret (pip install {package})",
                 f"{package} mangler i CI; .ci/run skal installere testens pakker")


@functools.cache
def _skema_pdf(form_id: str) -> bytes:
    return fill(form_id, _sample(form_id), "pdf")


@functools.cache
def _answers(form_id: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The field values skema writes for the sample (what another program types in), and
    each drop-down's export value -> display text."""
    from pypdf import PdfReader

    fields = read_fields(PdfReader(io.BytesIO(_skema_pdf(form_id))))
    values: dict[str, str] = {}
    displays: dict[str, dict[str, str]] = {}
    for name, pf in fields.items():
        value = pf.value
        text = "" if value is None else str(value)
        if pf.ftype == "Btn":
            if text not in ("", "/Off"):
                values[name] = "on"
        elif text:
            values[name] = text
        if pf.options:
            displays[name] = dict(pf.options)
    return values, displays


@functools.cache
def _pymupdf_fill(form_id: str) -> bytes:
    """The blank form filled in PyMuPDF (MuPDF draws every appearance itself)."""
    fitz = _module("pymupdf", "pymupdf")
    values, displays = _answers(form_id)
    doc = fitz.open(stream=_blank(form_id), filetype="pdf")
    for page in doc:
        for widget in page.widgets():
            name = widget.field_name
            if name not in values:
                continue
            if widget.field_type == fitz.PDF_WIDGET_TYPE_CHECKBOX:
                widget.field_value = widget.on_state()
            elif widget.field_type == fitz.PDF_WIDGET_TYPE_COMBOBOX:
                widget.field_value = displays.get(name, {}).get(values[name], values[name])
            else:
                widget.field_value = values[name]
            widget.update()
    return doc.tobytes()


@functools.cache
def _blank(form_id: str) -> bytes:
    from toolkit import blank

    return blank(form_id, "pdf")


def _u16(buf):
    import ctypes

    return ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort))


@functools.cache
def _pdfium_fill(form_id: str) -> bytes:
    """The blank form filled through PDFium's form-fill API (Chrome's PDF engine): focus,
    select all, type; click the boxes; pick the drop-down entry."""
    pdfium = _module("pypdfium2", "pypdfium2")
    import ctypes

    raw = pdfium.raw
    values, displays = _answers(form_id)
    pdf = pdfium.PdfDocument(_blank(form_id))
    pdf.init_forms()
    for index in range(len(pdf)):
        page = pdf[index]
        handle = pdf.formenv.raw
        for i in range(raw.FPDFPage_GetAnnotCount(page.raw)):
            annot = raw.FPDFPage_GetAnnot(page.raw, i)
            try:
                size = raw.FPDFAnnot_GetFormFieldName(handle, annot, None, 0)
                buf = ctypes.create_string_buffer(size)
                raw.FPDFAnnot_GetFormFieldName(handle, annot, _u16(buf), size)
                name = buf.raw[:size - 2].decode("utf-16-le")
                if name not in values:
                    continue
                kind = raw.FPDFAnnot_GetFormFieldType(handle, annot)
                raw.FORM_SetFocusedAnnot(handle, annot)
                if kind == raw.FPDF_FORMFIELD_CHECKBOX:
                    if not raw.FPDFAnnot_IsChecked(handle, annot):
                        rect = raw.FS_RECTF()
                        raw.FPDFAnnot_GetRect(annot, rect)
                        x, y = (rect.left + rect.right) / 2, (rect.top + rect.bottom) / 2
                        raw.FORM_OnLButtonDown(handle, page.raw, 0, x, y)
                        raw.FORM_OnLButtonUp(handle, page.raw, 0, x, y)
                elif kind == raw.FPDF_FORMFIELD_COMBOBOX:
                    label = displays.get(name, {}).get(values[name], values[name])
                    for k in range(raw.FPDFAnnot_GetOptionCount(handle, annot)):
                        n = raw.FPDFAnnot_GetOptionLabel(handle, annot, k, None, 0)
                        lbuf = ctypes.create_string_buffer(n)
                        raw.FPDFAnnot_GetOptionLabel(handle, annot, k, _u16(lbuf), n)
                        if lbuf.raw[:n - 2].decode("utf-16-le") == label:
                            raw.FORM_SetIndexSelected(handle, page.raw, k, True)
                            break
                else:
                    raw.FORM_SelectAllText(handle, page.raw)
                    wide = (values[name] + "\0").encode("utf-16-le")
                    raw.FORM_ReplaceSelection(
                        handle, page.raw,
                        _u16(ctypes.create_string_buffer(wide)))
                raw.FORM_ForceToKillFocus(handle)
            finally:
                raw.FPDFPage_CloseAnnot(annot)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


PDF_MAKERS = {
    "pymupdf": _pymupdf_fill,
    "pdfium": _pdfium_fill,
    "pymupdf+qpdf": lambda f: _qpdf(_pymupdf_fill(f)),
    "pymupdf+mutool": lambda f: _mutool(_pymupdf_fill(f)),
    "pymupdf+pdftk-flatten": lambda f: _pdftk_flatten(_pymupdf_fill(f)),
    "pymupdf+pdftocairo": lambda f: _pdftocairo(_pymupdf_fill(f)),
    "pymupdf+gs": lambda f: _gs(_pymupdf_fill(f)),
    "skema+pdftk-flatten": lambda f: _pdftk_flatten(_skema_pdf(f)),
    "skema+gs": lambda f: _gs(_skema_pdf(f)),
    "skema+pdftocairo": lambda f: _pdftocairo(_skema_pdf(f)),
}


@pytest.mark.parametrize("case", PDF_CASES)
@pytest.mark.parametrize("form_id", FORMS)
def test_pdf_case(form_id, case):
    form = load_form(form_id)
    data = PDF_MAKERS[case](form_id)
    counts = count(form, _sample(form_id), _read(extract_pdf, data, form_id))
    _record(form_id, case, counts)
    assert counts["wrong"] == 0, "\n".join(counts["detail"])


# ---------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------
def _edit(data: bytes, fn) -> bytes:
    from docx_edit import edit_document

    return edit_document(data, fn)


def _unwrap_controls(el) -> None:
    """Replace every content control under el by its content (a row made by Tab)."""
    for sdt in list(el.iter(w("sdt"))):
        parent = sdt.getparent()
        if parent is None:
            continue
        content = sdt.find(w("sdtContent"))
        index = parent.index(sdt)
        parent.remove(sdt)
        for k, child in enumerate(list(content) if content is not None else []):
            parent.insert(index + k, child)


def _list_table_row(root, form: Form):
    """(list path, last row) of the first row list's table that has a filled row."""
    rows_lists = [b["rows"] for b in form.layout if "rows" in b]
    for tr in root.iter(w("tr")):
        tags = [t.get(w("val")) for t in tr.iter(w("tag"))]
        for path in rows_lists:
            if any(t and t.startswith(path + ".") for t in tags):
                last = tr
                while last.getnext() is not None and last.getnext().tag == w("tr"):
                    last = last.getnext()
                return path, last
    return None, None


def _added_row(form_id: str) -> tuple[bytes, dict]:
    """A row added under a list's last row the way Word's Tab does: the cells' text, no
    controls. Expected: that list with one more item equal to its last one."""
    form = load_form(form_id)
    data = _sample(form_id)
    expected = copy.deepcopy(data)
    found: dict = {}

    def add(root) -> None:
        path, last = _list_table_row(root, form)
        if last is None:
            return
        row = copy.deepcopy(last)
        _unwrap_controls(row)
        last.addnext(row)
        found["path"] = path
        found["filled"] = bool("".join(t.text or "" for t in row.iter(w("t"))).strip(
            "☐ \t"))

    out = _edit(fill(form_id, data, "docx"), add)
    assert "path" in found, f"{form_id}: ingen udfyldt listerække at tilføje en række under"
    if found["filled"]:
        node = expected
        parts = found["path"].split(".")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = node[parts[-1]] + [copy.deepcopy(node[parts[-1]][-1])]
    return out, expected


def _bold_run(form_id: str) -> tuple[bytes, dict]:
    """The first text answer split in two runs, the second made bold."""
    data = _sample(form_id)

    def bold(root) -> None:
        for sdt in root.iter(w("sdt")):
            runs = list(sdt.iter(w("r")))
            texts = [r.find(w("t")) for r in runs]
            if len(runs) == 1 and texts[0] is not None and len(texts[0].text or "") > 4:
                run, t_el = runs[0], texts[0]
                second = copy.deepcopy(run)
                half = len(t_el.text) // 2
                second.find(w("t")).text = t_el.text[half:]
                second.find(w("t")).set("{http://www.w3.org/XML/1998/namespace}space",
                                        "preserve")
                t_el.text = t_el.text[:half]
                t_el.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                rpr = second.find(w("rPr"))
                if rpr is None:
                    rpr = etree.SubElement(second, w("rPr"))
                    second.remove(rpr)
                    second.insert(0, rpr)
                etree.SubElement(rpr, w("b"))
                run.addnext(second)
                return

    return _edit(fill(form_id, data, "docx"), bold), data


def _extra_paragraph(form_id: str) -> tuple[bytes, dict]:
    """A paragraph of the user's own typed after the first table and at the end."""
    data = _sample(form_id)

    def extra(root) -> None:
        body = root.find(w("body"))
        para = etree.fromstring(
            f'<w:p xmlns:w="{w("x")[1:].split("}")[0]}"><w:r><w:t>Bemærkning: se også '
            "vedlagte brev.</w:t></w:r></w:p>")
        table = body.find(w("tbl"))
        if table is not None:
            table.addnext(copy.deepcopy(para))
        sect = body.find(w("sectPr"))
        (sect.addprevious if sect is not None else body.append)(para)

    return _edit(fill(form_id, data, "docx"), extra), data


@pytest.fixture(scope="module")
def lo(tmp_path_factory):
    """convert(data, suffix, target) -> bytes with LibreOffice."""
    exe = _need("soffice")
    profile = tmp_path_factory.mktemp("lo-profile")
    cache: dict = {}

    def convert(data: bytes, suffix: str, target: str) -> bytes:
        key = (data, suffix, target)
        if key not in cache:
            with tempfile.TemporaryDirectory() as tmp:
                src = Path(tmp) / f"form{suffix}"
                src.write_bytes(data)
                _run([exe, f"-env:UserInstallation=file://{profile}", "--headless",
                      "--convert-to", target, "--outdir", str(Path(tmp) / "out"), str(src)])
                cache[key] = (Path(tmp) / "out" / f"form.{target.split(':')[0]}").read_bytes()
        return cache[key]

    return convert


def _pandoc(data: bytes) -> bytes:
    exe = _need("pandoc", "pandoc")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.docx", Path(tmp) / "out.docx"
        src.write_bytes(data)
        _run([exe, str(src), "-o", str(dst)])
        return dst.read_bytes()


#: The Python with LibreOffice's ``uno`` module (Debian's python3-uno), not the test's.
UNO_PYTHON = "/usr/bin/python3"
UNO_REPLACEMENT = "Rettet i LibreOffice af partneren"
UNO_PARAGRAPH = "Tilføjet af partneren: se også vedlagte brev."


def _need_uno() -> str:
    """The Python that imports ``uno``; skips when missing, fails under CI (like _need)."""
    found = Path(UNO_PYTHON).is_file() and subprocess.run(
        [UNO_PYTHON, "-c", "import uno"], capture_output=True, timeout=60).returncode == 0
    if not found:
        _missing(f"{UNO_PYTHON} kan ikke importere uno (python3-uno)",
                 f"uno mangler i CI; .ci/run skal installere python3-uno til {UNO_PYTHON}")
    return UNO_PYTHON


def _uno_candidates(form: Form, data: dict) -> list[tuple[str, str]]:
    """(field name, answer) of the free-text answers a partner could retype, list cells
    (answers in a table row) first."""
    out = []
    for name, value in leaves(form, data).items():
        fld = form.fields.get(shape_of(name))
        if (fld is not None and fld.kind in ("text", "long") and fld.format is None
                and isinstance(value, str) and len(value) >= 4 and "\n" not in value):
            out.append((name, value))
    return sorted(out, key=lambda item: form.fields[shape_of(item[0])].list_path is None)


def _set(data: dict, name: str, value: object) -> None:
    node = data
    parts = name.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value


@pytest.fixture(scope="module")
def uno_edited(tmp_path_factory) -> dict[str, tuple[bytes, dict]]:
    """Every form filled, then edited in LibreOffice through UNO in one office session
    (tests/uno_edit.py): one answer retyped, a paragraph added, saved as .docx.
    form id -> (document, expected data)."""
    python, exe = _need_uno(), _need("soffice")
    tmp = tmp_path_factory.mktemp("uno")
    files, names = [], {}
    for form_id in FORMS:
        form, data = load_form(form_id), _sample(form_id)
        src = tmp / f"{form_id}.docx"
        src.write_bytes(fill(form_id, data, "docx"))
        candidates = _uno_candidates(form, data)
        names[form_id] = {}
        for name, value in candidates:
            names[form_id].setdefault(value, name)
        files.append({"src": str(src), "dst": str(tmp / f"{form_id}-uno.docx"),
                      "candidates": [value for _, value in candidates],
                      "replacement": UNO_REPLACEMENT, "paragraph": UNO_PARAGRAPH})
    job = tmp / "job.json"
    job.write_text(json.dumps({"soffice": exe, "profile": str(tmp / "profile"),
                               "files": files}), encoding="utf-8")
    run = subprocess.run([python, str(Path(__file__).parent / "uno_edit.py"), str(job)],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    out = {}
    for form_id, item, chosen in zip(FORMS, files, json.loads(run.stdout), strict=True):
        expected = _sample(form_id)
        assert chosen is not None, f"{form_id}: intet svar fandtes præcis én gang"
        _set(expected, names[form_id][chosen], UNO_REPLACEMENT)
        out[form_id] = (Path(item["dst"]).read_bytes(), expected)
    return out


def _docx_cases() -> list[tuple[str, str]]:
    """Every (form, Word case); a row is added only to forms with a list in table rows."""
    return [(f, c) for f in FORMS for c in DOCX_CASES
            if c != "docx-added-row" or any("rows" in b for b in load_form(f).layout)]


@pytest.mark.parametrize(("form_id", "case"), _docx_cases())
def test_docx_case(form_id, case, request):
    form = load_form(form_id)
    if case == "docx-added-row":
        doc, expected = _added_row(form_id)
    elif case == "docx-bold-run":
        doc, expected = _bold_run(form_id)
    elif case == "docx-extra-paragraph":
        doc, expected = _extra_paragraph(form_id)
    elif case == "docx-lo-uno":
        doc, expected = request.getfixturevalue("uno_edited")[form_id]
    else:
        expected = _sample(form_id)
        doc = fill(form_id, expected, "docx")
    if case == "docx-odt-docx":
        lo = request.getfixturevalue("lo")
        doc = lo(lo(doc, ".docx", "odt"), ".odt", "docx")
    elif case == "docx-pandoc":
        doc = _pandoc(doc)
    if case == "docx-lo-pdf":
        lo = request.getfixturevalue("lo")
        extraction = _read(extract_pdf, lo(doc, ".docx", "pdf"), form_id)
    else:
        extraction = _read(extract_docx, doc, form_id)
    counts = count(form, expected, extraction)
    _record(form_id, case, counts)
    assert counts["wrong"] == 0, "\n".join(counts["detail"])


# ---------------------------------------------------------------------------------------
# Point 3: a filled PDF shows every value in poppler, MuPDF and PDFium
# ---------------------------------------------------------------------------------------
def _filled_rects(pdf: bytes) -> list[tuple[int, str, list[float]]]:
    """(page index, field name, rect) of every widget that holds a value."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    out = []
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            widget = annot.get_object()
            node, name = widget, widget.get("/T") or ""
            value = widget.get("/V")
            while "/Parent" in node:
                node = node["/Parent"].get_object()
                name = f"{node.get('/T')}.{name}" if node.get("/T") else name
                value = node.get("/V") if value is None else value
            if value is not None and str(value) not in ("", "/Off"):
                out.append((index, str(name), [float(v) for v in widget["/Rect"]]))
    return out


def _raster(tool: str, pdf: bytes, tmp: Path) -> list:
    """Page images (PIL, 72 dpi) of the PDF drawn by poppler, MuPDF or PDFium."""
    from PIL import Image

    src = tmp / "f.pdf"
    src.write_bytes(pdf)
    if tool == "pdfium":
        pdfium = _module("pypdfium2", "pypdfium2")
        doc = pdfium.PdfDocument(pdf)
        doc.init_forms()
        return [doc[i].render(scale=1, may_draw_forms=True).to_pil().convert("L")
                for i in range(len(doc))]
    if tool == "poppler":
        _run([_need("pdftoppm"), "-r", "72", "-gray", str(src), str(tmp / "p")])
        return [Image.open(p).convert("L") for p in sorted(tmp.glob("p*.pgm"))]
    _run([_need("mutool", "mupdf-tools"), "draw", "-r", "72", "-c", "gray", "-o",
          str(tmp / "m%03d.png"), str(src)])
    return [Image.open(p).convert("L") for p in sorted(tmp.glob("m*.png"))]


@pytest.mark.parametrize("tool", ["poppler", "mupdf", "pdfium"])
@pytest.mark.parametrize("form_id", FORMS)
def test_filled_pdf_shows_every_value(form_id, tool, tmp_path):
    """Every widget with a value has ink inside its box in each engine (no value drawn
    with a missing font, none left out because the engine redrew it empty)."""
    pdf = _skema_pdf(form_id)
    pages = _raster(tool, pdf, tmp_path)
    empty = []
    for index, name, (x0, y0, x1, y1) in _filled_rects(pdf):
        image = pages[index]
        height = image.height
        box = image.crop((int(x0) + 2, int(height - y1) + 2, int(x1) - 2, int(height - y0) - 2))
        if box.width <= 0 or box.height <= 0 or box.getextrema()[0] > 128:
            empty.append(name)
    assert not empty, f"{tool} viser ikke: {empty}"


# ---------------------------------------------------------------------------------------
# Flat copies without marks: lists read by position, or reported whole
# ---------------------------------------------------------------------------------------
FLAT_CASES = ["pymupdf+pdftk-flatten", "pymupdf+gs", "pymupdf+pdftocairo"]
LIST_FORMS = ["indsatsskema", "handleplan", "forberedende-skema"]


@pytest.mark.parametrize("case", FLAT_CASES)
@pytest.mark.parametrize("form_id", LIST_FORMS)
def test_flat_copy_lists_read_exactly_by_position(form_id, case):
    """A form filled by another program, then flattened or printed to PDF (no fields, no
    skema marks): every list comes back exactly as filled, row by row and cell by cell,
    tied to its row and column by where its text stands."""
    from toolkit.paths import get_value

    form = load_form(form_id)
    got = extract_pdf(PDF_MAKERS[case](form_id), form_id=form_id)
    expected = _sample(form_id)
    lists = [path for path in form.lists if get_value(expected, path)]
    assert lists
    for path in lists:
        assert get_value(got.data, path) == get_value(expected, path), path
        assert not [p for p in got.report.problems if _covers(path, p.path)
                    or _covers(p.path, path)], path


def _cell(form_id: str, name: str) -> tuple[int, list[float]]:
    """(page index, rect) of a field's widget in the blank form."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(_blank(form_id)))
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            widget = annot.get_object()
            node, full = widget, str(widget.get("/T") or "")
            while "/Parent" in node:
                node = node["/Parent"].get_object()
                full = f"{node['/T']}.{full}" if node.get("/T") else full
            if full == name:
                return index, [float(v) for v in widget["/Rect"]]
    raise AssertionError(name)


def _draw(pdf: bytes, page_index: int, content: bytes) -> bytes:
    """The PDF with content drawn on top of one page (Helvetica as /Fx9)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[page_index]
    fonts = page["/Resources"].setdefault(NameObject("/Font"), DictionaryObject())
    fonts.get_object()[NameObject("/Fx9")] = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})
    contents = page.get_contents()
    contents.set_data(contents.get_data() + b"\nq " + content + b" Q\n")
    page.replace_contents(contents)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_at(x: float, y: float, text: str) -> bytes:
    return f"BT /Fx9 9 Tf 1 0 0 1 {x:.2f} {y:.2f} Tm ({text}) Tj ET".encode("cp1252")


@pytest.mark.parametrize("doubt", ["crossing", "outside", "mark", "invisible", "overlap"])
def test_flat_copy_list_that_position_cannot_settle_is_reported_whole(doubt):
    """Text across a cell's border, text outside every field on the list's page, a box
    marked with a drawn shape instead of a tick, invisible text in a cell (an OCR layer),
    or text written over the answer: the list is reported whole with the reason, and none
    of its rows is read."""
    from toolkit.readers import pdf_cells

    form_id, case = "handleplan", "pymupdf+pdftk-flatten"
    form = load_form(form_id)
    flat = PDF_MAKERS[case](form_id)
    if doubt == "mark":
        name = "aktiviteter.1.maalsaetninger:borger_inddraget"  # not ticked in the sample
        page, (x0, y0, x1, y1) = _cell(form_id, name)
        content = f"0 g {x0 + 2:.2f} {y0 + 2:.2f} 3 3 re f".encode()
        reason = pdf_cells.MARK
    else:
        page, (x0, y0, x1, y1) = _cell(form_id, "aktiviteter.1.hvem")
        if doubt == "crossing":
            content = _text_at(x1 - 8, y0 + 4, "Kommunen")
            reason = pdf_cells.CROSSING
        elif doubt == "invisible":
            content = b"3 Tr " + _text_at(x0 + 4, y0 + 4, "Kommunen")
            reason = pdf_cells.HIDDEN
        elif doubt == "overlap":
            content = _text_at(x0 + 3, y0 + 4.5, "Kommunen")
            reason = pdf_cells.HIDDEN
        else:
            content = _text_at(x0 + 20, y0 - 14, "Kommunen")
            reason = pdf_cells.OUTSIDE
    got = extract_pdf(_draw(flat, page, content), form_id=form_id)
    lst = form.lists["aktiviteter"]
    assert "aktiviteter" not in got.data
    assert [(p.path, p.label, p.message) for p in got.report.problems
            if p.path.startswith("aktiviteter")] == [("aktiviteter", lst.label, reason)]
    counts = count(form, _sample(form_id), got)
    assert counts["wrong"] == 0, counts["detail"]
    untouched = extract_pdf(flat, form_id=form_id)
    assert untouched.data["aktiviteter"] == _sample(form_id)["aktiviteter"]


def test_flat_copy_whose_grid_moved_is_not_read_by_position():
    """Every label in place but the tables' lines not where the blank draws them (rows
    that grew or moved): nothing is tied to a cell by position; the lists are reported
    whole, saying the copy is not laid out as the blank."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, FloatObject

    from toolkit.readers import pdf_cells

    form_id = "handleplan"
    printed = PDF_MAKERS["pymupdf+gs"](form_id)
    assert extract_pdf(printed, form_id=form_id).data["aktiviteter"] == \
        _sample(form_id)["aktiviteter"]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(printed)))
    page = writer.pages[1]
    content = ContentStream(page.get_contents(), writer)
    moved = []
    for operands, op in content.operations:
        if op == b"re":  # every box of the page drawn lower (Ghostscript draws at 1/10 pt)
            operands = [operands[0], FloatObject(float(operands[1]) - 30), *operands[2:]]
        moved.append((operands, op))
    content.operations = moved
    page.replace_contents(content)
    out = io.BytesIO()
    writer.write(out)
    got = extract_pdf(out.getvalue(), form_id=form_id)
    lst = load_form(form_id).lists["aktiviteter"]
    assert "aktiviteter" not in got.data
    assert ("aktiviteter", lst.label, pdf_cells.NOT_LAID_OUT) in [
        (p.path, p.label, p.message) for p in got.report.problems]
