"""Generate ``samples/returnerede/``: a folder of returned forms, one per case of
``skema collect`` (the good, the odd and the hostile).

    python samples/make_returnerede.py [--libreoffice]

Deterministic: the same bytes on every run, except the LibreOffice-saved file, which is
only made when it is missing or ``--libreoffice`` is given (LibreOffice stamps every save
with times and random ids), and needs ``soffice``. The demo does not need LibreOffice: the
generated files are committed. ``EXPECTED`` is the status ``skema collect`` gives each file
(tested in ``tests/test_collect.py``).
"""

from __future__ import annotations

import copy
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "returnerede"
sys.path.insert(0, str(ROOT))

from toolkit import blank, fill  # noqa: E402
from toolkit.render.ooxml import w  # noqa: E402

#: file -> (status without --form, what the file shows)
EXPECTED: dict[str, tuple[str, str]] = {
    "aarhus/samarbejdsmodel.docx": ("ok", "Word-formular med indholdskontroller"),
    "sendt-igen/samarbejdsmodel-aarhus.docx": ("ok", "samme fil sendt to gange (dublet)"),
    "høje-taastrup/samarbejdsmodel-libreoffice.docx": ("ok", "gemt i LibreOffice (tags væk)"),
    "odense/samarbejdsmodel-uden-felter.docx": (
        "ok", "indholdskontrollerne slettet, teksten beholdt (læst ud fra opbygningen)"),
    "randers/samarbejdsmodel.pdf": ("ok", "udfyldelig PDF udfyldt af skema"),
    "randers/samarbejdsmodel-andet-program.pdf": ("ok", "PDF udfyldt af et andet program"),
    "vejle/samarbejdsmodel-flad.pdf": ("ok", "flad PDF (uden felter)"),
    "vejle/samarbejdsmodel-formel.docx": ("ok", "svar der ligner regnearksformler"),
    "strategi.docx": ("ok", "en anden slags formular (ikke en formular med --form "
                            "samarbejdsmodel)"),
    "forberedende-skema.pdf": ("ugyldig", "ugyldig e-mailadresse"),
    "samarbejdsmodel-tom.docx": ("mangler svar", "formularen sendt tilbage uudfyldt"),
    "defekte/gammel.doc": ("ulæselig", "gammelt Word-format (.doc)"),
    "defekte/tom.docx": ("ulæselig", "tom fil"),
    "defekte/afkortet.docx": ("ulæselig", "afkortet Word-fil"),
    "defekte/afkortet.pdf": ("ulæselig", "afkortet PDF"),
    "defekte/zipbombe.docx": ("ulæselig", "lille .docx der pakker sig ud til over 1 GB"),
    "defekte/doctype.docx": ("ulæselig", "XML med DOCTYPE og ekstern entitet"),
    "defekte/krypteret.pdf": ("ulæselig", "PDF med adgangskode"),
    "andet/brev.docx": ("ikke en formular", "et almindeligt Word-dokument"),
    "andet/brochure.pdf": ("ikke en formular", "en almindelig PDF"),
}

BOMB_BYTES = 1100 * 1024 * 1024  # unpacks to 1.1 GB, about 1 MB on disk


def sample(form_id: str) -> dict:
    """The committed sample data of a form."""
    return json.loads((HERE / f"{form_id}.json").read_text(encoding="utf-8"))


def partner(kommune: str, projektleder: str, kommunale: list[str],
            private: list[str]) -> dict:
    """The samarbejdsmodel sample as one partner returned it (its own tilbud)."""
    data = sample("samarbejdsmodel")
    data["kommune"], data["projektleder"] = kommune, projektleder
    base_k = data["tilbud"]["kommunale"][0]
    base_p = data["tilbud"]["private_frivillige"][0]
    data["tilbud"]["kommunale"] = [dict(copy.deepcopy(base_k), navn=n) for n in kommunale]
    data["tilbud"]["private_frivillige"] = [dict(copy.deepcopy(base_p), navn=n)
                                            for n in private]
    return data


PARTNERS = {
    "aarhus": partner("Aarhus", "Pipaluk Kristiansen", ["Jobcenter Aarhus", "Misbrugscentret"],
                      ["Det Grønlandske Hus", "Ældresagen Aarhus"]),
    "høje-taastrup": partner("Høje-Taastrup", "Niels Aagaard", ["Aaben Rådgivning"],
                             ["Zonen", "Østerbro Værested", "Det grønlandske hus"]),
    "odense": partner("Odense", "Aviaja Lund", ["Herberget Nordlys", "Socialcenter Odense"],
                      ["Åbent Hus", "Kirkens Korshær"]),
    "randers": partner("Randers", "Lone Bach", ["Jobcenter Randers"], ["Kofoeds Skole"]),
    "vejle": partner("Vejle", "Karen Olsen", ["Misbrugscentret"], ["Café Paamiut"]),
}


# ---------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------
def strip_controls(docx: bytes) -> bytes:
    """A partner deleted every content control but kept the text."""
    def unwrap(root) -> None:
        for sdt in list(root.iter(w("sdt"))):
            parent, content = sdt.getparent(), sdt.find(w("sdtContent"))
            index = parent.index(sdt)
            for child in list(content if content is not None else []):
                parent.insert(index, child)
                index += 1
            parent.remove(sdt)
    return edit_part(docx, "word/document.xml", unwrap)


def edit_part(docx: bytes, part: str, fn) -> bytes:
    """Apply fn(root) to one XML part of a .docx (fixed zip times)."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                root = etree.fromstring(body)
                fn(root)
                body = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            dst.writestr(info, body)
    return out.getvalue()


def replace_part(docx: bytes, part: str, body: bytes) -> bytes:
    """The .docx with one part's bytes replaced."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, body if info.filename == part else src.read(info.filename))
    return out.getvalue()


def doctype_docx(docx: bytes, secret: str = "file:///etc/passwd") -> bytes:
    """document.xml with a DOCTYPE whose external entity names a file on disk."""
    body = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")
    decl, rest = body.split(b"?>", 1)
    doctype = (f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{secret}">'
               '<!ENTITY lol "lollollollollollol">]>').encode()
    rest = rest.replace(b"Pipaluk Kristiansen", b"&xxe;&lol;", 1)
    return replace_part(docx, "word/document.xml", decl + b"?>" + doctype + rest)


def zip_bomb(path: Path, docx: bytes, size: int = BOMB_BYTES) -> None:
    """A real .docx whose document.xml inflates to ``size`` bytes of spaces, written
    by streaming compression (never held in memory); about size/1000 bytes on disk."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                fixed = zipfile.ZipInfo("word/document.xml", date_time=info.date_time)
                fixed.compress_type = zipfile.ZIP_DEFLATED
                with dst.open(fixed, "w", force_zip64=size > 2**31 - 1) as handle:
                    handle.write(b'<?xml version="1.0"?><w:document xmlns:w="x">')
                    chunk = b" " * (1 << 20)
                    for _ in range(size // len(chunk)):
                        handle.write(chunk)
            else:
                dst.writestr(info, src.read(info.filename))


def pdf_by_other_program(form_id: str, data: dict) -> bytes:
    """The blank fillable PDF filled by pypdf (as a viewer or script would)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank(form_id, "pdf"))))
    values = {"kommune": data["kommune"], "projektleder": data["projektleder"],
              "godkendt_af_styregruppen_dato": "14-05-2024"}
    for i, item in enumerate(data["tilbud"]["kommunale"]):
        values[f"tilbud.kommunale.{i}.navn"] = item["navn"]
    for i, item in enumerate(data["tilbud"]["private_frivillige"]):
        values[f"tilbud.private_frivillige.{i}.navn"] = item["navn"]
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    return _write_pdf(writer)


def encrypted_pdf(pdf: bytes) -> bytes:
    """The PDF protected with a password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    _fixed_id(writer)
    writer.encrypt(user_password="hemmelig", owner_password="ejer", algorithm="RC4-128")
    return _write_pdf(writer)


def _fixed_id(writer) -> None:
    from pypdf.generic import ArrayObject, ByteStringObject

    ident = ByteStringObject(b"skema-returnerede")
    writer._ID = ArrayObject([ident, ident])


def _write_pdf(writer) -> bytes:
    _fixed_id(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def plain_pdf() -> bytes:
    """A PDF that is not a form: a one-page brochure."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, invariant=True)
    pdf.drawString(72, 760, "Velkommen til Det Grønlandske Hus – åbningstider og tilbud")
    pdf.save()
    return out.getvalue()


def plain_docx() -> bytes:
    """A Word document that is not a form: a letter."""
    from docx import Document

    doc = Document()
    doc.add_paragraph("Kære projektleder, her er vores svar i et almindeligt brev.")
    import datetime

    doc.core_properties.created = doc.core_properties.modified = datetime.datetime(2019, 2, 26)
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2019, 2, 26, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def libreoffice_docx(docx: bytes) -> bytes | None:
    """The .docx opened and saved by LibreOffice Writer (None without soffice)."""
    exe = shutil.which("soffice")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in" / "form.docx"
        src.parent.mkdir()
        src.write_bytes(docx)
        subprocess.run([exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                        "--convert-to", "docx", "--outdir", f"{tmp}/out", str(src)],
                       check=True, capture_output=True, timeout=180)
        return (Path(tmp) / "out" / "form.docx").read_bytes()


def formula_data() -> dict:
    """Answers that look like spreadsheet formulas: they must stay text in the workbook."""
    data = PARTNERS["vejle"]
    data = copy.deepcopy(data)
    data["tilbud"]["kommunale"][0]["navn"] = '=HYPERLINK("http://x","klik")'
    data["tilbud"]["kommunale"][0]["kontakt"] = "+45 12 34 56 78"
    data["tilbud"]["private_frivillige"][0]["kontakt"] = "@kontakt"
    data["formidling"]["opdateret_af"] = "-1+2"
    return data


# ---------------------------------------------------------------------------------------
# The folder
# ---------------------------------------------------------------------------------------
def build(out: Path = OUT, libreoffice: bool = False) -> list[Path]:
    """Write every case into ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    aarhus = fill("samarbejdsmodel", PARTNERS["aarhus"], "docx")
    files["aarhus/samarbejdsmodel.docx"] = aarhus
    files["sendt-igen/samarbejdsmodel-aarhus.docx"] = aarhus
    files["odense/samarbejdsmodel-uden-felter.docx"] = strip_controls(
        fill("samarbejdsmodel", PARTNERS["odense"], "docx"))
    randers = fill("samarbejdsmodel", PARTNERS["randers"], "pdf")
    files["randers/samarbejdsmodel.pdf"] = randers
    files["randers/samarbejdsmodel-andet-program.pdf"] = pdf_by_other_program(
        "samarbejdsmodel", PARTNERS["randers"])
    files["vejle/samarbejdsmodel-flad.pdf"] = fill("samarbejdsmodel", PARTNERS["vejle"],
                                                   "pdf", flatten=True)
    files["vejle/samarbejdsmodel-formel.docx"] = fill("samarbejdsmodel", formula_data(),
                                                      "docx")
    files["strategi.docx"] = fill("strategi", sample("strategi"), "docx")
    bad = sample("forberedende-skema")
    bad["borger"]["email"] = "camilla@"
    files["forberedende-skema.pdf"] = fill("forberedende-skema", bad, "pdf")
    files["samarbejdsmodel-tom.docx"] = blank("samarbejdsmodel", "docx")
    files["defekte/gammel.doc"] = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
                                   + b"Word.Document.8" + b"\0" * 1000)
    files["defekte/tom.docx"] = b""
    files["defekte/afkortet.docx"] = aarhus[: len(aarhus) // 2]
    files["defekte/afkortet.pdf"] = randers[: len(randers) // 2]
    files["defekte/doctype.docx"] = doctype_docx(aarhus)
    files["defekte/krypteret.pdf"] = encrypted_pdf(randers)
    files["andet/brev.docx"] = plain_docx()
    files["andet/brochure.pdf"] = plain_pdf()
    written = []
    for name, data in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    bomb = out / "defekte/zipbombe.docx"
    zip_bomb(bomb, aarhus)
    written.append(bomb)
    lo_path = out / "høje-taastrup/samarbejdsmodel-libreoffice.docx"
    if libreoffice or not lo_path.exists():
        saved = libreoffice_docx(fill("samarbejdsmodel", PARTNERS["høje-taastrup"], "docx"))
        if saved is None:
            print(f"{lo_path}: springes over (LibreOffice/soffice er ikke installeret)",
                  file=sys.stderr)
        else:
            lo_path.parent.mkdir(parents=True, exist_ok=True)
            lo_path.write_bytes(saved)
    written.append(lo_path)
    return written


if __name__ == "__main__":
    for path in build(libreoffice="--libreoffice" in sys.argv[1:]):
        print(path.relative_to(ROOT))
