"""The sheet layout of a form's input workbook: which sheets, which columns, which key.

A form's input workbook has a main sheet (one row per filled form), one sheet per list
whose first column refers to the main row's key, a *Vejledning* sheet and a hidden
*Lister* sheet with the drop-down values. Both the writer (:mod:`toolkit.render.xlsx`)
and the reader (:mod:`toolkit.sources.excel`) take the layout from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..catalogue import Field, Form
from ..values import loose_key

#: Sheets the toolkit writes besides the form's own; never read as data.
GUIDE_SHEET = "Vejledning"
LISTS_SHEET = "Lister"
DEFAULT_KEY = "Nr."

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


# -- layout -------------------------------------------------------------------------------

def normalize_header(text: Any) -> str:
    """A header as compared when reading: case, surrounding and doubled spaces, dashes ignored."""
    return loose_key(text)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the key column (``field`` None) or a field."""

    header: str
    field: Field | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class SheetDef:
    """A sheet of the input workbook: the main sheet (``list_path`` None) or a list's."""

    name: str
    list_path: str | None
    columns: tuple[Column, ...]
    title: str = ""

    def find(self, header: Any) -> Column | None:
        """The column a header names (label, field path or key), or None."""
        norm = normalize_header(header)
        for col in self.columns:
            if norm in col.aliases:
                return col
        return None


@dataclass(frozen=True)
class BookLayout:
    """Every sheet of a form's input workbook and which column is the key."""

    form: Form
    key_title: str
    key_field: str | None
    main: SheetDef
    lists: tuple[SheetDef, ...]

    @property
    def sheets(self) -> tuple[SheetDef, ...]:
        """The main sheet, then the list sheets."""
        return (self.main, *self.lists)


def _sheet_name(title: str, taken: set[str]) -> str:
    name = _BAD_SHEET_CHARS.sub(" ", title).strip(" '") or "Ark"
    name = " ".join(name.split())[:31].rstrip()
    base, n = name, 2
    while name.casefold() in taken:
        suffix = f" {n}"
        name = base[: 31 - len(suffix)].rstrip() + suffix
        n += 1
    taken.add(name.casefold())
    return name


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


_LAYOUTS: dict[int, BookLayout] = {}


def layout(form: Form) -> BookLayout:
    """The input workbook's sheets and columns for a form (cached per form object)."""
    cached = _LAYOUTS.get(id(form))
    if cached is not None and cached.form is form:
        return cached
    schema = form.schema
    x_key = schema.get("x-key") or DEFAULT_KEY
    main_fields = [f for f in form.fields.values() if f.list_path is None]
    key_field = x_key if x_key in form.fields and form.fields[x_key].list_path is None else None
    key_title = form.fields[key_field].label if key_field else str(x_key)
    taken = {GUIDE_SHEET.casefold(), LISTS_SHEET.casefold()}
    key_aliases = (normalize_header(key_title), normalize_header(key_field or "nr"),
                   "nøgle", "key")
    columns: list[Column] = []
    if not key_field:
        columns.append(Column(key_title, None, key_aliases))
    for fld in main_fields:
        columns.append(Column(fld.label, fld, _aliases(fld.label, fld)))
    main = SheetDef(_sheet_name(schema.get("x-sheet") or form.title, taken), None,
                    tuple(columns), form.title)
    lists = []
    for path, lst in form.lists.items():
        node = form.schema_at(path) or {}
        name = _sheet_name(node.get("x-sheet") or node.get("title") or path, taken)
        cols = [Column(key_title, None, key_aliases)]
        used = {normalize_header(key_title)}
        for fld in lst.fields:
            if lst.scalar:
                header = lst.item_title
            else:
                prefix = f"{lst.item_title} – "
                header = fld.label[len(prefix):] if fld.label.startswith(prefix) else fld.label
                header = _upper_first(header)
            if normalize_header(header) in used:
                header = fld.label
            used.add(normalize_header(header))
            extra = (path, lst.label) if lst.scalar else (fld.key,)
            cols.append(Column(header, fld, _aliases(header, fld, *extra)))
        lists.append(SheetDef(name, path, tuple(cols), lst.label))
    result = BookLayout(form, key_title, key_field, main, tuple(lists))
    _LAYOUTS[id(form)] = result
    return result


def _aliases(header: str, fld: Field, *extra: str) -> tuple[str, ...]:
    names = [header, fld.label, fld.path, *extra]
    if fld.list_path is not None:
        names.append(fld.path.replace(".*", ""))
    return tuple(dict.fromkeys(normalize_header(n) for n in names if n))
