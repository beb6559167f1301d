"""Excel input workbooks: the sheet layout of a form, and reading filled workbooks.

A form's input workbook has a main sheet (one row per filled form), one sheet per list
(``Indsatser``, ``Delmål`` …) whose first column refers to the main row's key, a
*Vejledning* sheet and a hidden *Lister* sheet with the drop-down values. Which column is
the key is decided in the schema: ``"x-key"`` names a field path (that field's column is
the key) or the title of a generated column (default ``Nr.``); ``"x-sheet"`` on the root
or on a list names its sheet.

:func:`read_workbook` turns a filled workbook into :class:`Record` objects (nested data in
the schema's shape, ISO dates) with every problem placed on its cell (``Indsatser!E14``);
:func:`stream_workbook` gives the same records one at a time as they are asked for (the
batch), with the workbook-level problems and the number of records known up front.
Cells are read with python-calamine: cached values of formulas, dates as dates, and about
ten times faster than openpyxl's read-only mode on a 10,000-row workbook.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import heapq
import itertools
import pickle
import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .. import danish
from ..catalogue import Field, Form
from ..errors import DataFileError
from ..paths import setdefault_value
from ..validation import Problem, Report
from ..values import Noted, Unreadable, as_text, converter, read_cpr
from .workbook_cells import (  # noqa: F401  (re-exported: where they were found)
    CellMap,
    column_index,
    column_letter,
    parse_place,
    place,
    quote_sheet,
)
from .workbook_layout import (  # noqa: F401
    DEFAULT_KEY,
    GUIDE_SHEET,
    LISTS_SHEET,
    BookLayout,
    Column,
    SheetDef,
    layout,
    normalize_header,
)
from .xlsx_stream import BrokenPart, SheetTooLarge, XlsxBook, scan_extent


@dataclass
class Record:
    """One main row of the workbook: its key, data in the schema's shape and its problems."""

    row: int
    key: str
    data: dict
    problems: list[Problem]
    notes: list[Problem] = field(default_factory=list)  # e.g. a restored CPR; not errors
    cells: CellMap | None = field(default=None, repr=False)
    read_problems: list[Problem] | None = field(default=None, repr=False)

    @property
    def valid(self) -> bool:
        """True when reading and validation found nothing wrong."""
        return not self.problems


@dataclass
class WorkbookData:
    """A read workbook: its records in sheet order and the workbook-level problems."""

    form: Form
    records: list[Record]
    problems: list[Problem]
    source: str = ""
    notices: list[Problem] = field(default_factory=list)  # about the workbook, not errors

    def notes(self) -> list[Problem]:
        """Things worth knowing that are not errors (a hidden sheet read, a restored CPR):
        the workbook's first, then per record in row order."""
        return list(self.notices) + [note for rec in self.records for note in rec.notes]

    def report(self) -> Report:
        """Every problem: workbook-level first, then per record in sheet/row order."""
        out = list(self.problems)
        for rec in self.records:
            out.extend(rec.problems)
        return Report(out)

    def record(self, row: int | None = None, key: str | None = None) -> Record | None:
        """The record of an Excel row number on the main sheet, or of a key."""
        for rec in self.records:
            if (row is not None and rec.row == row) or (key is not None and rec.key == key):
                return rec
        return None


# -- cell conversion ----------------------------------------------------------------------
# The reading of each kind of value is toolkit.values (shared with the Word and PDF
# readers); here only what a cell adds: its text, and the value shown in a message.

_as_text = as_text


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    text = _as_text(value).strip()
    text = danish.mask_cpr(text)
    return text if len(text) <= 40 else text[:37] + "…"


def _to_cpr(value: Any) -> str:
    """A key cell's CPR number as DDMMÅÅ-XXXX (as written when it cannot be read)."""
    try:
        cpr = read_cpr(value)
    except Unreadable:
        return _as_text(value).strip()
    return cpr.value if isinstance(cpr, Noted) else cpr


# -- reading ------------------------------------------------------------------------------

#: Refuse workbooks that unpack to more than this (zip bombs).
MAX_UNPACKED = 1_500_000_000
MAX_RATIO = 250


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        with path.open("rb") as handle:
            encrypted = handle.read(8) == _OLE_MAGIC  # an encrypted .xlsx is an OLE file
        if encrypted:
            raise DataFileError(f"{path}: projektmappen er beskyttet med en adgangskode og "
                                "kan ikke læses.",
                                hint="Fjern adgangskoden i Excel (Filer > Oplysninger > "
                                "Beskyt projektmappe) og gem den igen.") from None
        raise DataFileError(f"{path}: filen er ikke en Excel-projektmappe (.xlsx).",
                            hint="Gem filen i Excel som .xlsx og prøv igen.") from None
    total = sum(i.file_size for i in infos)
    for info in infos:
        if info.file_size > 20_000_000 and info.file_size > MAX_RATIO * max(
                info.compress_size, 1):
            total = MAX_UNPACKED + 1
    if total > MAX_UNPACKED:
        raise DataFileError(f"{path}: projektmappen pakker ud til en mistænkelig stor "
                            "mængde data og læses ikke.",
                            hint="Tjek filen; gem den igen i Excel, hvis den er ægte.")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and "content.xml" not in names:
        raise DataFileError(f"{path}: filen er ikke en Excel-projektmappe (.xlsx).",
                            hint="Gem filen i Excel som .xlsx og prøv igen.")


#: The most rows and columns skema reads on one sheet (README: "Grænser"): the main
#: sheet holds one form per row; a list sheet holds several rows per form, so it may
#: reach Excel's own last row (its rows are streamed, not held).
MAX_ROWS = 100_000
MAX_LIST_ROWS = 1_048_576
MAX_COLUMNS = 1_000
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")
_REL_TAG = re.compile(r"<(?:\w+:)?Relationship\b[^>]*>")
_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')


@dataclass(frozen=True)
class SheetExtent:
    """How far a sheet's cells reach (1-based last row and column) and whether it is
    hidden, found by scanning its XML before any reader builds a grid of it."""

    rows: int
    columns: int
    hidden: bool


def sheet_extents(path: str | Path) -> dict[str, SheetExtent]:
    """The extent of every sheet of an .xlsx by name ({} for other files). The sheet XML
    is scanned in chunks for cell references, so a 13 KB workbook that declares a cell at
    XFD1048576 costs nothing here (a grid reader would try to allocate all of it)."""
    import html

    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
            if "xl/workbook.xml" not in members:
                return {}
            book = archive.read("xl/workbook.xml").decode("utf-8", "replace")
            targets = {attrs.get("Id", ""): target
                       for attrs, target in _relationships(archive, members)}
            out = {}
            for tag in _SHEET_TAG.findall(book):
                attrs = dict(_ATTR.findall(tag))
                rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
                member = targets.get(rid, "")
                if member not in members:
                    continue
                rows, cols = scan_extent(archive, member)
                out[html.unescape(attrs.get("name", ""))] = SheetExtent(
                    rows, cols, attrs.get("state", "visible") != "visible")
            return out
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return {}


def _relationships(archive: zipfile.ZipFile, members: set[str]
                   ) -> list[tuple[dict[str, str], str]]:
    """The workbook's relationships: each one's attributes and its part's name."""
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = archive.read(rels_name).decode("utf-8", "replace") if rels_name in members else ""
    out = []
    for tag in _REL_TAG.findall(rels):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get("Target", "")
        out.append((attrs, target.lstrip("/") if target.startswith("/") else f"xl/{target}"))
    return out


#: The most distinct texts (shared strings) of one workbook skema reads: each costs a
#: reader some 40 bytes however short it is, and a 44 MB workbook can hold 90 million.
MAX_SHARED_STRINGS = 10_000_000
_SHARED = re.compile(rb"<(?:\w+:)?si\b")


def _check_shared_strings(path: Path) -> None:
    """DataFileError when the workbook has more than :data:`MAX_SHARED_STRINGS` shared
    strings (counted in its XML before a reader loads them all into memory)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
            for attrs, member in _relationships(archive, members):
                if attrs.get("Type", "").endswith("/sharedStrings") and member in members:
                    count = _count_tags(archive, member, _SHARED, MAX_SHARED_STRINGS)
                    if count > MAX_SHARED_STRINGS:
                        break
            else:
                return
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return  # the reader says what is wrong with the file
    shown = f"{MAX_SHARED_STRINGS:,}".replace(",", ".")
    raise DataFileError(f"{path}: projektmappen har over {shown} forskellige tekster (delte "
                        f"strenge); skema læser højst {shown}, og projektmappen læses ikke.",
                        hint="Tjek filen; gem den igen i Excel, hvis den er ægte.")


def _count_tags(archive: zipfile.ZipFile, member: str, tag: re.Pattern[bytes],
                stop: int) -> int:
    """How many times ``tag`` begins in a part (scanned in chunks), stopping above
    ``stop``."""
    count = 0
    tail = b""
    with archive.open(member) as handle:
        while count <= stop and (chunk := handle.read(1 << 20)):
            text = tail + chunk
            cut = text.rfind(b"<")
            if cut < 0 or len(text) - cut > 1 << 16:
                cut = len(text)
            count += len(tag.findall(text, 0, cut))
            tail = text[cut:]
    return count + len(tag.findall(tail))


def _check_extent(path: Path, name: str, extent: SheetExtent | None,
                  max_rows: int = MAX_ROWS) -> None:
    """DataFileError when a sheet reaches beyond ``max_rows`` or :data:`MAX_COLUMNS`."""
    if extent is None or (extent.rows <= max_rows and extent.columns <= MAX_COLUMNS):
        return

    def number(n: int) -> str:
        return f"{n:,}".replace(",", ".")

    raise DataFileError(
        f"{path}: arket \"{name}\" har celler helt ud til "
        f"{column_letter(extent.columns - 1)}{extent.rows} ({number(extent.rows)} rækker og "
        f"{number(extent.columns)} kolonner); skema læser højst {number(max_rows)} rækker og "
        f"{number(MAX_COLUMNS)} kolonner pr. ark, og arket læses ikke.",
        hint="Slet de tomme rækker og kolonner under og til højre for dataene (markér dem "
             "i Excel og vælg Slet), og gem projektmappen igen.")


#: sheet XML (uncompressed) from which an .xlsx is streamed: about 850 rows of
#: indsatsskema with its lists. Streaming costs about calamine's CPU and holds less from
#: here on (bench/README.md), so a batch's peak memory is the same at 1,000 rows as at
#: 100,000; smaller workbooks keep calamine's whole sheets (a few MB)
STREAM_FROM_BYTES = 4 * 1024 * 1024


def _open(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() == ".xls":
        with path.open("rb") as handle:
            if handle.read(8) != _OLE_MAGIC:
                raise DataFileError(f"{path}: filen er ikke en Excel-projektmappe (.xls).",
                                    hint="Gem filen i Excel som .xlsx og prøv igen.")
    else:
        _check_zip(path)
        _check_shared_strings(path)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                xlsx = "xl/workbook.xml" in archive.namelist()
                sheets_xml = sum(i.file_size for i in archive.infolist()
                                 if i.filename.startswith("xl/worksheets/"))
            # a large .xlsx streamed (xlsx_stream): memory flat in its rows; a smaller one,
            # and other files (.xls, .ods), by calamine (whole sheets)
            if xlsx and sheets_xml >= STREAM_FROM_BYTES:
                try:
                    return XlsxBook(path)
                except (BrokenPart, zipfile.BadZipFile, KeyError, OSError, RuntimeError,
                        UnicodeDecodeError, zlib.error, EOFError):
                    raise DataFileError(f"{path}: projektmappen kan ikke læses (den er "
                                        "beskadiget eller krypteret).",
                                        hint="Åbn den i Excel, fjern en eventuel "
                                        "adgangskode og gem den igen som .xlsx.") from None
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine raises its own error types for broken files
        raise DataFileError(f"{path}: projektmappen kan ikke læses (den er beskadiget "
                            "eller krypteret).",
                            hint="Åbn den i Excel, fjern en eventuel adgangskode og gem "
                            "den igen som .xlsx.") from None


@dataclass
class _Sheet:
    name: str
    rows: Iterable[list[Any]]  # read again on each iteration (see _Rows, _StreamRows)
    header_row: int  # zero-based
    columns: dict[int, Column]  # zero-based column -> column
    header_width: int = 0  # cells in the header row
    blank_headers: tuple[int, ...] = ()  # columns of the header row without a title


class _Rows:
    """A sheet's rows (cell values from A1), converted row by row on each iteration.

    The sheet stays in calamine's compact form; only the row in hand is a Python list.
    Merged cells (``merged``) repeat their value in every cell of the range.
    """

    def __init__(self, sheet: Any, merged: bool) -> None:
        self.sheet = sheet
        self.ranges = list(sheet.merged_cell_ranges or ()) if merged else []

    def __iter__(self) -> Iterator[list[Any]]:
        start = self.sheet.start
        pad = [""] * start[1] if start and start[1] else None
        rows: Iterator[list[Any]] = iter(self.sheet.iter_rows())
        if pad:
            rows = (pad + row for row in rows)
        return _fill_merged(rows, self.ranges) if self.ranges else rows


class _StreamRows:
    """A sheet of an .xlsx read from its XML on each iteration (:mod:`.xlsx_stream`):
    every row from the first (``[]`` for a row without cells), merged cells filled as
    :class:`_Rows` fills them; the extent and a broken part are reported with the
    sheet's name."""

    def __init__(self, book: XlsxBook, name: str, merged: bool, path: Path,
                 max_rows: int) -> None:
        self.book, self.name, self.path, self.max_rows = book, name, path, max_rows
        self.ranges: list[Any] | None = None if merged else []

    def __iter__(self) -> Iterator[list[Any]]:
        if self.ranges is None:
            try:
                self.ranges = self.book.merged_ranges(self.name)
            except (OSError, zipfile.BadZipFile, RuntimeError, zlib.error, EOFError):
                raise _broken_sheet(self.path, self.name) from None
        rows = self._rows()
        return _fill_merged(rows, self.ranges) if self.ranges else rows

    def keyed(self, key_col: int, cols: list[int], watched: Callable[[int], bool]
              ) -> Iterator[tuple[int, Any, bool, list[int], bool]]:
        """The sheet's rows as :meth:`XlsxBook.keyed` gives them, errors as :meth:`_rows`
        reports them."""
        with self._errors():
            yield from _in_sheet_order(self.name, self.book.keyed(
                self.name, key_col, cols, watched, self.max_rows, MAX_COLUMNS))

    def bodies(self) -> Iterator[tuple[int, bytes]]:
        """The sheet's rows undecoded, as :meth:`XlsxBook.bodies` gives them, errors as
        :meth:`_rows` reports them."""
        with self._errors():
            yield from _in_sheet_order(self.name, self.book.bodies(self.name, self.max_rows))

    def row_values(self, body: bytes, row_no: int) -> list[Any] | None:
        """The values of one row of :meth:`bodies` (:meth:`XlsxBook.row_values`)."""
        return self.book.row_values(body, row_no, MAX_COLUMNS)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except SheetTooLarge as big:
            _check_extent(self.path, self.name, SheetExtent(big.rows, big.columns, False),
                          self.max_rows)
            raise _broken_sheet(self.path, self.name) from None  # (not reached)
        except (BrokenPart, OSError, zipfile.BadZipFile, RuntimeError, UnicodeDecodeError,
                zlib.error, EOFError):
            raise _broken_sheet(self.path, self.name) from None

    def _rows(self) -> Iterator[list[Any]]:
        at = 0
        with self._errors():
            for r, values in self.book.rows(self.name, self.max_rows, MAX_COLUMNS):
                while at < r:
                    yield []
                    at += 1
                if r < at:  # rows out of order: Excel never writes them
                    raise BrokenPart(self.name)
                yield values
                at += 1


_Row = TypeVar("_Row", bound=tuple)


def _in_sheet_order(name: str, rows: Iterable[_Row]) -> Iterator[_Row]:
    """The rows (each starting with its zero-based row number) as they come, BrokenPart
    for a row number that does not come after the one before (Excel never writes one;
    :meth:`_StreamRows._rows` refuses it too): a row written twice is not read twice."""
    last = -1
    for row in rows:
        if row[0] <= last:
            raise BrokenPart(name)
        last = row[0]
        yield row


def _broken_sheet(path: Path | None, name: str) -> DataFileError:
    return DataFileError(f"{path}: arket \"{name}\" kan ikke læses (filen er beskadiget "
                         "eller har ugyldigt indhold).",
                         hint="Åbn projektmappen i Excel og gem den igen som .xlsx.")


def _fill_merged(rows: Iterator[list[Any]], ranges: list[Any]) -> Iterator[list[Any]]:
    """The rows with each merged range's first value copied into all its cells: only the
    cells the sheet has (B6:O1048576 must not make a million rows, nor A2:XFD2 16,384
    columns)."""
    starting: dict[int, list[tuple[int, int, int]]] = {}
    for (r0, c0), (r1, c1) in ranges:
        starting.setdefault(r0, []).append((c0, r1, c1))
    active: list[tuple[int, int, int, Any]] = []  # (last row, first col, last col, value)
    r = -1
    for r, row in enumerate(rows):
        for c0, r1, c1 in starting.get(r, ()):
            if c0 < len(row):
                active.append((r1, c0, min(c1, len(row) - 1), row[c0]))
        active = [a for a in active if a[0] >= r]
        yield _merge_into(row, active)


def _merge_into(row: list[Any], active: list[tuple[int, int, int, Any]]) -> list[Any]:
    for _r1, c0, c1, value in active:
        if len(row) <= c1:
            row.extend([""] * (c1 + 1 - len(row)))
        row[c0:c1 + 1] = [value] * (c1 + 1 - c0)
    return row


def _load_sheet(book: Any, name: str, merged: bool, path: Path | None = None,
                extents: dict[str, SheetExtent] | None = None,
                max_rows: int = MAX_ROWS) -> Iterable[list[Any]]:
    if isinstance(book, XlsxBook):  # the extent is checked as the rows are read
        return _StreamRows(book, name, merged, Path(path or ""), max_rows)
    _check_extent(Path(path or ""), name, (extents or {}).get(name), max_rows)
    try:
        sheet = book.get_sheet_by_name(name)
    except Exception:  # calamine: broken XML, DTD entities, bad references …
        raise _broken_sheet(path, name) from None
    return _Rows(sheet, merged)


def _find_header(rows: Iterable[list[Any]], sheet: SheetDef
                 ) -> tuple[int, dict[int, Column]]:
    best, best_cols = -1, dict[int, Column]()
    for r, row in enumerate(itertools.islice(rows, 10)):
        cols: dict[int, Column] = {}
        for c, value in enumerate(row):
            if isinstance(value, str) and value.strip():
                col = sheet.find(value)
                if col is not None and col not in cols.values():
                    cols[c] = col
        if len(cols) > len(best_cols):
            best, best_cols = r, cols
    return best, best_cols


def read_workbook(path: str | Path, form: Form, validate: bool = True) -> WorkbookData:
    """Read a filled input workbook of ``form`` into records with cell-placed problems.

    ``validate=False`` leaves schema validation to :func:`validate_record` (the batch
    engine does it in its worker processes). Raises DataFileError when the file is not a
    readable workbook or has no sheet with the form's columns.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: filen findes ikke.", hint="Tjek stien og filnavnet.")
    # (the command line pauses the cyclic garbage collector while it reads: see
    # toolkit.commands.process.collector_paused)
    stream = stream_workbook(path, form)
    records = list(stream)
    for rec in records:
        if validate:
            rec.problems = validate_record(form, rec)
    return WorkbookData(form, records, stream.problems, str(path), stream.notices)


SIDE_BY_SIDE, SPILLED = "side by side", "spilled"


@dataclass
class WorkbookStream:
    """A workbook whose records are read as they are iterated (once), not all at once.

    ``problems`` (workbook-level, sorted by place) and ``rows`` (how many records the
    iteration gives) are known before the first record; each :class:`Record` is made
    from its main-sheet row when it is asked for, without validation.
    """

    form: Form
    problems: list[Problem]
    rows: int
    source: str
    records: Iterator[Record]
    notices: list[Problem] = field(default_factory=list)  # about the workbook, not errors
    #: the same rows before conversion (iterate either this or ``records``, once), and
    #: what makes a Record of each: the batch converts in its worker processes
    raw: Iterator[RawRecord] | None = None
    build: Callable[[RawRecord], Record] | None = None
    #: how each list sheet's rows reach their main rows: SIDE_BY_SIDE (in the main
    #: sheet's order) or SPILLED (out of order: through a temporary file)
    joined: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Record]:
        return self.records


def stream_workbook(path: str | Path, form: Form) -> WorkbookStream:
    """Open a filled input workbook of ``form`` for reading its records one by one.

    As :func:`read_workbook` with ``validate=False``, but the records are made as the
    returned stream is iterated. An .xlsx is read as a stream (:mod:`.xlsx_stream`):
    one pass over the sheets here finds the workbook-level problems and the number of
    records (keeping a hash per key), and the iteration reads the sheets again, joining
    each main row with its list rows: side by side when the list sheets are in the main
    sheet's order (as every workbook skema writes is), else through a temporary index
    on disk. So memory does not grow with the rows. Raises DataFileError as
    :func:`read_workbook` does, before the first record.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: filen findes ikke.", hint="Tjek stien og filnavnet.")
    lay = layout(form)
    book = _open(path)
    streamed = isinstance(book, XlsxBook)
    extents = {} if streamed else sheet_extents(path)
    try:  # calamine's sheets stay loaded in its own form after the file is closed
        main, list_sheets, problems = _sheets(book, path, form, lay, extents)
    finally:
        if not streamed:
            book.close()
    count, raw, build = _main_records(form, lay, main, list_sheets, problems)
    hidden = book.sheet(main.name).hidden if streamed else (
        main.name in extents and extents[main.name].hidden)
    notices = []
    if hidden:
        notices.append(Problem("", "", f"Arket \"{main.name}\" er skjult i projektmappen, "
                                       "men det er det, der er læst; vis det i Excel og "
                                       "kontrollér, at det er de rigtige rækker.",
                               "hidden_sheet", quote_sheet(main.name)))
    return WorkbookStream(form, problems, count, str(path), map(build, raw), notices, raw,
                          build, dict(build.joined))


def _sheets(book: Any, path: Path, form: Form, lay: BookLayout,
            extents: dict[str, SheetExtent] | None = None
            ) -> tuple[_Sheet, dict[str, _Sheet], list[Problem]]:
    """The main sheet and the list sheets of an open workbook, headers matched."""
    names = list(book.sheet_names)
    by_name = {n.strip().casefold(): n for n in names}
    problems: list[Problem] = []

    def lookup(sheet: SheetDef) -> str | None:
        for candidate in (sheet.name, sheet.list_path or "", sheet.title):
            found = by_name.get(candidate.strip().casefold())
            if found:
                return found
        return None

    # the main sheet: by name, else the first sheet whose header row has the form's labels
    main_name = lookup(lay.main)
    known = {lookup(s) for s in lay.lists} | {GUIDE_SHEET, LISTS_SHEET}
    main_rows: Iterable[list[Any]] | None = None
    if main_name is None:
        for name in names:
            if name in known:
                continue
            rows = _load_sheet(book, name, True, path, extents)
            if _find_header(rows, lay.main)[1]:
                main_name, main_rows = name, rows
                break
    if main_name is None:
        raise DataFileError(
            f"{path}: projektmappen har intet ark \"{lay.main.name}\" med formularens "
            "kolonner.",
            hint=f"Lav en ny med: skema blank {form.id} -o input.xlsx")
    if main_rows is None:
        main_rows = _load_sheet(book, main_name, True, path, extents)
    main = _prepare(main_name, main_rows, lay.main, problems, bool(lay.lists))

    list_sheets: dict[str, _Sheet] = {}
    for sdef in lay.lists:
        name = lookup(sdef)
        if name is None:
            problems.append(Problem(sdef.list_path or "", sdef.title,
                                    f"Arket \"{sdef.name}\" mangler, så "
                                    f"{sdef.title.lower()} læses ikke. Lav en ny "
                                    f"projektmappe med: skema blank {form.id} -o input.xlsx",
                                    "missing_sheet", quote_sheet(sdef.name)))
            continue
        list_sheets[sdef.list_path or ""] = _prepare(
            name, _load_sheet(book, name, False, path, extents, MAX_LIST_ROWS), sdef,
            problems)
    return main, list_sheets, problems



def _prepare(name: str, rows: Iterable[list[Any]], sdef: SheetDef,
             problems: list[Problem], key_needed: bool = True) -> _Sheet:
    """The sheet with its header found; problems of the header's columns (a column
    without a title that holds data is found by :class:`_ExtraColumns` as the rows are
    read)."""
    header_row, cols = _find_header(rows, sdef)
    if header_row < 0:
        problems.append(Problem("", sdef.title, f"Arket \"{name}\" har ingen af formularens "
                                "kolonneoverskrifter i de første rækker og læses ikke.",
                                "no_header", quote_sheet(name)))
        return _Sheet(name, [], 0, {})
    header = next(itertools.islice(rows, header_row, None))
    seen: set[Column] = set()
    for c, value in enumerate(header):
        col = cols.get(c)
        if col is not None:
            seen.add(col)
            continue
        if _blank(value):
            continue
        dup = sdef.find(value)
        why = ("står der to gange; kun den første læses" if dup is not None
               else "hører ikke til formularen og læses ikke")
        problems.append(Problem("", "", f"Kolonnen \"{danish.mask_cpr(str(value).strip())}\" "
                                f"{why}.", "extra_column", place(name, c, header_row + 1)))
    key = sdef.columns[0]
    if key_needed and key.field is None and key not in seen:
        problems.append(Problem("", key.header, f"Arket \"{name}\" mangler kolonnen "
                                f"\"{key.header}\", som knytter rækkerne på listearkene til "
                                "hovedarket; tilføj den som første kolonne.",
                                "missing_column", place(name, None, header_row + 1)))
    blank = tuple(c for c, value in enumerate(header) if c not in cols and _blank(value))
    return _Sheet(name, rows, header_row, cols, len(header), blank)


class _ExtraColumns:
    """Columns without a title in the header row that hold data in a row below it (a
    column beyond the header's last cell counts as one without a title)."""

    def __init__(self, sheet: _Sheet) -> None:
        self.sheet = sheet
        self.left = set(sheet.blank_headers)
        self.found: set[int] = set()

    def see(self, row: list[Any]) -> None:
        """Note the columns of one row below the header."""
        width = self.sheet.header_width
        if len(row) > width:
            for c in range(width, len(row)):
                if c not in self.found and not _blank(row[c]):
                    self.found.add(c)
        if self.left:
            for c in [c for c in self.left if c < len(row) and not _blank(row[c])]:
                self.found.add(c)
                self.left.discard(c)

    def problems(self) -> list[Problem]:
        """One problem per such column."""
        name, header_row = self.sheet.name, self.sheet.header_row
        return [Problem("", "", f"Kolonne {column_letter(c)} på arket \"{name}\" har ingen "
                        "overskrift og læses ikke.", "extra_column",
                        place(name, c, header_row + 1)) for c in sorted(self.found)]


def _key_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value.__class__ is str:
        return value.strip()
    return _as_text(value).strip()


_EXCEL_ERRORS = ("#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!",
                 "#GETTING_DATA", "#SPILL!", "#CALC!")


@dataclass(frozen=True)
class _Plan:
    """How one column of a sheet is read: its field, converter and where the value goes."""

    col: int
    field: Field
    conv: Callable[[Any], Any]
    parts: tuple[str, ...]  # the path in the record (main) or in the item (lists)


def _plans(sheet: _Sheet) -> list[_Plan]:
    out = []
    for c, col in sorted(sheet.columns.items()):
        fld = col.field
        if fld is None:
            continue
        target = fld.path if fld.list_path is None else fld.key
        out.append(_Plan(c, fld, converter(fld), tuple(target.split("."))))
    return out


def _row_values(sheet: _Sheet, row: list[Any], plans: list[_Plan],
                problems: list[Problem], notes: list[Problem], excel_row: int
                ) -> list[tuple[_Plan, Any]]:
    values: list[tuple[_Plan, Any]] = []
    width = len(row)
    for plan in plans:
        c = plan.col
        if c >= width:
            break
        value = row[c]
        if value is None or value == "":
            continue
        if value.__class__ is str:
            if value.isspace():
                continue
            if value[0] == "#" and value.strip().upper() in _EXCEL_ERRORS:
                fld = plan.field
                problems.append(Problem(fld.path, fld.label, f"cellen indeholder en Excel-fejl "
                                        f"({value.strip()}); ret formlen eller værdien",
                                        "excel_error", place(sheet.name, c, excel_row)))
                continue
        try:
            data = plan.conv(value)
        except Unreadable as bad:
            fld = plan.field
            shown = None if fld.format == "cpr" else _shown(value)  # never a CPR number
            problems.append(Problem(fld.path, fld.label, bad.message(shown), "read",
                                    place(sheet.name, c, excel_row)))
            values.append((plan, _as_text(value)))
            continue
        if data.__class__ is Noted:
            fld = plan.field
            notes.append(Problem(fld.path, fld.label, data.note, "restored",
                                 place(sheet.name, c, excel_row)))
            data = data.value
        values.append((plan, data))
    return values


def _put(data: dict, parts: tuple[str, ...], value: Any) -> None:
    if len(parts) == 1:
        data[parts[0]] = value
        return
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _key_hash(key: str) -> int:
    """64 bits of a key: what the first pass keeps of each key."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "big")


_SORT_STEP = 1 << 14


def _sorted_array(hashes: Iterable[int]) -> array:
    """The hashes sorted into an array, a step at a time and then merged: a list of all
    of them as Python integers (~40 bytes each, 5 times the array) raised the first
    pass's peak by 11 MB at 100,000 rows, and the allocator kept part of it."""
    source = iter(hashes)
    steps = []
    while step := sorted(itertools.islice(source, _SORT_STEP)):
        steps.append(array("Q", step))
    if len(steps) <= 1:
        return steps[0] if steps else array("Q")
    return array("Q", heapq.merge(*steps))


class _HashSet:
    """Key hashes, sorted in a compact array: membership by bisection."""

    def __init__(self, hashes: Iterable[int]) -> None:
        self.items = _sorted_array(hashes)

    def __contains__(self, value: int) -> bool:
        i = bisect.bisect_left(self.items, value)
        return i < len(self.items) and self.items[i] == value

    def repeated(self) -> set[int]:
        """The hashes that occur more than once."""
        items = self.items
        return {items[i] for i in range(1, len(items)) if items[i] == items[i - 1]}


def _has_value(row: list[Any], cols: list[int]) -> bool:
    """Whether the row has a value in one of ``cols`` (a value, or a cell that gives a
    problem: anything but blank)."""
    width = len(row)
    return any(c < width and not _blank(row[c]) for c in cols)


@dataclass
class _ListSheet:
    """A list sheet while the workbook is read: its plans, key column and what the first
    pass found (a hash per run of rows with the same key, in sheet order)."""

    path: str
    sheet: _Sheet
    plans: list[_Plan]
    key_col: int | None
    runs: array = field(default_factory=lambda: array("Q"))
    unknown: set[int] = field(default_factory=set)  # keys no main row has
    marks: _Marks | None = None  # where every row was plain: the rows of the runs
    cols: list[int] = field(init=False)  # the columns of the plans (the value cells)

    def __post_init__(self) -> None:
        self.cols = [p.col for p in self.plans]

    def keyed_rows(self) -> Iterator[tuple[int, list[Any], str, int]]:
        """(excel row, row, key, key hash) of every row with a value and a key."""
        cols = self.cols
        kc = self.key_col
        if kc is None:
            return
        last, last_hash = None, 0
        rows = itertools.islice(self.sheet.rows, self.sheet.header_row + 1, None)
        for r, row in enumerate(rows, self.sheet.header_row + 1):
            if not _has_value(row, cols):
                continue
            key = _key_text(row[kc]) if kc < len(row) else ""
            if not key:
                continue
            if key != last:
                last, last_hash = key, _key_hash(key)
            yield r + 1, row, key, last_hash

    def item(self, lst: Any, row: list[Any] | bytes, excel_row: int, key: str
             ) -> tuple[int, Any, list, list]:
        """One list row as (excel row, item, problems, notes); a row still in its XML
        (:class:`_SideBySideXml`) is decoded here, and must have the ``key`` it had when
        it was first read."""
        rp: list[Problem] = []
        rn: list[Problem] = []
        if isinstance(row, bytes):
            cells = self._decode(row, excel_row, key)
            if cells is None:
                rp.append(_changed_row(self.sheet.name, excel_row))
                return excel_row, None if lst.scalar else {}, rp, rn
            row = cells
        values = _row_values(self.sheet, row, self.plans, rp, rn, excel_row)
        if lst.scalar:
            item: Any = values[0][1] if values else None
        else:
            item = {}
            for plan, value in values:
                _put(item, plan.parts, value)
        return excel_row, item, rp, rn

    def _decode(self, body: bytes, excel_row: int, key: str) -> list[Any] | None:
        """The cells of a row read undecoded, None when it is no longer the plain row
        with ``key`` and a value that the first pass saw (the file changed since)."""
        rows = self.sheet.rows
        assert isinstance(rows, _StreamRows) and self.key_col is not None
        cells = rows.row_values(body, excel_row - 1)
        kc = self.key_col
        if cells is None or kc >= len(cells) or _key_text(cells[kc]) != key or \
                not _has_value(cells, self.cols):
            return None
        return cells


def _changed_row(sheet: str, excel_row: int) -> Problem:
    """The problem of a row that is not what the first pass read (the file was saved
    between the two passes)."""
    return Problem("", "", f"Rækken på arket \"{sheet}\" er ændret, mens projektmappen "
                   "blev læst; luk den i Excel, og kør igen.", "changed_row",
                   place(sheet, None, excel_row))


class _Marks:
    """Which rows of a list sheet go to a main row, two bits per row: :data:`FIRST` of
    a run of rows with one key, :data:`NEXT` in it, 0 neither (blank, or no key). The
    second pass then hands those rows on as XML without decoding them (the batch's
    worker processes do): 256 KB at the most rows a sheet may have."""

    FIRST, NEXT = 1, 2

    def __init__(self) -> None:
        self.bits = bytearray()

    def mark(self, row: int, code: int) -> None:
        """Mark the zero-based ``row``."""
        at, shift = divmod(row, 4)
        if at >= len(self.bits):
            self.bits.extend(bytes(max(at + 1 - len(self.bits), len(self.bits) // 2)))
        self.bits[at] |= code << (2 * shift)

    def code(self, row: int) -> int:
        """The mark of the zero-based ``row``."""
        at, shift = divmod(row, 4)
        return (self.bits[at] >> (2 * shift)) & 3 if at < len(self.bits) else 0


def _read_keyed(sheet: _Sheet, key_col: int | None) -> bool:
    """Whether the first pass reads the list sheet's rows from its XML by key
    (:meth:`_StreamRows.keyed`), not as whole rows."""
    rows = sheet.rows
    return isinstance(rows, _StreamRows) and key_col is not None and not rows.ranges


def _list_rows(sheet: _Sheet, key_col: int | None, cols: list[int], extra: _ExtraColumns
               ) -> Iterator[tuple[int, Any, bool, bool]]:
    """(zero-based row, key cell, whether a value cell is not blank, whether the row can
    be read again undecoded: see :class:`_Marks`) of each row below the header, the
    columns without a title noted in ``extra``: from the sheet's XML without making the
    rows where it is streamed."""
    rows = sheet.rows
    if isinstance(rows, _StreamRows) and key_col is not None and _read_keyed(sheet, key_col):
        def watched(c: int) -> bool:
            return c >= sheet.header_width or c in extra.left

        for r, key, has_value, seen, plain in rows.keyed(key_col, cols, watched):
            if r > sheet.header_row:
                extra.found.update(seen)
                yield r, key, has_value, plain
        return
    for r, row in enumerate(itertools.islice(rows, sheet.header_row + 1, None),
                            sheet.header_row + 1):
        extra.see(row)
        width = len(row)
        yield r, row[key_col] if key_col is not None and key_col < width else "", \
            _has_value(row, cols), False


def _main_records(form: Form, lay: BookLayout, main: _Sheet, lists: dict[str, _Sheet],
                  problems: list[Problem]
                  ) -> tuple[int, Iterator[RawRecord], _Builder]:
    """How many records the main sheet gives, and those records made one by one.

    First pass (here): the list sheets' keys (a hash per run of rows with one key), then
    the main sheet's (which rows give a record, which keys repeat); list rows whose key
    no main row has are reported, which needs their sheet once more. ``problems`` is
    complete when this returns. The rows are then read as the returned iterator is
    consumed (:func:`_raw_records`); the returned builder makes each one a Record.
    """
    key_col = next((c for c, col in main.columns.items()
                    if col.field is None or col.field.path == lay.key_field), None)
    main_plans = _plans(main)
    columns: dict[str, tuple[str, int]] = {
        col.field.path: (main.name, c) for c, col in main.columns.items() if col.field}
    list_sheet_names = {p: s.name for p, s in lists.items()}
    list_key_cols: dict[str, int] = {}
    for p, sheet in lists.items():
        for c, col in sheet.columns.items():
            if col.field is None:
                list_key_cols[p] = c
            else:
                columns[col.field.path] = (sheet.name, c)

    # list sheets: a hash per run of rows with one key; rows without a key reported
    scans: dict[str, _ListSheet] = {}
    for lpath, sheet in lists.items():
        scan = scans[lpath] = _ListSheet(lpath, sheet, _plans(sheet),
                                         list_key_cols.get(lpath))
        cols = scan.cols
        kc = scan.key_col
        extra = _ExtraColumns(sheet)
        last: str | None = None
        marks = _Marks() if _read_keyed(sheet, kc) else None
        for r, key_cell, has_value, plain in _list_rows(sheet, kc, cols, extra):
            if not plain:
                marks = None
            if not has_value or kc is None:
                continue  # (a sheet without a key column is reported once for the sheet)
            key = _key_text(key_cell)
            if not key:
                problems.append(Problem("", lay.key_title, f"Rækken på arket \"{sheet.name}\" "
                                        f"mangler \"{lay.key_title}\" og hører derfor ikke "
                                        f"til nogen række på arket \"{main.name}\"; skriv "
                                        f"nøglen i kolonne {column_letter(kc)}.",
                                        "no_key", place(sheet.name, kc, r + 1)))
                continue
            if key != last:
                scan.runs.append(_key_hash(key))
                last = key
                if marks is not None:
                    marks.mark(r, _Marks.FIRST)
            elif marks is not None:
                marks.mark(r, _Marks.NEXT)
        scan.marks = marks
        problems.extend(extra.problems())
    referenced = _HashSet(h for scan in scans.values() for h in scan.runs)

    cpr_key = key_col is not None and lay.key_field is not None and \
        form.fields[lay.key_field].format == "cpr"

    def key_text(cell: Any) -> str:
        key = _key_text(cell)
        return _to_cpr(cell) if key and cpr_key else key

    def key_of(row: list[Any]) -> str:
        return key_text(row[key_col]) if key_col is not None and key_col < len(row) else ""

    # (where the layout has a key field, its column is the key column)
    key_plan = next((p for p in main_plans if p.field.path == lay.key_field), None)
    other_cols = [p.col for p in main_plans if p is not key_plan]

    def gives_record(has_other: bool, key: str, cell: Any) -> bool:
        """Whether a row gives a record, from whether it has a value besides its key, its
        key and its key cell: a blank row, or one with only a readable key nobody refers
        to, does not."""
        if has_other:
            return True
        if key and _key_hash(key) in referenced:
            return True
        if key_plan is None or _blank(cell):
            return False
        if cell.__class__ is str and cell[0] == "#" and cell.strip().upper() in _EXCEL_ERRORS:
            return True
        try:
            key_plan.conv(cell)
        except Unreadable:
            return True
        return False

    def filled(row: list[Any], key: str) -> bool:
        """:func:`gives_record` of a row read whole (the test of the second pass)."""
        cell = row[key_col] if key_col is not None and key_col < len(row) else ""
        return gives_record(_has_value(row, other_cols), key, cell)

    count = 0
    order = array("Q")  # the keys of the rows that give records, in sheet order
    extra = _ExtraColumns(main)
    # the key cell and whether another cell has a value: all the first pass decodes
    for _r, cell, has_other, _plain in _list_rows(main, key_col, other_cols, extra):
        key = key_text(cell) if key_col is not None else ""
        if gives_record(has_other, key, cell):
            count += 1
            if key:
                order.append(_key_hash(key))
    problems.extend(extra.problems())
    keys = _HashSet(order)
    repeated = keys.repeated()

    for scan in scans.values():
        scan.unknown = {h for h in scan.runs if h not in keys}
        if not scan.unknown:
            continue
        for item_row, _row, key, h in scan.keyed_rows():
            if h in scan.unknown:
                problems.append(Problem("", lay.key_title, f"{lay.key_title} "
                                        f"{_key_shown(key, lay, form)} findes ikke på arket "
                                        f"\"{main.name}\"; ret nummeret eller tilføj rækken.",
                                        "unknown_key", place(scan.sheet.name, scan.key_col,
                                                             item_row)))
    problems.sort(key=lambda p: _place_order(p.place, lay))
    joins = {lpath: _join(scan, order, repeated, form.lists[lpath])
             for lpath, scan in scans.items()}
    del order
    build = _Builder(form, lay, main, scans, key_col, main_plans, columns, list_sheet_names,
                     list_key_cols, {lpath: SIDE_BY_SIDE if not isinstance(join, _Spilled)
                                     else SPILLED for lpath, join in joins.items()})
    return count, _raw_records(main, joins, repeated, key_of, filled, keys, count), build


def _in_order(scan: _ListSheet, order: array, repeated: set[int]) -> bool:
    """Whether the list sheet's known keys come in runs in the main sheet's order, each
    key in one run and none of them a key that repeats on the main sheet."""
    known = array("Q", (h for h in scan.runs if h not in scan.unknown))
    if _HashSet(known).repeated() or repeated.intersection(known):
        return False
    at = 0
    for h in known:
        while at < len(order) and order[at] != h:
            at += 1
        if at == len(order):
            return False
        at += 1
    return True


class _SideBySide:
    """A list sheet read alongside the main sheet (its rows are in the main order)."""

    def __init__(self, scan: _ListSheet, lst: Any) -> None:
        self.scan, self.lst = scan, lst
        self.rows = (entry for entry in scan.keyed_rows() if entry[3] not in scan.unknown)
        self.head = next(self.rows, None)

    def take(self, key: str, key_hash: int) -> list[tuple[int, list[Any] | bytes]]:
        """The rows of ``key`` (the main row being made): (Excel row, cells)."""
        out: list[tuple[int, list[Any] | bytes]] = []
        while self.head is not None and self.head[2] == key:
            excel_row, row, _key, _h = self.head
            out.append((excel_row, row))
            self.head = next(self.rows, None)
        return out


class _SideBySideXml:
    """A list sheet read alongside the main sheet, its rows handed on undecoded: the
    rows :class:`_Marks` marked, by run (the runs are in the main order)."""

    def __init__(self, scan: _ListSheet, lst: Any) -> None:
        self.scan, self.lst = scan, lst
        self.runs = self._runs()
        self.started = False  # the sheet is opened at the first take, not before
        self.head: tuple[int, list[tuple[int, list[Any] | bytes]]] | None = None

    def _runs(self) -> Iterator[tuple[int, list[tuple[int, list[Any] | bytes]]]]:
        """(key hash, [(Excel row, XML)]) of each run whose key a main row has."""
        scan, marks = self.scan, self.scan.marks
        assert marks is not None and isinstance(scan.sheet.rows, _StreamRows)
        code, runs, unknown = marks.code, scan.runs, scan.unknown
        run = -1
        rows: list[tuple[int, list[Any] | bytes]] = []
        keep = False
        for r, body in scan.sheet.rows.bodies():
            mark = code(r)
            if mark == _Marks.FIRST:
                if rows:
                    yield runs[run], rows
                run += 1
                rows = []
                keep = runs[run] not in unknown
            if mark and keep:
                rows.append((r + 1, body))
        if rows:
            yield runs[run], rows

    def take(self, key: str, key_hash: int) -> list[tuple[int, list[Any] | bytes]]:
        """The rows of ``key`` (the main row being made; ``key_hash`` its hash): (Excel row,
        XML)."""
        if not self.started:
            self.started = True
            self.head = next(self.runs, None)
        if self.head is None or self.head[0] != key_hash:
            return []
        rows = self.head[1]
        self.head = next(self.runs, None)
        return rows


class _Spilled:
    """A list sheet not in the main order: its rows put in a temporary SQLite file by
    key, read back per main row (memory stays flat; the disk holds the rows)."""

    def __init__(self, scan: _ListSheet, lst: Any) -> None:
        import sqlite3
        import tempfile

        self.scan, self.lst = scan, lst
        self.folder = tempfile.TemporaryDirectory(prefix="skema-lists-")
        self.db = sqlite3.connect(str(Path(self.folder.name) / "rows.db"))
        self.db.execute("CREATE TABLE rows (key TEXT, excel_row INTEGER, row BLOB)")
        batch: list[tuple[str, int, bytes]] = []
        for excel_row, row, key, h in scan.keyed_rows():
            if h in scan.unknown:
                continue
            batch.append((key, excel_row, pickle.dumps(row, pickle.HIGHEST_PROTOCOL)))
            if len(batch) >= 1000:
                self.db.executemany("INSERT INTO rows VALUES (?, ?, ?)", batch)
                batch = []
        self.db.executemany("INSERT INTO rows VALUES (?, ?, ?)", batch)
        self.db.execute("CREATE INDEX by_key ON rows (key, excel_row)")
        self.db.commit()

    def take(self, key: str, key_hash: int) -> list[tuple[int, list[Any] | bytes]]:
        """The rows of ``key`` in sheet order: (Excel row, cells)."""
        found = self.db.execute("SELECT excel_row, row FROM rows WHERE key = ? "
                                "ORDER BY excel_row", (key,)).fetchall()
        return [(excel_row, pickle.loads(row))  # noqa: S301 - our own bytes
                for excel_row, row in found]

    def close(self) -> None:
        """Remove the temporary file."""
        self.db.close()
        self.folder.cleanup()


def _join(scan: _ListSheet, order: array, repeated: set[int], lst: Any
          ) -> _SideBySide | _SideBySideXml | _Spilled:
    """How the list sheet's rows reach their main rows: side by side, or spilled."""
    if _in_order(scan, order, repeated):
        return _SideBySideXml(scan, lst) if scan.marks is not None else _SideBySide(scan, lst)
    return _Spilled(scan, lst)


@dataclass
class RawRecord:
    """A main row with its list rows, not yet converted: what the batch hands its worker
    processes, which make the :class:`Record` (``WorkbookStream.build``)."""

    row: int  # Excel row on the main sheet
    key: str  # its key, or "række N" when it has none
    cells: list[Any]
    keyed: bool  # the row has a key of its own
    first_row: int | None  # the row that had the same key first (a duplicate key)
    #: list path -> (Excel row, cells, or the row's XML when the worker decodes it)
    items: dict[str, list[tuple[int, list[Any] | bytes]]]
    #: the first pass did not see this row give a record (the file was saved meanwhile)
    unseen: bool = False


@dataclass
class _Builder:
    """Makes a :class:`Record` of a :class:`RawRecord` (in any process)."""

    form: Form
    lay: BookLayout
    main: _Sheet
    scans: dict[str, _ListSheet]
    key_col: int | None
    main_plans: list[_Plan]
    columns: dict[str, tuple[str, int]]
    list_sheet_names: dict[str, str]
    list_key_cols: dict[str, int]
    joined: dict[str, str] = field(default_factory=dict)  # list path -> how it is joined

    def __call__(self, raw: RawRecord) -> Record:
        form, lay, main = self.form, self.lay, self.main
        excel_row, key_col = raw.row, self.key_col
        rp: list[Problem] = []
        rn: list[Problem] = []
        values = _row_values(main, raw.cells, self.main_plans, rp, rn, excel_row)
        data: dict[str, Any] = {}
        for plan, value in values:
            _put(data, plan.parts, value)
        cells = CellMap(main.name, excel_row, key_col, self.columns, self.list_sheet_names,
                        self.list_key_cols)
        if not raw.keyed:
            if self.list_sheet_names and key_col is not None and not (
                    lay.key_field and form.fields[lay.key_field].required):
                rp.append(Problem("", lay.key_title, f"{lay.key_title} skal udfyldes, så "
                                  "rækkerne på de andre ark kan henvise til rækken.",
                                  "no_key", place(main.name, key_col, excel_row)))
        elif raw.first_row is not None:
            rp.append(Problem("", lay.key_title, f"{lay.key_title} "
                              f"{_key_shown(raw.key, lay, form)} står også i række "
                              f"{raw.first_row}; hver række skal have sit eget.",
                              "duplicate_key", place(main.name, key_col, excel_row)))
        for lpath, rows in raw.items.items():
            scan = self.scans[lpath]
            for item_row, row in rows:
                _, item, ip, inotes = scan.item(form.lists[lpath], row, item_row, raw.key)
                index = len(cells.item_rows.setdefault(lpath, []))
                cells.item_rows[lpath].append(item_row)
                setdefault_value(data, lpath, []).append(item)
                for prob in ip:
                    rp.append(_indexed(prob, lpath, index, form))
                for note in inotes:
                    rn.append(_indexed(note, lpath, index, form))
        if raw.unseen:
            rp.append(_changed_row(main.name, excel_row))
        return Record(excel_row, raw.key, data, rp, rn, cells, list(rp))


def _raw_records(main: _Sheet, joins: dict[str, _SideBySide | _SideBySideXml | _Spilled],
                 repeated: set[int], key_of: Callable[[list], str],
                 filled: Callable[[list, str], bool], keys: _HashSet, count: int
                 ) -> Iterator[RawRecord]:
    """The main sheet's rows that give records, each with the list rows of its key (a
    key's list rows go to its first row); ``repeated`` holds the hashes of keys on more
    than one main row (only those keys are remembered, with their first row). A row
    whose key the first pass did not see among the ``keys`` of its ``count`` records, or
    a record beyond them, is marked ``unseen``: its list rows were not marked for it."""
    seen_keys: dict[str, int] = {}
    given = 0
    try:
        for r, row in enumerate(itertools.islice(main.rows, main.header_row + 1, None),
                                main.header_row + 1):
            excel_row = r + 1
            key = key_of(row)
            if not filled(row, key):
                continue  # a blank row (or only a key nobody refers to)
            items: dict[str, list[tuple[int, list[Any] | bytes]]] = {}
            first_row = None
            if key and key in seen_keys:
                first_row = seen_keys[key]
            key_hash = _key_hash(key) if key else 0
            if key and first_row is None:
                if key_hash in repeated:
                    seen_keys[key] = excel_row
                for lpath, join in joins.items():
                    rows = join.take(key, key_hash)
                    if rows:
                        items[lpath] = rows
            given += 1
            unseen = given > count or bool(key) and key_hash not in keys
            yield RawRecord(excel_row, key or f"række {excel_row}", row, bool(key),
                            first_row, items, unseen)
    finally:
        for join in joins.values():
            if isinstance(join, _Spilled):
                join.close()


def _key_shown(key: str, lay: BookLayout, form: Form) -> str:
    return f"\"{danish.mask_cpr(key)}\""


def _indexed(prob: Problem, list_path: str, index: int, form: Form) -> Problem:
    if not prob.path:  # about the row, not one of its fields
        return prob
    fld = form.fields[prob.path]
    concrete = fld.path.replace(f"{list_path}.*", f"{list_path}.{index}", 1)
    return Problem(concrete, form.label(concrete), prob.message, prob.code, prob.place)


def _place_order(text: str, lay: BookLayout) -> tuple:
    parsed = parse_place(text)
    names = [s.name for s in lay.sheets]
    if parsed is None:
        sheet = text.strip("'")
        return (names.index(sheet) if sheet in names else len(names), 0, -1)
    sheet, col, row = parsed
    return (names.index(sheet) if sheet in names else len(names), row,
            -1 if col is None else col)


def validate_record(form: Form, record: Record, profile: Any = None) -> list[Problem]:
    """The record's reading problems plus schema validation, each placed on its cell
    (``profile``: the municipality's :class:`~toolkit.profile.Profile`, see
    :func:`toolkit.validation.validate`).

    A schema problem on a path that already has a reading problem is left out (the
    reading problem says more). Problems are ordered by sheet, row and column.
    """
    from ..validation import validate

    reading = list(record.read_problems if record.read_problems is not None
                   else record.problems)
    read_paths = {p.path for p in reading if p.path}
    out = list(reading)
    cells = record.cells
    for prob in validate(form, record.data, profile):
        if prob.path in read_paths or any(prob.path.startswith(p + ".") for p in read_paths):
            continue
        where = cells.place_of(form, prob.path) if cells is not None else ""
        out.append(Problem(prob.path, prob.label, prob.message, prob.code, where))
    if cells is not None:
        lay = layout(form)
        out.sort(key=lambda p: _place_order(p.place, lay))
    return out
