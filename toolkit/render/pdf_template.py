"""PDF: what is static about a laid-out form, prepared once, and each document written around it.

A :class:`Template` is the file reportlab drew (pages, page furniture, static text, the
boxes' hints), finished once with pikepdf: page fonts slimmed, metadata (``/Info``, XMP,
``/Lang``), the field fonts and the AcroForm dictionary. Its objects are kept as the bytes
qpdf wrote. The parts that depend on one document are placeholders: each page's
``/Annots``, the AcroForm's ``/Fields``, the field font's program, ``/W`` and ToUnicode
map. :meth:`Template.write` copies the static bytes and writes the document's fields,
widgets and appearance streams (:class:`toolkit.render.pdf_acro.AcroBuilder`) and those
placeholders after them, then the cross-reference table. No object streams (see
:mod:`toolkit.render.pdf_acro`).

A template fits every document whose pages are laid out the same: same form, profile and
list lengths, the same texts where the layout shows data, and every answer box of the
same height (see :mod:`toolkit.render.pdf_layout`, which keeps them per process).
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from typing import Any

from ..catalogue import Form
from ..xmltext import escape
from .font_subset import slim_names
from .pdf_acro import (
    AP_FONT,
    AcroBuilder,
    FieldFont,
    FontRefs,
    PdfObject,
    Widget,
    add_field_fonts,
    ref,
    stream_object,
)
from .pdf_flowables import PRODUCER
from .pdf_skeleton import Skeleton, possible

_XREF_LINE = re.compile(rb"(\d{10}) (\d{5}) ([nf])")


def static_pdf(form: Form, raw: bytes, title: str | None = None) -> Any:
    """reportlab's file opened with pikepdf, page fonts slimmed and the metadata set
    (``title``: the document's, see :mod:`toolkit.render.doc_title`; else the form's)."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(raw))
    _slim_page_fonts(pdf)
    for page in pdf.pages:  # reportlab's defaults, which say nothing a reader needs
        for key in ("/ProcSet", "/Trans", "/Rotate"):
            holder = page.obj.Resources if key == "/ProcSet" else page.obj
            if key in holder and (key != "/Rotate" or int(holder[key]) == 0):
                del holder[key]
    info = pdf.trailer.get("/Info")
    if info is None:
        info = pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary())
    title = title or form.title
    for key, value in (("/Title", title), ("/Author", "skema"),
                       ("/Subject", form.description), ("/Creator", "skema"),
                       ("/Producer", PRODUCER), ("/skema_form", form.id),
                       ("/skema_version", form.version)):
        info[key] = pikepdf.String(value)
    pdf.Root.Lang = pikepdf.String("da-DK")
    _add_xmp(pdf, form, title)
    return pdf


def save(pdf: Any) -> bytes:
    """An open pikepdf document as bytes: streams deflated, no object streams."""
    import pikepdf

    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable,
             compress_streams=True, deterministic_id=True, linearize=False)
    return out.getvalue()


class Template:
    """A fillable form's static objects as written bytes, and where a document's own go."""

    def __init__(self, form: Form, raw: bytes, widget_pages: set[int],
                 title: str | None = None,
                 overlay_pages: set[int] | frozenset[int] = frozenset()) -> None:
        """Finish reportlab's file ``raw`` as a template; ``widget_pages``: the 1-based
        pages that have widgets (each gets an ``/Annots`` placeholder); ``title``: the
        document's (see :func:`static_pdf`); ``overlay_pages``: those a document draws on
        (a content stream placeholder after the page's own, and the field font among the
        page's fonts)."""
        import pikepdf

        pdf = static_pdf(form, raw, title)
        fonts = add_field_fonts(pdf, FieldFont())
        pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(
            DR=pdf.make_indirect(pikepdf.Dictionary(Font=fonts)),
            DA=pikepdf.String("/SkemaSans 9 Tf 0 g"),
            NeedAppearances=False,
        ))
        for number in sorted(widget_pages):
            pdf.pages[number - 1].obj.Annots = pdf.make_indirect(pikepdf.Array())
        for number in sorted(overlay_pages):
            page = pdf.pages[number - 1]
            page.contents_add(pdf.make_indirect(pikepdf.Stream(pdf, b"")), prepend=False)
            page.obj.Resources.Font[f"/{AP_FONT}"] = fonts[f"/{AP_FONT}"]
        data = save(pdf)
        done = pikepdf.open(io.BytesIO(data))
        acro = done.Root.AcroForm
        type0 = acro.DR.Font.SkemaSansU
        cid = type0.DescendantFonts[0]
        self.fonts = FontRefs(acro.DR.objgen[0])
        self.pages = [page.obj.objgen[0] for page in done.pages]
        self.annots = {self.pages[n - 1]: done.pages[n - 1].obj.Annots.objgen[0]
                       for n in sorted(widget_pages)}
        #: 1-based page -> its overlay's placeholder stream; what goes there is drawn
        #: at ``spots`` (bold text in the codes ``bold``; see pdf_overview)
        self.overlay_streams = {n: done.pages[n - 1].obj.Contents[-1].objgen[0]
                                for n in sorted(overlay_pages)}
        self.spots: list[Any] = []
        self.bold: dict[str, tuple[str, int]] = {}
        self.whole = True  # every overview table on one page (see pdf_overview.whole)
        #: the widgets written once, by (``keep``, field font file): see pdf_skeleton
        self.skeletons: dict[tuple[tuple[str, ...] | None, str], Skeleton] = {}
        self.acro = acro.objgen[0]
        self.cid = cid.objgen[0]
        self.program = cid.FontDescriptor.FontFile2.objgen[0]
        self.tounicode = type0.ToUnicode.objgen[0]
        self.root = done.Root.objgen[0]
        self.info = done.trailer.Info.objgen[0]
        self.size = int(done.trailer.Size)
        done.close()
        spans = _object_spans(data)
        self.acro_head = _dict_head(data[slice(*spans[self.acro])])
        self.cid_head = _dict_head(data[slice(*spans[self.cid])])
        rewritten = {self.acro, self.cid, self.program, self.tounicode,
                     *self.annots.values(), *self.overlay_streams.values()}
        header = data[:min(start for start, _ in spans.values())]
        assert header.startswith(b"%PDF-1.")
        if header[7:8] < b"5":  # a cross-reference stream (see write) needs PDF 1.5
            header = b"%PDF-1.5" + header[8:]
        body = bytearray(header)
        self.offsets: dict[int, int] = {}
        for num in sorted(spans):
            if num in rewritten:
                continue
            start, end = spans[num]
            self.offsets[num] = len(body)
            body += data[start:end]
        self.static = bytes(body)
        self.static_md5 = hashlib.md5(self.static)  # noqa: S324 - a file id, not security

    def write(self, widgets: list[Widget], font: FieldFont,
              keep: tuple[str, ...] | None = None,
              overlays: dict[int, bytes] | None = None) -> bytes:
        """A document: the static bytes, then the widgets' fields and appearances and the
        placeholders, then the cross-reference table. ``keep``: see
        :class:`toolkit.render.pdf_acro.AcroBuilder` (None: editable). ``overlays``:
        per 1-based page, content drawn over the page (its glyphs already encoded with
        ``font``)."""
        builder = AcroBuilder(font, self.fonts, self.size, keep)
        skeleton = self.skeletons.get((keep, font.path))
        if skeleton is not None and skeleton.fits(widgets):
            chunks = skeleton.write(widgets, builder)
            top_fields, annots, last = skeleton.top_fields, skeleton.annots, skeleton.next
        else:
            for widget in widgets:
                builder.add(widget, self.pages[widget.page - 1])
            builder.lock()
            chunks = [(o.num, o.serialize()) for o in builder.objects]
            top_fields, annots, last = builder.top_fields, builder.annots, builder.next
            if skeleton is None and possible(widgets):
                self.skeletons[(keep, font.path)] = Skeleton(builder, widgets)
        widths, cmap = builder.font_parts()
        program, length = builder.program()
        chunks.append((self.program, PdfObject(
            self.program, {"Length1": str(length), "Filter": "/FlateDecode"},
            program).serialize()))
        chunks.append((self.tounicode, stream_object(self.tounicode, {}, cmap).serialize()))
        chunks.append((self.cid, _raw(self.cid, self.cid_head + f"/W {widths} >>".encode())))
        fields = " ".join(ref(n) for n in top_fields)
        chunks.append((self.acro, _raw(self.acro,
                                       self.acro_head + f"/Fields [{fields}] >>".encode())))
        for page, num in self.annots.items():
            refs = " ".join(ref(n) for n in annots.get(page, []))
            chunks.append((num, _raw(num, f"[{refs}]".encode())))
        for number, num in self.overlay_streams.items():
            content = (overlays or {}).get(number, b"")
            chunks.append((num, stream_object(num, {}, content).serialize()))
        out = bytearray(self.static)
        offsets = dict(self.offsets)
        for num, chunk in chunks:
            offsets[num] = len(out)
            out += chunk
        digest = self.static_md5.copy()  # the file id: the static bytes hashed once
        digest.update(memoryview(out)[len(self.static):])
        out += _xref_stream(out, offsets, last, self.root, self.info, digest.hexdigest())
        return bytes(out)


def _xref_stream(body: bytes | bytearray, offsets: dict[int, int], num: int, root: int,
                 info: int, digest: str) -> bytes:
    """The cross-reference stream (object ``num``, PDF 1.5) and the file's end.

    Each entry is a type byte and the offset in as few bytes as the file needs (no
    generation numbers: all are 0); deflated, it is a fifth of a cross-reference table's
    20 bytes per object. ``digest``: the MD5 of ``body``, the file's id. No object
    streams (see :mod:`toolkit.render.pdf_acro`)."""
    at = len(body)
    width = max(1, (at.bit_length() + 7) // 8)
    table = bytearray(b"\x00" + bytes(width))
    for n in range(1, num):
        table += b"\x01" + offsets[n].to_bytes(width, "big")
    table += b"\x01" + at.to_bytes(width, "big")  # the stream itself
    data = zlib.compress(bytes(table), 9)
    head = (f"{num} 0 obj\n<< /Type /XRef /Size {num + 1} /W [1 {width} 0] "
            f"/Root {ref(root)} /Info {ref(info)} /ID [<{digest}><{digest}>] "
            f"/Filter /FlateDecode /Length {len(data)} >>\nstream\n")
    return (head.encode("ascii") + data + b"\nendstream\nendobj\n"
            + f"startxref\n{at}\n%%EOF\n".encode("ascii"))


def _raw(num: int, body: bytes) -> bytes:
    return f"{num} 0 obj\n".encode() + body + b"\nendobj\n"


def _object_spans(data: bytes) -> dict[int, tuple[int, int]]:
    """Object number -> (start, end) of ``N 0 obj … endobj`` in a file qpdf wrote
    without object streams (objects in order, one cross-reference table)."""
    start = int(data[data.rindex(b"startxref") + 9:].split()[0])
    head = data[start:start + 64].split(b"\n")
    first, count = (int(v) for v in head[1].split())
    table = data[start:]
    offsets: dict[int, int] = {}
    for i, match in enumerate(_XREF_LINE.finditer(table)):
        if i >= count:
            break
        if match.group(3) == b"n":
            offsets[first + i] = int(match.group(1))
    order = sorted(offsets.items(), key=lambda item: item[1])
    spans = {}
    for (num, begin), (_n, end) in zip(order, order[1:] + [(0, start)]):
        spans[num] = (begin, end)
    return spans


def _dict_head(written: bytes) -> bytes:
    """The dictionary of an object's bytes without its closing ``>>``."""
    body = written[written.index(b"obj") + 3:written.rindex(b"endobj")].strip()
    assert body.startswith(b"<<") and body.endswith(b">>"), body[:40]
    return body[:-2].rstrip() + b" "


def _slim_page_fonts(pdf: Any) -> None:
    """reportlab's embedded page fonts without the name records and the hints a PDF does
    not need (see :func:`toolkit.render.font_subset.slim_names`), their widths to a tenth
    of a unit (reportlab writes seven digits; a tenth is 0.001 pt at 10 pt)."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            if font.is_indirect:  # the pages share their fonts: each is slimmed once
                if font.objgen in seen:
                    continue
                seen.add(font.objgen)
            widths = font.get("/Widths")
            if isinstance(widths, pikepdf.Array) and widths.objgen not in seen:
                if widths.is_indirect:
                    seen.add(widths.objgen)
                font.Widths = pikepdf.Array([_tenth(float(w)) for w in widths])
            program = font.get("/FontDescriptor", {}).get("/FontFile2")
            if program is None or program.objgen in seen:
                continue
            seen.add(program.objgen)
            data = program.read_bytes()
            slim = slim_names(data)
            if len(slim) < len(data):
                program.write(slim)  # compressed again when saved
                program.Length1 = len(slim)


def _tenth(value: float) -> int | float:
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def _add_xmp(pdf: Any, form: Form, title: str) -> None:
    import pikepdf

    def x(text: str) -> str:
        return escape(text, {'"': "&quot;"})

    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:skema="urn:skema:ns:1.0/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{x(title)}</rdf:li></rdf:Alt>'
        "</dc:title><dc:language><rdf:Bag><rdf:li>da-DK</rdf:li></rdf:Bag></dc:language>"
        f"<pdf:Producer>{PRODUCER}</pdf:Producer>"
        f"<skema:form>{x(form.id)}</skema:form><skema:version>{x(form.version)}"
        "</skema:version></rdf:Description></rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    stream = pikepdf.Stream(pdf, packet.encode("utf-8"))
    stream.Type = pikepdf.Name.Metadata
    stream.Subtype = pikepdf.Name.XML
    pdf.Root.Metadata = pdf.make_indirect(stream)
