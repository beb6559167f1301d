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
    font = TTFont(path, lazy=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(TYPEABLE | extra))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = buf.getvalue()
    return zlib.compress(data, 9), len(data)


def program_for(path: str, chars: set[int]) -> tuple[bytes, int]:
    """The cached subset for a document that draws the code points ``chars``."""
    return font_program(path, frozenset(chars - TYPEABLE))
