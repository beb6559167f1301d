"""The Udfyld page's form: a form's ``x-layout`` as HTML controls, and back.

:func:`page_blocks` turns a form and its data into the blocks the template shows, in layout
order (headings, static text with its ``{path}`` references, fields, table lists, repeated
blocks, …), each answer a :class:`Control` whose posted name is the answer's data path.
:func:`data_from_fields` is its exact inverse: the fields a browser posts for those controls
become the same data again (tested for every sample; a date not written as the schema's
ISO date is read as one, like the Word and Excel readers do). Empty list rows are kept by that
inverse (a row the user added stays); :func:`without_empty_rows` drops them before the data
is checked, filled or kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from markupsafe import Markup, escape

from .. import danish
from ..catalogue import Field, Form, ListDef
from ..doc_labels import document_label
from ..layout_refs import minor_path, profile_text_path
from ..paths import get_value, set_value
from ..profile import Profile
from ..profile_defaults import suggestions
from ..render.word_build import REF
from ..render.word_fill import reference_texts
from ..values import Unreadable, read_date

#: The value a ticked checkbox posts; its hidden partner posts :data:`UNCHECKED` always.
CHECKED = "ja"
UNCHECKED = "nej"
#: The most rows one list may have on the page (a post with more is refused).
MAX_ROWS = 500

_ITALIC = re.compile(r"\*([^*]+)\*")


class TooManyRows(ValueError):
    """A post with more rows in one list than :data:`MAX_ROWS`."""


@dataclass
class Control:
    """One answer on the page: its input(s) and what they hold.

    ``name`` is the data path the browser posts it under (``indsatser.2.ansvarlig``);
    ``value`` the text of a text, date or drop-down input; ``checked`` a checkbox's state;
    ``chosen`` a multi-select's ticked options; ``options`` the drop-down's or
    multi-select's (value, title) pairs.
    """

    field: Field
    name: str
    label: str
    short_label: str
    value: str = ""
    checked: bool = False
    chosen: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    problems: list[str] = dc_field(default_factory=list)
    help_id: str = ""  # the id of the help text shown once for a table's column
    suggestions: tuple[str, ...] = ()  # offered answers (the profile's departments)

    @property
    def id(self) -> str:
        """The input's HTML id (``f-indsatser-2-ansvarlig``)."""
        return control_id(self.name)

    @property
    def widget(self) -> str:
        """How it is shown: text, textarea, date, select, checkbox or multi."""
        kind = self.field.kind
        if kind == "long" or (kind == "text" and ("\n" in self.value or "\r" in self.value)):
            return "textarea"
        if kind == "date":
            return "date" if not self.value or danish.is_iso_date(self.value) else "text"
        return {"dropdown": "select", "checkbox": "checkbox", "multi": "multi"}.get(kind, "text")

    @property
    def input_type(self) -> str:
        """The ``type`` of a one-line input (email and tel where the format says so)."""
        if self.widget == "date":
            return "date"
        return {"email": "email", "telefon": "tel"}.get(self.field.format or "", "text")

    def option_id(self, option: str) -> str:
        """The HTML id of one option of a multi-select."""
        return f"{self.id}--{re.sub(r'[^A-Za-z0-9_-]', '_', option)}"


def column_help_id(lst: ListDef, fld: Field) -> str:
    """The HTML id of a table column's help text (shown once, in the column heading)."""
    return control_id(lst.path) + "--" + (fld.key or "svar") + "-hjaelp"


def control_id(name: str) -> str:
    """The HTML id of the control posted as ``name``."""
    return "f-" + name.replace(".", "-")


@dataclass
class Row:
    """One item of a list on the page: its number (from 1), path and controls."""

    number: int
    path: str
    controls: list[Control]


@dataclass
class ListBlock:
    """A ``rows`` (table) or ``blocks`` (repeated group) layout block with its items."""

    kind: str  # "rows" or "blocks"
    lst: ListDef
    columns: list[Field]
    rows: list[Row]
    present: bool  # the list is in the data (posted with a marker, also when empty)
    title: str = ""
    problems: list[str] = dc_field(default_factory=list)

    @property
    def id(self) -> str:
        """The HTML id of the list's region."""
        return "liste-" + self.lst.path.replace(".", "-")

    def column_help_id(self, fld: Field) -> str:
        """The id of a column's help text in the table heading."""
        return column_help_id(self.lst, fld)

    def column_title(self, fld: Field) -> str:
        """The column heading of a field in the table."""
        return self.lst.label if self.lst.scalar else str(fld.schema.get("title", fld.key))


@dataclass
class Block:
    """One layout block as the page shows it: ``kind`` and what it holds."""

    kind: str  # heading, text, bullets, fields, list, table, signature, derived
    level: int = 0
    text: Markup = Markup("")
    style: str = ""
    items: list[Markup] = dc_field(default_factory=list)
    ordered: bool = False
    controls: list[Control] = dc_field(default_factory=list)
    group: ListBlock | None = None
    cells: list[list[str]] = dc_field(default_factory=list)


# -- data → page ------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _control(form: Form, fld: Field, name: str, value: Any, short: str) -> Control:
    # a single field is labelled as in the documents ("Navn" under the heading "Borger")
    label = document_label(form, fld.path) if fld.list_path is None else form.label(name)
    ctl = Control(fld, name, label, short)
    if fld.kind == "checkbox":
        ctl.checked = value is True
    elif fld.kind == "multi":
        ctl.chosen = tuple(_text(v) for v in value) if isinstance(value, list) else ()
        ctl.options = tuple((_text(v), title) for v, title in fld.choices)
        known = {o for o, _ in ctl.options}
        ctl.options += tuple((c, f"{c} (ikke et af valgene)") for c in ctl.chosen
                             if c not in known)
    else:
        ctl.value = _text(value)
        if fld.kind == "dropdown":
            ctl.options = (("", "Vælg …"),) + tuple((_text(v), t) for v, t in fld.choices)
            if ctl.value and ctl.value not in {o for o, _ in ctl.options}:
                ctl.options += ((ctl.value, f"{ctl.value} (ikke et af valgene)"),)
    return ctl


def _list_block(form: Form, block: dict, data: Any) -> ListBlock:
    lst, columns = form.block_fields(block)
    items = get_value(data, lst.path)
    rows = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        controls = []
        for fld in columns:
            name = f"{lst.path}.{i}" + (f".{fld.key}" if fld.key else "")
            value = item if lst.scalar else get_value(item, fld.key)
            short = lst.label if lst.scalar else str(fld.schema.get("title", fld.key))
            ctl = _control(form, fld, name, value, short)
            if "rows" in block and fld.help:
                ctl.help_id = column_help_id(lst, fld)
            controls.append(ctl)
        rows.append(Row(i + 1, f"{lst.path}.{i}", controls))
    return ListBlock("rows" if "rows" in block else "blocks", lst, columns, rows,
                     isinstance(items, list), block.get("title", ""))


def inline(text: str, refs: Mapping[str, str]) -> Markup:
    """Static layout text as HTML: escaped, ``*italic*`` spans, ``{path}`` references
    replaced by their display text (the same texts the Word and PDF renderers use)."""
    out = Markup("")
    pos = 0
    for match in _ITALIC.finditer(text):
        out += _refs(text[pos:match.start()], refs)
        out += Markup("<em>%s</em>") % _refs(match.group(1), refs)
        pos = match.end()
    return out + _refs(text[pos:], refs)


def _refs(text: str, refs: Mapping[str, str]) -> Markup:
    return Markup(escape(REF.sub(lambda m: refs.get(m.group(1), "[…]"), text)))


def page_blocks(form: Form, data: dict, profile: Profile | None = None) -> list[Block]:
    """The page's blocks for ``data``, in the order of the form's ``x-layout``.

    Every field of the form gets exactly one control (a field the layout does not show is
    added at the end), so :func:`data_from_fields` reads back all of the data.
    """
    refs = reference_texts(form, data, profile=profile)
    blocks: list[Block] = []
    shown: set[str] = set()
    for block in form.layout:
        out = _block(form, block, data, refs)
        if out is None:
            continue
        if out.kind == "fields":
            out.controls = [c for c in out.controls if c.field.path not in shown]
            for ctl in out.controls:
                ctl.suggestions = suggestions(ctl.field, profile)
            shown.update(c.field.path for c in out.controls)
        if out.group is not None:
            shown.update(f.path for f in out.group.lst.fields)
        blocks.append(out)
    rest = [f for p, f in form.fields.items() if p not in shown and f.list_path is None]
    if rest:
        blocks.append(Block("heading", level=2, text=Markup("Øvrige felter")))
        blocks.append(Block("fields", controls=[
            _control(form, f, f.path, get_value(data, f.path), f.label) for f in rest]))
    for lst in form.lists.values():
        if lst.fields and lst.fields[0].path not in shown:
            fake = {"blocks": lst.path}
            blocks.append(Block("list", group=_list_block(form, fake, data)))
    return blocks


def _block(form: Form, block: dict, data: dict, refs: Mapping[str, str]) -> Block | None:
    if "heading" in block:
        level = int(block.get("level", 1))
        return Block("heading", level=max(1, min(level + 1, 4)) if level else 1,
                     text=inline(block["heading"], refs))
    if "text" in block:
        text = ("{" + profile_text_path(block) + "}") if "profile_text" in block \
            else block["text"]
        return Block("text", text=inline(text, refs), style=block.get("style", ""))
    if "bullets" in block:
        return Block("bullets", items=[inline(b, refs) for b in block["bullets"]],
                     ordered=block.get("marker") == "1.")
    if "rows" in block or "blocks" in block:
        return Block("list", group=_list_block(form, block, data))
    if "fields" in block:
        flds = [f for p in block["fields"] for f in form.expand(p)]
        return Block("fields", controls=[
            _control(form, f, f.path, get_value(data, f.path), f.label) for f in flds])
    if "static_table" in block:
        return Block("table", cells=[list(r) for r in block["static_table"]],
                     style="header" if block.get("header") else "")
    if "signature" in block:
        if "minor" in block and not refs.get(minor_path(block)):
            return None  # the guardian signs only for someone under 18, as in Word and PDF
        names = block.get("signed") or block["signature"]
        return Block("signature", items=[Markup(escape(s)) for s in names])
    if "image" in block or "month_overview" in block:
        what = ("Netværkscirklen" if "image" in block else "Månedsoversigten")
        return Block("derived", text=Markup(escape(
            f"{what} tegnes ud fra svarene, når formularen hentes som Word eller PDF.")))
    return None  # page_break: nothing on a web page


# -- posted fields → data -----------------------------------------------------------------------
def _value(fld: Field, posted: list[str]) -> Any:
    """The data value of one control's posted strings; ``None``: not in the data."""
    if fld.kind == "checkbox":
        return CHECKED in posted if posted else None
    if fld.kind == "multi":
        if not posted:
            return None
        chosen = [_choice(fld, p) for p in posted if p]
        return chosen or None
    text = posted[-1] if posted else ""
    if fld.kind in ("text", "long"):
        text = text.replace("\r\n", "\n")  # browsers post a textarea's line ends as CRLF
    if text == "":
        return None
    if fld.kind == "date":
        return _date(text)
    return _choice(fld, text) if fld.kind == "dropdown" else text


def _date(text: str) -> str:
    """The schema's date (ISO) of a typed date (``26.2.2019`` where the browser has no date
    picker); text that is no date is kept as typed, for validation to report."""
    try:
        return read_date(text)
    except Unreadable:
        return text


def _choice(fld: Field, posted: str) -> Any:
    for value, _title in fld.choices:
        if _text(value) == posted:
            return value
    return posted


def data_from_fields(form: Form, fields: Mapping[str, list[str]]) -> dict:
    """The data of a posted page (``fields``: every posted value of each name): the exact
    inverse of the controls :func:`page_blocks` shows for that data."""
    data: dict = {}
    for path, fld in form.fields.items():
        if fld.list_path is None:
            value = _value(fld, fields.get(path, []))
            if value is not None:
                set_value(data, path, value)
    for lst in form.lists.values():
        items = _list_items(form, lst, fields)
        if items is not None:
            set_value(data, lst.path, items)
    return data


def _list_items(form: Form, lst: ListDef, fields: Mapping[str, list[str]]) -> list | None:
    pattern = re.compile(re.escape(lst.path) + r"\.(\d{1,6})(?:\.|$)")
    indices = sorted({int(m.group(1)) for name in fields
                      if (m := pattern.match(name))})
    if len(indices) > MAX_ROWS:
        raise TooManyRows(lst.path)
    if not indices and lst.path not in fields:
        return None
    items: list = []
    for i in indices:
        if lst.scalar:
            value = _value(lst.fields[0], fields.get(f"{lst.path}.{i}", []))
            items.append("" if value is None else value)
            continue
        item: dict = {}
        for fld in lst.fields:
            value = _value(fld, fields.get(f"{lst.path}.{i}.{fld.key}", []))
            if value is not None:
                set_value(item, fld.key, value)
        items.append(item)
    return items


def posted_fields(items: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    """A form post's (name, value) pairs as each name's list of string values."""
    out: dict[str, list[str]] = {}
    for name, value in items:
        if isinstance(value, str):
            out.setdefault(name, []).append(value)
    return out


# -- rows ------------------------------------------------------------------------------------
def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return value in (None, "", False) or value == []


def without_empty_rows(form: Form, data: dict) -> dict:
    """A copy of ``data`` without list rows that hold no answer (an unticked box is none)."""
    import copy

    out = copy.deepcopy(data)
    for lst in form.lists.values():
        items = get_value(out, lst.path)
        if isinstance(items, list):
            kept = [it for it in items if not _empty(it)]
            if kept:
                set_value(out, lst.path, kept)
            else:
                _drop(out, lst.path)
    return out


def _drop(data: dict, path: str) -> None:
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def add_row(form: Form, data: dict, list_path: str) -> None:
    """Add an empty row at the end of a list (made when missing)."""
    lst = form.lists[list_path]
    items = get_value(data, list_path)
    if not isinstance(items, list):
        items = []
        set_value(data, list_path, items)
    if len(items) >= MAX_ROWS:
        raise TooManyRows(list_path)
    items.append("" if lst.scalar else {})


def remove_row(form: Form, data: dict, row_path: str) -> str | None:
    """Remove one row (``indsatser.2``); returns its list's path, or None when there is no
    such row."""
    list_path, _, index = row_path.rpartition(".")
    items = get_value(data, list_path) if list_path in form.lists else None
    if not index.isdigit() or not isinstance(items, list) or int(index) >= len(items):
        return None
    del items[int(index)]
    return list_path
