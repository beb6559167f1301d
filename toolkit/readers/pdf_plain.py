"""Tell a plain PDF (a scan) from a form with qpdf alone, without the form readers.

:mod:`toolkit.readers.pdf` asks it before loading pypdf; the consent archive asks it (in a
bounded child) before loading the readers at all: a scanned consent is told apart in a
few milliseconds.
"""

from __future__ import annotations

import io

from ..errors import raised_by_parser


def plain_pdf(data: bytes) -> bool:
    """Whether qpdf (pikepdf) reads the PDF cleanly (no repair, no encryption) and finds
    no form id (document information or XMP metadata) and no form fields: a scan or
    another plain PDF, which is no skema form; pypdf (slower to load than the reading
    takes) would find the same. False whenever anything is unusual, or without pikepdf:
    the pypdf path then reads the file and gives the exact message."""
    try:
        import pikepdf
    except ImportError:
        return False
    try:
        with pikepdf.open(io.BytesIO(data), suppress_warnings=True) as pdf:
            if pdf.is_encrypted or pdf.get_warnings():
                return False
            info = pdf.trailer.get("/Info")
            if info is not None and (not isinstance(info, pikepdf.Dictionary)
                                     or "/skema_form" in info):
                return False
            root = pdf.Root
            acro = root.get("/AcroForm")
            if acro is not None and (not isinstance(acro, pikepdf.Dictionary)
                                     or len(acro.get("/Fields", pikepdf.Array())) > 0):
                return False
            meta = root.get("/Metadata")
            if meta is not None:
                if not isinstance(meta, pikepdf.Stream):
                    return False
                xml = meta.read_bytes()[:1_000_000].decode("utf-8", "replace")
                if "skema:form" in xml:
                    return False
            return not pdf.get_warnings()
    except Exception as exc:  # noqa: BLE001 - qpdf's trouble: the pypdf path decides
        if not raised_by_parser(exc):
            raise
        return False
