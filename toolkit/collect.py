"""Collect a folder of returned forms (.docx and .pdf) into one workbook.

Every file under the folder is read (in a process pool), recognised by the form id and
version it carries, extracted and validated. Nothing stops the run: a broken, encrypted,
truncated or hostile file gets a status and a Danish message instead; so does a file
that crashes its worker process or takes longer than ``FILE_SECONDS`` to read. A file
returned twice (same bytes, by SHA-256) is counted once.

The workbook (:func:`workbook`) has a *Status* sheet (one row per file and problem), one
sheet per form (a row per file, columns = fields in schema order with Danish labels), one
sheet per list (rows keyed by file and item number), and one sheet per overview a schema
asks for with ``x-overview`` (lists merged, Danish order, duplicate names flagged). Text from
returned files is always written as text, never as a formula. The bytes are the same on
every run over the same folder.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import danish, pool
from .errors import DocumentError, NotAFormError, SkemaError
from .forms import Field, Form, load_form
from .paths import get_value
from .problems import Problem, Report, note

OK, MISSING, INVALID, UNREADABLE, NOT_A_FORM = (
    "ok", "mangler svar", "ugyldig", "ulæselig", "ikke en formular")
#: Every status a file can get, from best to worst.
STATUSES = (OK, MISSING, INVALID, UNREADABLE, NOT_A_FORM)
#: The suffixes collected (``.doc`` only to say it must be saved as ``.docx``).
SUFFIXES = (".docx", ".pdf", ".doc")
#: A returned form larger than this is not read at all (bounded memory).
MAX_FILE_BYTES = 60 * 1024 * 1024
#: A file whose reading takes longer than this (in a worker process) is given up.
FILE_SECONDS = 60
#: Codes of problems that only say an answer is missing.
_MISSING_CODES = ("required", "minItems")
_FIXED_TIME = (2019, 2, 26, 0, 0, 0)
_FIXED_ISO = "2019-02-26T00:00:00Z"
_MAX_CELL = 32_767
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Entry:
    """What became of one file of the folder."""

    path: str  # relative to the folder, with forward slashes
    sha256: str = ""
    status: str = UNREADABLE
    form_id: str | None = None
    version: str | None = None
    data: dict | None = None
    problems: list[Problem] = field(default_factory=list)  # the data's, by field
    notes: list[Problem] = field(default_factory=list)  # how the file was read
    message: str = ""  # why the file could not be read
    hint: str = ""
    duplicate_of: str | None = None
    code: str = "file_unreadable"  # the problem code of ``message``

    def report(self) -> Report:
        """Everything said about the file, as problems with codes; CPR masked."""
        if self.duplicate_of:
            return Report([note("duplicate", f"samme indhold som {self.duplicate_of}; tælles "
                                "kun én gang")])
        out = [note(self.code, self.message, self.hint)] if self.message else []
        out += self.notes + self.problems
        return Report([replace(p, message=danish.mask_cpr(p.message),
                               detail=danish.mask_cpr(p.detail)) for p in out])

    def messages(self) -> list[tuple[str, str, str, str]]:
        """(field path, label, message, hint) lines for the status report, CPR masked."""
        return [(p.path, p.label, p.message, p.detail) for p in self.report()]


@dataclass
class Collection:
    """Every file of a folder, in sorted path order (duplicates included, marked)."""

    root: str
    form_id: str | None
    entries: list[Entry]

    def unique(self) -> list[Entry]:
        """The entries without the duplicates."""
        return [e for e in self.entries if e.duplicate_of is None]

    def counts(self) -> dict[str, int]:
        """Number of distinct files per status."""
        counts = dict.fromkeys(STATUSES, 0)
        for entry in self.unique():
            counts[entry.status] += 1
        return counts

    @property
    def all_ok(self) -> bool:
        """True when every file was read and is valid."""
        return all(e.status == OK for e in self.entries)


# ---------------------------------------------------------------------------------------
# Finding and reading files
# ---------------------------------------------------------------------------------------
def find_files(root: str | Path) -> list[Path]:
    """Every .docx, .pdf and .doc under root (sub-folders too), sorted; hidden files,
    Word/LibreOffice lock files and symlinked folders are skipped."""
    root = Path(root)
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith((".", "~$")) or Path(name).suffix.lower() not in SUFFIXES:
                continue
            path = Path(folder) / name
            if path.is_file():  # no FIFOs or devices: reading them would block or never end
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def read_entry(path: str | Path, rel: str, form_id: str | None = None) -> Entry:
    """Read one returned file into an Entry; never raises."""
    entry = Entry(rel)
    try:
        _read(Path(path), entry, form_id)
    except NotAFormError as err:
        entry.status, entry.message, entry.hint = NOT_A_FORM, str(err), err.hint
        entry.code = "not_a_form"
    except SkemaError as err:
        entry.status, entry.message, entry.hint = UNREADABLE, str(err), err.hint
    except MemoryError:
        entry.status = UNREADABLE
        entry.message = "filen er for stor til at blive læst"
        entry.hint = "Bed afsenderen om at gemme formularen igen."
    except Exception as err:  # noqa: BLE001 - one bad file never stops the run
        entry.status = UNREADABLE
        entry.message = f"filen kunne ikke læses (uventet fejl: {type(err).__name__})"
        entry.hint = "Bed afsenderen om at gemme og sende filen igen."
    entry.message = danish.mask_cpr(entry.message)
    return entry


def _read(path: Path, entry: Entry, form_id: str | None) -> None:
    from .extract.docx import extract_docx
    from .extract.pdf import extract_pdf

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DocumentError(f"filen er for stor ({size // 1024 // 1024} MB); skema læser "
                            f"formularer op til {MAX_FILE_BYTES // 1024 // 1024} MB",
                            hint="Bed afsenderen om at gemme formularen uden store billeder.")
    with path.open("rb") as handle:
        data = handle.read(size + 1)  # not MAX_FILE_BYTES: read(n) reserves n bytes
    entry.sha256 = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise DocumentError("gamle Word-filer (.doc) kan ikke læses",
                            hint="Åbn filen i Word og gem den som Word-dokument (.docx).")
    if not data:
        raise DocumentError("filen er tom (0 byte)",
                            hint="Bed afsenderen om at sende den udfyldte formular igen.")
    reader = extract_docx if suffix == ".docx" else extract_pdf
    try:
        result = reader(data, entry.path, None)
    except NotAFormError:
        if not form_id:
            raise
        result = reader(data, entry.path, form_id)  # a copy without the form's identity
    if form_id and result.form.id != form_id:
        raise NotAFormError(
            f"filen er en \"{result.form.id}\"-formular ({result.form.title}), ikke en "
            f"\"{form_id}\"-formular som angivet med --form; den er sprunget over",
            hint="Kør uden --form for at samle alle slags formularer.")
    entry.form_id, entry.version = result.form.id, result.version
    entry.data, entry.notes = result.data, list(result.notes)
    entry.problems = list(result.report)
    codes = {p.code for p in result.report}
    if not result.report.problems:
        entry.status = OK if _has_answers(result.data) else MISSING
        if entry.status == MISSING:
            entry.notes.append(note("not_filled", "formularen er ikke udfyldt"))
    elif codes <= set(_MISSING_CODES):
        entry.status = MISSING
    else:
        entry.status = INVALID


def _has_answers(data: Any) -> bool:
    if isinstance(data, dict):
        return any(_has_answers(v) for v in data.values())
    if isinstance(data, list):
        return any(_has_answers(v) for v in data)
    return data not in (None, "", False)


def _lost(rel: str, reason: str) -> Entry:
    """The entry of a file whose reading crashed its worker or took too long."""
    if reason == pool.TOO_SLOW:
        return Entry(rel, status=UNREADABLE, code="too_slow",
                     message=f"filen tog for lang tid at læse (over {FILE_SECONDS} sekunder) "
                     "og er sprunget over",
                     hint="Bed afsenderen om at gemme formularen igen, gerne uden store "
                     "billeder.")
    return Entry(rel, status=UNREADABLE, code="crashed",
                 message="filen fik læseren til at gå ned og kan ikke læses",
                 hint="Bed afsenderen om at gemme og sende filen igen.")


def _task(args: tuple[str, str, str | None]) -> Entry:
    return read_entry(*args)


def collect(root: str | Path, form_id: str | None = None,
            workers: int | None = None) -> Collection:
    """Read every returned form under ``root``; ``form_id`` keeps only that form.

    ``workers``: processes to use (default: one per core; 1 reads in this process).
    """
    root = Path(root)
    if form_id:
        load_form(form_id)  # UnknownFormError before any work
    paths = find_files(root)
    tasks = [(str(p), p.relative_to(root).as_posix(), form_id) for p in paths]
    return Collection(str(root), form_id, _read_all(tasks, workers))


def collect_files(paths: list[str | Path], form_id: str | None = None,
                  workers: int | None = None) -> Collection:
    """Like :func:`collect`, for the files named (shown as given), in the order given."""
    if form_id:
        load_form(form_id)
    tasks = [(str(p), Path(p).as_posix(), form_id) for p in paths]
    return Collection("", form_id, _read_all(tasks, workers))


def _read_all(tasks: list[tuple[str, str, str | None]], workers: int | None) -> list[Entry]:
    """Read the files, spread over processes; the same bytes twice are marked duplicates."""
    workers = workers or pool.cores()
    if len(tasks) < 8:
        workers = 1
    chunk = max(1, min(16, len(tasks) // (workers * 8)))
    entries: list[Entry | None] = [None] * len(tasks)
    for done in pool.run(_task, tasks, workers, chunk=chunk, seconds=FILE_SECONDS,
                         isolate=True):
        for i, entry in done:
            entries[i] = _lost(tasks[i][1], entry.reason) if isinstance(
                entry, pool.Lost) else entry
    read = [e for e in entries if e is not None]
    first: dict[str, str] = {}
    for entry in read:
        if not entry.sha256:
            continue
        if entry.sha256 in first:
            entry.duplicate_of = first[entry.sha256]
        else:
            first[entry.sha256] = entry.path
    return read


# ---------------------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------------------
def cell_text(fld: Field, value: Any) -> Any:
    """A field's value as a workbook cell value (text, number or None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if fld.kind == "multi" and isinstance(value, list):
        return ", ".join(fld.choice_title(v) for v in value)
    if fld.kind == "dropdown":
        return fld.choice_title(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Sheet:
    """One worksheet being written: rows of XML, column widths, the header width."""

    def __init__(self, name: str, width: int, widths: list[float]) -> None:
        self.name = name
        self.width = width
        self.widths = widths
        self.rows: list[str] = []


class _Sheets:
    """A minimal .xlsx writer (SpreadsheetML, written directly: ten times faster than
    openpyxl for a few hundred thousand cells, and byte-for-byte the same on every run).

    Every text cell is an inline string (``t="inlineStr"``): never a formula, whatever
    it starts with; text starting with ``=``, ``+``, ``-`` or ``@`` also gets the
    quote-prefix style, so it stays text when a user edits the cell in Excel or Calc.
    """

    # cellXfs: 0 plain, 1 header, 2 highlighted, 3 quote prefix, 4 highlighted + prefix
    HEADER, HIGHLIGHT, PREFIX = 1, 2, 3

    def __init__(self) -> None:
        self.sheets: list[_Sheet] = []
        self.used: set[str] = set()

    def sheet(self, wanted: str, headers: list[str],
              widths: list[float] | None = None) -> _Sheet:
        name = re.sub(r"[\[\]:*?/\\]", "-", wanted).strip("'")[:31] or "Ark"
        base, n = name, 2
        while name.casefold() in self.used:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        self.used.add(name.casefold())
        ws = _Sheet(name, len(headers), list(widths or []))
        self.sheets.append(ws)
        self._append(ws, headers, self.HEADER)
        return ws

    def row(self, ws: _Sheet, values: Iterable[Any], highlight: bool = False) -> None:
        """Append one row of values (text, numbers or None)."""
        self._append(ws, list(values), self.HIGHLIGHT if highlight else 0)

    def _append(self, ws: _Sheet, values: list[Any], style: int) -> None:
        number = len(ws.rows) + 1
        cells = []
        for i, value in enumerate(values):
            ref = f"{_column(i + 1)}{number}"
            attr = f' s="{style}"' if style else ""
            if value is None or value == "":
                if style:
                    cells.append(f'<c r="{ref}"{attr}/>')
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                    math.isfinite(value):
                cells.append(f'<c r="{ref}"{attr}><v>{value!r}</v></c>')
                continue
            text = _ILLEGAL.sub("", str(value))
            if len(text) > _MAX_CELL:
                text = text[: _MAX_CELL - 1] + "…"
            if text[:1] in ("=", "+", "-", "@") and style != self.HEADER:
                attr = f' s="{self.PREFIX + (1 if style else 0)}"'
            text = _XESC.sub(r"_x005F\g<0>", text)  # a literal _x0041_ is not "A"
            cells.append(f'<c r="{ref}"{attr} t="inlineStr"><is><t xml:space="preserve">'
                         f"{_xml(text)}</t></is></c>")
        ws.rows.append(f'<row r="{number}">{"".join(cells)}</row>')

    def package(self) -> bytes:
        """The whole .xlsx package as bytes (fixed times)."""
        parts: list[tuple[str, str]] = []
        sheets = self.sheets
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1))
        parts.append(("[Content_Types].xml", _DECL + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.'
            'openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.extended-properties+xml"/>'
            f"{overrides}</Types>")))
        parts.append(("_rels/.rels", _DECL + (
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_DOC_REL}/officeDocument" '
            'Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_DOC_REL}/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>')))
        parts.append(("docProps/core.xml", _DECL + (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:title>Samlede formularer</dc:title><dc:creator>skema</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{_FIXED_ISO}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_FIXED_ISO}</dcterms:modified>'
            "</cp:coreProperties>")))
        parts.append(("docProps/app.xml", _DECL + (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>skema</Application></Properties>')))
        names = "".join(f'<sheet name="{_xml(ws.name, True)}" sheetId="{i}" r:id="rId{i}"/>'
                        for i, ws in enumerate(sheets, start=1))
        filters = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"'{_xml(ws.name.replace(chr(39), chr(39) * 2))}'!$A$1:${_column(ws.width)}$"
            f"{len(ws.rows)}</definedName>"
            for i, ws in enumerate(sheets) if ws.width)
        parts.append(("xl/workbook.xml", _DECL + (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_REL}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{names}</sheets>"
            + (f"<definedNames>{filters}</definedNames>" if filters else "")
            + "</workbook>")))
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_DOC_REL}/worksheet" '
                       f'Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(sheets) + 1))
        rels += (f'<Relationship Id="rId{len(sheets) + 1}" Type="{_DOC_REL}/styles" '
                 'Target="styles.xml"/>')
        parts.append(("xl/_rels/workbook.xml.rels", _DECL + (
            f'<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>')))
        parts.append(("xl/styles.xml", _DECL + _STYLES))
        selected = ' tabSelected="1"'
        for i, ws in enumerate(sheets, start=1):
            cols = "".join(f'<col min="{j}" max="{j}" width="{width}" customWidth="1"/>'
                           for j, width in enumerate(ws.widths, start=1))
            last = f"{_column(ws.width)}{len(ws.rows)}" if ws.width else "A1"
            filt = f'<autoFilter ref="A1:{last}"/>' if ws.width else ""
            parts.append((f"xl/worksheets/sheet{i}.xml", _DECL + (
                f'<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_REL}">'
                f'<dimension ref="A1:{last}"/>'
                f'<sheetViews><sheetView workbookViewId="0"{selected if i == 1 else ""}>'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                + (f"<cols>{cols}</cols>" if cols else "")
                + f"<sheetData>{''.join(ws.rows)}</sheetData>{filt}</worksheet>")))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as pkg:
            for name, text in parts:
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                pkg.writestr(info, text.encode("utf-8"))
        return out.getvalue()


_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_STYLES = (
    f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="4"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFD9E2F3"/>'
    '<bgColor indexed="64"/></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFF2CC"/>'
    '<bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" '
    'applyFill="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1" '
    'quotePrefix="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>")
_XESC = re.compile(r"_x[0-9A-Fa-f]{4}_")


def _xml(text: str, attr: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attr else text


@functools.cache
def _column(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def workbook(collection: Collection) -> bytes:
    """The collection as .xlsx bytes (identical bytes for the same collection)."""
    sheets = _Sheets()
    _status_sheet(sheets, collection)
    entries = [e for e in collection.unique() if e.data is not None]
    form_ids = sorted({e.form_id for e in entries if e.form_id})
    for fid in form_ids:
        form = load_form(fid)
        rows = [e for e in entries if e.form_id == fid]
        _form_sheet(sheets, form, rows)
        for lst in form.lists.values():
            _list_sheet(sheets, form, lst.path, rows)
        for overview in form.schema.get("x-overview", []):
            _overview_sheet(sheets, form, overview, rows)
    return sheets.package()


def _status_sheet(sheets: _Sheets, collection: Collection) -> None:
    ws = sheets.sheet("Status", ["Fil", "Formular", "Version", "Status", "Felt", "Feltnavn",
                                 "Besked", "Tip"], [40, 20, 9, 16, 28, 40, 70, 50])
    for entry in collection.entries:
        status = entry.status
        lines = entry.messages() or [("", "", "", "")]
        for path, label, message, hint in lines:
            sheets.row(ws, [danish.mask_cpr(entry.path), entry.form_id or "",
                            entry.version or "", status, path, label, message, hint],
                       highlight=status != OK)


def _form_sheet(sheets: _Sheets, form: Form, rows: list[Entry]) -> None:
    flds = [f for f in form.fields.values() if f.list_path is None]
    ws = sheets.sheet(form.id, ["Fil", "Status", "Version"] + [f.label for f in flds],
                      [40, 14, 9] + [24] * len(flds))
    for entry in rows:
        sheets.row(ws, [danish.mask_cpr(entry.path), entry.status, entry.version or ""]
                   + [cell_text(f, get_value(entry.data or {}, f.path)) for f in flds])


def _list_fields(form: Form, path: str) -> list[Field]:
    return list(form.lists[path].fields)


def _item_value(fld: Field, item: Any) -> Any:
    if not isinstance(item, dict):
        return cell_text(fld, item)
    return cell_text(fld, get_value(item, fld.key))


def _column_title(form: Form, fld: Field) -> str:
    lst = form.lists[fld.list_path]
    return lst.label if lst.scalar else fld.schema.get("title", fld.key)


def _list_sheet(sheets: _Sheets, form: Form, path: str, rows: list[Entry]) -> None:
    flds = _list_fields(form, path)
    ws = sheets.sheet(path, ["Fil", "Nr."] + [_column_title(form, f) for f in flds],
                      [40, 6] + [30] * len(flds))
    for entry in rows:
        items = get_value(entry.data or {}, path)
        for i, item in enumerate(items if isinstance(items, list) else [], start=1):
            sheets.row(ws, [danish.mask_cpr(entry.path), i]
                       + [_item_value(f, item) for f in flds])


def _overview_sheet(sheets: _Sheets, form: Form, spec: dict, rows: list[Entry]) -> None:
    """Several lists merged into one, sorted in Danish order by ``key``; duplicates by
    ``key`` are flagged."""
    key = spec.get("key", "navn")
    lists = [p for p in spec.get("lists", []) if p in form.lists]
    if not lists:
        return
    key_field = form.fields[f"{lists[0]}.*.{key}"]
    others: list[str] = []
    titles: dict[str, str] = {}
    for path in lists:
        for fld in form.lists[path].fields:
            if fld.key != key and fld.key not in others:
                others.append(fld.key)
                titles[fld.key] = fld.schema.get("title", fld.key)
    found = []
    for entry in rows:
        for order, path in enumerate(lists):
            items = get_value(entry.data or {}, path)
            for i, item in enumerate(items if isinstance(items, list) else [], start=1):
                if not isinstance(item, dict):
                    continue
                name = " ".join(str(item.get(key) or "").split())
                found.append((name, order, entry.path, i, path, item))
    groups: dict[tuple, int] = {}
    for name, *_ in found:
        if name:
            ident = danish.sort_key(name)[0]
            groups[ident] = groups.get(ident, 0) + 1
    found.sort(key=lambda r: (not r[0], danish.sort_key(r[0]), r[1], r[2], r[3]))
    ws = sheets.sheet(spec.get("title", "Oversigt"),
                      [key_field.schema.get("title", key), "Type"]
                      + [titles[k] for k in others] + ["Fil", "Nr.", "Dublet"],
                      [30, 26] + [40] * len(others) + [40, 6, 16])
    for name, _order, source, i, path, item in found:
        count = groups.get(danish.sort_key(name)[0], 0) if name else 0
        flag = f"ja ({count} gange)" if count > 1 else ""
        values = [name or None, form.lists[path].item_title]
        for k in others:
            fld = form.fields.get(f"{path}.*.{k}")
            values.append(cell_text(fld, get_value(item, k)) if fld else None)
        sheets.row(ws, values + [danish.mask_cpr(source), i, flag], highlight=bool(flag))
