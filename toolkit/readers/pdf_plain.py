"""Tell a plain PDF (a scan) from a form with qpdf alone, without the form readers.

:mod:`toolkit.readers.pdf` asks it before loading pypdf; the consent archive asks it (in a
bounded child) before loading the readers at all: a scanned consent is told apart in a
few milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import raised_by_parser

T = TypeVar("T")


def read_clean(data: bytes, read: Callable[[Any], T]) -> T | None:
    """``read(pdf)`` on the PDF opened with qpdf (pikepdf), or None whenever the file is not
    plainly readable: no pikepdf, encryption, or damage qpdf had to repair (before or
    while ``read`` looked). A parser's exception gives None; an exception of ``read``
    itself (a bug in skema, not a damaged file) is raised."""
    try:
        import pikepdf
    except ImportError:
        return None
    try:
        with pikepdf.open(io.BytesIO(data), suppress_warnings=True) as pdf:
            if pdf.is_encrypted or pdf.get_warnings():
                return None
            result = read(pdf)
            return None if pdf.get_warnings() else result
    except Exception as exc:  # noqa: BLE001 - qpdf's trouble: the pypdf path decides
        if not raised_by_parser(exc):
            raise
        return None


def plain_pdf(data: bytes) -> bool:
    """Whether qpdf (pikepdf) reads the PDF cleanly (no repair, no encryption) and finds
    no form id (document information or XMP metadata) and no form fields: a scan or
    another plain PDF, which is no skema form; pypdf (slower to load than the reading
    takes) would find the same. False whenever anything is unusual, or without pikepdf:
    the pypdf path then reads the file and gives the exact message."""
    return read_clean(data, _no_form) is True


def _no_form(pdf: Any) -> bool:
    import pikepdf

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
    return True
