"""AcroForm machinery for the PDF renderer: the field font, appearance streams, widgets.

Field appearances never use the 14 standard fonts (they cannot show æ, ø, å reliably, see
pypdf issue #2035). The form carries one embedded TrueType font (DejaVu Sans, shipped in
toolkit/fonts; a subset, see :mod:`toolkit.render.font_subset`) twice over the same font
program:

* ``/SkemaSans`` – a simple TrueType font with WinAnsiEncoding. It is the font named in every
  field's ``/DA``, so a viewer or tool that regenerates an appearance (pypdf, pdftk, a viewer
  honouring NeedAppearances) has a real font with the Danish letters;
* ``/SkemaSansU`` – a Type0 (Identity-H) font used by the appearance streams this module
  writes, so every glyph of the font (✓, –, emoji the font has) is drawn and extractable
  through its ToUnicode map.

What is static about a form (its pages, these fonts, the AcroForm dictionary) is a
template made with pikepdf (qpdf) once per form and page layout
(:mod:`toolkit.render.pdf_template`); the fields, widgets and appearance streams of each
document are written here as PDF syntax. No object streams: a damaged
byte then spoils one object, not the whole form (the consent archive's tamper report relies
on reading a changed file).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..resources import font_file
from .cache import Cache
from .font_subset import program_for

DA_FONT = "SkemaSans"
AP_FONT = "SkemaSansU"
CHECK = "\u2713"  # ✓
ON_STATE = "Yes"

#: Field flags (PDF 32000-1, 12.7.3.1 / 12.7.4).
FF_MULTILINE = 1 << 12
FF_DONOTSPELLCHECK = 1 << 22
FF_COMBO = 1 << 17


@lru_cache(maxsize=8)
def font_path(style: str = "regular") -> str:
    """The bundled TrueType file of a style (DejaVu Sans); the host's fonts are never used."""
    return font_file(style)


@lru_cache(maxsize=4)
def _parsed(path: str):
    """The parsed font file (reportlab's TTFontFile), once per process and path."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    return TTFontFile(path)


class _Metrics:
    """What every document shares about a font file: parsed tables and width cache."""

    def __init__(self, path: str) -> None:
        self.ttf = _parsed(path)
        self.widths: dict[str, float] = {}
        self.codes: dict[str, str] = {}  # character -> its glyph id in 4 hex digits


@lru_cache(maxsize=4)
def _metrics(path: str) -> _Metrics:
    return _Metrics(path)


class FieldFont:
    """The embedded field font: metrics for line breaking and glyph codes for appearances.

    The font file is parsed once per process; ``used`` (the glyphs one document's
    appearances draw) belongs to the instance, so make one per document.
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path or font_path("regular")
        shared = _metrics(self.path)
        self.ttf = shared.ttf
        self.upem = self.ttf.unitsPerEm
        self.cmap: dict[int, int] = self.ttf.charToGlyph
        self.fallback = self.cmap.get(0xFFFD, 0)
        self.used: dict[int, str] = {}
        self._seen: set[str] = set()  # characters whose glyphs are in ``used``
        self._codes = shared.codes
        self._widths = shared.widths
        self.ascent = self.ttf.ascent / 1000.0
        self.descent = self.ttf.descent / 1000.0

    def has(self, char: str) -> bool:
        """True when the font has a glyph for the character."""
        return ord(char) in self.cmap

    def gid(self, char: str) -> int:
        """Glyph id of a character (the replacement glyph when the font lacks it)."""
        return self.cmap.get(ord(char), self.fallback)

    def _advance(self, gid: int) -> float:
        metrics = self.ttf.hmetrics
        adv = metrics[gid][0] if gid < len(metrics) else metrics[-1][0]
        return adv * 1000.0 / self.upem

    def char_width(self, char: str) -> float:
        """Advance of a character in 1/1000 of the font size."""
        width = self._widths.get(char)
        if width is None:
            width = self._advance(self.gid(char))
            self._widths[char] = width
        return width

    def width(self, text: str, size: float) -> float:
        """Width of text at a font size, in points."""
        try:
            total = sum(map(self._widths.__getitem__, text))
        except KeyError:  # a character not measured yet in this process
            total = sum(self.char_width(c) for c in text)
        return total * size / 1000.0

    def mark(self, text: str) -> None:
        """Count the characters' glyphs as used (as :meth:`encode` does)."""
        if not self._seen.issuperset(text):
            self.encode(text)

    def encode(self, text: str) -> str:
        """Text as a hex string of 2-byte glyph ids for the Type0 font (records use)."""
        if not self._seen.issuperset(text):
            fresh = set(text).difference(self._seen)
            for char in text:
                if char not in fresh:
                    continue
                fresh.discard(char)
                self._seen.add(char)
                gid = self.gid(char)
                if gid not in self.used:
                    self.used[gid] = char if self.has(char) else "\ufffd"
                self._codes.setdefault(char, f"{gid:04X}")
        return "<" + "".join(map(self._codes.__getitem__, text)) + ">"


# ---------------------------------------------------------------------------------------
# Text layout (shared by the page renderer and the appearance streams)
# ---------------------------------------------------------------------------------------
def clean_line(text: str) -> str:
    """A line as drawn: tabs become spaces, other control characters disappear."""
    text = text.replace("\t", "    ")
    return "".join(c for c in text if c >= " " or c == "\n")


def wrap_text(font: FieldFont, text: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than width: at spaces, inside over-long words, at LF."""
    lines: list[str] = []
    for para in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        para = clean_line(para)
        line = ""
        for token in re.findall(r"\S+\s*|\s+", para):
            if font.width((line + token).rstrip(" "), size) <= width:
                line += token
                continue
            if line.strip():
                lines.append(line.rstrip(" "))
                line = ""
            while font.width(token.rstrip(" "), size) > width:
                cut = _fit(font, token, size, width)
                lines.append(token[:cut])
                token = token[cut:]
            line = token
        lines.append(line.rstrip(" "))
    return lines


def _fit(font: FieldFont, word: str, size: float, width: float) -> int:
    total = 0.0
    for i, char in enumerate(word):
        total += font.char_width(char) * size / 1000.0
        if total > width:
            return max(1, i)
    return len(word)


# ---------------------------------------------------------------------------------------
# Widgets as recorded by the layout
# ---------------------------------------------------------------------------------------
PAD = 2.0  # inner padding of a text appearance, points
TOP_GAP = 1.7  # extra room above the first line: baselines meet the label's baseline


@dataclass
class Widget:
    """One widget annotation to place: a text box, combo box, checkbox or signature."""

    name: str  # concrete field path, ``path:option`` for a multi-select box
    kind: str  # text | combo | check | sig
    page: int  # 1-based
    rect: tuple[float, float, float, float]
    label: str = ""  # tooltip (/TU)
    value: str | None = None  # /V: text, export value of a choice
    lines: list[str] = field(default_factory=list)  # what this widget shows
    size: float = 9.0
    leading: float = 11.0
    multiline: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (export, display)
    on: bool = False
    part: int = 0  # 0, or the number of a continuation on a later page
    actual: str = ""  # the answer as shown (display text), for text extraction

    def placed(self, page: int, rect: tuple[float, float, float, float]) -> Widget:
        """The same widget on another page or place (a copy; lists are shared, and no
        widget changes them)."""
        new = object.__new__(Widget)
        new.__dict__.update(self.__dict__)
        new.page, new.rect = page, rect
        return new


_PRINTABLE = re.compile(r"[ -~]*")


def hex_text(text: str, literal: re.Pattern[str] = _PRINTABLE) -> str:
    """A PDF text string safe anywhere in a content stream: printable ASCII as a literal
    string (the same in PDFDocEncoding), anything else in UTF-16BE hex."""
    if literal.fullmatch(text):
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


#: PDFDocEncoding's codes 0x80-0xA0 (PDF 32000-1, annex D.2); 0xA1-0xFF are Latin-1's.
_PDFDOC = {
    "\u2022": "\x80", "\u2020": "\x81", "\u2021": "\x82", "\u2026": "\x83",
    "\u2014": "\x84", "\u2013": "\x85", "\u0192": "\x86", "\u2044": "\x87",
    "\u2039": "\x88", "\u203a": "\x89", "\u2212": "\x8a", "\u2030": "\x8b",
    "\u201e": "\x8c", "\u201c": "\x8d", "\u201d": "\x8e", "\u2018": "\x8f",
    "\u2019": "\x90", "\u201a": "\x91", "\u2122": "\x92", "\ufb01": "\x93",
    "\ufb02": "\x94", "\u0141": "\x95", "\u0152": "\x96", "\u0160": "\x97",
    "\u0178": "\x98", "\u017d": "\x99", "\u0131": "\x9a", "\u0142": "\x9b",
    "\u0153": "\x9c", "\u0161": "\x9d", "\u017e": "\x9e", "\u20ac": "\xa0",
}
_TO_PDFDOC = str.maketrans(_PDFDOC)
_DOC_TEXT = re.compile("[ -~\u00a1-\u00ac\u00ae-\u00ff" + "".join(_PDFDOC) + "]*")


@lru_cache(maxsize=8192)
def text_string(text: str) -> str:
    """A PDF text string for a dictionary: a literal string in PDFDocEncoding when it has
    every character, else UTF-16BE hex. Latin-1 code points stand for the bytes: write
    the result with ``.encode("latin-1")``."""
    if _DOC_TEXT.fullmatch(text):
        return hex_text(text.translate(_TO_PDFDOC), _DOC_BYTES)
    return hex_text(text, _PRINTABLE)


_DOC_BYTES = re.compile("[ -~\u0080-\u00ff]*")


def mark_begin(name: str, actual: str | None, part: int = 0) -> str:
    """Open a marked-content span naming the answer it draws (closed by ``EMC``).

    ``/ActualText`` is the exact answer (line feeds and all); a continuation on a later
    page has an empty one, so text extraction yields the answer once.
    """
    props = _span_path(name)
    if part:
        props += f" /SkemaPart {part} /ActualText {hex_text('')}"
    elif actual is not None:
        props += f" /ActualText {hex_text(actual)}"
    return f"/Span <<{props}>> BDC"


@lru_cache(maxsize=8192)
def _span_path(name: str) -> str:
    return f"/SkemaPath {hex_text(name)}"


def _real(value: float, digits: int = 2):
    """A number as pikepdf stores it: integral values as integers, others rounded."""
    value = round(value, digits)
    return int(value) if value == int(value) else value


def pdf_number(value: float, digits: int = 3) -> str:
    """A number for PDF syntax or a content stream: at most ``digits`` decimals, no
    trailing zeros, ``0`` for minus zero (kept per process)."""
    key = (value, digits)
    text = _NUMS.get(key)
    if text is None:
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        text = _NUMS.put(key, text if text not in ("", "-0") else "0")
    return text


#: the same rectangles and sizes recur in every document
_NUMS: Cache[tuple[float, int], str] = Cache(50_001)
_num = pdf_number


def text_lines_ops(font: FieldFont, lines: list[str], size: float, leading: float,
                   x: float, top: float, font_name: str = AP_FONT) -> str:
    """Content operators drawing lines top-down from ``top`` (first baseline below it)."""
    if not any(lines):
        return ""
    ops = [_text_head(font_name, size, leading, x, top - font.ascent * size)]
    for i, line in enumerate(lines):
        if i:
            ops.append("T*")
        if line:
            ops.append(f"{font.encode(line)} Tj")
    ops.append("ET")
    return "\n".join(ops)


@lru_cache(maxsize=4096)
def _text_head(font_name: str, size: float, leading: float, x: float, baseline: float) -> str:
    """The operators that start lines of text (the same few sizes and boxes recur)."""
    return (f"BT /{font_name} {_num(size)} Tf 0 g {_num(leading)} TL\n"
            f"{_num(x)} {_num(baseline)} Td")


# ---------------------------------------------------------------------------------------
# The document's own objects, written as PDF syntax
# ---------------------------------------------------------------------------------------
def ref(num: int) -> str:
    """An indirect reference to object ``num``."""
    return f"{num} 0 R"


class PdfObject:
    """One indirect object of a document: a dictionary (its entries already written as
    PDF syntax), optionally with kids and stream data (already compressed)."""

    __slots__ = ("num", "entries", "kids", "data")

    def __init__(self, num: int, entries: dict[str, str], data: bytes | None = None) -> None:
        self.num = num
        self.entries = entries
        self.kids: list[int] | None = None
        self.data = data

    def serialize(self) -> bytes:
        """``N 0 obj … endobj`` of the object."""
        items = "".join(f"/{key} {value} " for key, value in self.entries.items())
        if self.kids is not None:
            items += "/Kids [" + " ".join(ref(k) for k in self.kids) + "] "
        if self.data is None:
            return f"{self.num} 0 obj\n<< {items}>>\nendobj\n".encode("latin-1")
        head = f"{self.num} 0 obj\n<< {items}/Length {len(self.data)} >>\nstream\n"
        return head.encode("latin-1") + self.data + b"\nendstream\nendobj\n"


def stream_object(num: int, entries: dict[str, str], content: bytes) -> PdfObject:
    """A stream object whose content is deflated now (a window no larger than the
    content: the same bytes out, a fraction of the set-up time for a short stream),
    unless deflating does not make it shorter."""
    deflated, data = _packed(content)
    if deflated:
        entries["Filter"] = "/FlateDecode"
    return PdfObject(num, entries, data)


def _packed(content: bytes) -> tuple[bool, bytes]:
    """Whether a stream is deflated, and its data: not when deflating does not make it
    shorter by more than the "/Filter /FlateDecode " it would add."""
    packed = _deflated(content)
    return (False, content) if len(packed) + 21 >= len(content) else (True, packed)


@lru_cache(maxsize=4096)
def _deflated(content: bytes) -> bytes:
    """Content deflated with a window no larger than it; kept per process, as the same
    appearances (checkboxes, empty and common answers) recur in every document."""
    wbits = min(15, max(10, len(content).bit_length()))
    deflate = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return deflate.compress(content) + deflate.flush()


def _rect(values: tuple[float, ...]) -> str:
    return "[" + " ".join(_num(v, 2) for v in values) + "]"


@dataclass(frozen=True)
class FontRefs:
    """Object numbers of a document's static objects the widgets refer to (in its
    template)."""

    resources: int  # the AcroForm's /DR (the field fonts), also the appearances' resources


_WIDGET_KEYS = ("Type", "Subtype", "Rect", "F", "P", "AP", "AS", "MK")


class AcroBuilder:
    """The fields, widgets and appearance streams of one document, as PDF objects.

    Object numbers start at ``first``; the pages, fonts and the AcroForm dictionary are
    the template's (:mod:`toolkit.render.pdf_template`). ``keep``: None for an editable
    form, else the paths that stay editable when every other field is read-only.
    """

    def __init__(self, font: FieldFont, fonts: FontRefs, first: int,
                 keep: tuple[str, ...] | None = None) -> None:
        self.font = font
        self.fonts = fonts
        self.next = first
        self.keep = keep
        self.objects: list[PdfObject] = []
        self.top_fields: list[int] = []
        self.annots: dict[int, list[int]] = {}  # page object number -> widget numbers
        self._parents: dict[str, PdfObject] = {}
        self._terminals: dict[str, PdfObject] = {}
        self._page_of: dict[int, int] = {}
        self._resources = ref(fonts.resources)
        #: per widget added, the range of ``objects`` it made (its appearance streams,
        #: its widget and any new parent fields; see :mod:`toolkit.render.pdf_skeleton`)
        self.spans: list[tuple[int, int]] = []

    def _new(self, entries: dict[str, str], data: bytes | None = None) -> PdfObject:
        obj = PdfObject(self.next, entries, data)
        self.next += 1
        self.objects.append(obj)
        return obj

    # -- fields ------------------------------------------------------------------------
    def _parent(self, parts: list[str]) -> PdfObject | None:
        """The non-terminal field for name parts (created on demand), None at the top."""
        if not parts:
            return None
        key = ".".join(parts)
        if key in self._parents:
            return self._parents[key]
        node = self._new({"T": text_string(parts[-1])})
        node.kids = []
        self._attach(node, parts[:-1])
        self._parents[key] = node
        return node

    def _attach(self, node: PdfObject, parent_parts: list[str]) -> None:
        parent = self._parent(parent_parts)
        if parent is None:
            self.top_fields.append(node.num)
        else:
            node.entries["Parent"] = ref(parent.num)
            assert parent.kids is not None
            parent.kids.append(node.num)

    def add(self, widget: Widget, page: int) -> None:
        """Add one widget (and its field, the first time its name is seen) to the page
        with object number ``page``."""
        first = len(self.objects)
        self._add(widget, page)
        self.spans.append((first, len(self.objects)))

    def _add(self, widget: Widget, page: int) -> None:
        entries = {"Type": "/Annot", "Subtype": "/Widget", "Rect": _rect(widget.rect),
                   "F": "4", "P": ref(page), "AP": self._appearance(widget)}
        if widget.kind == "check":
            entries["AS"] = f"/{ON_STATE}" if widget.on else "/Off"
            entries["MK"] = "<< /CA (4) /BC [0.25 0.25 0.25] >>"
        existing = self._terminals.get(widget.name)
        if existing is not None:  # a continuation of the same field on a later page
            if existing.kids is None:
                self._split_first_widget(existing)
            entries["Parent"] = ref(existing.num)
            annot = self._new(entries)
            assert existing.kids is not None
            existing.kids.append(annot.num)
            self._place(annot, page)
            return
        self._field_keys(entries, widget)
        parts = _name_parts(widget.name)
        entries["T"] = text_string(parts[-1])
        annot = self._new(entries)
        self._place(annot, page)
        self._attach(annot, parts[:-1])
        self._terminals[widget.name] = annot

    def _place(self, annot: PdfObject, page: int) -> None:
        self.annots.setdefault(page, []).append(annot.num)
        self._page_of[annot.num] = page

    def _split_first_widget(self, merged: PdfObject) -> None:
        """Turn a merged field/widget into a field with a kid widget."""
        entries = {k: merged.entries.pop(k) for k in _WIDGET_KEYS if k in merged.entries}
        entries["Parent"] = ref(merged.num)
        kid = self._new(entries)
        merged.kids = [kid.num]
        page = self._page_of[merged.num]
        annots = self.annots[page]
        annots[annots.index(merged.num)] = kid.num
        self._page_of[kid.num] = page

    def _field_keys(self, entries: dict[str, str], widget: Widget) -> None:
        entries["TU"] = text_string(widget.label)
        if widget.kind == "text":
            entries["FT"] = "/Tx"
            entries["Ff"] = str(FF_DONOTSPELLCHECK | (FF_MULTILINE if widget.multiline else 0))
            # Issue 11, point 3: size 0 = automatic, so that a program that redraws the
            # field itself (PDFium/Chrome, PyMuPDF, pdftk) shrinks a long answer to fit
            # instead of clipping it. skema's own appearance keeps the fitted widget.size.
            entries["DA"] = f"(/{DA_FONT} 0 Tf 0 g)"
            if widget.value:
                entries["V"] = text_string(widget.value)
        elif widget.kind == "combo":
            entries["FT"] = "/Ch"
            entries["Ff"] = str(FF_COMBO | FF_DONOTSPELLCHECK)
            entries["DA"] = f"(/{DA_FONT} {_num(widget.size)} Tf 0 g)"
            entries["Opt"] = _options(tuple(widget.options))
            if widget.value:
                entries["V"] = text_string(widget.value)
                index = [v for v, _ in widget.options].index(widget.value)
                entries["I"] = f"[{index}]"
        elif widget.kind == "check":
            entries["FT"] = "/Btn"  # no /Ff: 0, a check box, is the default
            entries["DA"] = "(/ZaDb 0 Tf 0 g)"
            entries["V"] = f"/{ON_STATE}" if widget.on else "/Off"
        elif widget.kind == "sig":
            entries["FT"] = "/Sig"

    # -- appearances -------------------------------------------------------------------
    def _appearance(self, widget: Widget) -> str:
        x0, y0, x1, y1 = widget.rect
        w, h = x1 - x0, y1 - y0
        if widget.kind == "check":
            on_ap = f"{mark_begin(widget.name, CHECK)}\n{self._check_ap(w, h, True)}\nEMC"
            off_ap = f"{mark_begin(widget.name, None)}\n{self._check_ap(w, h, False)}\nEMC"
            return (f"<< /N << /{ON_STATE} {ref(self._stream(on_ap, w, h))} "
                    f"/Off {ref(self._stream(off_ap, w, h))} >> >>")
        if widget.kind == "sig":
            return f"<< /N {ref(self._stream('', w, h))} >>"
        return f"<< /N {ref(self._stream(self._text_ap(widget, w, h), w, h))} >>"

    def _stream(self, content: str, w: float, h: float) -> int:
        obj = self._stream_object(self.next, content, w, h)
        self.next += 1
        self.objects.append(obj)
        return obj.num

    def _stream_object(self, num: int, content: str, w: float, h: float) -> PdfObject:
        # /Type /XObject is optional, and so are resources where no font is set
        entries = {"Subtype": "/Form", "BBox": _bbox(w, h)}
        if " Tf" in content:
            entries["Resources"] = self._resources
        return stream_object(num, entries, content.encode("latin-1"))

    def text_stream(self, widget: Widget, num: int) -> bytes:
        """The written appearance stream (object ``num``) of a text box or drop-down, as
        :meth:`add` makes it (its glyphs are marked used in the font)."""
        x0, y0, x1, y1 = widget.rect
        w, h = x1 - x0, y1 - y0
        key = (self.font.path, widget.kind, w, h, widget.name, widget.actual, widget.part,
               widget.size, widget.leading, tuple(widget.lines))
        hit = _TEXT_STREAMS.get(key)
        if hit is None:
            text = self._text_ap(widget, w, h)
            packed, content = _packed(text.encode("latin-1"))
            hit = _TEXT_STREAMS.put(key, (" Tf" in text,
                                          "/Filter /FlateDecode " if packed else "", content))
        else:  # the glyphs the appearance draws, in this document's font
            self.font.mark("".join(widget.lines))
        fonts, deflated, data = hit
        # what _stream_object(...).serialize() writes, without the dictionary between
        resources = f"/Resources {self._resources} " if fonts else ""
        head = (f"{num} 0 obj\n<< /Subtype /Form /BBox {_bbox(w, h)} {resources}{deflated}"
                f"/Length {len(data)} >>\nstream\n")
        return head.encode("latin-1") + data + b"\nendstream\nendobj\n"

    def _text_ap(self, widget: Widget, w: float, h: float) -> str:
        body = text_lines_ops(self.font, widget.lines, widget.size, widget.leading,
                              PAD, h - PAD - TOP_GAP)
        mark = mark_begin(widget.name, widget.actual, widget.part)
        return f"{_text_frame(widget.kind == 'combo', w, h)}{mark}\n{body}\nEMC\nQ\nEMC"

    def _check_ap(self, w: float, h: float, on: bool) -> str:
        side = min(w, h)
        ops = [f"q 0.25 G 0.7 w 0.5 0.5 {_num(side - 1)} {_num(side - 1)} re S Q"]
        if on:
            size = side * 0.9
            gx = (side - self.font.width(CHECK, size)) / 2
            ops.append(f"BT /{AP_FONT} {_num(size)} Tf 0 g {_num(gx)} "
                       f"{_num(side * 0.14)} Td {self.font.encode(CHECK)} Tj ET")
        return "\n".join(ops)

    # -- the end -----------------------------------------------------------------------
    def lock(self) -> None:
        """Every field read-only except signatures and the fields under ``keep``
        (what :func:`toolkit.render.locking.lock_fields` does to an open PDF)."""
        if self.keep is None:
            return
        nodes = [(name, obj) for name, obj in self._terminals.items()
                 if obj.entries.get("FT") != "/Sig"]
        nodes += [(name, obj) for name, obj in self._parents.items()
                  if "Parent" not in obj.entries]
        for name, obj in nodes:
            if any(name == k or name.startswith(k + ".") or name.startswith(k + ":")
                   for k in self.keep):
                continue
            obj.entries["Ff"] = str(int(obj.entries.get("Ff", "0")) | 1)

    def font_parts(self) -> tuple[str, bytes]:
        """The Type0 font's ``/W`` array and ToUnicode CMap for the glyphs the
        appearances used (call after the last widget)."""
        self.font.encode(" ")
        return _font_parts(self.font, tuple(sorted(self.font.used.items())))

    def program(self) -> tuple[bytes, int]:
        """The compressed font subset the appearances need, and its length."""
        return program_for(self.font.path, {ord(c) for c in self.font.used.values()})


#: text appearances already made, per process: whether they set a font, the /Filter
#: entry and the stream's data (see AcroBuilder.text_stream)
_TEXT_STREAMS: Cache[tuple, tuple[bool, str, bytes]] = Cache(20_001)


@lru_cache(maxsize=4096)
def _bbox(w: float, h: float) -> str:
    return f"[0 0 {_num(w)} {_num(h)}]"


@lru_cache(maxsize=4096)
def _text_frame(combo: bool, w: float, h: float) -> str:
    """The start of a text box's appearance: the clip to its inside and, for a drop-down,
    a small grey triangle (the same boxes recur in every document)."""
    arrow = ""
    if combo:
        ax, ay = w - 9, h / 2
        arrow = (f"q 0.55 g {_num(ax)} {_num(ay + 2)} m {_num(ax + 6)} {_num(ay + 2)} l "
                 f"{_num(ax + 3)} {_num(ay - 2)} l f Q\n")
    return f"/Tx BMC\nq\n{arrow}1 1 {_num(w - 2)} {_num(h - 2)} re W n\n"


#: per (font file, glyph id, character): its ``/W`` entry and its ToUnicode line
_GLYPH_PARTS: Cache[tuple[str, int, str], tuple[str, str]] = Cache(100_001)


def _font_parts(font: FieldFont, used: tuple[tuple[int, str], ...]) -> tuple[str, bytes]:
    """:meth:`AcroBuilder.font_parts` of the glyphs ``used`` (glyph id, character), in
    order; the last few glyph sets kept (documents of the same answers share them)."""
    key = (font.path, used)
    hit = _FONT_PARTS.get(key)
    if hit is not None:
        return hit
    widths, entries = [], []
    for gid, char in used:
        parts = _GLYPH_PARTS.get((font.path, gid, char))
        if parts is None:
            utf16 = char.encode("utf-16-be").hex().upper()
            parts = _GLYPH_PARTS.put((font.path, gid, char), (
                f"{gid} [{_num(_real(font._advance(gid), 1), 1)}]", f"<{gid:04X}> <{utf16}>"))
        widths.append(parts[0])
        entries.append(parts[1])
    chunks = [entries[i:i + 100] for i in range(0, len(entries), 100)]
    body = "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n"
                   for c in chunks)
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{body}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
    return _FONT_PARTS.put(key, ("[" + " ".join(widths) + "]", cmap.encode("ascii")))


_FONT_PARTS: Cache[tuple[str, tuple[tuple[int, str], ...]], tuple[str, bytes]] = Cache(256)


def warm_field_font(path: str | None = None) -> None:
    """Parse the field font and make the subset of what can be typed now, once: a
    process that forks its workers afterwards (a batch) gives each of them both, instead
    of each worker making its own (~1 ms a document over a 1,000-row batch). With the
    bundled font (``path`` None) the page renderer is loaded and its fonts registered
    with reportlab too (~0.3 s of CPU each worker would spend)."""
    font = FieldFont(path)
    program_for(font.path, set())
    if path is None:
        from . import pdf_layout  # noqa: F401 - loaded once, before the fork
        from .pdf_flowables import register_fonts

        register_fonts()


def add_field_fonts(pdf, font: FieldFont) -> Any:
    """Add the field font's static objects to an open ``pikepdf.Pdf`` (a template).

    Returns the ``/DR`` font dictionary (``/SkemaSans``, ``/SkemaSansU``, ``/ZaDb``).
    The parts that depend on the glyphs a document's appearances draw are empty
    placeholders each document rewrites: the font program (``/FontFile2``), the
    CIDFont (its ``/W``) and the ToUnicode map.
    """
    from pikepdf import Array, Dictionary, Name, Stream, String

    ttf = font.ttf
    base = Name("/SKEMAA+" + _pdf_name(ttf.name.decode("latin-1")
                                        if isinstance(ttf.name, bytes) else str(ttf.name)))
    descriptor = pdf.make_indirect(Dictionary(
        Type=Name.FontDescriptor, FontName=base, Flags=32,
        FontBBox=Array([int(round(v)) for v in ttf.bbox]),
        ItalicAngle=_real(ttf.italicAngle), Ascent=int(round(ttf.ascent)),
        Descent=int(round(ttf.descent)), CapHeight=int(round(ttf.capHeight)),
        StemV=int(ttf.stemV)))
    descriptor.FontFile2 = pdf.make_indirect(Stream(pdf, b""))
    simple = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.TrueType, BaseFont=base, FirstChar=32,
        LastChar=255, Widths=Array(_winansi_widths(font.path)),
        Encoding=Name.WinAnsiEncoding, FontDescriptor=descriptor))
    cid = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=base,
        CIDSystemInfo=Dictionary(Registry=String("Adobe"), Ordering=String("Identity"),
                                 Supplement=0),
        FontDescriptor=descriptor, CIDToGIDMap=Name.Identity, DW=1000))
    type0 = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.Type0, BaseFont=base, Encoding=Name("/Identity-H"),
        DescendantFonts=Array([cid]), ToUnicode=pdf.make_indirect(Stream(pdf, b""))))
    zapf = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.ZapfDingbats))
    return Dictionary({"/" + DA_FONT: simple, "/" + AP_FONT: type0, "/ZaDb": zapf})


@lru_cache(maxsize=4)
def _winansi_widths(font_path: str) -> tuple:
    """Advances of the WinAnsi codes 32–255 (1/1000 em), for the simple field font."""
    font = FieldFont(font_path)
    widths = []
    for code in range(32, 256):
        try:
            char = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            char = " "
        widths.append(_real(font.char_width(char), 1))
    return tuple(widths)


#: Issue 11, point 3: characters a viewer draws with a fallback font when it draws an option
#: list with the /DA font itself (PDFium does so for WinAnsi codes 0x80-0x9F, e.g. the "–" in
#: "1 – tættest"), and the plain characters shown instead in the option labels.
_OPTION_PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
                               "\u201c": '"', "\u201d": '"', "\u2026": "...",
                               "\u2022": "*"})


def option_label(text: str) -> str:
    """A drop-down option's label as the viewer lists it: only characters every viewer
    draws with the form's font (the export value and skema's own appearance keep the
    title as written; a viewer that stores the label is read back through /Opt)."""
    return text.translate(_OPTION_PLAIN)


@lru_cache(maxsize=256)
def _options(options: tuple[tuple[str, str], ...]) -> str:
    """A drop-down's ``/Opt`` array (the same lists recur in every document)."""
    return "[" + " ".join(_option(v, option_label(d)) for v, d in options) + "]"


def _option(export: str, label: str) -> str:
    """One /Opt entry: ``[export label]``, or the one text when they are the same."""
    if export == label:
        return text_string(export)
    return f"[{text_string(export)} {text_string(label)}]"


def _name_parts(name: str) -> list[str]:
    """``aktiviteter.2.maal:a`` -> ``["aktiviteter", "2", "maal:a"]`` (PDF partial names)."""
    path, sep, option = name.partition(":")
    parts = path.split(".")
    if sep:
        parts[-1] = f"{parts[-1]}:{option}"
    return parts


def _pdf_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text) or "SkemaSans"
