"""Excel workbooks the toolkit writes: the input workbook of a form, and the report copy.

:func:`input_workbook` writes the sheets of :func:`toolkit.sources.excel.layout`: a header
row of Danish labels in the schema's order, drop-downs for choices (values on a hidden
*Lister* sheet, so long lists such as the 98 kommuner work), date-formatted date columns,
CPR, phone and month columns stored as text, frozen headers, widths and a *Vejledning*
sheet. Given rows of data it fills them in (samples, round trips, the batch benchmark).

:func:`report_copy` returns a copy of a read workbook with every bad cell filled red and
a comment that says what is wrong (CPR numbers masked).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from .. import danish
from ..catalogue import Field, Form
from ..errors import DataFileError
from ..fileio import FORMULA_START
from ..guidance import staff_help
from ..paths import get_value
from ..profile import Profile
from ..profile_defaults import suggestions
from ..sources.workbook_cells import column_letter, parse_place, quote_sheet
from ..sources.workbook_layout import GUIDE_SHEET, LISTS_SHEET, Column, SheetDef, layout
from ..validation import Problem

DATE_FORMAT = "DD-MM-YYYY"
TEXT_FORMAT = "@"
HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")
HEADER_FONT = Font(bold=True)
#: The fill of a bad cell in the report copy.
BAD_FILL = PatternFill("solid", fgColor="FFFF7C80")
#: The fill of a cell whose value was changed while reading (a note, not an error).
NOTE_FILL = PatternFill("solid", fgColor="FFFFEB9C")
_LAST_ROW = 1_048_576
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _width(col: Column) -> float:
    fld = col.field
    if fld is None:
        return 8
    if fld.kind == "date":
        base = 12
    elif fld.format == "cpr":
        base = 13
    elif fld.kind == "long":
        base = 45
    elif fld.kind == "multi":
        base = 30
    else:
        base = 18
    return float(min(max(base, len(col.header) * 1.1 + 2), 50))


def format_text(fld: Field | None, key_title: str = "") -> str:
    """How a column is to be filled in, in Danish (the Vejledning's *Format* column)."""
    if fld is None:
        return ("Løbenummer eller anden nøgle; rækkerne på de andre ark henviser til den "
                f"i kolonnen \"{key_title}\".")
    if fld.kind == "multi":
        return ("Et eller flere af: " + "; ".join(t for _, t in fld.choices)
                + ". Adskil med semikolon (;).")
    if fld.format == "kommune":
        return "En af Danmarks 98 kommuner; vælg fra listen."
    if fld.kind == "dropdown":
        return "Vælg fra listen: " + ", ".join(t for _, t in fld.choices) + "."
    if fld.kind == "checkbox":
        return "ja eller nej (x, 1 og 0 går også)."
    if fld.kind == "date":
        return "Dato, fx 26-02-2019."
    return {
        "month": "Måned, fx 2024-10 eller oktober 2024 (gemt som tekst).",
        "cpr": "CPR-nummer på formen DDMMÅÅ-XXXX (gemt som tekst).",
        "telefon": "Telefonnummer med 8 cifre, fx 12 34 56 78 (gemt som tekst).",
        "email": "E-mailadresse, fx navn@kommune.dk.",
    }.get(fld.format or "", "Tekst; ny linje i cellen med Alt+Enter." if fld.kind == "long"
          else "Tekst.")


def _safe_text(text: str) -> str:
    return _ILLEGAL.sub("", text)


def cell_value(fld: Field | None, value: Any) -> Any:
    """A data value as written into a cell: titles for choices, dates as dates, ja/nej."""
    if value is None:
        return None
    if fld is None:
        return value
    if fld.kind == "multi" and isinstance(value, list):
        return "; ".join(fld.choice_title(v) for v in value)
    if fld.kind == "dropdown" and fld.format != "kommune":
        return fld.choice_title(value) if fld.choices else value
    if fld.kind == "checkbox" and isinstance(value, bool):
        return "ja" if value else "nej"
    if fld.kind == "date" and isinstance(value, str) and danish.is_iso_date(value):
        return _dt.date.fromisoformat(value)
    if isinstance(value, str):
        return _safe_text(value)
    return value


class _Writer:
    """Writes one write-only workbook with cached styles."""

    def __init__(self, form: Form, profile: Profile | None = None) -> None:
        self.form = form
        self.profile = profile
        self.lay = layout(form)
        self.book = Workbook(write_only=True)
        self.lists_ws = None
        self.lists_col = 0
        self.list_refs: dict[str, str] = {}

    def _choices_ref(self, fld: Field) -> str:
        if fld.path in self.list_refs:
            return self.list_refs[fld.path]
        titles = [t for _, t in fld.choices]
        col = column_letter(len(self.list_refs))
        self.list_refs[fld.path] = (f"{quote_sheet(LISTS_SHEET)}!${col}$2:${col}$"
                                    f"{len(titles) + 1}")
        return self.list_refs[fld.path]

    def sheet(self, sdef: SheetDef, rows: Iterable[list[Any]]) -> None:
        ws = self.book.create_sheet(sdef.name)
        ws.freeze_panes = "B2" if sdef.columns[0].field is None else "A2"
        validations: dict[str, list[str]] = {}
        for i, col in enumerate(sdef.columns):
            letter = column_letter(i)
            dim = ws.column_dimensions[letter]
            dim.width = _width(col)
            fld = col.field
            if fld is not None and fld.kind == "date":
                dim.number_format = DATE_FORMAT
            elif fld is not None and fld.format in ("cpr", "telefon", "month"):
                dim.number_format = TEXT_FORMAT
            elif fld is not None and fld.kind == "long":
                dim.alignment = Alignment(wrap_text=True, vertical="top")
            rng = f"{letter}2:{letter}{_LAST_ROW}"
            if fld is not None and fld.kind == "dropdown" and fld.choices:
                validations.setdefault(self._choices_ref(fld), []).append(rng)
            elif fld is not None and fld.kind == "checkbox":
                validations.setdefault('"ja,nej"', []).append(rng)
            elif fld is not None and _offer(suggestions(fld, self.profile)):
                offer = _offer(suggestions(fld, self.profile))
                dv = DataValidation(type="list", formula1=offer, allow_blank=True,
                                    showErrorMessage=False)  # a suggestion: any text goes
                dv.add(rng)
                ws.data_validations.append(dv)
        for formula, ranges in validations.items():
            dv = DataValidation(type="list", formula1=formula, allow_blank=True,
                                showErrorMessage=True, errorStyle="warning",
                                errorTitle="Ukendt værdi",
                                error="Vælg en værdi fra listen.")
            for rng in ranges:
                dv.add(rng)
            ws.data_validations.append(dv)
        lines = max(math.ceil(len(c.header) * 1.15 / (_width(c) - 1)) for c in sdef.columns)
        ws.row_dimensions[1].height = 15 * max(lines, 1) + 3
        header = []
        for col in sdef.columns:
            cell = WriteOnlyCell(ws, col.header)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        ws.append(header)
        kinds = []
        for col in sdef.columns:
            fld = col.field
            if fld is not None and fld.kind == "date":
                kinds.append("date")
            elif fld is not None and fld.format in ("cpr", "telefon", "month"):
                kinds.append("text")
            else:
                kinds.append("")
        for values in rows:
            out = []
            for col, kind, value in zip(sdef.columns, kinds, values):
                value = cell_value(col.field, value)
                needs_cell = kind or (isinstance(value, str) and value.startswith("="))
                if value is None or not needs_cell:
                    out.append(value)
                    continue
                cell = WriteOnlyCell(ws, value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a live formula
                if kind == "date" and isinstance(value, _dt.date):
                    cell.number_format = DATE_FORMAT
                elif kind == "text":
                    cell.number_format = TEXT_FORMAT
                out.append(cell)
            ws.append(out)

    def guide(self) -> None:
        ws = self.book.create_sheet(GUIDE_SHEET)
        ws.page_setup.orientation = "landscape"  # printed: one page wide
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        widths = (22, 34, 34, 50, 45, 14)
        for letter, width in zip("ABCDEF", widths):
            ws.column_dimensions[letter].width = width
        count = 0

        def add(cells: list, height: float | None = None) -> None:
            nonlocal count
            count += 1
            if height:
                ws.row_dimensions[count].height = height
            ws.append(cells)

        title = WriteOnlyCell(ws, f"Vejledning: {self.form.title}")
        title.font = Font(bold=True, size=14)
        add([title], 22)
        first, key = self.lay.main.name, self.lay.key_title
        intro = [f"Skriv én udfyldt formular pr. række på arket \"{first}\"."]
        if self.lay.lists:
            names = ", ".join(f"\"{s.name}\"" for s in self.lay.lists)
            intro.append(f"Listerne står på hver sit ark ({names}), én række pr. punkt; "
                         f"kolonnen \"{key}\" siger, hvilken række på arket \"{first}\" "
                         "punktet hører til.")
        intro.append("Ret ikke overskrifterne; en kolonne må også hedde feltnavnet (fx "
                     f"{next(iter(self.form.fields))}). Tomme rækker springes over.")
        for line in intro:
            add([line])
        add([])
        guidance = staff_help(self.form)
        if guidance:  # the source's text for the staff, never on the citizen's copy
            head = WriteOnlyCell(ws, "Til sagsbehandleren (står ikke i dokumentet til borgeren)")
            head.font = HEADER_FONT
            add([head])
            wrap_top = Alignment(wrap_text=True, vertical="top")
            for label, text in guidance:
                cells = [WriteOnlyCell(ws, label), WriteOnlyCell(ws, text)]
                for cell in cells:
                    cell.data_type = "s"
                    cell.alignment = wrap_top
                add(cells, 15 * max(1, math.ceil(len(text) * 1.1 / (widths[1] - 2))) + 2)
            add([])
        header = []
        for text in ("Ark", "Kolonne", "Feltnavn", "Hjælp", "Format", "Skal udfyldes"):
            cell = WriteOnlyCell(ws, text)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            header.append(cell)
        add(header)
        wrap = Alignment(wrap_text=True, vertical="top")
        for sdef in self.lay.sheets:
            for col in sdef.columns:
                fld = col.field
                if fld is None and sdef.list_path is None:
                    path, helptext = "", "Rækkens nøgle (fx 1, 2, 3 …)."
                    required = "ja" if self.lay.lists else "nej"
                elif fld is None:
                    path = self.lay.key_field or ""
                    helptext = f"{key} på den række på arket \"{first}\", som punktet hører til."
                    required = "ja"
                else:
                    path, helptext = fld.path, fld.help
                    required = "ja" if fld.required else "nej"
                row = [sdef.name, col.header, path, helptext,
                       format_text(fld, self.lay.key_title), required]
                lines = max(math.ceil(len(v or "") * 1.1 / (w - 2)) for v, w in zip(row, widths))
                cells = []
                for value in row:
                    cell = WriteOnlyCell(ws, value)
                    cell.data_type = "s"
                    cell.alignment = wrap
                    cells.append(cell)
                add(cells, 15 * max(lines, 1) + 2)

    def lists_sheet(self) -> None:
        if not self.list_refs:
            return
        ws = self.book.create_sheet(LISTS_SHEET)
        ws.sheet_state = "hidden"
        fields = [self.form.fields[p] for p in self.list_refs]
        ws.append([f.label for f in fields])
        longest = max(len(f.choices) for f in fields)
        for i in range(longest):
            row = []
            for fld in fields:
                value = fld.choices[i][1] if i < len(fld.choices) else None
                if isinstance(value, str):
                    cell = WriteOnlyCell(ws, value)
                    cell.data_type = "s"
                    value = cell
                row.append(value)
            ws.append(row)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


def _offer(values: Sequence[str]) -> str:
    """An inline list formula of suggested values ('' when none, or when one has a comma
    or a quote, or the list is longer than Excel's 255 characters)."""
    text = ",".join(values)
    if not values or '"' in text or any("," in v for v in values) or len(text) > 255:
        return ""
    return f'"{text}"'


def input_workbook(form: Form, rows: Sequence[dict] | None = None,
                   keys: Sequence[str] | None = None, profile: Profile | None = None) -> bytes:
    """The form's Excel input workbook as .xlsx bytes; with ``rows`` filled with that data.

    ``keys`` are the main rows' keys (default 1, 2, 3 …) when the key is a generated
    column; list items go to the list sheets under their row's key. ``profile``: its
    departments offered in a drop-down (any other text allowed) for the department field.
    """
    rows = list(rows or [])
    lay = layout(form)
    if keys is None:
        keys = [str(i) for i in range(1, len(rows) + 1)]
    writer = _Writer(form, profile)

    def key_of(i: int, data: dict) -> Any:
        if lay.key_field:
            return get_value(data, lay.key_field)
        key = keys[i]
        return int(key) if str(key).isdigit() else key

    def main_rows() -> Iterable[list[Any]]:
        for i, data in enumerate(rows):
            yield [key_of(i, data) if col.field is None else get_value(data, col.field.path)
                   for col in lay.main.columns]

    writer.sheet(lay.main, main_rows())
    for sdef in lay.lists:
        def list_rows(sdef: SheetDef = sdef) -> Iterable[list[Any]]:
            lst = form.lists[sdef.list_path or ""]
            for i, data in enumerate(rows):
                key = key_of(i, data)
                for item in get_value(data, lst.path) or []:
                    out = [key]
                    for col in sdef.columns[1:]:
                        fld = col.field
                        out.append(item if lst.scalar or fld is None else
                                   get_value(item, fld.key))
                    yield out

        writer.sheet(sdef, list_rows())
    writer.guide()
    writer.lists_sheet()
    return writer.save()


def report_copy(path: str | Path, problems: Iterable[Problem],
                notes: Iterable[Problem] = ()) -> bytes:
    """A copy of the workbook at ``path`` with each bad cell red and a comment saying why.

    Several problems on one cell share a comment (after any comment the cell had). A
    problem placed on a whole row marks the row's first cell; one placed on a sheet only
    marks its A1. ``notes`` (a CPR whose lost 0 was put back) are marked yellow. CPR
    numbers are masked.
    """
    try:
        book = load_workbook(path, rich_text=False)
    except Exception:
        raise DataFileError(f"{path}: projektmappen kan ikke åbnes for at skrive "
                            "rapporten.", hint="Gem den igen i Excel som .xlsx.") from None
    by_cell: dict[tuple[str, str], list[str]] = {}
    bad: set[tuple[str, str]] = set()
    for kind, items in (("bad", problems), ("note", notes)):
        for prob in items:
            parsed = parse_place(prob.place)
            col: int | None
            if parsed is None:
                sheet, col, row = prob.place.strip("'").replace("''", "'"), 0, 1
            else:
                sheet, col, row = parsed
            if sheet not in book.sheetnames:
                continue
            key = (sheet, f"{column_letter(col or 0)}{row}")
            text = f"{prob.label}: {prob.message}" if prob.path else prob.message
            by_cell.setdefault(key, []).append(danish.mask_cpr(text))
            if kind == "bad":
                bad.add(key)
    for (sheet, ref), messages in by_cell.items():
        cell = book[sheet][ref]
        cell.fill = BAD_FILL if (sheet, ref) in bad else NOTE_FILL
        text = "\n".join(dict.fromkeys(messages))
        if cell.comment is not None and cell.comment.text:
            text = f"{cell.comment.text}\n\n{text}"
        comment = Comment(text, "skema")
        comment.width = 320
        comment.height = min(60 + 20 * text.count("\n") + len(text) // 2, 400)
        cell.comment = comment
    for sheet in book.worksheets:  # text that a spreadsheet would take for a formula
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "s" and str(cell.value).startswith(FORMULA_START):
                    cell.quotePrefix = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
