"""Helpers that edit a .docx the way a user in Word would (for extraction tests)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from lxml import etree

from toolkit.render.ooxml import w


def edit_part(data: bytes, part: str, fn: Callable) -> bytes:
    """Apply fn(root) to one XML part of a .docx and return the new package."""
    src = zipfile.ZipFile(io.BytesIO(data))
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


def edit_document(data: bytes, fn: Callable) -> bytes:
    """Apply fn(root) to word/document.xml."""
    return edit_part(data, "word/document.xml", fn)


def sdt_by_tag(root, tag: str):
    """The first content control with this tag."""
    for sdt in root.iter(w("sdt")):
        el = sdt.find(f"{w('sdtPr')}/{w('tag')}")
        if el is not None and el.get(w("val")) == tag:
            return sdt
    raise KeyError(tag)


def strip_tags(root) -> None:
    """Remove every w:tag (what LibreOffice does)."""
    for tag in list(root.iter(w("tag"))):
        tag.getparent().remove(tag)


def strip_controls(root) -> None:
    """Unwrap every content control, keeping its content (some editors do this)."""
    for sdt in list(root.iter(w("sdt"))):
        parent = sdt.getparent()
        content = sdt.find(w("sdtContent"))
        index = parent.index(sdt)
        for child in list(content if content is not None else []):
            parent.insert(index, child)
            index += 1
        parent.remove(sdt)


def ancestor(el, name: str):
    """The nearest ancestor element named ``w:name``."""
    parent = el.getparent()
    while parent is not None and parent.tag != w(name):
        parent = parent.getparent()
    return parent
