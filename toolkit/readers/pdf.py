"""Read a returned PDF form back into data.

Fillable PDFs (AcroForm) are read field by field: the fully qualified field name is the
field path (``aktiviteter.2.hvem``, ``aktiviteter.2.maal:a`` for one option of a
multi-select), so it does not matter which program filled the form (skema, pypdf,
``pdftk fill_form``, a viewer that only set NeedAppearances). Checkboxes count as ticked
whatever their on-state is called (``/Yes``, ``/On``, ``/1``, ``/Ja``); drop-downs give the
enum value whether the file holds the export value or the Danish title; dates are read
from ``26-02-2019`` as well as ``2019-02-26``. List items are taken in the order of their
index; empty items are dropped.

A copy without widgets (flattened by skema, or printed to PDF) is read from its text: a
skema-flattened copy marks every answer with its field path, so it reads back exactly; a
copy without those marks is read label by label where a value stands on the label's line,
and what is still unread — lists above all — by position: each glyph tied to the field
whose box in the blank form holds it (:mod:`toolkit.readers.pdf_cells`), when the copy is
laid out as the blank. Every field, list or option that cannot be read for certain is
reported with the reason, never guessed; a list is read whole or reported whole.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

from ..catalogue import Field, Form, form_ids, load_form, shape_of
from ..errors import (
    DocumentError,
    NotAFormError,
    SkemaError,
    UnknownFormError,
    raised_by_parser,
)
from ..paths import get_value, set_value
from ..problems import note
from ..render.ooxml import PLACEHOLDERS
from ..validation import Problem, Report, validate
from ..values import Unreadable, box_state, converter
from .docx import Extraction, add_option, list_rows, order_like_schema, unread_option
from .pdf_cells import NOT_LAID_OUT, read_cells
from .pdf_plain import plain_pdf, read_clean

MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_FIELDS = 20_000
MAX_DEPTH = 32
OFF_NAMES = ("off", "", "false", "nej", "no")
#: A PDF without form fields and without a form id (message, hint).
NO_FIELDS = ("PDF-filen indeholder ingen formularfelter og er ikke en skema-formular",
             "Er det en udskrevet kopi af en skema-formular, så angiv formularen med --form.")

__all__ = ["MAX_PDF_BYTES", "Extraction", "extract_pdf"]


@dataclass
class _PdfField:
    """One terminal AcroForm field as found in the file."""

    name: str
    ftype: str
    value: Any
    flags: int = 0
    options: list[tuple[str, str]] = field(default_factory=list)
    states: list[str] = field(default_factory=list)  # /AS of each widget


# ---------------------------------------------------------------------------------------
# Opening
# ---------------------------------------------------------------------------------------
def _open(data: bytes):
    from pypdf import PdfReader

    _precheck(data)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception:  # noqa: BLE001 - any parser failure is a damaged file
        raise DocumentError("PDF-filen er beskadiget og kan ikke læses",
                            hint="Bed afsenderen om at gemme og sende filen igen.") from None
    if reader.is_encrypted:
        opened = False
        with contextlib.suppress(Exception):
            opened = bool(reader.decrypt(""))
        if opened:
            raise DocumentError(
                "PDF-filen er krypteret (beskyttet mod ændringer), og skema læser kun "
                "ukrypterede formularer",
                hint="Gem en kopi af formularen uden sikkerhed/kryptering, og send den igen.")
        raise DocumentError("PDF-filen er beskyttet med en adgangskode og kan ikke læses",
                            hint="Bed afsenderen om at gemme formularen uden adgangskode.")
    return reader


def _precheck(data: bytes) -> None:
    """Refuse what is too big, not a PDF, or cut off, before any parsing."""
    if len(data) > MAX_PDF_BYTES:
        raise DocumentError(
            f"PDF-filen er for stor ({len(data) / 1024 / 1024:.0f} MB); skema læser "
            f"formularer op til {MAX_PDF_BYTES // 1024 // 1024} MB",
            hint="Gem formularen igen uden store billeder eller vedhæftede filer.")
    head = data[:1024]
    if b"%PDF-" not in head:
        hint = "Kontroller, at det er den udfyldte PDF-formular og ikke en omdøbt fil."
        if head.startswith(b"PK"):
            hint = "Filen ligner et Word-dokument; gem den som .docx og læs den som sådan."
        raise DocumentError("filen er ikke en PDF-fil", hint=hint)
    if b"%%EOF" not in data.rstrip()[-1024:]:
        raise DocumentError("PDF-filen er afkortet eller beskadiget (filens slutning mangler)",
                            hint="Bed afsenderen om at sende filen igen.")


def fast_fields(data: bytes) -> tuple[str, str | None, dict[str, _PdfField]] | None:
    """(form id, version, fields) of a fillable skema PDF read with qpdf (pikepdf), about
    five times faster than pypdf; None whenever anything is unusual (no pikepdf, damage
    qpdf had to repair, encryption, no form id in the document information, no fields):
    the pypdf path then reads the file and gives the exact message."""
    return read_clean(data, _qpdf_fields)


def _qpdf_fields(pdf: Any) -> tuple[str, str | None, dict[str, _PdfField]] | None:
    info = pdf.trailer.get("/Info")
    form_id = _plain(info.get("/skema_form")) if info is not None else None
    if not form_id or not isinstance(form_id, str):
        return None
    version = _plain(info.get("/skema_version"))
    acro = pdf.Root.get("/AcroForm")
    fields = acro.get("/Fields") if acro is not None else None
    if not fields:
        return None
    return form_id, version if isinstance(version, str) else None, walk_fields(fields, _Qpdf())


def _plain(value: Any, depth: int = 0) -> Any:
    """A pikepdf object as plain Python: str for strings, "/Name" for names, lists."""
    import pikepdf

    if value is None or depth > 8:
        return None
    if isinstance(value, pikepdf.String):
        return str(value)
    if isinstance(value, pikepdf.Name):
        return str(value)
    if isinstance(value, pikepdf.Array):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, pikepdf.Stream):  # a rich text value
        return value.read_bytes()[:1_000_000].decode("utf-8", "replace")
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, pikepdf.Object):
        try:
            return int(value) if value._type_code == pikepdf.ObjectType.integer else None
        except (TypeError, ValueError, pikepdf.PdfError):
            return None
    return None


def document_identity(reader) -> tuple[str | None, str | None]:
    """(form id, version) from the PDF's document information, else its XMP metadata."""
    form_id = version = None
    with contextlib.suppress(Exception):
        info = reader.metadata or {}
        form_id = _text(info.get("/skema_form")) or None
        version = _text(info.get("/skema_version")) or None
    if form_id:
        return form_id, version
    with contextlib.suppress(Exception):
        root = reader.trailer["/Root"].get_object()
        meta = root.get("/Metadata")
        if meta is not None:
            xml = meta.get_object().get_data()[:1_000_000].decode("utf-8", "replace")
            found = re.search(r"<skema:form>([^<]{1,100})</skema:form>", xml)
            found_v = re.search(r"<skema:version>([^<]{1,50})</skema:version>", xml)
            if found:
                return found.group(1).strip(), found_v.group(1).strip() if found_v else None
    return None, None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "get_object"):
        value = value.get_object()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if hasattr(value, "get_data"):  # a text stream (rich text value)
        return value.get_data().decode("utf-8", "replace")
    return str(value)


# ---------------------------------------------------------------------------------------
# AcroForm fields
# ---------------------------------------------------------------------------------------
def read_fields(reader) -> dict[str, _PdfField]:
    """Every terminal field by fully qualified name (inherited /FT, /V, /Ff, /Opt)."""
    from pypdf.generic import DictionaryObject

    root = reader.trailer.get("/Root")  # None when a damaged trailer lost it
    root = root.get_object() if root is not None else None
    acro = root.get("/AcroForm") if isinstance(root, DictionaryObject) else None
    if acro is None:
        return {}
    acro = acro.get_object()
    if not isinstance(acro, DictionaryObject):  # a reference to an object that is not there
        raise DocumentError("PDF-filen er beskadiget: formularens felter kan ikke findes",
                            hint="Bed afsenderen om at gemme og sende PDF-filen igen.")
    return walk_fields(acro.get("/Fields") or [], _Pypdf())


class _Qpdf:
    """The walker's view of pikepdf objects (values as plain Python)."""

    def __init__(self) -> None:
        import pikepdf

        self.dictionary, self.array_type = pikepdf.Dictionary, pikepdf.Array

    def node(self, ref: Any) -> Any:
        return ref if isinstance(ref, self.dictionary) else None

    def ident(self, ref: Any) -> Any:
        return ref.objgen if ref.is_indirect else None

    def text(self, value: Any) -> str:
        value = _plain(value)
        return value if isinstance(value, str) else ""

    def array(self, value: Any) -> list:
        return list(value) if isinstance(value, self.array_type) else []

    def value(self, value: Any) -> Any:
        return _plain(value)

    def flags(self, value: Any) -> int:
        value = _plain(value)
        return int(value) if isinstance(value, (int, float)) else 0


class _Pypdf:
    """The walker's view of pypdf objects."""

    def node(self, ref: Any) -> Any:
        node = ref.get_object()
        return node if hasattr(node, "get") else None

    def ident(self, ref: Any) -> Any:
        return getattr(ref, "idnum", None)

    def text(self, value: Any) -> str:
        return _text(value)

    def array(self, value: Any) -> list:
        value = value.get_object() if hasattr(value, "get_object") else value
        return list(value) if isinstance(value, list) else []

    def value(self, value: Any) -> Any:
        return value.get_object() if hasattr(value, "get_object") else value

    def flags(self, value: Any) -> int:
        value = self.value(value)
        return int(value) if isinstance(value, (int, float)) else 0  # damaged: none


def walk_fields(roots: Any, model: Any) -> dict[str, _PdfField]:
    """Every terminal field under the AcroForm's ``/Fields`` by fully qualified name, with
    the inherited /FT, /V, /Ff and /Opt; ``model`` (``_Qpdf`` or ``_Pypdf``) reads the PDF
    library's objects. Loops, depth and the number of fields are bounded."""
    out: dict[str, _PdfField] = {}
    seen: set[Any] = set()

    def walk(ref: Any, prefix: str, inherited: dict, depth: int) -> None:
        if depth > MAX_DEPTH or len(out) > MAX_FIELDS:
            return
        node = model.node(ref)
        if node is None:
            return
        ident = model.ident(ref)
        if ident is not None:
            if ident in seen:
                return
            seen.add(ident)
        partial = model.text(node.get("/T")) if "/T" in node else ""
        name = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
        inh = dict(inherited)
        for key in ("/FT", "/V", "/Ff", "/Opt"):
            if key in node:
                inh[key] = node[key]
        kids = [(k, model.node(k)) for k in model.array(node.get("/Kids"))]
        kid_nodes = [(k, n) for k, n in kids if n is not None]
        field_kids = [k for k, n in kid_nodes if "/T" in n]
        if field_kids:
            for kid in field_kids:
                walk(kid, name, inh, depth + 1)
            return
        widgets = [n for _k, n in kid_nodes] or [node]
        states = [_name(model.text(wd.get("/AS"))) for wd in widgets if "/AS" in wd]
        ftype = _name(model.text(inh.get("/FT")))
        opts = []
        for opt in model.array(inh.get("/Opt")) if ftype == "Ch" else []:  # choices only
            opt = model.value(opt)
            if isinstance(opt, list) and len(opt) >= 2:
                opts.append((model.text(opt[0]), model.text(opt[1])))
            else:
                opts.append((model.text(opt), model.text(opt)))
        out[name] = _PdfField(name, ftype, model.value(inh.get("/V")),
                              model.flags(inh.get("/Ff")), opts, states)

    for ref in roots:
        walk(ref, "", {}, 0)
    return out


def _name(value: Any) -> str:
    text = _text(value)
    return text[1:] if text.startswith("/") else text


def _field_text(pf: _PdfField) -> str:
    value = pf.value
    if isinstance(value, list):
        value = value[0] if value else ""
    text = _text(value)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _checked(pf: _PdfField) -> bool:
    if pf.value is not None and not isinstance(pf.value, list):
        return _name(pf.value).casefold() not in OFF_NAMES
    return any(s.casefold() not in OFF_NAMES for s in pf.states)


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------
def coerce(fld: Field, text: str, options: list[tuple[str, str]] | None = None) -> Any:
    """A field's value from the text a PDF holds (None when empty), read as the Word and
    Excel readers read it (toolkit.values). Text that cannot be read is kept as written,
    so that validation reports it with the same words as the other readers."""
    if not text.strip():
        return None
    if fld.kind == "dropdown":
        value = text.strip()
        for export, display in options or []:  # a viewer may store the display text
            if value == display.strip() and export.strip():
                text = export.strip()
                break
    try:
        return converter(fld)(text)
    except Unreadable:
        return text.strip()


class _Assembler:
    """Collects (field path, value) pairs into data; list items by their index."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.data: dict = {}
        self.items: dict[str, dict[int, dict]] = {}
        self.unknown: list[str] = []
        self.unread: list[Problem] = []  # an option's tick that cannot be read
        self.matched = 0

    def known(self, name: str) -> tuple[Field, str, Any] | None:
        """Like :meth:`field_of`, noting a name the form does not know in ``unknown``."""
        found = self.field_of(name)
        if found is None:
            self.unknown.append(name)
        return found

    def field_of(self, name: str) -> tuple[Field, str, Any] | None:
        """(field, concrete path, option) of a PDF field name, or None when foreign."""
        path, sep, option = name.partition(":")
        fld = self.form.fields.get(shape_of(path))
        if fld is None:
            return None
        if fld.list_path is not None:
            rest = path[len(fld.list_path) + 1:].split(".")[0]
            if not path.startswith(fld.list_path + ".") or not rest.isdigit():
                return None
        if sep:
            if fld.kind != "multi":
                return None
            for val, _title in fld.choices:
                if str(val) == option:
                    return fld, path, val
            return None
        if fld.kind == "multi":
            return None
        return fld, path, None

    def put(self, fld: Field, path: str, option: Any, value: Any) -> None:
        """Put one answer; an option of a multi-select is chosen when its tick is True."""
        self.matched += 1
        if fld.kind == "multi" and isinstance(value, str):  # a tick that cannot be read
            self.unread.append(unread_option(fld, path, option))
            return
        if fld.list_path is None:
            if fld.kind == "multi":
                current = get_value(self.data, path)
                if value is True:
                    set_value(self.data, path, add_option(current, option))
            elif value is not None:
                set_value(self.data, path, value)
            return
        index = int(path[len(fld.list_path) + 1:].split(".")[0])
        item = self.items.setdefault(fld.list_path, {}).setdefault(index, {})
        key = fld.key or "."
        if fld.kind == "multi":
            if value is True:
                item[key] = add_option(item.get(key), option)
        elif value is not None:
            item[key] = value

    def result(self) -> dict:
        for region, by_index in self.items.items():
            rows = list_rows(self.form.lists[region], [by_index[i] for i in sorted(by_index)])
            if rows:
                set_value(self.data, region, rows)
        return order_like_schema(self.form.schema, self.data)


def _from_fields(form: Form, fields: dict[str, _PdfField]) -> _Assembler:
    asm = _Assembler(form)
    for name, pf in fields.items():
        if pf.ftype == "Sig":
            continue
        found = asm.known(name)
        if found is None:
            continue
        fld, path, option = found
        if fld.kind in ("checkbox", "multi"):
            value: Any = _checked(pf) if pf.ftype in ("Btn", "") else box_state(_field_text(pf))
        else:
            value = coerce(fld, _field_text(pf), pf.options)
        asm.put(fld, path, option, value)
    return asm


# ---------------------------------------------------------------------------------------
# Copies without widgets
# ---------------------------------------------------------------------------------------
def marked_answers(reader) -> list[tuple[str, str | None]]:
    """(field path, text) of every answer span skema marked, in page content and in the
    form XObjects a flattening program made of the widgets' appearances."""
    from pypdf.generic import ContentStream

    out: list[tuple[str, str | None]] = []
    seen: set[int] = set()

    def scan(stream: Any, resources: Any, depth: int) -> None:
        for operands, operator in ContentStream(stream, reader).operations:
            if operator != b"BDC" or len(operands) < 2:
                continue
            props = operands[1]
            props = props.get_object() if hasattr(props, "get_object") else props
            if not hasattr(props, "get") or "/SkemaPath" not in props:
                continue
            if int(props.get("/SkemaPart", 0) or 0):
                continue  # a continuation: the first part carries the answer
            actual = props.get("/ActualText")
            out.append((_text(props["/SkemaPath"]), None if actual is None else _text(actual)))
        xobjects = (resources or {}).get("/XObject") if hasattr(resources, "get") else None
        if depth >= 3 or not xobjects:
            return
        for ref in xobjects.get_object().values():
            ident = getattr(ref, "idnum", None)
            xobj = ref.get_object()
            if ident in seen or xobj.get("/Subtype") != "/Form":
                continue
            if ident is not None:
                seen.add(ident)
            scan(xobj, xobj.get("/Resources"), depth + 1)

    for page in reader.pages:
        contents = page.get_contents()
        if contents is not None:
            scan(contents, page.get("/Resources"), 0)
    return out


def _from_marks(form: Form, marks: list[tuple[str, str | None]]) -> _Assembler:
    asm = _Assembler(form)
    for name, text in marks:
        found = asm.known(name)
        if found is None:
            continue
        fld, path, option = found
        if fld.kind in ("checkbox", "multi"):
            asm.put(fld, path, option, box_state(text or ""))
        elif text is not None:  # a continuation part carries no text of its own
            asm.put(fld, path, option, coerce(fld, text.replace("\r\n", "\n")))
    return asm


def _mark_names(fld: Field) -> list[str]:
    """The mark names one item's field carries (one per option of a multi-select)."""
    if fld.kind == "multi":
        return [f"{fld.path}:{val}" for val, _title in fld.choices]
    return [fld.path]


REDRAWN = ("kunne ikke læses fra PDF-filens tekst (feltet er tegnet om af et andet "
           "program); kontroller feltet i filen")
REDRAWN_LIST = ("kunne ikke læses sikkert fra PDF-filens tekst (nogle af listens felter er "
                "tegnet om af et andet program, så rækkerne kan ikke skelnes); kontroller "
                "listen i filen")


def unmarked_problems(form: Form, names: list[str]) -> list[Problem]:
    """What a flat copy shows without skema's answer marks (another program redrew those
    widgets before flattening): each such single field, or option of a multi-select, is
    reported; a list is reported whole unless every field of every row 0..n-1 is marked,
    so that a row is never read with cells missing or taken from another row."""
    shapes: set[str] = set()
    rows: dict[str, dict[str, set[int]]] = {}
    for name in names:
        path, sep, option = name.partition(":")
        shape = shape_of(path) + sep + option
        shapes.add(shape)
        fld = form.fields.get(shape_of(path))
        if fld is not None and fld.list_path is not None:
            index = path[len(fld.list_path) + 1:].split(".")[0]
            if index.isdigit():
                rows.setdefault(fld.list_path, {}).setdefault(shape, set()).add(int(index))
    problems: list[Problem] = []
    for fld in form.fields.values():
        if fld.list_path is None and not all(n in shapes for n in _mark_names(fld)):
            problems.append(Problem(fld.path, fld.label, REDRAWN, "unreadable"))
    for lst in form.lists.values():
        wanted = [n for f in form.fields.values() if f.list_path == lst.path
                  for n in _mark_names(f)]
        found = rows.get(lst.path, {})
        indices = [found.get(n, set()) for n in wanted]
        full = set(range(len(indices[0]))) if indices else set()
        if not indices or not full or any(i != full for i in indices):
            problems.append(Problem(lst.path, lst.label, REDRAWN_LIST, "unreadable"))
    return problems


_HINTS = re.compile(r"\s*(dd-mm-åååå|måned åååå)\s*$")


GARBLED = ("kunne ikke læses: PDF-filens tekst er gemt med en tegnkodning, der ikke kan "
           "læses sikkert (fx æ, ø og å bliver til andre tegn); kontroller feltet i filen")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


def text_garbled(form: Form, lines: list[str]) -> bool:
    """Whether a page text of this form cannot be trusted letter by letter: the form's
    labels are there but with other letters in place of æ, ø and å (none is found as
    written), or the text holds control characters or replacement marks (a program such
    as Ghostscript rewrote the fonts without a correct mapping to Unicode, so answers would
    be read garbled). A text without the form's labels is not this form, not garbled."""
    text = " ".join(" ".join(lines).split())
    names = {str(n) for f in form.fields.values() for n in (f.label, f.schema.get("title"))
             if n}
    danish = [" ".join(n.split()) for n in sorted(names)
              if any(ch in n.casefold() for ch in "æøå")]
    loose = [re.compile("".join(".{0,2}" if ch.casefold() in "æøå" else re.escape(ch)
                                for ch in label)) for label in danish]
    if not any(pattern.search(text) for pattern in loose):
        return False
    return bool(_CONTROL_CHARS.search(text)) or not any(label in text for label in danish)


#: A list in the text of a copy without widgets or marks, before reading by position.
LIST_FROM_TEXT = "kunne ikke læses fra PDF-filens tekst; kontroller listen i filen"

#: What an empty content control shows in a printed Word form (its placeholder text).
_EMPTY_SHOWN = frozenset(PLACEHOLDERS.values())


def _from_text(form: Form, reader) -> tuple[_Assembler, list[Problem]]:
    """Read label/value lines of a copy without widgets or marks; report the rest."""
    lines: list[str] = []
    for page in reader.pages:
        with contextlib.suppress(Exception):
            text = page.extract_text(extraction_mode="layout") or ""
            lines.extend(line.strip() for line in text.splitlines() if line.strip())
    asm = _Assembler(form)
    problems: list[Problem] = []
    read_paths: set[str] = set()
    garbled = text_garbled(form, lines)
    for fld in form.fields.values():
        if garbled or fld.list_path is not None or fld.kind in ("long", "multi"):
            continue
        hits = [line for line in lines if re.match(re.escape(fld.label) + r"(\s{2,}|$)", line)]
        if len(hits) != 1:
            continue
        rest = _HINTS.sub("", hits[0][len(fld.label):]).strip()
        if rest in _EMPTY_SHOWN:  # Word's placeholder of an empty control: no answer
            read_paths.add(fld.path)
            continue
        if fld.kind == "checkbox":
            if rest:  # a box drawn without a glyph (or left out) is not read as "no"
                asm.put(fld, fld.path, None, box_state(rest))
                read_paths.add(fld.path)
        elif rest:
            asm.put(fld, fld.path, None, coerce(fld, rest))
            read_paths.add(fld.path)
    reason = GARBLED if garbled else "kunne ikke læses fra PDF-filens tekst; kontroller " \
        "feltet i filen"
    for fld in form.fields.values():
        if fld.list_path is None and fld.path not in read_paths:
            problems.append(Problem(fld.path, fld.label, reason, "unreadable"))
    for lst in form.lists.values():
        problems.append(Problem(lst.path, lst.label, LIST_FROM_TEXT, "unreadable"))
    return asm, problems


def by_position(form: Form, reader, asm: _Assembler, problems: list[Problem]) -> list[Problem]:
    """Read the fields and lists a flat copy's text or marks could not, by where their
    text stands (:mod:`toolkit.readers.pdf_cells`): a field or list is read only when
    every one of its boxes is read without doubt; else it stays reported, with the reason
    the position reading found. Returns the problems that remain."""
    wanted = [p for p in problems if p.code == "unreadable"
              and (p.path in form.lists or (p.path in form.fields
                                             and form.fields[p.path].list_path is None))]
    if not wanted:
        return problems
    try:
        cells = read_cells(form, reader)
    except Exception as exc:  # noqa: BLE001 - page content pypdf cannot parse
        if not raised_by_parser(exc):
            raise
        return problems  # what could not be read stays reported as it was
    owners: dict[str, list[tuple[str, Field, str, Any]]] = {}
    for name in list(cells.texts) + list(cells.doubtful):
        found = asm.field_of(name)
        if found is None:
            continue
        fld, path, option = found
        owner = fld.list_path if fld.list_path is not None else fld.path
        owners.setdefault(owner, []).append((name, fld, path, option))
    kept: list[Problem] = []
    for problem in problems:
        boxes = owners.get(problem.path, []) if problem in wanted else []
        if cells.refused and problem.message == LIST_FROM_TEXT:
            problem = Problem(problem.path, problem.label, cells.refused, problem.code)
        if not boxes or cells.refused:
            kept.append(problem)
            continue
        doubt = next((cells.doubtful[n] for n, *_ in boxes if n in cells.doubtful), None)
        if doubt is not None:
            if doubt != NOT_LAID_OUT or problem.message == LIST_FROM_TEXT:
                problem = Problem(problem.path, problem.label, doubt, problem.code)
            kept.append(problem)  # a page not laid out as the blank: the first reason
            continue
        asm.items.pop(problem.path, None)
        for name, fld, path, option in boxes:
            text = cells.texts[name]
            if fld.kind in ("checkbox", "multi"):
                asm.put(fld, path, option, box_state(text))
            else:
                asm.put(fld, path, option, coerce(fld, text, cells.options.get(name)))
    return kept


# ---------------------------------------------------------------------------------------
# Which form
# ---------------------------------------------------------------------------------------
def _load(form_id: str) -> Form:
    try:
        return load_form(form_id)
    except UnknownFormError as err:
        raise NotAFormError(f"PDF-filen er en formular af typen \"{form_id}\", som skema "
                            "ikke kender", hint=err.hint + " Angiv formularen med --form.") \
            from None


def _guess_form(names: list[str]) -> Form | None:
    """The one catalogue form whose fields every PDF field name belongs to."""
    candidates = []
    for fid in form_ids():
        form = load_form(fid)
        asm = _Assembler(form)
        if names and all(asm.field_of(n) is not None for n in names):
            candidates.append(form)
    return candidates[0] if len(candidates) == 1 else None


# ---------------------------------------------------------------------------------------
# Public entry
# ---------------------------------------------------------------------------------------
def extract_pdf(data: bytes, source: str = "", form_id: str | None = None) -> Extraction:
    """Read a returned PDF form (bytes) into data, validated against its form.

    Raises DocumentError with a Danish message for anything that is not a readable form:
    not a PDF, truncated, encrypted, too large, no form, a form skema does not know.
    """
    data = bytes(data)
    try:
        return _extract(data, source, form_id)
    except SkemaError as err:
        if isinstance(err, DocumentError):
            raise
        raise DocumentError(str(err), hint=err.hint) from None
    except RecursionError:
        raise DocumentError("PDF-filen er bygget for dybt indlejret og læses ikke",
                            hint="Bed afsenderen om at gemme filen igen.") from None
    except Exception as exc:  # noqa: BLE001 - what pypdf/pikepdf make of a damaged file
        if not raised_by_parser(exc):
            raise  # a bug in skema: shown as an unexpected error, never as "damaged"
        raise DocumentError("PDF-filen er beskadiget og kan ikke læses",
                            hint="Bed afsenderen om at gemme og sende filen igen.") from None


def _extract(data: bytes, source: str, form_id: str | None) -> Extraction:
    _precheck(data)
    notes: list[Problem] = []
    fast = fast_fields(data)
    found_id: str | None
    if fast is not None:
        reader = None
        found_id, version, fields = fast
    elif form_id is None and plain_pdf(data):  # a scan: no form, whichever reader says it
        raise NotAFormError(*NO_FIELDS)
    else:
        reader = _open(data)
        found_id, version = document_identity(reader)
        fields = read_fields(reader)
    names = [n for n, pf in fields.items() if pf.ftype != "Sig"]
    if form_id and found_id and found_id != form_id:
        notes.append(note("other_form",
                          f"PDF-filen er en \"{found_id}\"-formular, men læses som \"{form_id}\" "
                          "som ønsket"))
    chosen = form_id or found_id
    if chosen:
        form = _load(chosen)
    elif names:
        guess = _guess_form(names)
        if guess is None:
            raise NotAFormError("PDF-filen er ikke en skema-formular (formularens id mangler "
                                "i dokumentets metadata, og felterne passer ikke til en kendt "
                                "formular)", hint="Angiv formularen med --form.")
        form = guess
        notes.append(note("no_form_id",
                          f"formularens id mangler i PDF-filens metadata; felterne passer til "
                          f"\"{form.id}\""))
    else:
        raise NotAFormError(*NO_FIELDS)

    problems: list[Problem] = []
    if names:
        asm = _from_fields(form, fields)
        if not asm.matched:
            raise NotAFormError(f"ingen af PDF-filens {len(names)} felter hører til "
                                f"formularen \"{form.id}\"",
                                hint="Kontroller, at det er den rigtige formular (--form).")
    else:
        if reader is None:
            reader = _open(data)
        marks = marked_answers(reader)
        if marks:
            asm = _from_marks(form, marks)
            notes.append(note("flat_pdf",
                              "PDF-filen har ingen udfyldelige felter (en flad kopi); svarene er "
                              "læst fra sidernes tekst"))
            problems = unmarked_problems(form, [name for name, _ in marks])
            for problem in problems:  # a list reported whole is not read in part
                if problem.path in form.lists:
                    asm.items.pop(problem.path, None)
            problems = by_position(form, reader, asm, problems)
        else:
            asm, problems = _from_text(form, reader)
            problems = by_position(form, reader, asm, problems)
            if not asm.matched and not any(p.message == GARBLED for p in problems):
                raise NotAFormError(
                    f"PDF-filen indeholder ingen formularfelter, og ingen af formularen "
                    f"\"{form.id}\"s felter kunne læses fra dens tekst",
                    hint="Send den udfyldelige PDF-formular, ikke en udskrift eller et "
                    "billede af den.")
            notes.append(note("flat_pdf",
                              f"PDF-filen har ingen udfyldelige felter; {asm.matched} felt(er) er "
                              f"læst fra sidernes tekst, {len(problems)} kunne ikke læses (se "
                              "rapporten)"))
    if asm.unknown:
        notes.append(note("unknown_fields",
                          f"{len(asm.unknown)} felt(er) i PDF-filen hører ikke til formularen og "
                          "blev sprunget over"))
    values = asm.result()
    if version and version != form.version:
        notes.append(note("other_version",
                          f"PDF-filen er udfyldt i version {version} af formularen; den aktuelle "
                          f"version er {form.version}"))
    report = validate(form, values)
    problems = problems + asm.unread
    if problems:
        unreadable = {p.path for p in problems}
        report = Report(problems + [p for p in report.problems if p.path not in unreadable])
    return Extraction(source, form, version, values, report, notes)
