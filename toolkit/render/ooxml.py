"""The OOXML package helpers, shared by the Word renderer and the extractor: names,
reading a returned package safely (zip bombs, XML entity tricks), the custom document
properties that carry a form's identity, and writing packages."""

from __future__ import annotations

import contextlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator

from lxml import etree

from ..errors import DocumentError
from ..xmltext import escape, quoteattr

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
#: The paragraph style of a blank text answer's placeholder: grey, like Word's
#: ``PlaceholderText`` run style, which LibreOffice ignores inside a block-level control.
PLACEHOLDER_STYLE = "SvarTom"
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
    text = clean_text(text)
    if "\n" not in text and "\t" not in text:
        return escape(text)
    lines = text.split("\n")
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


# ---------------------------------------------------------------------------------------
# Reading a returned package
# ---------------------------------------------------------------------------------------
MAX_PART_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_blank_text=False)



class Package:
    """A .docx package opened for reading: sizes checked against zip bombs, parts parsed
    with a safe XML parser (no DTD, no entities, no network)."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise DocumentError("filen er ikke et Word-dokument (.docx) eller er beskadiget",
                                hint="Gem dokumentet igen som .docx.") from None
        total = 0
        for info in self.zip.infolist():
            total += info.file_size
            if info.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES or (
                info.compress_size and info.file_size / info.compress_size > MAX_RATIO
                and info.file_size > 1024 * 1024
            ):
                raise DocumentError("filen pakker sig ud til en mistænkeligt stor størrelse "
                                    "(zip-bombe) og læses ikke",
                                    hint="Bed afsenderen om at gemme dokumentet igen.")
        if "word/document.xml" not in self.zip.namelist():
            raise DocumentError("filen er ikke et Word-dokument (word/document.xml mangler)",
                                hint="Gem dokumentet som .docx.")

    def names(self) -> list[str]:
        """The names of the package's parts."""
        return self.zip.namelist()

    def xml(self, name: str):
        """The part ``name`` parsed (bounded in size; DocumentError when damaged)."""
        try:
            with self.zip.open(name) as handle:
                # never more than the limit, whatever the zip's directory claims, and in
                # small steps: one big read would inflate the whole limit at once
                chunks, size = [], 0
                while size <= MAX_PART_BYTES:
                    chunk = handle.read(1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                raw = b"".join(chunks)
                del chunks
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                RuntimeError):
            raise DocumentError(f"dokumentets del {name} er beskadiget eller afkortet",
                                hint="Bed afsenderen om at gemme og sende filen igen.") \
                from None
        if len(raw) > MAX_PART_BYTES:
            raise DocumentError("en del af dokumentet pakker sig ud til en mistænkeligt stor "
                                "størrelse (zip-bombe) og læses ikke",
                                hint="Bed afsenderen om at gemme dokumentet igen.")
        if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw[:65536]:
            raise _doctype()
        try:
            root = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError:
            raise DocumentError(f"dokumentets del {name} er beskadiget",
                                hint="Åbn og gem dokumentet igen i Word.") from None
        if root.getroottree().docinfo.doctype:  # e.g. after a long comment, or UTF-16
            raise _doctype()
        return root


def _doctype() -> DocumentError:
    return DocumentError("dokumentet indeholder en DOCTYPE/ENTITY-erklæring, som ikke er "
                         "tilladt i Word-filer, og læses ikke af sikkerhedshensyn",
                         hint="Bed afsenderen om at gemme dokumentet igen i Word.")


@contextlib.contextmanager
def open_package(data: bytes) -> Iterator[Package]:
    """Open .docx bytes with size limits (zip bombs) and a safe XML parser."""
    pkg = Package(data)
    try:
        yield pkg
    finally:
        pkg.zip.close()


def story_parts(pkg: Package) -> list:
    """The parsed body, then headers, then footers of a package."""
    names = pkg.names()
    order = ["word/document.xml"]
    order += sorted(n for n in names if re.fullmatch(r"word/header\d*\.xml", n))
    order += sorted(n for n in names if re.fullmatch(r"word/footer\d*\.xml", n))
    return [pkg.xml(n) for n in order]


def document_identity(pkg: Package) -> tuple[str | None, str | None]:
    """(form id, version) from the document's custom properties."""
    if "docProps/custom.xml" not in pkg.names():
        return None, None
    root = pkg.xml("docProps/custom.xml")
    props = {}
    for prop in root:
        values = [c.text for c in prop]
        props[prop.get("name")] = values[0] if values else None
    return props.get("skema_form"), props.get("skema_version")


# ---------------------------------------------------------------------------------------
# Writing packages
# ---------------------------------------------------------------------------------------
FIXED_ZIP_TIME = (2019, 2, 26, 0, 0, 0)


def with_default(types: bytes, extension: str, content_type: str) -> bytes:
    """``[Content_Types].xml`` with a ``Default`` for the file extension, added unless one
    is there (extensions compared without case, as OPC compares them)."""
    if re.search(rb"<(?:\w+:)?Default\b[^>]*\bExtension\s*=\s*[\"']"
                 + re.escape(extension.encode()) + rb"[\"']", types, re.I):
        return types
    return types.replace(b"<Default ", f'<Default Extension="{extension}" ContentType='
                         f'"{content_type}"/><Default '.encode(), 1)


def custom_part(name: str, body: bytes) -> bytes | None:
    """A part of a package about to get new custom properties: the content types and the
    package relationships name ``docProps/custom.xml``; the old custom part is dropped
    (None); every other part is returned as it is."""
    if name == "[Content_Types].xml" and b"/docProps/custom.xml" not in body:
        return body.replace(b"</Types>", f'<Override PartName="/docProps/custom.xml" '
                            f'ContentType="{CUSTOM_PROPS_CT}"/></Types>'.encode())
    if name == "_rels/.rels" and b"docProps/custom.xml" not in body:
        return body.replace(b"</Relationships>", f'<Relationship Id="rIdSkemaCustom" '
                            f'Type="{CUSTOM_PROPS_REL}" Target="docProps/custom.xml"/>'
                            "</Relationships>".encode())
    if name == "docProps/custom.xml":
        return None
    return body


def rewrite_package(data: bytes, custom: dict[str, str] | None = None,
                    fixed_time: bool = False) -> bytes:
    """Rewrite a .docx zip: set custom properties and/or give every entry a fixed time.

    A fixed time makes generated templates byte-stable, so the committed copy can be
    compared with a fresh build.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out_buf = io.BytesIO()
    with zipfile.ZipFile(out_buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if custom is not None:
                part = custom_part(info.filename, body)
                if part is None:
                    continue
                body = part
            zinfo = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME if fixed_time
                                    else info.date_time)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(zinfo, body)
        if custom is not None:
            zinfo = zipfile.ZipInfo("docProps/custom.xml",
                                    FIXED_ZIP_TIME if fixed_time else FIXED_ZIP_TIME)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(zinfo, custom_properties_xml(custom))
    return out_buf.getvalue()


# ---------------------------------------------------------------------------------------
# A minimal zip writer: unchanged parts are copied pre-compressed, only rendered parts
# are deflated per document.
# ---------------------------------------------------------------------------------------
def _dos_time(date_time: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


_DOS_TIME, _DOS_DATE = _dos_time(FIXED_ZIP_TIME)


class ZipEntry:
    """One deflated member of a zip package, ready to be written (fixed time stamp)."""

    __slots__ = ("name", "crc", "size", "data", "local", "flags")

    def __init__(self, name: str, body: bytes, level: int = 6) -> None:
        comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        data = comp.compress(body) + comp.flush()
        self.name = name.encode("utf-8")
        self.crc = zlib.crc32(body)
        self.size = len(body)
        self.data = data
        self.flags = flags = 0x800 if not name.isascii() else 0  # UTF-8 name
        self.local = struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, _DOS_TIME, _DOS_DATE,
            self.crc, len(data), self.size, len(self.name), 0) + self.name


def write_zip(entries: list[ZipEntry]) -> bytes:
    """The bytes of a zip archive holding ``entries`` in order (no zip64: parts < 4 GB)."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for e in entries:
        out.append(e.local)
        out.append(e.data)
        central.append(struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 0x314, 20, e.flags, 8, _DOS_TIME, _DOS_DATE,
            e.crc, len(e.data), e.size, len(e.name), 0, 0, 0, 0, 0o600 << 16, offset)
            + e.name)
        offset += len(e.local) + len(e.data)
    cd = b"".join(central)
    out.append(cd)
    out.append(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                           len(cd), offset, 0))
    return b"".join(out)
