"""Low-level OOXML helpers shared by the Word renderer and extractor."""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
NSDECL = f'xmlns:w="{W}" xmlns:w14="{W14}"'
CUSTOM_PROPS_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)

#: Placeholder texts, as Danish Word shows them in empty content controls.
PLACEHOLDERS = {
    "text": "Klik eller tryk her for at skrive tekst.",
    "long": "Klik eller tryk her for at skrive tekst.",
    "date": "Klik eller tryk for at angive en dato.",
    "dropdown": "Vælg et element.",
}
CHECKED, UNCHECKED = "☒", "☐"

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w(tag: str) -> str:
    """Clark name of a ``w:`` element or attribute."""
    return f"{{{W}}}{tag}"


def w14(tag: str) -> str:
    """Clark name of a ``w14:`` element or attribute."""
    return f"{{{W14}}}{tag}"


def clean_text(text: str) -> str:
    """Text safe for XML: characters XML 1.0 forbids are dropped, CR/CRLF become LF."""
    return _INVALID_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def attr(value: str) -> str:
    """A quoted XML attribute value."""
    return quoteattr(value)


def runs_xml(text: str, para_style: str = "Svar") -> str:
    """Escaped text for the inside of ``<w:t>``: LF starts a new paragraph, TAB a tab.

    The result closes and reopens ``w:t``/``w:r``/``w:p`` so it is only valid where the
    ``w:t`` sits in a run of a paragraph that a block-level content control owns.
    """
    para = (f'</w:t></w:r></w:p><w:p><w:pPr><w:pStyle w:val="{para_style}"/></w:pPr>'
            '<w:r><w:t xml:space="preserve">')
    tab = '</w:t><w:tab/><w:t xml:space="preserve">'
    lines = clean_text(text).split("\n")
    return para.join(tab.join(escape(part) for part in line.split("\t")) for line in lines)


def custom_properties_xml(props: dict[str, str]) -> str:
    """The ``docProps/custom.xml`` part holding string properties."""
    items = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i}" '
        f'name={attr(k)}><vt:lpwstr>{escape(v)}</vt:lpwstr></property>'
        for i, (k, v) in enumerate(props.items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'docPropsVTypes">{items}</Properties>'
    )


FIXED_ZIP_TIME = (2019, 2, 26, 0, 0, 0)


def rewrite_package(data: bytes, custom: dict[str, str] | None = None,
                    fixed_time: bool = False) -> bytes:
    """Rewrite a .docx zip: set custom properties and/or give every entry a fixed time.

    A fixed time makes generated templates byte-stable, so the committed copy can be
    compared with a fresh build.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out_buf = io.BytesIO()
    names = src.namelist()
    with zipfile.ZipFile(out_buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if custom is not None and info.filename == "[Content_Types].xml":
                if b"/docProps/custom.xml" not in body:
                    body = body.replace(
                        b"</Types>",
                        f'<Override PartName="/docProps/custom.xml" '
                        f'ContentType="{CUSTOM_PROPS_CT}"/></Types>'.encode(),
                    )
            elif custom is not None and info.filename == "_rels/.rels":
                if b"docProps/custom.xml" not in body:
                    body = body.replace(
                        b"</Relationships>",
                        f'<Relationship Id="rIdSkemaCustom" Type="{CUSTOM_PROPS_REL}" '
                        f'Target="docProps/custom.xml"/></Relationships>'.encode(),
                    )
            elif custom is not None and info.filename == "docProps/custom.xml":
                continue
            zinfo = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME if fixed_time
                                    else info.date_time)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(zinfo, body)
        if custom is not None:
            zinfo = zipfile.ZipInfo("docProps/custom.xml",
                                    FIXED_ZIP_TIME if fixed_time else FIXED_ZIP_TIME)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(zinfo, custom_properties_xml(custom))
    del names
    return out_buf.getvalue()
