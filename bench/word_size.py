"""Size of the filled Word documents, their render time, and a peer without content controls.

    python bench/word_size.py                # every sample form + the 212 rows of the workbook
    python bench/word_size.py --rows 50      # fewer workbook rows
    python bench/word_size.py --repeat 5     # render each row five times for the time

Per sample form (``samples/<form>.json``): the bytes of ``word/document.xml`` and of the
``.docx``, filled and blank. Over the rows of ``samples/indsatsplaner.xlsx``
(``indsatsskema``): the mean of both, the CPU milliseconds per document of
``toolkit.render.word_compiled.render`` (the fill ``skema fill`` and ``skema batch`` use;
the best of ``--repeat`` passes over all rows), and the same of the issue's *peer*: the
same template with every content control unwrapped (its content kept, ``w:sdt``/``w:sdtPr``
gone) filled by plain docxtpl with the same values. The ratio ours/peer is what issue 15
point 5 measures (it was 2.6×).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from toolkit.catalogue import Form, form_ids, load_form  # noqa: E402
from toolkit.render.ooxml import w  # noqa: E402
from toolkit.render.word_build import template_path  # noqa: E402
from toolkit.render.word_compiled import render  # noqa: E402
from toolkit.render.word_fill import display, reference_texts, tables  # noqa: E402
from toolkit.sources.excel import read_workbook  # noqa: E402

STORY = ("word/document.xml",)


def document_xml(docx: bytes) -> bytes:
    """The main XML part of a .docx."""
    return zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")


def peer_template(raw: bytes) -> bytes:
    """The template with every content control replaced by its content."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename in STORY:
                root = etree.fromstring(body)
                for sdt in list(root.iter(w("sdt"))):
                    content = sdt.find(w("sdtContent"))
                    parent = sdt.getparent()
                    at = parent.index(sdt)
                    for i, child in enumerate(list(content) if content is not None else []):
                        parent.insert(at + i, child)
                    parent.remove(sdt)
                body = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            dst.writestr(info, body)
    return out.getvalue()


def peer_render(form: Form, raw: bytes, data: dict) -> bytes:
    """Plain docxtpl: the peer template filled with the values skema shows."""
    from docxtpl import DocxTemplate
    from jinja2 import Environment

    tpl = DocxTemplate(io.BytesIO(raw))
    context = {"v": display(form, form.schema, data, ""),
               "ref": reference_texts(form, data), "images": {},
               "tables": tables(form, data)}
    tpl.render(context, Environment(autoescape=True), autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def _cpu_per_doc(make, rows: list[dict], repeat: int) -> float:
    """Best mean CPU ms per document over ``repeat`` passes."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for data in rows:
            make(data)
        best = min(best, (time.process_time() - t0) / len(rows) * 1000)
    return best


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=0, help="workbook rows (0: all)")
    parser.add_argument("--repeat", type=int, default=3, help="timing passes")
    args = parser.parse_args()

    print("form                 filled xml   docx   blank xml   docx")
    for fid in form_ids():
        form = load_form(fid)
        data = json.loads((ROOT / "samples" / f"{fid}.json").read_text(encoding="utf-8"))
        filled, empty = render(form, data), render(form, None, blank=True)
        print(f"{fid:20} {len(document_xml(filled)):10,} {len(filled):7,} "
              f"{len(document_xml(empty)):10,} {len(empty):7,}")

    form = load_form("indsatsskema")
    book = read_workbook(ROOT / "samples" / "indsatsplaner.xlsx", form)
    rows = [rec.data for rec in book.records]
    if args.rows:
        rows = rows[:args.rows]
    peer_raw = peer_template(template_path(form).read_bytes())
    ours = [render(form, data) for data in rows]
    peers = [peer_render(form, peer_raw, data) for data in rows]
    xml = statistics.mean(len(document_xml(d)) for d in ours)
    peer_xml = statistics.mean(len(document_xml(d)) for d in peers)
    ms = _cpu_per_doc(lambda data: render(form, data), rows, args.repeat)
    print(f"\nindsatsskema, {len(rows)} workbook rows (means)")
    print(f"  document.xml {xml:,.0f} B   .docx {statistics.mean(map(len, ours)):,.0f} B   "
          f"render {ms:.3f} ms CPU/document")
    print(f"  peer (docxtpl, no content controls): document.xml {peer_xml:,.0f} B   "
          f".docx {statistics.mean(map(len, peers)):,.0f} B")
    print(f"  ratio document.xml ours/peer: {xml / peer_xml:.2f}")


if __name__ == "__main__":
    main()
