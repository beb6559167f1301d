"""Read a returned Word form back into data.

Every content control is found (block level, in paragraphs, in table cells, in headers
and footers) and matched to a field of the form: by its tag when it has one, else by its
alias (Danish label), else by its position after the previous control. LibreOffice keeps
aliases of text controls but drops tags, and drops the alias of checkboxes, dates and
drop-downs, so all three are needed. List items are counted in document order: a row a
user copied in Word is a new item, whatever index its tag carries.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from ..catalogue import Form, Slot, load_form, shape_of
from ..doc_labels import document_label
from ..errors import NotAFormError, UnknownFormError
from ..paths import get_value, set_value
from ..problems import Problem, note
from ..render.ooxml import (
    PLACEHOLDERS,
    document_identity,
    open_package,
    story_parts,
    w,
    w14,
)
from ..validation import Report, validate
from ..values import (
    CHECKBOX_HINT,
    TICKED_SYMBOLS,
    Unreadable,
    box_state,
    converter,
    read_date,
)


@dataclass
class Extraction:
    """What was read from one returned document."""

    source: str
    form: Form
    version: str | None
    data: dict
    report: Report
    notes: list[Problem] = field(default_factory=list)  # about the file, not a field


@dataclass
class _Control:
    tag: str | None
    alias: str | None
    kind: str
    text: str
    checked: bool | str | None = None  # a tick that cannot be read: its text
    full_date: str | None = None
    option_hint: str | None = None
    table: int | None = None


# ---------------------------------------------------------------------------------------
# Reading controls
# ---------------------------------------------------------------------------------------
_W_P, _W_T, _W_BR, _W_CR, _W_TAB, _W_R, _W_NBH, _W_TYPE = (
    w("p"), w("t"), w("br"), w("cr"), w("tab"), w("r"), w("noBreakHyphen"), w("type"))
_DELETED = (w("del"), w("moveFrom"))
_W_SDTPR, _W_TAG, _W_ALIAS, _W_VAL, _W_PLCHDR, _W_TBL = (
    w("sdtPr"), w("tag"), w("alias"), w("val"), w("showingPlcHdr"), w("tbl"))


def _text_of(node) -> str:
    """Plain text of runs under node: paragraphs → LF, w:br/w:cr → LF, w:tab → TAB."""
    parts: list[str] = []
    paragraphs = 0
    for el in node.iter(_W_P, _W_T, _W_BR, _W_CR, _W_TAB, _W_NBH):
        tag = el.tag
        if tag == _W_P:
            if paragraphs:
                parts.append("\n")
            paragraphs += 1
        elif tag == _W_T:
            if not _inside(el, _DELETED):
                parts.append(el.text or "")
        elif tag == _W_BR or tag == _W_CR:
            if el.get(_W_TYPE) in (None, "textWrapping"):
                parts.append("\n")
        elif tag == _W_TAB:
            parent = el.getparent()
            if parent is not None and parent.tag == _W_R:
                parts.append("\t")
        else:
            parts.append("-")
    return "".join(parts)


def _inside(el, tags: tuple[str, ...]) -> bool:
    """Whether el lies inside an element with one of these (Clark) tags."""
    parent = el.getparent()
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _ancestor(el, tag: str):
    parent = el.getparent()
    while parent is not None:
        if parent.tag == tag:
            return parent
        parent = parent.getparent()
    return None


def _controls(root, tables: dict) -> list[_Control]:
    out = []
    sdt_tag, content_tag, inner = w("sdt"), w("sdtContent"), ".//" + w("sdt")
    for sdt in root.iter(sdt_tag):
        content = sdt.find(content_tag)
        if content is not None and content.find(inner) is not None:
            continue  # a wrapper around other controls
        pr = sdt.find(_W_SDTPR)
        if pr is None:
            continue
        tag_el, alias_el = pr.find(_W_TAG), pr.find(_W_ALIAS)
        tag = tag_el.get(_W_VAL) if tag_el is not None else None
        alias = alias_el.get(_W_VAL) if alias_el is not None else None
        placeholder = pr.find(_W_PLCHDR) is not None
        tbl = _ancestor(sdt, _W_TBL)
        table_id = tables.setdefault(tbl, len(tables)) if tbl is not None else None
        box = pr.find(w14("checkbox"))
        if box is not None:
            checked_el = box.find(w14("checked"))
            text = _text_of(content) if content is not None else ""
            checked: bool | str
            if checked_el is not None:
                checked = checked_el.get(w14("val"), "0") in ("1", "true", "on")
            else:  # the symbol shown is all there is
                checked = box_state(text)
            out.append(_Control(tag, alias, "checkbox", "", checked,
                                option_hint=_following_text(sdt), table=table_id))
            continue
        date = pr.find(w("date"))
        if date is not None:
            kind = "date"
        elif pr.find(w("dropDownList")) is not None or pr.find(w("comboBox")) is not None:
            kind = "dropdown"
        else:
            kind = "text"
        text = "" if placeholder else _control_text(sdt, content)
        if text.strip() in PLACEHOLDERS.values():
            text = ""
        out.append(_Control(tag, alias, kind, text,
                            full_date=date.get(w("fullDate")) if date is not None else None,
                            table=table_id))
    return out


def _control_text(sdt, content) -> str:
    """The answer of a text control. When the control is the only one in its table cell,
    the whole cell is the answer: LibreOffice moves all but the first paragraph of a
    multi-paragraph control out of it."""
    cell = sdt.getparent()
    while cell is not None and cell.tag not in (w("tc"), w("body")):
        cell = cell.getparent()
    if cell is not None and cell.tag == w("tc") and sum(1 for _ in cell.iter(w("sdt"))) == 1:
        return _text_of(cell)
    return _text_of(content) if content is not None else ""


def _following_text(sdt) -> str | None:
    """Text after a checkbox in its paragraph (a multi-select option's title)."""
    texts = []
    for sib in sdt.itersiblings():
        if sib.tag == w("sdt"):
            break
        texts.append(_text_of(sib))
    text = "".join(texts).strip()
    return text or None


# ---------------------------------------------------------------------------------------
# Matching controls to slots
# ---------------------------------------------------------------------------------------
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|:|$)")


class _Matcher:
    def __init__(self, form: Form) -> None:
        self.slots = form.slots()
        self.by_ident: dict[str, list[int]] = {}
        self.by_alias: dict[str, list[int]] = {}
        for i, slot in enumerate(self.slots):
            self.by_ident.setdefault(slot.ident, []).append(i)
            self.by_alias.setdefault(_alias(slot), []).append(i)
        self.blocks = {b["blocks"] for b in form.layout if "blocks" in b}
        self.regions: dict[str, tuple[int, int]] = {}
        for i, slot in enumerate(self.slots):
            if slot.region:
                start, _ = self.regions.get(slot.region, (i, i))
                self.regions[slot.region] = (start, i)

    def position(self, ctl: _Control, prev: int | None, prev_table: int | None) -> int | None:
        if ctl.tag:
            ident = _INDEX.sub("*", ctl.tag.split(":")[0]) + (
                ":" + ctl.tag.split(":", 1)[1] if ":" in ctl.tag else "")
            found = self.by_ident.get(ident)
            if found:
                return found[0]
        if ctl.alias and len(self.by_alias.get(ctl.alias, ())) == 1:
            return self.by_alias[ctl.alias][0]
        for pos in self._successors(prev, ctl.table == prev_table and ctl.table is not None):
            slot = self.slots[pos]
            if slot.kind != ctl.kind:
                continue
            if ctl.alias and _alias(slot) != ctl.alias:
                continue
            if slot.option is not None and ctl.option_hint and \
                    slot.field.choice_title(slot.option) != ctl.option_hint:
                continue
            return pos
        return None

    def _successors(self, prev: int | None, same_table: bool) -> list[int]:
        n = len(self.slots)
        if prev is None:
            return list(range(n))
        order = list(range(prev + 1, n))
        region = self.slots[prev].region
        if region:
            start, end = self.regions[region]
            wrap = list(range(start, prev + 1))
            inside = [p for p in order if p <= end]
            after = [p for p in order if p > end]
            # At the end of an item: a table row list goes on in the same table; a list of
            # blocks goes on with the next block (its own table).
            if prev == end and not same_table and region not in self.blocks:
                order = after + wrap
            else:
                order = inside + wrap + after
        return order


def _alias(slot: Slot) -> str:
    if slot.option is None:
        return slot.field.label
    return f"{slot.field.label}: {slot.field.choice_title(slot.option)}"


def _coerce(slot: Slot, ctl: _Control) -> Any:
    """A control's answer as the schema's value (toolkit.values, as for PDF and Excel).

    A box is ticked or not; text that cannot be read is kept as written, so that
    validation reports it with the same words as the other readers."""
    fld = slot.field
    if ctl.kind == "checkbox":
        return ctl.checked
    text = ctl.text
    if not text.strip():
        return None
    try:
        return converter(fld)(text)
    except Unreadable:
        if fld.kind == "date" and ctl.full_date:
            with contextlib.suppress(Unreadable):
                return read_date(ctl.full_date)
        return text.strip()


def unread_option(fld: Any, path: str, option: Any) -> Problem:
    """The problem of a multi-select option whose tick cannot be read (a mark that is
    neither ticked nor empty): reported, never read as "not chosen" (Word and PDF)."""
    reason = Unreadable("skal være ja eller nej", CHECKBOX_HINT).message()
    return Problem(path, fld.label, f"valget \"{fld.choice_title(option)}\" {reason}",
                   "unreadable")


def controls_to_data(form: Form, controls: list[_Control],
                     matched: set[int] | None = None) -> tuple[dict, list[Problem]]:
    """Assemble data from controls in document order (``matched`` collects the slot
    positions of the single, non-list fields that had a control)."""
    matcher = _Matcher(form)
    data: dict = {}
    notes: list[Problem] = []
    items: dict[str, list[dict]] = {}
    last_pos: dict[str, int] = {}
    prev: int | None = None
    prev_table: int | None = None
    unknown = 0
    for ctl in controls:
        pos = matcher.position(ctl, prev, prev_table)
        if pos is None:
            unknown += 1
            continue
        prev, prev_table = pos, ctl.table
        slot = matcher.slots[pos]
        if matched is not None and slot.region is None:
            matched.add(pos)
        value = _coerce(slot, ctl)
        fld = slot.field
        if slot.region is None:
            if fld.kind == "multi":
                if value is True:
                    set_value(data, fld.path, add_option(get_value(data, fld.path), slot.option))
                elif isinstance(value, str):  # a mark that is neither ticked nor empty
                    notes.append(unread_option(fld, fld.path, slot.option))
            elif value is not None:
                set_value(data, fld.path, value)
            continue
        region_items = items.setdefault(slot.region, [])
        if not region_items or pos <= last_pos.get(slot.region, -1):
            region_items.append({})
        last_pos[slot.region] = pos
        item = region_items[-1]
        key = fld.key or "."
        if fld.kind == "multi":
            if value is True:
                item[key] = add_option(item.get(key), slot.option)
            elif isinstance(value, str):
                path = f"{slot.region}.{len(region_items) - 1}.{fld.key}"
                notes.append(unread_option(fld, path, slot.option))
        elif value is not None:
            item[key] = value
    for region, region_items in items.items():
        rows = list_rows(form.lists[region], region_items)
        if rows:
            set_value(data, region, rows)
    if unknown:
        notes.append(note("unknown_fields",
                          f"{unknown} indholdskontrol(ler) passede ikke til formularen og blev "
                          "sprunget over"))
    return order_like_schema(form.schema, data), notes


def _has_content(obj: Any) -> bool:
    if isinstance(obj, dict):
        return any(_has_content(v) for v in obj.values())
    if isinstance(obj, list):
        return bool(obj)
    return obj not in (None, "", False)


def add_option(current: Any, option: Any) -> list:
    """A multi-select value with ``option`` added (once)."""
    values = list(current or [])
    if option not in values:
        values.append(option)
    return values


def list_rows(lst: Any, items: list[dict]) -> list:
    """A list's rows from flat items (``{key or ".": value}``); empty items dropped."""
    rows: list = []
    for item in items:
        if lst.scalar:
            if _has_content(item.get(".")):
                rows.append(item["."])
            continue
        obj: dict = {}
        for key, value in item.items():
            set_value(obj, key, value)
        if _has_content(obj):
            rows.append(obj)
    return rows


def order_like_schema(node: dict, value: Any) -> Any:
    """Keys in schema order, multi-select values in option order (stable output)."""
    if node.get("type") == "object" and isinstance(value, dict):
        props = node.get("properties", {})
        out = {k: order_like_schema(props[k], value[k]) for k in props if k in value}
        out.update({k: v for k, v in value.items() if k not in props})
        return out
    if node.get("type") == "array" and isinstance(value, list):
        items = node.get("items", {})
        if "enum" in items:
            order = {v: i for i, v in enumerate(items["enum"])}
            return sorted(value, key=lambda v: order.get(v, len(order)))
        return [order_like_schema(items, v) for v in value]
    return value


# ---------------------------------------------------------------------------------------
# Documents without content controls: read by the template's layout
# ---------------------------------------------------------------------------------------
LAYOUT_NOTE = ("dokumentet har ingen indholdskontroller (de er slettet); svarene er læst "
               "ud fra formularens opbygning: svaret ud for hvert feltnavn og listernes "
               "tabelrækker")


def _norm(text: str) -> str:
    return " ".join(text.split())


def _cells(tr) -> list:
    """A row's cells, also those wrapped in a cell-level content control."""
    out = []
    for child in tr:
        if child.tag == w("tc"):
            out.append(child)
        elif child.tag == w("sdt"):
            content = child.find(w("sdtContent"))
            if content is not None:
                out.extend(_cells(content))
    return out


def _first_para(tc) -> str:
    para = next(tc.iter(_W_P), None)
    return _norm(_text_of(para)) if para is not None else ""


def _answer_text(tc) -> str:
    """The text of an answer cell: every paragraph, the placeholder as empty."""
    paras = [_text_of(p) for p in tc.iter(_W_P)]
    text = "\n".join(paras)
    if text.strip() in PLACEHOLDERS.values():
        return ""
    return text


def _cell_value(slot_field, tc) -> Any:
    """A field's value from the text of its answer cell (the controls are gone)."""
    if slot_field.kind == "multi":
        chosen = []
        for para in tc.iter(_W_P):
            text = _text_of(para).strip()
            if text[:1] in TICKED_SYMBOLS:
                title = _norm(text[1:])
                for val, ttl in slot_field.choices:
                    if _norm(ttl) == title:
                        chosen.append(val)
        return chosen or None
    text = _answer_text(tc)
    slot = Slot(slot_field)
    if slot_field.kind == "checkbox":
        return box_state(text)
    ctl = _Control(None, None, slot.kind, text)
    return _coerce(slot, ctl)


def _item_heading(tbl, item_title: str) -> bool:
    """A list block's table follows its heading ``Aktivitet 2`` (an example table does not),
    maybe with paragraphs a partner typed in between (not across another table)."""
    pattern = re.escape(_norm(item_title)) + r"\s*\d+"
    prev = tbl.getprevious()
    while prev is not None and prev.tag == w("p"):
        if re.fullmatch(pattern, _norm(_text_of(prev))):
            return True
        prev = prev.getprevious()
    return False


def layout_to_data(form: Form, parts: list,
                   located: set[str] | None = None) -> tuple[dict, int]:
    """Read a form whose content controls were deleted by its tables: the answer cell
    beside each label, and the rows (or blocks) of each list under its header.
    Returns (data, number of labels found); ``located`` collects the paths of the fields
    whose answer cell and of the lists whose table was found."""
    located = set() if located is None else located
    tables = [t for root in parts for t in root.iter(w("tbl"))
              if _ancestor(t, w("tbl")) is None]
    labelled: dict[str, list] = {}
    for tbl in tables:
        for tr in tbl.iter(w("tr")):
            cells = _cells(tr)
            if len(cells) == 2:
                labelled.setdefault(_first_para(cells[0]), []).append(cells[1])
    data: dict = {}
    found = 0
    used: set[int] = set()
    for fld in form.fields.values():
        if fld.list_path is not None:
            continue
        shown = _norm(document_label(form, fld.path))  # as the document shows it (or older)
        cells = [c for c in labelled.get(shown, []) + labelled.get(_norm(fld.label), [])
                 if id(c) not in used]
        if not cells:
            continue
        used.add(id(cells[0]))
        found += 1
        located.add(fld.path)
        value = _cell_value(fld, cells[0])
        if value not in (None, []):
            set_value(data, fld.path, value)
    pointer = 0
    for block in form.layout:
        name = block.get("rows") or block.get("blocks")
        if not name or name not in form.lists:
            continue
        lst, flds = form.block_fields(block)
        titles = [_norm(lst.label if lst.scalar else f.schema.get("title", f.key))
                  for f in flds]
        rows: list[dict] = []
        if "rows" in block:
            for i in range(pointer, len(tables)):
                trs = [tr for tr in tables[i].iter(w("tr"))]
                if trs and [_first_para(c) for c in _cells(trs[0])] == titles:
                    pointer = i + 1
                    found += 1
                    located.add(lst.path)
                    rows = [dict(zip(flds, _cells(tr))) for tr in trs[1:]]
                    break
        else:
            i = pointer
            while i < len(tables):
                # LibreOffice may join the next table (the month overview) to the block's
                trs = [tr for tr in tables[i].iter(w("tr"))][:len(titles)]
                # a block's table after the first one counts without its heading too
                if [_first_para(_cells(tr)[0]) if _cells(tr) else "" for tr in trs] == titles \
                        and (rows or _item_heading(tables[i], lst.item_title)):
                    found += 1
                    located.add(lst.path)
                    rows.append({f: _cells(tr)[1] for f, tr in zip(flds, trs)
                                 if len(_cells(tr)) > 1})
                    pointer = i + 1
                elif rows:
                    break
                i += 1
        items = []
        for row in rows:
            item: dict = {}
            for fld, tc in row.items():
                value = _cell_value(fld, tc)
                if value not in (None, []):
                    item[fld.key or "."] = value
            items.append(item)
        items = list_rows(lst, items)
        if items:
            set_value(data, lst.path, items)
    return order_like_schema(form.schema, data), found


# ---------------------------------------------------------------------------------------
# Public entry
# ---------------------------------------------------------------------------------------
def extract_docx(data: bytes, source: str = "", form_id: str | None = None) -> Extraction:
    """Read a returned .docx (bytes) into data, validated against its form."""
    notes: list[Problem] = []
    with open_package(data) as pkg:
        found_id, version = document_identity(pkg)
        if form_id and found_id and found_id != form_id:
            notes.append(note("other_form",
                              f"dokumentet er en \"{found_id}\"-formular, men læses som "
                              f"\"{form_id}\" som ønsket"))
        chosen = form_id or found_id
        if not chosen:
            raise NotAFormError("dokumentet er ikke en skema-formular (formularens id "
                                "mangler i dokumentegenskaberne)",
                                hint="Angiv formularen med --form.")
        try:
            form = load_form(chosen)
        except UnknownFormError as err:
            raise NotAFormError(f"dokumentet er en formular af typen \"{chosen}\", som skema "
                                "ikke kender", hint=err.hint) from None
        tables: dict = {}
        controls = []
        parts = story_parts(pkg)
        for root in parts:
            controls.extend(_controls(root, tables))
        if not controls:
            values, found = layout_to_data(form, parts)
            if not found:
                raise NotAFormError(f"dokumentet har hverken indholdskontroller eller "
                                    f"formularen \"{form.id}\"s feltnavne",
                                    hint="Kontroller, at det er den rigtige formular.")
            notes.append(note("by_layout",
                              LAYOUT_NOTE))
    if controls and all(c.tag is None for c in controls):
        notes.append(note("no_tags",
                          "dokumentets indholdskontroller har ingen tags (fx gemt af "
                          "LibreOffice); felterne er genkendt ud fra navn og rækkefølge"))
    problems: list[Problem] = []
    if controls and all(c.tag is None for c in controls):
        values, more, problems = _untagged(form, controls, parts)
    elif controls:
        matched: set[int] = set()
        values, more = controls_to_data(form, controls, matched)
        lost = [s.field for i, s in enumerate(form.slots())
                if s.region is None and i not in matched and s.option is None]
        if lost:  # some controls deleted, the rest kept: read those fields by layout
            laid_out, _ = layout_to_data(form, parts)
            found = 0
            for fld in lost:
                value = get_value(laid_out, fld.path)
                if value is not None and get_value(values, fld.path) is None:
                    set_value(values, fld.path, value)
                    found += 1
            if found:
                values = order_like_schema(form.schema, values)
                more.append(note("by_layout",
                                 f"{found} felt(er) uden indholdskontrol er læst ud fra "
                                 "formularens opbygning (svaret ud for feltnavnet)"))
        values, problems = _rows_without_controls(form, parts, values, more)
    else:
        more = []
    problems += [p for p in more if p.code == "unreadable"]  # options with odd marks
    notes.extend(p for p in more if p.code != "unreadable")
    if version and version != form.version:
        notes.append(note("other_version",
                          f"dokumentet er udfyldt i version {version} af formularen; den "
                          f"aktuelle version er {form.version}"))
    report = validate(form, values)
    if problems:
        reported = {p.path for p in problems}
        report = Report(problems + [p for p in report.problems
                                    if not any(p.path == r or p.path.startswith(r + ".")
                                               for r in reported)])
    return Extraction(source, form, version, values, report, notes)


UNBOUND_LIST = ("kunne ikke læses sikkert: dokumentets indholdskontroller har ingen tags (fx "
                "gemt af LibreOffice), og listens tabel blev ikke fundet, så værdierne kan ikke "
                "bindes til listens rækker; kontroller listen i filen")


def _untagged(form: Form, controls: list[_Control],
              parts: list) -> tuple[dict, list[Problem], list[Problem]]:
    """A document whose controls lost their tags (LibreOffice, an .odt round trip, where
    text controls may also have become plain fields): every answer whose label cell or list
    table is found is read there, bound by its table; the running order of the controls
    is used only for single fields whose label was not found. A list whose table was not
    found is reported, never filled from controls that may belong to another list."""
    by_order, notes = controls_to_data(form, controls)
    located: set[str] = set()
    laid_out, _ = layout_to_data(form, parts, located)
    values: dict = {}
    problems: list[Problem] = []
    for fld in form.fields.values():
        if fld.list_path is not None:
            continue
        value = get_value(laid_out if fld.path in located else by_order, fld.path)
        if value is not None:
            set_value(values, fld.path, value)
    for lst in form.lists.values():
        if lst.path in located:
            rows = get_value(laid_out, lst.path)
            if rows:
                set_value(values, lst.path, rows)
        elif get_value(by_order, lst.path):
            problems.append(Problem(lst.path, lst.label, UNBOUND_LIST, "unreadable"))
    notes.append(note("by_layout", "svarene er læst ud for feltnavnene og i listernes tabeller"))
    return order_like_schema(form.schema, values), notes, problems


UNCONTROLLED_LIST = ("har en række uden indholdskontroller (fx tilføjet med Tab i Word), og "
                     "rækkerne kunne ikke læses sikkert ud fra tabellens kolonner; kontroller "
                     "listen i filen")


def _lists_with_uncontrolled_rows(form: Form, parts: list) -> set[str]:
    """The lists whose table has a filled row without any content control (a row a user
    added with Tab in Word, or pasted as text): its answers are in no control. The list of
    a table is known from the tags of its controls."""
    found: set[str] = set()
    for root in parts:
        for tbl in root.iter(_W_TBL):
            trs = [tr for tr in tbl.iter(w("tr")) if _ancestor(tr, _W_TBL) is tbl]
            tags = [t.get(_W_VAL) or "" for tr in trs for t in tr.iter(_W_TAG)]
            if not tags or not any(
                    tr.find(".//" + w("sdt")) is None and _norm(_text_of(tr)).strip(
                        "".join(PLACEHOLDERS.values()) + "☐ ") for tr in trs[1:]):
                continue
            for tag in tags:
                fld = form.fields.get(shape_of(tag.split(":")[0]))
                if fld is not None and fld.list_path is not None:
                    found.add(fld.list_path)
    return found


def _rows_without_controls(form: Form, parts: list, values: dict,
                           notes: list[Problem]) -> tuple[dict, list]:
    """A list with rows that have no content controls is read through the table's columns
    (the layout reader) when that reading agrees with every row the controls gave;
    otherwise the list is reported, never read with the added rows left out."""
    lists = _lists_with_uncontrolled_rows(form, parts) if form.lists else set()
    if not lists:
        return values, []
    laid_out, _ = layout_to_data(form, parts)
    problems = []
    for path in sorted(lists):
        lst = form.lists[path]
        mine = get_value(values, lst.path) or []
        theirs = get_value(laid_out, lst.path) or []
        if len(theirs) > len(mine) and theirs[:len(mine)] == mine:
            set_value(values, lst.path, theirs)
            notes.append(note("by_layout", f"{len(theirs) - len(mine)} række(r) i "
                              f"\"{lst.label}\" uden indholdskontroller er læst ud fra "
                              "tabellens kolonner"))
        else:
            problems.append(Problem(lst.path, lst.label, UNCONTROLLED_LIST, "unreadable"))
    return order_like_schema(form.schema, values), problems
