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
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .. import danish
from ..errors import DocumentError
from ..forms import Form, Slot, load_form
from ..render.ooxml import PLACEHOLDERS, w, w14
from ..validation import Report, validate

MAX_PART_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_blank_text=False)


@dataclass
class Extraction:
    """What was read from one returned document."""

    source: str
    form: Form
    version: str | None
    data: dict
    report: Report
    notes: list[str] = field(default_factory=list)


@dataclass
class _Control:
    tag: str | None
    alias: str | None
    kind: str
    text: str
    checked: bool | None = None
    full_date: str | None = None
    option_hint: str | None = None
    table: int | None = None


class _Package:
    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise DocumentError("filen er ikke et Word-dokument (.docx) eller er beskadiget",
                                hint="Gem dokumentet igen som .docx.") from None
        total = 0
        for info in self.zip.infolist():
            total += info.file_size
            if info.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES or (
                info.compress_size and info.file_size / info.compress_size > MAX_RATIO
                and info.file_size > 1024 * 1024
            ):
                raise DocumentError("filen pakker sig ud til en mistænkeligt stor størrelse "
                                    "(zip-bombe) og læses ikke",
                                    hint="Bed afsenderen om at gemme dokumentet igen.")
        if "word/document.xml" not in self.zip.namelist():
            raise DocumentError("filen er ikke et Word-dokument (word/document.xml mangler)",
                                hint="Gem dokumentet som .docx.")

    def names(self) -> list[str]:
        return self.zip.namelist()

    def xml(self, name: str):
        with self.zip.open(name) as handle:
            raw = handle.read(MAX_PART_BYTES + 1)
        if len(raw) > MAX_PART_BYTES:
            raise DocumentError("en del af dokumentet er for stor til at blive læst")
        if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw[:65536]:
            raise DocumentError("dokumentet indeholder en DOCTYPE/ENTITY-erklæring, som "
                                "ikke er tilladt i Word-filer, og læses ikke af "
                                "sikkerhedshensyn")
        try:
            return etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError:
            raise DocumentError(f"dokumentets del {name} er beskadiget",
                                hint="Åbn og gem dokumentet igen i Word.") from None


@contextlib.contextmanager
def open_package(data: bytes) -> Iterator[_Package]:
    """Open .docx bytes with size limits (zip bombs) and a safe XML parser."""
    pkg = _Package(data)
    try:
        yield pkg
    finally:
        pkg.zip.close()


def story_parts(pkg: _Package) -> list:
    """The parsed body, then headers, then footers of a package."""
    names = pkg.names()
    order = ["word/document.xml"]
    order += sorted(n for n in names if re.fullmatch(r"word/header\d*\.xml", n))
    order += sorted(n for n in names if re.fullmatch(r"word/footer\d*\.xml", n))
    return [pkg.xml(n) for n in order]


def document_identity(pkg: _Package) -> tuple[str | None, str | None]:
    """(form id, version) from the document's custom properties."""
    if "docProps/custom.xml" not in pkg.names():
        return None, None
    root = pkg.xml("docProps/custom.xml")
    props = {}
    for prop in root:
        values = [c.text for c in prop]
        props[prop.get("name")] = values[0] if values else None
    return props.get("skema_form"), props.get("skema_version")


# ---------------------------------------------------------------------------------------
# Reading controls
# ---------------------------------------------------------------------------------------
def _text_of(node) -> str:
    """Plain text of runs under node: paragraphs → LF, w:br/w:cr → LF, w:tab → TAB."""
    parts: list[str] = []
    paragraphs = 0
    for el in node.iter():
        tag = el.tag
        if tag == w("p"):
            if paragraphs:
                parts.append("\n")
            paragraphs += 1
        elif tag == w("t"):
            if not _inside(el, ("del", "moveFrom")):
                parts.append(el.text or "")
        elif tag in (w("br"), w("cr")):
            if el.get(w("type")) in (None, "textWrapping"):
                parts.append("\n")
        elif tag == w("tab") and el.getparent() is not None and \
                el.getparent().tag == w("r"):
            parts.append("\t")
        elif tag == w("noBreakHyphen"):
            parts.append("-")
    return "".join(parts)


def _inside(el, names: tuple[str, ...]) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent.tag in tuple(w(n) for n in names):
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
    for sdt in root.iter(w("sdt")):
        if any(True for _ in sdt.find(w("sdtContent")).iter(w("sdt"))) if \
                sdt.find(w("sdtContent")) is not None else False:
            continue  # a wrapper around other controls
        pr = sdt.find(w("sdtPr"))
        if pr is None:
            continue
        tag_el, alias_el = pr.find(w("tag")), pr.find(w("alias"))
        tag = tag_el.get(w("val")) if tag_el is not None else None
        alias = alias_el.get(w("val")) if alias_el is not None else None
        content = sdt.find(w("sdtContent"))
        placeholder = pr.find(w("showingPlcHdr")) is not None
        tbl = _ancestor(sdt, w("tbl"))
        table_id = tables.setdefault(id(tbl), len(tables)) if tbl is not None else None
        box = pr.find(w14("checkbox"))
        if box is not None:
            checked_el = box.find(w14("checked"))
            text = _text_of(content) if content is not None else ""
            if checked_el is not None:
                checked = checked_el.get(w14("val"), "0") in ("1", "true", "on")
            else:
                checked = "☒" in text or "☑" in text
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
    fld = slot.field
    if ctl.kind == "checkbox":
        return bool(ctl.checked)
    text = ctl.text
    if fld.kind == "date":
        if not text.strip():
            return None
        return danish.parse_date(text) or (
            danish.parse_date(ctl.full_date) if ctl.full_date else None) or text.strip()
    if fld.kind == "dropdown":
        value = text.strip()
        if not value:
            return None
        if fld.format == "kommune":
            return danish.kommune_name(value) or value
        for val, title in fld.choices:
            if value.casefold() in (title.casefold(), str(val).casefold()):
                return val
        return value
    if fld.format == "month" and text.strip():
        return _parse_month(text.strip())
    return text if text.strip() else None


def _parse_month(text: str) -> str:
    if danish.is_month(text):
        return text
    match = re.fullmatch(r"([a-zæøå]+)\.?\s+(\d{4})", text.lower())
    if match and match.group(1) in danish.MONTHS:
        return f"{match.group(2)}-{danish.MONTHS.index(match.group(1)) + 1:02d}"
    return text


def controls_to_data(form: Form, controls: list[_Control]) -> tuple[dict, list[str]]:
    """Assemble data from controls in document order."""
    matcher = _Matcher(form)
    data: dict = {}
    notes: list[str] = []
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
        value = _coerce(slot, ctl)
        fld = slot.field
        if slot.region is None:
            if fld.kind == "multi":
                if value:
                    _set(data, fld.path, _add_option(_get(data, fld.path), slot.option))
            elif value is not None:
                _set(data, fld.path, value)
            continue
        region_items = items.setdefault(slot.region, [])
        if not region_items or pos <= last_pos.get(slot.region, -1):
            region_items.append({})
        last_pos[slot.region] = pos
        item = region_items[-1]
        key = fld.key or "."
        if fld.kind == "multi":
            if value:
                item[key] = _add_option(item.get(key), slot.option)
        elif value is not None:
            item[key] = value
    for region, region_items in items.items():
        lst = form.lists[region]
        rows = []
        for item in region_items:
            if not item:
                continue
            if lst.scalar:
                rows.append(item.get("."))
            else:
                obj: dict = {}
                for key, value in item.items():
                    _set(obj, key, value)
                if _has_content(obj):
                    rows.append(obj)
        if rows:
            _set(data, region, rows)
    if unknown:
        notes.append(f"{unknown} indholdskontrol(ler) passede ikke til formularen og blev "
                     "sprunget over")
    return _order_like_schema(form.schema, data), notes


def _has_content(obj: Any) -> bool:
    if isinstance(obj, dict):
        return any(_has_content(v) for v in obj.values())
    if isinstance(obj, list):
        return bool(obj)
    return obj not in (None, "", False)


def _add_option(current: Any, option: Any) -> list:
    values = list(current or [])
    if option not in values:
        values.append(option)
    return values


def _get(data: dict, path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set(data: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _order_like_schema(node: dict, value: Any) -> Any:
    """Keys in schema order, multi-select values in option order (stable output)."""
    if node.get("type") == "object" and isinstance(value, dict):
        props = node.get("properties", {})
        out = {k: _order_like_schema(props[k], value[k]) for k in props if k in value}
        out.update({k: v for k, v in value.items() if k not in props})
        return out
    if node.get("type") == "array" and isinstance(value, list):
        items = node.get("items", {})
        if "enum" in items:
            order = {v: i for i, v in enumerate(items["enum"])}
            return sorted(value, key=lambda v: order.get(v, len(order)))
        return [_order_like_schema(items, v) for v in value]
    return value


# ---------------------------------------------------------------------------------------
# Public entry
# ---------------------------------------------------------------------------------------
def extract_docx(data: bytes, source: str = "", form_id: str | None = None) -> Extraction:
    """Read a returned .docx (bytes) into data, validated against its form."""
    notes: list[str] = []
    with open_package(data) as pkg:
        found_id, version = document_identity(pkg)
        if form_id and found_id and found_id != form_id:
            notes.append(f"dokumentet er en \"{found_id}\"-formular, men læses som "
                         f"\"{form_id}\" som ønsket")
        chosen = form_id or found_id
        if not chosen:
            raise DocumentError("dokumentet er ikke en skema-formular (formularens id "
                                "mangler i dokumentegenskaberne)",
                                hint="Angiv formularen med --form.")
        form = load_form(chosen)
        tables: dict = {}
        controls = []
        for root in story_parts(pkg):
            controls.extend(_controls(root, tables))
    if controls and all(c.tag is None for c in controls):
        notes.append("dokumentets indholdskontroller har ingen tags (fx gemt af "
                     "LibreOffice); felterne er genkendt ud fra navn og rækkefølge")
    values, more = controls_to_data(form, controls)
    notes.extend(more)
    if version and version != form.version:
        notes.append(f"dokumentet er udfyldt i version {version} af formularen; den "
                     f"aktuelle version er {form.version}")
    return Extraction(source, form, version, values, validate(form, values), notes)


