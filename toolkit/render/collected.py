"""The collected workbook: every returned form of a collection in one .xlsx (XlsxWriter).

Sheets, in order: *Status* (one row per file and problem, the field named by its Danish
label), then for each form (by id) a sheet named by the form's title (one row per file,
columns = fields in schema order), one sheet per list named by the list's title (rows
keyed by file and item number), and one sheet per overview the schema asks for with
``x-overview`` (lists merged, Danish order, duplicate names flagged).

Made to be used by a caseworker: the header row holds the Danish labels (each field's
path in the header cell's comment; :func:`field_path_of` reads it back), is frozen (with
the first column: the file, or the overview's name), has an autofilter and is repeated on
every printed page; pages are landscape and fit to the width.
Dates are real Excel dates shown as ``dd-mm-åååå``, numbers are numbers. Text from
returned files is always written with ``write_string`` (never a formula, whatever it
starts with); text starting with ``=``, ``+``, ``-`` or ``@`` also gets the quote prefix,
so it stays text when a user edits the cell. The bytes are the same on every run over the
same collection (a fixed creation time).
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import xlsxwriter

from .. import danish
from ..catalogue import Field, Form, load_form
from ..collect import OK
from ..errors import SkemaError
from ..paths import get_value
from .xlsx import cell_value as input_cell_value

if TYPE_CHECKING:
    from ..collect import Collection, Entry

#: The creation time written into every collected workbook (same bytes on every run).
CREATED = _dt.datetime(2019, 2, 26)
#: How dates are shown (Danish order: dd-mm-åååå).
DATE_FORMAT = "dd-mm-yyyy"
#: Excel's limits: characters in a cell, characters in a sheet name.
MAX_CELL = 32_767
MAX_SHEET_NAME = 31
#: The prefix of a header cell's comment naming the field's path.
PATH_NOTE = "Feltsti: "

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_QUOTE_PREFIX = ("=", "+", "-", "@")
_RESERVED = {"history"}  # Excel refuses a sheet of this name


@dataclass(frozen=True)
class Column:
    """One column of a collected sheet: its header, width and (for a field) the path."""

    header: str
    width: float
    path: str = ""


def cell_value(fld: Field | None, value: Any) -> Any:
    """A field's value as a cell value: text, number, ``datetime.date`` or None.

    The input workbook's cell value (:func:`toolkit.render.xlsx.cell_value`: choice titles,
    ``ja``/``nej``, real dates), so a collected row reads like a filled input row; besides,
    any other yes/no is ``ja``/``nej`` and an object is written as JSON text.
    """
    if isinstance(value, bool) and (fld is None or fld.kind != "checkbox"):
        return "ja" if value else "nej"
    if isinstance(value, (dict, list)) and (fld is None or fld.kind != "multi"):
        return json.dumps(value, ensure_ascii=False)
    return input_cell_value(fld, value)


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A valid, unique sheet name for ``wanted``: forbidden characters become spaces, a
    longer name is cut to 31 characters ending in ``…``, `` (2)`` … is added when the name
    is taken (case-insensitively). The name is added to ``taken``."""
    name = " ".join(_BAD_SHEET_CHARS.sub(" ", wanted).split()).strip("'").strip() or "Ark"
    if len(name) > MAX_SHEET_NAME:
        name = name[: MAX_SHEET_NAME - 1].rstrip() + "…"
    base, n = name, 2
    while name.casefold() in taken or name.casefold() in _RESERVED:
        suffix = f" ({n})"
        name = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        n += 1
    taken.add(name.casefold())
    return name


def field_path_of(comment: str | None) -> str | None:
    """The field path a header cell's comment names, or None (for reading the book back)."""
    for line in (comment or "").splitlines():
        if line.startswith(PATH_NOTE):
            return line[len(PATH_NOTE):].strip()
    return None


class _Sheet:
    """One worksheet being written: its XlsxWriter sheet, columns and rows so far."""

    def __init__(self, ws: Any, columns: Sequence[Column]) -> None:
        self.ws = ws
        self.width = len(columns)
        self.rows = 1


class CollectedBook:
    """A workbook of header-and-rows sheets with the collected workbook's look."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        # in_memory: no temporary files. constant_memory would hold less, but wrote the
        # 2,000-form benchmark's workbook about 1.5 times slower; this mode holds less than
        # the hand-written writer it replaced did.
        self.book = xlsxwriter.Workbook(self._out, {
            "in_memory": True, "strings_to_formulas": False,
            "strings_to_numbers": False, "strings_to_urls": False,
        })
        self.book.set_properties({"title": "Samlede formularer", "author": "skema",
                                  "created": CREATED})
        add = self.book.add_format
        fill = {"bg_color": "#FFF2CC", "pattern": 1}
        self.header = add({"bold": True, "bg_color": "#D9E2F3", "pattern": 1,
                           "text_wrap": True, "valign": "top", "bottom": 1})
        # [highlighted][kind]: kind 0 plain, 1 quote prefix, 2 date
        self.formats = [
            [None, add({"quote_prefix": True}), add({"num_format": DATE_FORMAT})],
            [add(fill), add({**fill, "quote_prefix": True}),
             add({**fill, "num_format": DATE_FORMAT})],
        ]
        self.sheets: list[_Sheet] = []
        self.taken: set[str] = set()

    def sheet(self, wanted: str, columns: Sequence[Column]) -> _Sheet:
        """A new sheet named after ``wanted`` with its header row written."""
        ws = self.book.add_worksheet(sheet_name(wanted, self.taken))
        for i, col in enumerate(columns):
            ws.set_column(i, i, col.width)
        ws.freeze_panes(1, 1)  # the header row, and the first column (the file, the name)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        # Calc does not grow a row for wrapped text on opening: the header row gets the
        # height of its longest label (bold text: about 0.9 characters per width unit)
        lines = max((math.ceil(len(c.header) / max(c.width * 0.9, 1)) for c in columns),
                    default=1)
        if lines > 1:
            ws.set_row(0, 15 * min(lines, 6))
        for i, col in enumerate(columns):
            ws.write_string(0, i, _text(col.header), self.header)
            if col.path:
                ws.write_comment(0, i, PATH_NOTE + col.path,
                                 {"author": "skema", "x_scale": 2, "y_scale": 0.5})
        sheet = _Sheet(ws, columns)
        self.sheets.append(sheet)
        return sheet

    def row(self, sheet: _Sheet, values: Iterable[Any], highlight: bool = False) -> None:
        """Append one row of values (text, numbers, dates or None)."""
        ws, r = sheet.ws, sheet.rows
        plain, prefix, date = self.formats[1 if highlight else 0]
        for c, value in enumerate(values):
            if value.__class__ is str and value:  # most cells: checked first
                text = _text(value)
                ws.write_string(r, c, text, prefix if text[:1] in _QUOTE_PREFIX else plain)
            elif value is None or value == "":
                if highlight:
                    ws.write_blank(r, c, None, plain)
            elif isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and math.isfinite(value):
                ws.write_number(r, c, value, plain)
            elif isinstance(value, _dt.date):
                ws.write_datetime(r, c, value, date)
            else:
                text = _text(str(value))
                ws.write_string(r, c, text, prefix if text[:1] in _QUOTE_PREFIX else plain)
        sheet.rows += 1

    def package(self) -> bytes:
        """Close the workbook and return its bytes."""
        for sheet in self.sheets:
            if sheet.width:
                sheet.ws.autofilter(0, 0, sheet.rows - 1, sheet.width - 1)
        self.book.close()
        return self._out.getvalue()


def _text(text: str) -> str:
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


# ---------------------------------------------------------------------------------------
# The collection's sheets
# ---------------------------------------------------------------------------------------
STATUS_COLUMNS = (Column("Fil", 40), Column("Formular", 30), Column("Version", 9),
                  Column("Status", 16), Column("Felt", 40), Column("Besked", 70),
                  Column("Tip", 50), Column("Feltsti", 28))


def collected_workbook(collection: Collection) -> bytes:
    """The collection as .xlsx bytes (identical bytes for the same collection)."""
    book = CollectedBook()
    entries = [e for e in collection.unique() if e.data is not None]
    form_ids = sorted({e.form_id for e in entries if e.form_id})
    _status_sheet(book, collection)
    for fid in form_ids:
        form = load_form(fid)
        rows = [e for e in entries if e.form_id == fid]
        _form_sheet(book, form, rows)
        for lst in form.lists.values():
            _list_sheet(book, form, lst.path, rows)
        for overview in form.schema.get("x-overview", []):
            _overview_sheet(book, form, overview, rows)
    return book.package()


def _form_or_none(form_id: str | None) -> Form | None:
    if not form_id:
        return None
    try:
        return load_form(form_id)
    except SkemaError:
        return None


def _status_sheet(book: CollectedBook, collection: Collection) -> None:
    ws = book.sheet("Status", STATUS_COLUMNS)
    forms: dict[str | None, Form | None] = {}
    for entry in collection.entries:
        if entry.form_id not in forms:
            forms[entry.form_id] = _form_or_none(entry.form_id)
        form = forms[entry.form_id]
        title = form.title if form else entry.form_id or ""
        for path, label, message, hint in entry.messages() or [("", "", "", "")]:
            if path and not label and form is not None:
                label = form.label(path)
            book.row(ws, [danish.mask_cpr(entry.path), title, entry.version or "",
                          entry.status, label, message, hint, path],
                     highlight=entry.status != OK)


def _sheet_title(form: Form, path: str | None) -> str:
    """The sheet's wanted name: ``x-sheet`` or the title of the list, the form's title."""
    if path is None:
        return form.title
    node = form.schema_at(path) or {}
    return node.get("x-sheet") or node.get("title") or form.lists[path].label


def _width(fld: Field) -> float:
    return {"date": 12, "long": 50, "checkbox": 10}.get(fld.kind, 24)


def _form_sheet(book: CollectedBook, form: Form, rows: list[Entry]) -> None:
    flds = [f for f in form.fields.values() if f.list_path is None]
    ws = book.sheet(_sheet_title(form, None),
                    [Column("Fil", 40), Column("Status", 14), Column("Version", 9)]
                    + [Column(f.label, _width(f), f.path) for f in flds])
    for entry in rows:
        data = entry.data or {}
        book.row(ws, [danish.mask_cpr(entry.path), entry.status, entry.version or ""]
                 + [cell_value(f, get_value(data, f.path)) for f in flds])


def _item_value(fld: Field, item: Any) -> Any:
    if not isinstance(item, dict):
        return cell_value(fld, item)
    return cell_value(fld, get_value(item, fld.key))


def _column_title(form: Form, fld: Field) -> str:
    lst = form.lists[fld.list_path or ""]
    return lst.label if lst.scalar else fld.schema.get("title", fld.key)


def _list_sheet(book: CollectedBook, form: Form, path: str, rows: list[Entry]) -> None:
    flds = list(form.lists[path].fields)
    ws = book.sheet(_sheet_title(form, path),
                    [Column("Fil", 40), Column("Nr.", 6)]
                    + [Column(_column_title(form, f), max(_width(f), 30), f.path)
                       for f in flds])
    for entry in rows:
        items = get_value(entry.data or {}, path)
        for i, item in enumerate(items if isinstance(items, list) else [], start=1):
            book.row(ws, [danish.mask_cpr(entry.path), i]
                     + [_item_value(f, item) for f in flds])


def _overview_sheet(book: CollectedBook, form: Form, spec: dict, rows: list[Entry]) -> None:
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
    ws = book.sheet(spec.get("title", "Oversigt"),
                    [Column(key_field.schema.get("title", key), 30),
                     Column("Type", 26)]
                    + [Column(titles[k], 40) for k in others]
                    + [Column("Fil", 40), Column("Nr.", 6), Column("Dublet", 16)])
    for name, _order, source, i, path, item in found:
        count = groups.get(danish.sort_key(name)[0], 0) if name else 0
        flag = f"ja ({count} gange)" if count > 1 else ""
        values: list[Any] = [name or None, form.lists[path].item_title]
        for k in others:
            own = form.fields.get(f"{path}.*.{k}")
            values.append(cell_value(own, get_value(item, k)) if own else None)
        book.row(ws, values + [danish.mask_cpr(source), i, flag], highlight=bool(flag))
