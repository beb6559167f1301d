"""The field font's program as embedded in a PDF: a subset, made and compressed once.

A fillable PDF carries the glyphs its appearances draw *and* those a partner may type later
into a field (a viewer or pypdf/pdftk then regenerates the appearance with the embedded
font). So the subset always holds a fixed repertoire, :data:`TYPEABLE`: Basic Latin,
Latin-1 (æ, ø, å, é, ü …), Latin Extended-A (names such as Łukasz, Şahin, Čapek), the
Windows-1252 punctuation the field font's WinAnsi encoding reaches (– — “ ” ‘ ’ … € •) and
the marks the forms draw (✓ ☐ ☒, the replacement character). A document that draws a
character outside it gets a subset of the repertoire plus that character.

Glyph ids are kept (``retain_gids``): the appearance streams address glyphs by the full
font's ids (Identity-H, ``/CIDToGIDMap /Identity``), so one set of metrics serves every
subset. Subsets are cached per process, keyed by font file and extra characters; nothing
outside this module's cache changes.
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache

#: Characters every embedded field font can show (see the module docstring).
TYPEABLE: frozenset[int] = frozenset(
    set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    | {ord(bytes([b]).decode("cp1252")) for b in range(0x80, 0xA0)
       if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
    | {0x2713, 0x2610, 0x2612, 0x2022, 0x2026, 0x2013, 0x2014, 0x2212, 0xFFFD}
)

#: Tables a PDF viewer does not use for a CID/TrueType font program.
_DROP = ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "DSIG", "BASE", "JSTF", "MATH"]


@lru_cache(maxsize=16)
def font_program(path: str, extra: frozenset[int] = frozenset()) -> tuple[bytes, int]:
    """(zlib-compressed subset, its uncompressed length) of the font at ``path``.

    The subset covers :data:`TYPEABLE` and the code points in ``extra``; glyph ids are
    those of the full font.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.retain_gids = True
    options.notdef_outline = True
    options.hinting = False  # viewers (poppler, pdf.js, Acrobat) do not run TrueType hints
    options.layout_features = []
    options.drop_tables = list(options.drop_tables) + _DROP
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # copyright and names, not the licence text
    unicodes = sorted(TYPEABLE | extra)
    with open(path, "rb") as handle:
        raw = handle.read()
    # same bytes in every process, and as from the whole file (see _only_glyphs)
    font = TTFont(io.BytesIO(_only_glyphs(raw, unicodes)), lazy=False,
                  recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = buf.getvalue()
    return zlib.compress(data, 9), len(data)


def program_for(path: str, chars: set[int]) -> tuple[bytes, int]:
    """The cached subset for a document that draws the code points ``chars``."""
    return font_program(path, frozenset(chars - TYPEABLE))


def _only_glyphs(data: bytes, unicodes: list[int]) -> bytes:
    """A TrueType file whose glyphs are empty but for those of ``unicodes`` (through its
    cmap), ``.notdef`` and their components, without the tables the subset drops
    (:data:`_DROP`); every other byte as it was.

    fontTools' subsetter would empty the same glyphs, but only after reading all of them
    (most of a second for DejaVu Sans's 6,000): given this file it makes the same subset
    in a fraction of the time. Data this does not understand comes back unchanged."""
    from fontTools.ttLib import TTFont

    try:
        whole = TTFont(io.BytesIO(data), lazy=True)
        cmap = whole.getBestCmap() or {}
        names = whole.getGlyphOrder()
        tables = _tables(data)
        head, glyf, loca = tables[b"head"], tables[b"glyf"], tables[b"loca"]
    except Exception:  # noqa: BLE001 - not a font this understands: fontTools decides
        return data
    long_loca, offsets = _read_loca(head, loca)
    ids = {name: gid for gid, name in enumerate(names)}
    todo = [0] + [ids[cmap[u]] for u in unicodes if u in cmap and cmap[u] in ids]
    keep: set[int] = set()
    while todo:  # the glyphs and, for a composite, its components
        gid = todo.pop()
        if gid in keep or gid + 1 >= len(offsets):
            continue
        keep.add(gid)
        todo += _components(glyf[offsets[gid]:offsets[gid + 1]])
    out, new_offsets = [], [0]
    for gid, (start, end) in enumerate(zip(offsets, offsets[1:])):
        glyph = glyf[start:end] if gid in keep else b""
        out.append(glyph)
        new_offsets.append(new_offsets[-1] + len(glyph))
    if not long_loca and (new_offsets[-1] >= 0x20000 or any(o % 2 for o in new_offsets)):
        return data
    for name in _DROP:  # dropped by the subsetter too, after reading them
        tables.pop(name.encode("ascii").ljust(4), None)
    tables[b"glyf"] = b"".join(out)
    tables[b"loca"] = _write_loca(long_loca, new_offsets)
    return _assemble(data[:4], tables)


def _tables(data: bytes) -> dict[bytes, bytes]:
    """A TrueType file's tables by tag."""
    count = struct.unpack(">H", data[4:6])[0]
    tables: dict[bytes, bytes] = {}
    for i in range(count):
        tag, _sum, offset, length = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
        tables[tag] = data[offset:offset + length]
    return tables


def _read_loca(head: bytes, loca: bytes) -> tuple[bool, list[int]]:
    """Whether the glyph offsets are long (32-bit), and the offsets in bytes."""
    if struct.unpack(">h", head[50:52])[0] == 1:
        return True, list(struct.unpack(f">{len(loca) // 4}I", loca))
    return False, [o * 2 for o in struct.unpack(f">{len(loca) // 2}H", loca)]


def _write_loca(long_loca: bool, offsets: list[int]) -> bytes:
    """The ``loca`` table of glyph offsets in bytes (short: halved)."""
    if long_loca:
        return struct.pack(f">{len(offsets)}I", *offsets)
    return struct.pack(f">{len(offsets)}H", *(o // 2 for o in offsets))


def _components(glyph: bytes) -> list[int]:
    """The glyph ids a composite glyph is made of (none for a simple or empty glyph)."""
    if len(glyph) < 10 or struct.unpack(">h", glyph[:2])[0] >= 0:
        return []
    found, pos = [], 10
    while True:
        flags, index = struct.unpack(">HH", glyph[pos:pos + 4])
        found.append(index)
        pos += 4 + (4 if flags & 0x0001 else 2)
        pos += 2 if flags & 0x0008 else 4 if flags & 0x0040 else 8 if flags & 0x0080 else 0
        if not flags & 0x0020:
            return found


#: Name records a PDF-embedded font keeps: copyright, family, style, id, full name,
#: version, PostScript name (the licence text and the rest are not needed to show it).
_KEEP_NAMES = range(0, 7)


#: Hinting tables: viewers (poppler, MuPDF, pdf.js, Acrobat) do not run TrueType hints.
_HINT_TABLES = (b"fpgm", b"prep", b"cvt ", b"hdmx", b"LTSH", b"VDMX")


@lru_cache(maxsize=64)
def slim_names(data: bytes) -> bytes:
    """A TrueType program for a PDF: only the name records 0–6 (reportlab keeps all of
    them) and no hinting (tables and glyph instructions), as in the field font subset.

    The outlines, metrics and cmap are copied byte for byte; checksums and
    ``checkSumAdjustment`` are recomputed. Data that is not a plain TrueType file, or
    whose glyphs cannot be read, comes back unchanged. Kept per process for the last
    programs seen (documents with the same characters have the same page fonts).
    """
    if len(data) < 12 or data[:4] not in (b"\x00\x01\x00\x00", b"true"):
        return data
    tables = _tables(data)
    name = tables.get(b"name")
    if name is None or len(name) < 6 or struct.unpack(">H", name[:2])[0] != 0:
        return data
    n, storage = struct.unpack(">HH", name[2:6])
    kept, strings = [], b""
    for i in range(n):
        rec = struct.unpack(">6H", name[6 + 12 * i:18 + 12 * i])
        if rec[3] in _KEEP_NAMES:
            text = name[storage + rec[5]:storage + rec[5] + rec[4]]
            kept.append(rec[:4] + (len(text), len(strings)))
            strings += text
    head = struct.pack(">HHH", 0, len(kept), 6 + 12 * len(kept))
    tables[b"name"] = head + b"".join(struct.pack(">6H", *r) for r in kept) + strings
    try:
        _drop_hints(tables)
    except (struct.error, KeyError, ValueError):
        return data
    return _assemble(data[:4], tables)


def _drop_hints(tables: dict[bytes, bytes]) -> None:
    """Remove the hinting tables and every glyph's instructions (glyf and loca rebuilt)."""
    head, glyf, loca = tables[b"head"], tables[b"glyf"], tables[b"loca"]
    long_loca, offsets = _read_loca(head, loca)
    out, new_offsets = [], [0]
    size = 0
    for start, end in zip(offsets, offsets[1:]):
        glyph = _glyph_without_instructions(glyf[start:end])
        glyph += b"\0" * (-len(glyph) % 4)
        out.append(glyph)
        size += len(glyph)
        new_offsets.append(size)
    if not long_loca and size >= 0x20000:
        raise ValueError("short loca overflow")
    tables[b"glyf"] = b"".join(out)
    tables[b"loca"] = _write_loca(long_loca, new_offsets)
    for tag in _HINT_TABLES:
        tables.pop(tag, None)


def _glyph_without_instructions(glyph: bytes) -> bytes:
    if not glyph:
        return glyph
    contours = struct.unpack(">h", glyph[:2])[0]
    if contours >= 0:  # simple: header, end points, instructions, flags and coordinates
        at = 10 + 2 * contours
        length = struct.unpack(">H", glyph[at:at + 2])[0]
        return glyph[:at] + b"\0\0" + glyph[at + 2 + length:]
    pos, parts = 10, [glyph[:10]]  # composite: components, then optional instructions
    while True:
        flags, index = struct.unpack(">HH", glyph[pos:pos + 4])
        size = 4 + (4 if flags & 0x0001 else 2)
        size += 2 if flags & 0x0008 else 4 if flags & 0x0040 else 8 if flags & 0x0080 else 0
        parts.append(struct.pack(">HH", flags & ~0x0100, index) + glyph[pos + 4:pos + size])
        pos += size
        if not flags & 0x0020:
            return b"".join(parts)


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def _assemble(version: bytes, tables: dict[bytes, bytes]) -> bytes:
    """A TrueType file of these tables (directory sorted by tag, 4-byte aligned)."""
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = version + struct.pack(">HHHH", count, power * 16, power.bit_length() - 1,
                                   count * 16 - power * 16)
    if b"head" in tables:  # checkSumAdjustment is computed with itself at zero
        head = tables[b"head"]
        tables[b"head"] = head[:8] + b"\0\0\0\0" + head[12:]
    offset = 12 + 16 * count
    directory, body, head_at = b"", b"", -1
    for tag in tags:
        table = tables[tag]
        if tag == b"head":
            head_at = offset
        directory += struct.pack(">4sIII", tag, _checksum(table), offset, len(table))
        padded = table + b"\0" * (-len(table) % 4)
        body += padded
        offset += len(padded)
    out = header + directory + body
    if head_at >= 0:
        adjust = (0xB1B0AFBA - _checksum(out)) & 0xFFFFFFFF
        out = out[:head_at + 8] + struct.pack(">I", adjust) + out[head_at + 12:]
    return out
