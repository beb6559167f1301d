"""Cell places of a workbook: column letters, ``Ark!B7`` places and where each field of
a record was read (:class:`CellMap`), for messages that name their cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..catalogue import Form, shape_of


def column_letter(index: int) -> str:
    """``0`` -> ``A``, ``26`` -> ``AA`` (zero-based column index)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """``A`` -> ``0`` (inverse of :func:`column_letter`)."""
    value = 0
    for ch in letters.upper():
        value = value * 26 + ord(ch) - 64
    return value - 1


def place(sheet: str, col: int | None, row: int) -> str:
    """``Indsatser!E14`` (``col`` zero-based); a whole row ``Indsatser!14:14`` when col is None.

    Sheet names with spaces or punctuation are quoted the way Excel writes them.
    """
    ref = f"{row}:{row}" if col is None else f"{column_letter(col)}{row}"
    return f"{quote_sheet(sheet)}!{ref}"


def quote_sheet(sheet: str) -> str:
    """A sheet name as Excel writes it in a reference: quoted when not a plain word."""
    if re.fullmatch(r"[A-Za-z_\u00c0-\u024f][\w.\u00c0-\u024f]*", sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


_PLACE_RE = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!(?:([A-Z]+)(\d+)|(\d+):\d+)$")


def parse_place(text: str) -> tuple[str, int | None, int] | None:
    """``Indsatser!E14`` -> (``Indsatser``, 4, 14); a whole row gives col None; else None."""
    match = _PLACE_RE.match(text or "")
    if not match:
        return None
    sheet = match.group(1).replace("''", "'") if match.group(1) else match.group(2)
    if match.group(3):
        return sheet, column_index(match.group(3)), int(match.group(4))
    return sheet, None, int(match.group(5))


# -- records ------------------------------------------------------------------------------

@dataclass
class CellMap:
    """Where a record's values live: sheet, column per field shape, and list item rows."""

    main_sheet: str
    row: int
    key_col: int | None
    columns: dict[str, tuple[str, int]]         # field shape -> (sheet, zero-based column)
    list_sheets: dict[str, str]                 # list path -> sheet name
    list_key_cols: dict[str, int]               # list path -> key column
    item_rows: dict[str, list[int]] = field(default_factory=dict)  # list path -> rows

    def place_of(self, form: Form, path: str) -> str:
        """The cell of a concrete field path (``indsatser.2.ansvarlig``) of this record."""
        shape = shape_of(path)
        parts = path.split(".")
        while shape not in form.fields and shape not in form.lists and "." in shape:
            shape = shape.rsplit(".", 1)[0]  # a multi-select option: the field's cell
            parts = parts[:-1]
        fld = form.fields.get(shape)
        if fld is not None and fld.list_path is not None:
            rows = self.item_rows.get(fld.list_path, [])
            index_part = parts[len(fld.list_path.split("."))] if len(parts) > len(
                fld.list_path.split(".")) else ""
            index = int(index_part) if index_part.isdigit() else -1
            sheet = self.list_sheets.get(fld.list_path, "")
            if 0 <= index < len(rows):
                where = self.columns.get(shape)
                if where is None:
                    return place(sheet, None, rows[index])
                return place(where[0], where[1], rows[index])
        if fld is not None and fld.list_path is None:
            where = self.columns.get(shape)
            if where is not None:
                return place(where[0], where[1], self.row)
        if fld is None and shape not in form.lists:
            # a whole group (``periode`` missing): its first column on the main sheet
            under = [w for p, w in self.columns.items()
                     if p.startswith(shape + ".") and w[0] == self.main_sheet]
            if under:
                sheet, col = min(under, key=lambda w: w[1])
                return place(sheet, col, self.row)
        return place(self.main_sheet, self.key_col, self.row)
