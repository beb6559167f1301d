"""Where every glyph of a PDF page stands, and which character it is.

A small interpreter of page content streams (and the form XObjects they draw, which is
how pdftk and others flatten widgets) that gives each shown glyph its character and its
box on the page, plus the boxes of painted paths. It decodes text the way poppler and
MuPDF do: the font's ToUnicode map, else its encoding and glyph names, else the cmap and
glyph names of the embedded TrueType font (Ghostscript writes fonts that way, where a
reader that guesses a standard encoding gets ``ł`` for ``ø``). A code that none of these
explains becomes U+FFFD, so that the caller reports it instead of reading a wrong letter.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Glyph", "Paint", "TooComplex", "UNKNOWN", "page_marks"]

#: The character of a glyph whose code cannot be mapped to Unicode.
UNKNOWN = "\ufffd"
MAX_OPERATIONS = 200_000
MAX_CODES = 70_000  # codes one font may map or give widths to (a hostile CMap is cut off)
MAX_DEPTH = 8

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

#: ZapfDingbats codes of the tick and cross glyphs form programs draw in a box.
_DINGBATS = {0x33: "✓", 0x34: "✔", 0x35: "✗", 0x36: "✗", 0x37: "✗", 0x38: "✘",
             0x6C: "●", 0x6E: "■", 0x75: "◆", 0x48: "★"}


#: The standard fonts a PDF may use without embedding, under their common names.
_STANDARD = {
    "Helvetica": "Helvetica", "Helv": "Helvetica", "Arial": "Helvetica",
    "ArialMT": "Helvetica", "Helvetica-Bold": "Helvetica-Bold", "HeBo": "Helvetica-Bold",
    "Arial,Bold": "Helvetica-Bold", "Arial-BoldMT": "Helvetica-Bold",
    "Helvetica-Oblique": "Helvetica-Oblique", "Helvetica-BoldOblique":
    "Helvetica-BoldOblique", "Times-Roman": "Times-Roman", "TiRo": "Times-Roman",
    "Times-Bold": "Times-Bold", "Times-Italic": "Times-Italic", "Times-BoldItalic":
    "Times-BoldItalic", "Courier": "Courier", "Cour": "Courier", "Courier-Bold":
    "Courier-Bold", "Courier-Oblique": "Courier-Oblique", "Courier-BoldOblique":
    "Courier-BoldOblique", "Symbol": "Symbol", "ZapfDingbats": "ZapfDingbats",
    "ZaDb": "ZapfDingbats",
}


#: ZapfDingbats under its names in PDF widgets and its URW clone (poppler, Ghostscript).
_DINGBAT_FONTS = frozenset({"ZapfDingbats", "ZaDb", "D050000L", "Dingbats",
                            "ZapfDingbatsITC"})


class TooComplex(Exception):
    """A page with more drawing operations than a form page has (MAX_OPERATIONS)."""


@dataclass(frozen=True)
class Glyph:
    """One shown glyph: its character, font size and box (x0, y0, x1, y1) on the page;
    ``y`` is the baseline; ``visible`` is False for text drawn in an invisible render
    mode (as under a scan's OCR layer)."""

    char: str
    size: float
    x0: float
    y0: float
    x1: float
    y1: float
    y: float
    visible: bool = True


@dataclass(frozen=True)
class Paint:
    """The box of one painted (filled or stroked) path."""

    x0: float
    y0: float
    x1: float
    y1: float


def _mul(m: Matrix, n: Matrix) -> Matrix:
    return (m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5])


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------------------
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_RANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])")


def _hex(token: bytes) -> bytes:
    return bytes.fromhex(re.sub(rb"\s", b"", token).decode())


def _utf16(raw: bytes) -> str:
    try:
        return raw.decode("utf-16-be")
    except UnicodeDecodeError:
        return UNKNOWN


def parse_tounicode(data: bytes) -> dict[bytes, str]:
    """The code -> text map of a ToUnicode CMap (bfchar and bfrange sections)."""
    out: dict[bytes, str] = {}
    for section in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        pairs = _HEX.findall(section)
        for src, dst in zip(pairs[::2], pairs[1::2], strict=False):
            out[_hex(src)] = _utf16(_hex(dst))
    for section in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for line in _RANGE.finditer(section):
            lo, hi = _hex(line.group(1)), _hex(line.group(2))
            start, end = int.from_bytes(lo, "big"), int.from_bytes(hi, "big")
            if end - start > 0xFFFF or end < start or len(out) > MAX_CODES:
                continue
            target = line.group(3)
            if target.startswith(b"["):
                dsts = [_hex(t) for t in _HEX.findall(target)]
                for k, dst in enumerate(dsts[:end - start + 1]):
                    out[(start + k).to_bytes(len(lo), "big")] = _utf16(dst)
                continue
            base = _hex(target[1:-1])
            if not base:
                continue
            head, last = base[:-2], int.from_bytes(base[-2:], "big")
            for k in range(end - start + 1):
                code = (start + k).to_bytes(len(lo), "big")
                out[code] = _utf16(head + ((last + k) & 0xFFFF).to_bytes(2, "big"))
    return out


def _glyph_char(name: str) -> str:
    from fontTools import agl

    text = agl.toUnicode(name) if name and name != ".notdef" else ""
    if not text or any("\ue000" <= ch <= "\uf8ff" for ch in text):
        return UNKNOWN  # no name, or a private-use code point: the letter is not known
    return text


def _base_table(name: str) -> list[str | None]:
    """Character of each code 0..255 in a named base encoding."""
    if name == "/StandardEncoding":
        from fontTools.encodings.StandardEncoding import StandardEncoding

        return [_glyph_char(n) if n != ".notdef" else None for n in StandardEncoding]
    codec = "mac_roman" if name == "/MacRomanEncoding" else "cp1252"
    out: list[str | None] = []
    for code in range(256):
        try:
            out.append(bytes([code]).decode(codec))
        except UnicodeDecodeError:
            out.append(None)
    return out


class Font:
    """Decodes shown strings of one font into (character, width in text space units)."""

    def __init__(self, font: Any) -> None:
        font = font.get_object() if hasattr(font, "get_object") else font
        self.subtype = str(font.get("/Subtype", ""))
        self.two_byte = self.subtype == "/Type0"
        self.map: dict[bytes, str] = {}
        self.widths: dict[int, float] = {}
        self.default_width = 500.0
        base = str(font.get("/BaseFont", ""))
        tounicode = font.get("/ToUnicode")
        if base.lstrip("/").split("+")[-1] in _DINGBAT_FONTS and not self.two_byte:
            # a dingbat font's code says which mark it is; a ToUnicode written by a
            # program that rewrote the font (pdftocairo) maps it to the code's letter
            self.map = {bytes([c]): ch for c, ch in _DINGBATS.items()}
            tounicode = None
        if tounicode is not None:
            self.map = parse_tounicode(tounicode.get_object().get_data())
        if self.two_byte:
            self._cid_widths(font)
        else:
            self._simple_widths(font)
            if not self.map:
                self.map = self._simple_map(font, base)
            if "/Widths" not in font:
                self._standard_widths(base)

    def _cid_widths(self, font: Any) -> None:
        kids = font.get("/DescendantFonts")
        kid = kids.get_object()[0].get_object() if kids is not None else {}
        self.default_width = _num(kid.get("/DW"), 1000.0)
        array = list(kid.get("/W") or [])
        i = 0
        while i + 1 < len(array):
            first = int(_num(array[i]))
            nxt = array[i + 1].get_object() if hasattr(array[i + 1], "get_object") else \
                array[i + 1]
            if isinstance(nxt, list):
                for k, w in enumerate(nxt):
                    self.widths[first + k] = _num(w)
                i += 2
            elif i + 2 < len(array):
                if len(self.widths) > MAX_CODES:
                    break
                for code in range(first, min(int(_num(nxt)), first + 0xFFFF) + 1):
                    self.widths[code] = _num(array[i + 2])
                i += 3
            else:
                break

    def _simple_widths(self, font: Any) -> None:
        first = int(_num(font.get("/FirstChar"), 0))
        for k, w in enumerate(font.get("/Widths") or []):
            self.widths[first + k] = _num(w)
        desc = font.get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else {}
        self.default_width = _num(desc.get("/MissingWidth"), 0.0) or 556.0

    def _standard_widths(self, base: str) -> None:
        """Widths of a standard font that the file does not embed (reportlab's metrics)."""
        from reportlab.pdfbase import pdfmetrics

        name = _STANDARD.get(base.lstrip("/").split("+")[-1])
        if name is None:
            self.default_width = 1000.0  # unknown: wide, so that a doubt shows as crossing
            return
        for code, char in ((c[0], ch) for c, ch in self.map.items()):
            if char != UNKNOWN:
                self.widths[code] = pdfmetrics.stringWidth(char, name, 1000)

    def _simple_map(self, font: Any, base: str) -> dict[bytes, str]:
        encoding = font.get("/Encoding")
        encoding = encoding.get_object() if encoding is not None else None
        table: list[str | None] | None = None
        differences: list[Any] = []
        if isinstance(encoding, str):
            table = _base_table(encoding)
        elif encoding is not None and hasattr(encoding, "get"):
            table = _base_table(str(encoding.get("/BaseEncoding", "/StandardEncoding")))
            differences = list(encoding.get("/Differences") or [])
        if table is None:
            table = self._embedded(font)
        if table is None:
            if base.lstrip("/").split("+")[-1].split(",")[0].split("-")[0] in (
                    "Helvetica", "Times", "Courier", "Arial", "TimesNewRoman"):
                table = _base_table("/StandardEncoding")
            else:
                return {}
        code = 0
        for item in differences:
            if isinstance(item, (int, float)) or str(item).lstrip("-").isdigit():
                code = int(item)
            else:
                if 0 <= code < 256:
                    table[code] = _glyph_char(str(item).lstrip("/"))
                code += 1
        return {bytes([c]): ch for c, ch in enumerate(table) if ch is not None}

    @staticmethod
    def _embedded(font: Any) -> list[str | None] | None:
        """Code -> character from an embedded TrueType font's cmap and glyph names."""
        desc = font.get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else None
        stream = desc.get("/FontFile2") if desc is not None else None
        if stream is None:
            return None
        try:
            from fontTools.ttLib import TTFont

            tt = TTFont(io.BytesIO(stream.get_object().get_data()), lazy=True)
            cmap = None
            for table in tt["cmap"].tables:
                if (table.platformID, table.platEncID) in ((3, 0), (1, 0)):
                    cmap = table.cmap
                    break
            if cmap is None:
                return None
            out: list[str | None] = [None] * 256
            for code, name in cmap.items():
                low = code & 0xFF if code >= 0xF000 else code
                if 0 <= low < 256:
                    out[low] = _glyph_char(name)
            return out
        except Exception:  # noqa: BLE001 - a font fontTools cannot read: nothing decoded
            return None

    def decode(self, raw: bytes) -> list[tuple[str, float, bool]]:
        """(character, width in 1/1000 em, is a single-byte space) of each code."""
        out = []
        step = 2 if self.two_byte else 1
        for i in range(0, len(raw) - step + 1, step):
            code = raw[i:i + step]
            number = int.from_bytes(code, "big")
            char = self.map.get(code, UNKNOWN)
            width = self.widths.get(number, self.default_width)
            out.append((char, width, step == 1 and number == 32))
        return out


# ---------------------------------------------------------------------------------------
# Content streams
# ---------------------------------------------------------------------------------------
class _State:
    def __init__(self, ctm: Matrix) -> None:
        self.ctm = ctm
        self.font: Font | None = None
        self.size = 0.0
        self.char_space = 0.0
        self.word_space = 0.0
        self.scale = 1.0
        self.leading = 0.0
        self.rise = 0.0
        self.mode = 0

    def copy(self) -> _State:
        other = _State(self.ctm)
        other.__dict__.update(self.__dict__)
        return other


class _Page:
    """Walks one page; collects glyphs and painted path boxes."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.glyphs: list[Glyph] = []
        self.paints: list[Paint] = []
        self.fonts: dict[int, Font] = {}
        self.operations = 0

    def font(self, resources: Any, name: Any) -> Font | None:
        fonts = resources.get("/Font") if hasattr(resources, "get") else None
        ref = fonts.get_object().get(name) if fonts is not None else None
        if ref is None:
            return None
        key = getattr(ref, "idnum", None) or id(ref.get_object())
        if key not in self.fonts:
            self.fonts[key] = Font(ref)
        return self.fonts[key]

    def run(self, stream: Any, resources: Any, ctm: Matrix, depth: int) -> None:
        from pypdf.generic import ContentStream

        resources = resources.get_object() if hasattr(resources, "get_object") else resources
        state = _State(ctm)
        stack: list[_State] = []
        tm: Matrix = IDENTITY
        tlm: Matrix = IDENTITY
        path: list[tuple[float, float]] = []
        for operands, op in ContentStream(stream, self.reader).operations:
            self.operations += 1
            if self.operations > MAX_OPERATIONS:
                raise TooComplex(self.operations)
            if op == b"q":
                stack.append(state.copy())
            elif op == b"Q":
                if stack:
                    state = stack.pop()
            elif op == b"cm" and len(operands) == 6:
                state.ctm = _mul(tuple(_num(v) for v in operands), state.ctm)  # type: ignore[arg-type]
            elif op == b"BT":
                tm = tlm = IDENTITY
            elif op == b"Tf" and len(operands) == 2:
                state.font = self.font(resources, operands[0])
                state.size = _num(operands[1])
            elif op == b"Tc" and operands:
                state.char_space = _num(operands[0])
            elif op == b"Tw" and operands:
                state.word_space = _num(operands[0])
            elif op == b"Tz" and operands:
                state.scale = _num(operands[0], 100.0) / 100.0
            elif op == b"TL" and operands:
                state.leading = _num(operands[0])
            elif op == b"Ts" and operands:
                state.rise = _num(operands[0])
            elif op == b"Tr" and operands:
                state.mode = int(_num(operands[0]))
            elif op == b"Tm" and len(operands) == 6:
                tm = tlm = tuple(_num(v) for v in operands)  # type: ignore[assignment]
            elif op in (b"Td", b"TD") and len(operands) == 2:
                if op == b"TD":
                    state.leading = -_num(operands[1])
                tm = tlm = _mul((1, 0, 0, 1, _num(operands[0]), _num(operands[1])), tlm)
            elif op == b"T*":
                tm = tlm = _mul((1, 0, 0, 1, 0, -state.leading), tlm)
            elif op in (b"Tj", b"'", b'"', b"TJ") and operands:
                if op == b"'":
                    tm = tlm = _mul((1, 0, 0, 1, 0, -state.leading), tlm)
                elif op == b'"' and len(operands) == 3:
                    state.word_space, state.char_space = _num(operands[0]), _num(operands[1])
                    tm = tlm = _mul((1, 0, 0, 1, 0, -state.leading), tlm)
                    operands = operands[2:]
                items = operands[0] if op == b"TJ" else [operands[0]]
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, (int, float)):
                        tm = _mul((1, 0, 0, 1, -float(item) / 1000 * state.size * state.scale,
                                   0), tm)
                    elif isinstance(item, (str, bytes)):
                        tm = self.show(state, tm, item)
            elif op in (b"m", b"l") and len(operands) == 2:
                path.append(_apply(state.ctm, _num(operands[0]), _num(operands[1])))
            elif op == b"c" and len(operands) == 6:
                for k in (0, 2, 4):
                    path.append(_apply(state.ctm, _num(operands[k]), _num(operands[k + 1])))
            elif op in (b"v", b"y") and len(operands) == 4:
                for k in (0, 2):
                    path.append(_apply(state.ctm, _num(operands[k]), _num(operands[k + 1])))
            elif op == b"re" and len(operands) == 4:
                x, y, w, h = (_num(v) for v in operands)
                for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
                    path.append(_apply(state.ctm, px, py))
            elif op in (b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"):
                if path:
                    xs, ys = [p[0] for p in path], [p[1] for p in path]
                    self.paints.append(Paint(min(xs), min(ys), max(xs), max(ys)))
                path = []
            elif op == b"n":
                path = []
            elif op == b"Do" and operands and depth < MAX_DEPTH:
                self.xobject(resources, operands[0], state.ctm, depth)

    def xobject(self, resources: Any, name: Any, ctm: Matrix, depth: int) -> None:
        xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
        ref = xobjects.get_object().get(name) if xobjects is not None else None
        xobj = ref.get_object() if ref is not None else None
        if xobj is None or xobj.get("/Subtype") != "/Form":
            return
        matrix = tuple(_num(v) for v in xobj.get("/Matrix", IDENTITY))
        inner = xobj.get("/Resources") or resources
        self.run(xobj, inner, _mul(matrix, ctm), depth + 1)  # type: ignore[arg-type]

    def show(self, state: _State, tm: Matrix, raw: Any) -> Matrix:
        if state.font is None:
            return tm
        data = getattr(raw, "original_bytes", None)
        if data is None:
            data = raw if isinstance(raw, bytes) else str(raw).encode("latin-1", "replace")
        size, scale = state.size, state.scale
        for char, width, space in state.font.decode(data):
            trm = _mul((size * scale, 0, 0, size, 0, state.rise), _mul(tm, state.ctm))
            w = width / 1000
            corners = [_apply(trm, x, y) for x, y in ((0, -0.15), (w, -0.15), (0, 0.7),
                                                      (w, 0.7))]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            origin = _apply(trm, 0, 0)
            height = abs(_apply(trm, 0, 1)[1] - origin[1])
            self.glyphs.append(Glyph(char, height, min(xs), min(ys), max(xs), max(ys),
                                     origin[1], state.mode not in (3, 7)))
            advance = (w * size + state.char_space + (state.word_space if space else 0)) \
                * scale
            tm = _mul((1, 0, 0, 1, advance, 0), tm)
        return tm


def page_marks(reader: Any, page: Any) -> tuple[list[Glyph], list[Paint]]:
    """Every glyph and painted path box of one page (pypdf page of reader)."""
    walker = _Page(reader)
    contents = page.get_contents()
    if contents is not None:
        walker.run(contents, page.get("/Resources") or {}, IDENTITY, 0)
    return walker.glyphs, walker.paints
