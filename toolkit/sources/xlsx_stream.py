"""Rows of an .xlsx sheet read as a stream: memory independent of the number of rows.

python-calamine loads a whole sheet into its own cells before the first row can be
read; a batch of 100,000 rows then holds every sheet at once. :class:`XlsxBook` reads a
sheet's XML from the zip 256 KB at a time and gives its rows one by one, with the
values calamine gives (numbers as float, dates as ``date``/``datetime``/``time`` after
the cell's number format, durations as ``timedelta``, ``""`` for empty cells, each row
padded to the sheet's width so far). Each iteration reads the sheet again from its
start, so only the row in hand is held.

What is held for the whole workbook: the shared strings (the distinct texts of the
workbook, packed into one UTF-8 buffer with an offset per string: memory proportional to
the distinct texts, capped by :data:`~toolkit.sources.excel.MAX_SHARED_STRINGS`), the
styles that are dates, and a sheet's merged ranges (read once per sheet that needs them).

A document type declaration (the way to entity tricks) makes a part unreadable, as it
does for calamine. The cells' extent is checked as the rows are read: a row or column
beyond the limits raises :class:`SheetTooLarge` with the extent of the whole sheet.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .workbook_cells import column_index

#: How much of a sheet's XML is read at a time: a batch holds a block per sheet (and the
#: zip's buffers), so this is most of what the reading holds (a megabyte cost the batch's
#: parent ~10 MB more than this, for no measurable CPU).
CHUNK = 1 << 18
#: The most bytes one row may take in the sheet's XML (a row is parsed whole).
MAX_ROW_BYTES = 64 << 20

_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_INLINE = re.compile(rb"<(?:\w+:)?is\b[^>]*>(.*?)</(?:\w+:)?is>", re.S)
_SI = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_SI_END = re.compile(rb"</(?:\w+:)?si>|<(?:\w+:)?si\b[^>]*/>")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*\"([A-Za-z]+)([0-9]+)"
                    rb"(?::([A-Za-z]+)([0-9]+))?\"")
_REF = re.compile(r"\$?([A-Za-z]*)\$?([0-9]*)")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DOCTYPE = b"<!DOCTYPE"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class BrokenPart(Exception):
    """A part of the workbook is not XML skema reads (a DTD, a row without end)."""


@dataclass
class SheetTooLarge(Exception):
    """A sheet's cells reach beyond the limits: its whole extent (1-based)."""

    rows: int
    columns: int


_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
_ENTITIES: dict[str, str] = {}


def _entity(found: re.Match[str]) -> str:
    """One entity or character reference resolved (cached)."""
    name = found.group(1)
    text = _ENTITIES.get(name)
    if text is None:
        text = html.unescape(found.group(0))
        if len(_ENTITIES) < 10_000:
            _ENTITIES[name] = text
    return text


def _text(raw: bytes) -> str:
    """XML character data as text: entities resolved, ``_xHHHH_`` escapes decoded."""
    text = raw.decode("utf-8")
    if "&" not in text and "_x" not in text:
        return text
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


_PLAIN = re.compile(rb"<t>([^<]*)</t>|<t xml:space=\"preserve\">([^<]*)</t>")


def _rich_text(body: bytes) -> str:
    """The text of an ``<si>`` or ``<is>``: its ``<t>`` runs, without phonetic runs."""
    plain = _PLAIN.fullmatch(body)
    if plain is not None:
        return _text(plain.group(1) if plain.group(1) is not None else plain.group(2))
    if b"<rPh" in body or b":rPh" in body:
        body = _PHONETIC.sub(b"", body)
    return "".join(_text(t) for t in _TEXT.findall(body))


class SharedStrings:
    """The workbook's shared strings, packed: one UTF-8 buffer and an offset each."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.offsets = array("Q", [0])

    def add(self, text: str) -> None:
        """Append one string."""
        self.data += text.encode("utf-8")
        self.offsets.append(len(self.data))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        return self.data[self.offsets[index]:self.offsets[index + 1]].decode("utf-8")


# -- number formats (as calamine tells dates from numbers) --------------------------------
_DATE_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47}
_DURATION_IDS = {46}
DATE, DURATION = 1, 2


def format_kind(code: str) -> int:
    """DATE, DURATION or 0 for a custom number format code (calamine's reading)."""
    escaped = quoted = False
    brackets = 0
    prev = " "
    hms = ap = False
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\":
            escaped = True
        elif quoted:
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return 0
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return DURATION
        elif ch == "]":
            brackets = max(0, brackets - 1)
        elif ch in "aA" and not ap and brackets == 0:
            ap = True
        elif ap and brackets == 0 and ch in "pm/PM":
            return DATE
        elif not ap and brackets == 0 and ch in "dmhysDMHYS":
            return DATE
        else:
            if not (hms and ch.lower() == prev.lower()):
                hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return 0


_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def excel_datetime(value: float, kind: int, date1904: bool) -> Any:
    """A serial number as calamine gives it: timedelta, time, date or datetime."""
    if kind == DURATION:
        return dt.timedelta(milliseconds=round(value * 86_400_000))
    if value < 1 and not date1904:
        return (dt.datetime(2000, 1, 1) + dt.timedelta(
            milliseconds=round(value * 86_400_000))).time()
    if not date1904 and value < 60:  # Excel's 1900 leap-year bug: days before March
        value += 1
    stamp = (_EPOCH_1904 if date1904 else _EPOCH) + dt.timedelta(
        milliseconds=round(value * 86_400_000))
    if stamp.time() == dt.time(0):
        return stamp.date()
    return stamp


# -- the workbook -------------------------------------------------------------------------
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")
_REL_TAG = re.compile(r"<(?:\w+:)?Relationship\b[^>]*>")
_STR_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')
_NUMFMT = re.compile(r"<(?:\w+:)?numFmt\b[^>]*>")
_CELLXFS = re.compile(r"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(r"<(?:\w+:)?xf\b[^>]*>")


def _part(archive: zipfile.ZipFile, name: str) -> str:
    data = archive.read(name)
    if _DOCTYPE in data[:4096].upper():
        raise BrokenPart(name)
    return data.decode("utf-8", "replace")


@dataclass(frozen=True)
class SheetInfo:
    """A sheet of the workbook: its name, its part in the zip and whether it is hidden."""

    name: str
    member: str
    hidden: bool


class XlsxBook:
    """An .xlsx workbook opened for streaming its sheets (see the module's text).

    Raises BrokenPart when the workbook's own parts cannot be read.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with zipfile.ZipFile(self.path) as archive:
            members = set(archive.namelist())
            book = _part(archive, "xl/workbook.xml")
            rels = _part(archive, "xl/_rels/workbook.xml.rels") \
                if "xl/_rels/workbook.xml.rels" in members else ""
            targets: dict[str, tuple[str, str]] = {}
            for tag in _REL_TAG.findall(rels):
                attrs = dict(_STR_ATTR.findall(tag))
                target = attrs.get("Target", "")
                member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[attrs.get("Id", "")] = (attrs.get("Type", ""), member)
            self.sheets: list[SheetInfo] = []
            for tag in _SHEET_TAG.findall(book):
                attrs = dict(_STR_ATTR.findall(tag))
                rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
                member = targets.get(rid, ("", ""))[1]
                if member in members:
                    self.sheets.append(SheetInfo(html.unescape(attrs.get("name", "")),
                                                 member,
                                                 attrs.get("state", "visible") != "visible"))
            pr = re.search(r"<(?:\w+:)?workbookPr\b[^>]*>", book)
            self.date1904 = bool(pr and re.search(r'date1904\s*=\s*"(1|true)"', pr.group(0)))
            self.strings = SharedStrings()
            self.styles: dict[int, int] = {}
            self.style_kinds: dict[bytes, int] = {}
            for kind, member in targets.values():
                if member not in members:
                    continue
                if kind.endswith("/sharedStrings"):
                    self._read_strings(archive, member)
                elif kind.endswith("/styles"):
                    self._read_styles(_part(archive, member))

    @property
    def sheet_names(self) -> list[str]:
        """The sheets' names in workbook order."""
        return [s.name for s in self.sheets]

    def sheet(self, name: str) -> SheetInfo:
        """The sheet called ``name`` (KeyError when there is none)."""
        for info in self.sheets:
            if info.name == name:
                return info
        raise KeyError(name)

    def _read_strings(self, archive: zipfile.ZipFile, member: str) -> None:
        for body in _elements(archive, member, _SI, _SI_END):
            self.strings.add(_rich_text(body or b""))

    def _read_styles(self, text: str) -> None:
        formats: dict[int, int] = {}
        for tag in _NUMFMT.findall(text):
            attrs = dict(_STR_ATTR.findall(tag))
            try:
                formats[int(attrs.get("numFmtId", ""))] = format_kind(
                    html.unescape(attrs.get("formatCode", "")))
            except ValueError:
                continue
        xfs = _CELLXFS.search(text)
        for i, tag in enumerate(_XF.findall(xfs.group(1)) if xfs else ()):
            attrs = dict(_STR_ATTR.findall(tag))
            try:
                fid = int(attrs.get("numFmtId", "0"))
            except ValueError:
                continue
            kind = formats[fid] if fid in formats else (
                DATE if fid in _DATE_IDS else DURATION if fid in _DURATION_IDS else 0)
            if kind:
                self.styles[i] = kind
            self.style_kinds[str(i).encode()] = kind

    def merged_ranges(self, name: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """The sheet's merged ranges as calamine gives them: ((row, col), (row, col)),
        zero-based."""
        out = []
        member = self.sheet(name).member
        with zipfile.ZipFile(self.path) as archive, archive.open(member) as handle:
            tail = b""
            while chunk := handle.read(CHUNK):
                text = tail + chunk
                cut = text.rfind(b"<")
                if cut < 0 or len(text) - cut > 1 << 16:
                    cut = len(text)
                for c0, r0, c1, r1 in _MERGE.findall(text, 0, cut):
                    first = (int(r0) - 1, column_index(c0.decode()))
                    last = (int(r1) - 1, column_index(c1.decode())) if c1 else first
                    out.append((first, last))
                tail = text[cut:]
        return out

    def _fast_row(self, body: bytes, row_ref: bytes, width: int, max_columns: int
                  ) -> list[Any] | None:
        """The values of a row whose cells are all written as Excel and openpyxl write
        plain cells (reference with this row's number, style, type, a value or one inline
        text run), with one regular expression over the row; None for any other row (the
        general reading takes it)."""
        values: list[Any] = [""] * width
        try:
            for col, style, kind, raw, inline in _plain_cells(body, row_ref, max_columns):
                value = self._fast_value(style, kind, raw, inline)
                if value is _SLOW:
                    return None
                if col >= len(values):
                    values.extend([""] * (col + 1 - len(values)))
                values[col] = value
        except _NotPlain:
            return None
        return values

    def rows(self, name: str, max_rows: int, max_columns: int
             ) -> Iterator[tuple[int, list[Any]]]:
        """The sheet's rows that hold cells: (zero-based row, values from column A).

        Raises SheetTooLarge (after scanning the rest of the sheet for its extent) when a
        cell lies beyond ``max_rows`` or ``max_columns``; BrokenPart for XML it cannot
        read.
        """
        def fast(body: bytes, row_ref: bytes, width: int) -> list[Any] | None:
            return self._fast_row(body, row_ref, width, max_columns)

        yield from self._walk(name, max_rows, max_columns, fast)

    def keyed(self, name: str, key_col: int, value_cols: list[int], watched: Callable[[int], bool],
              max_rows: int, max_columns: int
              ) -> Iterator[tuple[int, Any, bool, list[int], bool]]:
        """(zero-based row, key cell, whether a cell of ``value_cols`` is not blank, the
        ``watched`` columns that are not blank, whether the row is plain: read again by
        :meth:`row_values`) for each row with cells: the first pass over a list sheet,
        which decodes only the key cell, the value cells up to the first one that is not
        blank and watched cells with a value. Raises as :meth:`rows`."""
        wanted = frozenset(value_cols)

        def fast(body: bytes, row_ref: bytes, _width: int) -> tuple[Any, bool, list[int]] | None:
            return self._fast_keyed(body, row_ref, key_col, wanted, watched, max_columns)

        for row_no, got in self._walk(name, max_rows, max_columns, fast):
            if isinstance(got, tuple):
                yield row_no, got[0], got[1], got[2], True
                continue
            width = len(got)
            yield row_no, got[key_col] if key_col < width else "", any(
                c < width and not _blank(got[c]) for c in value_cols), [
                c for c in range(width) if watched(c) and not _blank(got[c])], False

    def bodies(self, name: str, max_rows: int) -> Iterator[tuple[int, bytes]]:
        """(zero-based row, the row element's XML between its tags) of each row with
        cells, nothing decoded: the rows the worker processes of a batch read with
        :meth:`row_values`. The row is the one its ``r`` attribute gives (the row before's
        plus one without it). Raises as :meth:`rows`."""
        for row_no, _ref, body in _Bodies(self.path, self.sheet(name).member, max_rows):
            yield row_no, body

    def row_values(self, body: bytes, row_no: int, max_columns: int) -> list[Any] | None:
        """The values of a row of :meth:`bodies` (zero-based ``row_no``) as :meth:`rows`
        gives them; None when a cell is not on that row or past ``max_columns`` (a row
        :meth:`keyed` found plain has none). A plain row's cells may still need the
        general reading (a boolean, an error value), which is used then."""
        values = self._fast_row(body, str(row_no + 1).encode(), 0, max_columns)
        if values is not None:
            return values
        try:
            cells_row, values = self._general_row(body, row_no, 0, row_no + 1, max_columns)
        except _Beyond:
            return None
        return values if cells_row == row_no else None

    def _fast_keyed(self, body: bytes, row_ref: bytes, key_col: int,
                    wanted: frozenset[int], watched: Callable[[int], bool], max_columns: int
                    ) -> tuple[Any, bool, list[int]] | None:
        """As :meth:`_fast_row`, but only the key cell and whether a wanted cell is not
        blank (cells decoded only until one is found): most of a batch's first pass."""
        key: Any = ""
        found = False
        seen: list[int] = []
        try:
            for col, style, kind, raw, inline in _plain_cells(body, row_ref, max_columns):
                if col == key_col or (not found and col in wanted) or watched(col):
                    value = self._fast_value(style, kind, raw, inline)
                    if value is _SLOW:
                        return None
                    if col == key_col:
                        key = value
                    elif col in wanted:
                        found = not _blank(value)
                    elif not _blank(value):
                        seen.append(col)
        except _NotPlain:
            return None
        return key, found, seen

    def _fast_value(self, style: bytes, kind: bytes, raw: bytes, inline: bytes) -> Any:
        """A plain cell's value (see :meth:`_fast_row`); _SLOW when it is not plain."""
        if inline:
            return _text(inline) if kind == b"inlineStr" else _SLOW
        if kind == b"s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                return _SLOW
        if kind in (b"", b"n"):
            try:
                value: Any = float(raw)
            except ValueError:
                return _SLOW
            if style:
                fmt = self.style_kinds.get(style)
                if fmt is None:
                    return _SLOW
                if fmt and value >= 0:
                    try:
                        value = excel_datetime(value, fmt, self.date1904)
                    except (OverflowError, ValueError):
                        pass
            return value
        return _SLOW

    def _general_row(self, body: bytes, row_no: int, width: int, max_rows: int,
                     max_columns: int) -> tuple[int, list[Any]]:
        """(the row its cells say, values) of any row element's XML, every cell read by
        the general reading; _Beyond for a cell past the limits."""
        strings, styles, date1904 = self.strings, self.styles, self.date1904
        values: list[Any] = [""] * width
        col = -1
        cells_row = row_no
        for cattrs, cbody in _CELL.findall(body):
            common = _COMMON.fullmatch(cattrs)
            if common is not None:
                letters_b, digits_b, style, kind = common.groups()
                col = _column(letters_b)
                cells_row = int(digits_b) - 1
            else:
                kind = style = None
                ref_text = b""
                for key, value in _ATTR.findall(cattrs):
                    if key == b"r":
                        ref_text = value
                    elif key == b"t":
                        kind = value
                    elif key == b"s":
                        style = value
                if ref_text:
                    m = _REF.fullmatch(ref_text.decode("ascii", "replace"))
                    letters, digits = m.groups() if m else ("", "")
                    col = column_index(letters) if letters else col + 1
                    if digits:
                        cells_row = int(digits) - 1
                else:
                    col += 1
            if cells_row + 1 > max_rows or col + 1 > max_columns:
                raise _Beyond
            value = _cell_value(kind, style, cbody, strings, styles, date1904)
            if value is None:
                continue
            if col >= len(values):
                values.extend([""] * (col + 1 - len(values)))
            values[col] = value
        return cells_row, values

    def _walk(self, name: str, max_rows: int, max_columns: int,
              fast: Callable[[bytes, bytes, int], Any]) -> Iterator[tuple[int, Any]]:
        """(row, what ``fast`` gives for its body), or the row's values where ``fast``
        gives None."""
        width = 0
        elements = _Bodies(self.path, self.sheet(name).member, max_rows)
        for row_no, ref, body in elements:
            got = fast(body, ref, width)
            if got is not None:
                if isinstance(got, list):
                    width = max(width, len(got))
                yield row_no, got
                continue
            try:
                cells_row, values = self._general_row(body, row_no, width, max_rows,
                                                      max_columns)
            except _Beyond:
                raise elements.too_large() from None
            if cells_row != row_no:  # a row without "r" follows its cells' row
                row_no = elements.row_no = cells_row
            width = max(width, len(values))
            yield row_no, values


_ATTR_R = re.compile(rb'\br\s*=\s*"([0-9]+)"')


class _Bodies:
    """The row elements of a sheet part that hold cells, one at a time: (zero-based
    row, the row's ``r`` attribute or ``b""``, its XML between the tags). The row is
    the one its ``r`` gives, else the row before's plus one (a reader that finds the
    row elsewhere sets :attr:`row_no`). Raises SheetTooLarge past ``max_rows``."""

    def __init__(self, path: Path, member: str, max_rows: int) -> None:
        self.path, self.member, self.max_rows = path, member, max_rows
        self.row_no = -1
        self.archive: zipfile.ZipFile | None = None

    def __iter__(self) -> Iterator[tuple[int, bytes, bytes]]:
        member = self.member
        with zipfile.ZipFile(self.path) as archive, archive.open(member) as handle:
            self.archive = archive
            for text in _blocks(handle, member, _ROW_END):
                if b"<!--" in text or b"<![CDATA[" in text:
                    # Excel never writes them in a sheet, and the rows and cells are
                    # found by pattern: a cell inside a comment would be read
                    raise BrokenPart(member)
                for attrs, body in _row_elements(text):
                    ref = _ATTR_R.search(attrs)
                    self.row_no = int(ref.group(1)) - 1 if ref else self.row_no + 1
                    if not body:
                        continue
                    if self.row_no + 1 > self.max_rows:
                        raise self.too_large()
                    yield self.row_no, ref.group(1) if ref else b"", body

    def too_large(self) -> SheetTooLarge:
        """The error for a cell past the limits, with the whole sheet's extent."""
        assert self.archive is not None
        return SheetTooLarge(*scan_extent(self.archive, self.member))
_SLOW = object()  # a cell the fast reading leaves to the general one


class _Beyond(Exception):
    """A cell past the limits of rows or columns (the caller reports the sheet's extent)."""


class _NotPlain(Exception):
    """A row with a cell the plain reading does not take (the general reading takes it)."""


def _plain_cells(body: bytes, row_ref: bytes, max_columns: int
                 ) -> Iterator[tuple[int, bytes, bytes, bytes, bytes]]:
    """(column, style, type, value, inline text) of each cell with a value of a row whose
    cells are all plain (see :meth:`XlsxBook._fast_row`) and on this row, one at a time;
    raises _NotPlain, as they are read, for any other row."""
    cells = _FAST_CELL.findall(body)
    if not cells or len(cells) != body.count(b"<c") or b":c" in body:
        raise _NotPlain  # (a cell with a prefix, <x:c, is the general reading's)
    columns = _COLUMNS
    for letters, digits, style, kind, raw, inline in cells:
        if digits != row_ref:
            raise _NotPlain
        col = columns.get(letters)
        if col is None:
            col = _column(letters)
        if col >= max_columns:
            raise _NotPlain  # (the general reading reports the extent)
        if inline or raw:
            yield col, style, kind, raw, inline
#: The attributes of a cell as Excel and openpyxl write them: r, then s and t if any.
_COMMON = re.compile(rb' r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]+)")?(?: t="(\w+)")?')
_COLUMNS: dict[bytes, int] = {}
_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]+)")?(?: t="(\w+)")?'
                        rb'(?:/>|>(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>'
                        rb'([^<]*)</t></is>)?</c>)')


def _column(letters: bytes) -> int:
    """The zero-based column of a reference's letters (cached)."""
    col = _COLUMNS.get(letters)
    if col is None:
        col = _COLUMNS[letters] = column_index(letters.decode("ascii"))
    return col


def _cell_value(kind: bytes | None, style: bytes | None, body: bytes | None,
                strings: SharedStrings, styles: dict[int, int], date1904: bool) -> Any:
    """One cell's value as calamine gives it; None for a cell without a value."""
    if not body:
        return None
    if kind == b"inlineStr":
        inline = _INLINE.search(body)
        return _rich_text(inline.group(1)) if inline else None
    found = _VALUE.search(body)
    raw = found.group(1) if found else None
    if raw is None:
        return None
    if kind == b"s":
        try:
            return strings[int(raw)]
        except (ValueError, IndexError):
            return None
    if kind in (b"str", b"e"):
        return _text(raw)
    if kind == b"b":
        return raw.strip() in (b"1", b"true")
    if kind == b"d":
        text = _text(raw).strip()
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    try:
        number = float(raw)
    except ValueError:
        return _text(raw)
    if style:
        try:
            fmt = styles.get(int(style), 0)
        except ValueError:
            fmt = 0
        if fmt and number >= 0:
            try:
                return excel_datetime(number, fmt, date1904)
            except (OverflowError, ValueError):
                return number
    return number


_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_REF_ATTR = re.compile(rb'\br\s*=\s*"\$?([A-Za-z]*)\$?([0-9]*)"')


def scan_extent(archive: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """The last row and column (1-based) that hold a cell, as a reader places them: by a
    cell's ``r`` reference, and where a row or cell has none (allowed, and used to slip
    past a scan of references) by counting on from the one before. Scanned in chunks:
    nothing is built per cell."""
    rows = cols = 0
    row = col = 0
    tail = b""
    with archive.open(member) as handle:
        while chunk := handle.read(CHUNK):
            text = tail + chunk
            cut = text.rfind(b"<")
            if cut < 0 or len(text) - cut > 1 << 16:  # no tag left open across chunks
                cut = len(text)
            for name, attrs in _ROW_OR_CELL.findall(text, 0, cut):
                ref = _REF_ATTR.search(attrs)
                letters, digits = ref.groups() if ref else (b"", b"")
                if name == b"row":
                    row = int(digits) if digits else row + 1
                    col = 0
                    continue
                col = column_index(letters.decode()) + 1 if letters else col + 1
                rows = max(rows, int(digits) if digits else row)
                cols = max(cols, col)
            tail = text[cut:]
    return rows, cols


def _blocks(handle: Any, member: str, end: re.Pattern[bytes]) -> Iterator[bytes]:
    """The part's text 256 KB at a time (:data:`CHUNK`), each block cut after the last
    ``end`` in it (so no element is split between blocks); BrokenPart for a DTD, or an element
    longer than :data:`MAX_ROW_BYTES`."""
    tail = b""
    first = True
    while True:
        chunk = handle.read(CHUNK)
        text = tail + chunk
        if first:
            first = False
            if _DOCTYPE in text[:4096].upper():
                raise BrokenPart(member)
        if not chunk:
            if text:
                yield text
            return
        cut = _last_end(text, end, max(0, len(text) - CHUNK - 64))
        if cut < 0:
            if len(text) > MAX_ROW_BYTES:
                raise BrokenPart(member)
            tail = text
            continue
        yield text[:cut]
        tail = text[cut:]


_ROW_START = re.compile(rb"<row\b([^>]*?)(/?)>")


def _row_elements(text: bytes) -> Iterator[tuple[bytes, bytes | None]]:
    """(attributes, body or None) of each row element of a block, one at a time, as
    :data:`_ROW` finds them. Where no row tag has a namespace prefix (Excel, openpyxl and
    LibreOffice write none) a row's end is found by ``bytes.find``, five times faster than
    the regular expression's lazy scan of the body (the largest cost of the reading)."""
    if b":row" in text:
        for found in _ROW.finditer(text):
            yield found.group(1), found.group(2)
        return
    search, find = _ROW_START.search, text.find
    pos = 0
    while (start := search(text, pos)) is not None:
        pos = start.end()
        if start.group(2):
            yield start.group(1), None
            continue
        end = find(b"</row>", pos)
        if end < 0:  # not a row (the block ends after the last row end)
            pos = start.start() + 1
            continue
        yield start.group(1), text[pos:end]
        pos = end + 6


def _last_end(text: bytes, end: re.Pattern[bytes], start: int) -> int:
    """Where the last match of ``end`` in ``text`` (from ``start``) ends, -1 if none:
    looked for in the last 64 KB first (every element ends there but a long one)."""
    for since in (max(start, len(text) - (1 << 16)), start):
        cut = -1
        for found in end.finditer(text, since):
            cut = found.end()
        if cut >= 0 or since == start:
            return cut
    return -1  # (not reached)


def _elements(archive: zipfile.ZipFile, member: str, pattern: re.Pattern[bytes],
              end: re.Pattern[bytes]) -> Iterator[bytes]:
    """The bodies of a repeated element of a part, read 256 KB at a time."""
    with archive.open(member) as handle:
        for text in _blocks(handle, member, end):
            yield from pattern.findall(text)
