"""The page furniture of every document: header and footer, with the municipality's profile.

Without a profile a page has the form's running title in its header and the form's
title, version and page number in its footer. With one (:class:`toolkit.profile.Profile`)
the header carries the logo and the municipality's name, and the footer its address line
above the title line. The PDF renderer calls :func:`draw_pdf_furniture` for each page;
the Word renderer hands its finished package to :func:`docx_letterhead`, which rewrites
the header and footer parts (the templates in ``form_templates/`` stay neutral).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from typing import Any
from xml.sax.saxutils import escape

from ..catalogue import Form
from ..profile import BUNDLED_FONT, Profile
from .doc_title import core_with_title
from .ooxml import FIXED_ZIP_TIME, ZipEntry, with_default, write_zip

CM = 28.3465
GREY = (0.35, 0.35, 0.35)
ACCENT = (0x1F / 255, 0x3A / 255, 0x5F / 255)
#: A run font attribute naming the bundled font (the templates' styles use it).
_FONT_ATTR = re.compile(r'(w:(?:ascii|hAnsi|cs|eastAsia)=")' + re.escape(BUNDLED_FONT) + '"')
#: Height of the logo in the page header (points; 1 cm).
LOGO_HEIGHT = 1.0 * CM


def footer_title(form: Form, running: str) -> str:
    """The footer's left text: the form's Danish title (as in the header) and version."""
    return f"{running}, version {form.version}"


# ---------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------
def draw_pdf_furniture(canvas: Any, form: Form, running: str, page: int, total: int,
                       profile: Profile | None, font: str, page_size: tuple[float, float],
                       margin: float) -> None:
    """Draw one PDF page's header and footer on a reportlab canvas."""
    width, height = page_size
    canvas.saveState()
    canvas.setFillColorRGB(*GREY)
    canvas.setFont(font, 8)
    if profile is None:
        canvas.drawRightString(width - margin, height - 1.2 * CM, running)
    else:
        _pdf_header(canvas, profile, running, font, width, height, margin)
        canvas.setFillColorRGB(*GREY)
        canvas.setFont(font, 7.5)
        canvas.drawString(margin, 1.45 * CM, _fit(canvas, profile.address_line(), font, 7.5,
                                                  width - 2 * margin))
        canvas.setFont(font, 8)
    canvas.drawString(margin, 1.0 * CM, footer_title(form, running))
    canvas.drawRightString(width - margin, 1.0 * CM, f"Side {page} af {total}")
    canvas.restoreState()


def _pdf_header(canvas: Any, profile: Profile, running: str, font: str, width: float,
                height: float, margin: float) -> None:
    top = height - 0.6 * CM
    x = margin
    png = profile.logo_png()
    if png is not None:
        from reportlab.lib.utils import ImageReader

        w_px, h_px = png_size(png)
        logo_w = LOGO_HEIGHT * w_px / h_px if h_px else LOGO_HEIGHT
        canvas.drawImage(ImageReader(io.BytesIO(png)), x, top - LOGO_HEIGHT, logo_w,
                         LOGO_HEIGHT, mask="auto")
        x += logo_w + 0.3 * CM
    canvas.setFillColorRGB(*ACCENT)
    canvas.setFont(f"{font}-Bold", 11)
    canvas.drawString(x, top - 0.55 * CM, profile.name)
    canvas.setFillColorRGB(*GREY)
    canvas.setFont(font, 8)
    canvas.drawRightString(width - margin, top - 0.55 * CM, running)


def _fit(canvas: Any, text: str, font: str, size: float, width: float) -> str:
    """The text, cut with an ellipsis if it is wider than ``width``."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + " …", font, size) > width:
        text = text[:-1]
    return text.rstrip() + " …"


#: The logo's shape id (``wp:docPr``); a compiled template's drawings are numbered above it.
LOGO_SHAPE_ID = 9001


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG (from its IHDR chunk)."""
    return struct.unpack(">II", png[16:24])


# ---------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------
_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
       'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
       'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"')
_REL_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
_REL_HEADER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
_REL_FOOTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"
_EMU_PER_CM = 360000
_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


def docx_letterhead(package: bytes, form: Form, profile: Profile | None,
                    title: str | None = None) -> bytes:
    """The .docx with the profile's header (logo, name) and footer (address line).

    Every header and footer part the document refers to is rewritten; ``title``: the
    document's title in its core properties (see :mod:`toolkit.render.doc_title`), None
    to keep the template's. Without a profile and a title the package is unchanged.
    """
    if profile is None and title is None:
        return package
    src = zipfile.ZipFile(io.BytesIO(package))
    changed: dict[str, bytes] = {}
    if title is not None and "docProps/core.xml" in src.namelist():
        core = src.read("docProps/core.xml").decode("utf-8")
        changed["docProps/core.xml"] = core_with_title(core, title).encode("utf-8")
    if profile is None:
        return _repacked(package, src, changed)
    rels = src.read("word/_rels/document.xml.rels").decode("utf-8")
    pairs = re.findall(r'Type="([^"]+)" Target="([^"]+)"', rels)
    headers = [t for ty, t in pairs if ty == _REL_HEADER]
    footers = [t for ty, t in pairs if ty == _REL_FOOTER]
    png = profile.logo_png()
    for target in headers:
        name = f"word/{target}"
        body = src.read(name).decode("utf-8")
        running = "".join(_TEXT.findall(body))
        changed[name] = _docx_header(body, profile, running, png is not None).encode("utf-8")
        if png is not None:
            changed[f"word/_rels/{target}.rels"] = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                f'relationships"><Relationship Id="rIdSkemaLogo" Type="{_REL_IMAGE}" '
                'Target="media/skema-logo.png"/></Relationships>').encode()
    for target in footers:
        name = f"word/{target}"
        body = src.read(name).decode("utf-8")
        running = _running_from_header(src, headers) or form.title
        changed[name] = _docx_footer(body, profile, form, running).encode("utf-8")
    family = profile.font_family()
    if family != BUNDLED_FONT and "word/styles.xml" in src.namelist():
        styles = src.read("word/styles.xml").decode("utf-8")
        changed["word/styles.xml"] = _FONT_ATTR.sub(
            lambda m: m.group(1) + escape(family, {'"': "&quot;"}) + '"', styles).encode()
    if png is not None:
        types = src.read("[Content_Types].xml")
        with_png = with_default(types, "png", "image/png")
        if with_png != types:
            changed["[Content_Types].xml"] = with_png
        changed["word/media/skema-logo.png"] = png
    return _repacked(package, src, changed)


def _repacked(package: bytes, src: zipfile.ZipFile, changed: dict[str, bytes]) -> bytes:
    """The package with the ``changed`` parts (new ones after the rest); the unchanged
    parts are copied still compressed."""
    changed = dict(changed)
    entries = []
    for info in src.infolist():
        part = changed.pop(info.filename, None)
        if part is None:
            entries.append(_copied(package, src, info))
        else:
            entries.append(ZipEntry(info.filename, part, level=1))
    for name, part in changed.items():  # new parts: the header's rels, the logo
        entries.append(ZipEntry(name, part, level=1))
    return write_zip(entries)


def _copied(package: bytes, src: zipfile.ZipFile, info: zipfile.ZipInfo) -> ZipEntry:
    """An unchanged member as it is, still compressed (no inflate and deflate again)."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return ZipEntry(info.filename, src.read(info.filename), level=1)
    offset = info.header_offset
    name_len, extra_len = struct.unpack("<HH", package[offset + 26:offset + 30])
    start = offset + 30 + name_len + extra_len
    entry = ZipEntry(info.filename, b"", level=1)
    entry.crc, entry.size = info.CRC, info.file_size
    entry.data = package[start:start + info.compress_size]
    entry.local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, entry.flags, 8, *_dos_stamp(),
        entry.crc, len(entry.data), entry.size, len(entry.name), 0) + entry.name
    return entry


def _dos_stamp() -> tuple[int, int]:
    y, mo, d, h, mi, s = FIXED_ZIP_TIME
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _running_from_header(src: zipfile.ZipFile, headers: list[str]) -> str:
    for target in headers:
        text = "".join(_TEXT.findall(src.read(f"word/{target}").decode("utf-8")))
        if text:
            return text
    return ""


def _docx_header(body: str, profile: Profile, running: str, logo: bool) -> str:
    """The header part's XML: a paragraph with logo and name, the running title right."""
    start = body.index(">", body.index("<w:hdr")) + 1
    end = body.rindex("</w:hdr>")
    drawing = _logo_drawing(profile) if logo else ""
    para = (
        f'<w:p {_NS}><w:pPr><w:pStyle w:val="Lille"/><w:tabs><w:tab w:val="right" '
        'w:pos="9638"/></w:tabs><w:spacing w:after="240"/></w:pPr>'
        + (f"<w:r>{drawing}</w:r><w:r><w:t xml:space=\"preserve\">  </w:t></w:r>"
           if drawing else "")
        + '<w:r><w:rPr><w:b/><w:color w:val="1F3A5F"/><w:position w:val="8"/>'
        '<w:sz w:val="24"/></w:rPr>'
        f"<w:t>{escape(profile.name)}</w:t></w:r>"
        '<w:r><w:rPr><w:color w:val="595959"/><w:position w:val="8"/></w:rPr><w:tab/>'
        f"<w:t>{escape(running)}</w:t></w:r></w:p>"
    )
    return body[:start] + para + body[end:]


def _docx_footer(body: str, profile: Profile, form: Form, running: str) -> str:
    """The footer part's XML: the address line first, then the title and page line."""
    start = body.index(">", body.index("<w:ftr")) + 1
    para = (f'<w:p {_NS}><w:pPr><w:pStyle w:val="Lille"/><w:spacing w:after="0"/>'
            '</w:pPr><w:r><w:rPr><w:color w:val="595959"/><w:sz w:val="15"/></w:rPr>'
            f"<w:t>{escape(profile.address_line())}</w:t></w:r></w:p>")
    rest = body[start:]
    old = f"Formular {form.id}, version {form.version}"
    rest = rest.replace(escape(old), escape(footer_title(form, running)))
    return body[:start] + para + rest


def _logo_drawing(profile: Profile) -> str:
    png = profile.logo_png() or b""
    w_px, h_px = png_size(png)
    cy = int(1.0 * _EMU_PER_CM)
    cx = int(cy * w_px / h_px) if h_px else cy
    name = escape(f"Logo {profile.name}", {'"': "&quot;"})
    return (
        f'<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{LOGO_SHAPE_ID}" name="Logo" '
        f'descr="{name}"/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/'
        f'picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="{LOGO_SHAPE_ID}" name="skema-logo.png"/>'
        '<pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="rIdSkemaLogo"/>'
        '<a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm>'
        f'<a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom '
        'prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData>'
        "</a:graphic></wp:inline></w:drawing>")
