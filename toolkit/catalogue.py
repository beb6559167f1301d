"""The form registry: schemas, their fields (path, label, kind, help) and layout slots."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from .errors import SchemaError, UnknownFormError
from .resources import bundled_dir, bundled_folder, package_bytes

if TYPE_CHECKING:
    from pathlib import Path

#: Field kinds, as rendered: one-line text, long text, date, drop-down, checkbox, multi-select.
KINDS = ("text", "long", "date", "dropdown", "checkbox", "multi")


def schema_dir() -> Path:
    """Where the schemas live: ``$SKEMA_SCHEMAS``, else the ones shipped with the package."""
    return bundled_dir("schemas", "SKEMA_SCHEMAS")


def _schema_folder() -> str:
    """:func:`schema_dir` as a string (``skema forms`` does without :mod:`pathlib`)."""
    return bundled_folder("schemas", "SKEMA_SCHEMAS")


def template_dir() -> Path:
    """Where the Word templates live: ``$SKEMA_TEMPLATES``, else the shipped ones."""
    return bundled_dir("form_templates", "SKEMA_TEMPLATES")


_set = object.__setattr__


class _Record:
    """An immutable record, as a frozen dataclass is, made without :mod:`dataclasses`
    (importing it and generating three classes' methods cost ``skema forms`` ~3 ms): its
    ``_fields`` are the constructor's arguments in order, the first ``_compared`` of them
    are compared, hashed and shown (a dataclass's ``compare=True``, ``repr=True``)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _compared = 0

    def _init(self, *values: Any) -> None:
        """Set the fields, in ``_fields`` order (for ``__init__``)."""
        for name, value in zip(self._fields, values, strict=True):
            _set(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields[:self._compared])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, _Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}"
                          for name in self._fields[:self._compared])
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), tuple(getattr(self, name) for name in self._fields)


class Field(_Record):
    """One answer of a form. ``path`` is a shape path: ``*`` stands for a list index."""

    __slots__ = ("path", "label", "kind", "help", "format", "choices", "list_path", "required",
                 "schema")
    _fields = __slots__
    _compared = 8  # not the schema node

    path: str
    label: str
    kind: str
    help: str
    format: str | None
    choices: tuple[tuple[Any, str], ...]
    list_path: str | None
    required: bool
    schema: dict

    def __init__(self, path: str, label: str, kind: str, help: str = "",  # noqa: A002
                 format: str | None = None, choices: tuple[tuple[Any, str], ...] = (),  # noqa: A002
                 list_path: str | None = None, required: bool = False,
                 schema: dict | None = None) -> None:
        self._init(path, label, kind, help, format, choices, list_path, required,
                   {} if schema is None else schema)

    @property
    def key(self) -> str:
        """The field's own id within its item (the path after the list), e.g. ``hvem``."""
        if self.list_path is None:
            return self.path
        return self.path[len(self.list_path) + 3:]

    def choice_title(self, value: Any) -> str:
        """Danish display text of a choice value (the value itself when unknown)."""
        for val, title in self.choices:
            if val == value:
                return title
        return "" if value is None else str(value)


class ListDef(_Record):
    """A repeating list: rows of a table or blocks of the document."""

    __slots__ = ("path", "label", "item_title", "blank_rows", "scalar", "fields")
    _fields = __slots__
    _compared = 6

    path: str
    label: str
    item_title: str
    blank_rows: int
    scalar: bool
    fields: tuple[Field, ...]

    def __init__(self, path: str, label: str, item_title: str, blank_rows: int, scalar: bool,
                 fields: tuple[Field, ...]) -> None:
        self._init(path, label, item_title, blank_rows, scalar, fields)


class Slot(_Record):
    """One Word content control in document order: a field, or one option of a multi-select."""

    __slots__ = ("field", "option", "region")
    _fields = __slots__
    _compared = 3

    field: Field
    option: Any
    region: str | None  # list path when the slot repeats per item

    def __init__(self, field: Field, option: Any = None, region: str | None = None) -> None:
        self._init(field, option, region)

    @property
    def ident(self) -> str:
        """The control's shape id: the field path, plus ``:option`` for a multi-select box."""
        return self.field.path if self.option is None else f"{self.field.path}:{self.option}"

    @property
    def kind(self) -> str:
        """The Word control kind of this slot: text, checkbox, date or dropdown."""
        return {"multi": "checkbox", "long": "text"}.get(self.field.kind, self.field.kind)


def _lower_first(title: str) -> str:
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


def shape_of(path: str) -> str:
    """``aktiviteter.2.hvem`` -> ``aktiviteter.*.hvem``."""
    return re.sub(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.)", "*", path)


class Form:
    """A form of the catalogue, loaded from its JSON Schema."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self.id: str = schema["x-form"]
        self.version: str = schema["version"]
        self.title: str = schema["title"]
        self.description: str = schema.get("description", "")
        self.layout: list[dict] = schema.get("x-layout", [])
        self.rules: list[dict] = schema.get("x-rules", [])
        self.fields: dict[str, Field] = {}
        self.lists: dict[str, ListDef] = {}
        self._collect(schema, "", "", None, True)

    # -- fields ---------------------------------------------------------------------------
    def _collect(self, node: dict, path: str, label: str, list_path: str | None,
                 required: bool) -> None:
        req = set(node.get("required", ()))
        for key, sub in node.get("properties", {}).items():
            sub_path = f"{path}.{key}" if path else key
            title = sub.get("title", key)
            sub_label = sub.get("x-label") or (
                f"{label} – {_lower_first(title)}" if label else title
            )
            self._add(sub, sub_path, sub_label, list_path, required and key in req)

    def _add(self, sub: dict, path: str, label: str, list_path: str | None,
             required: bool) -> None:
        typ = sub.get("type")
        if typ == "object":
            self._collect(sub, path, label, list_path, required)
            return
        if typ == "array" and not _is_multi(sub):
            if list_path is not None:
                raise SchemaError(f"Skemaet for \"{self.id}\" har en liste i en liste "
                                  f"({path}); det understøttes ikke.",
                                  hint="Gør den inderste liste til et felt med flere valg "
                                  "eller en tekst.")
            items = sub.get("items", {})
            item_title = sub.get("x-item-title") or sub.get("title", path)
            scalar = items.get("type") != "object"
            if scalar:
                self._add(items, f"{path}.*", label, path, False)
            else:
                self._collect(items, f"{path}.*", item_title, path, True)
            own = tuple(f for p, f in self.fields.items() if f.list_path == path)
            self.lists[path] = ListDef(path, label, item_title, int(sub.get("x-blank-rows", 3)),
                                       scalar, own)
            return
        self.fields[path] = _make_field(sub, path, label, list_path, required)

    def field(self, path: str) -> Field:
        """The field of a concrete or shape path (``aktiviteter.2.hvem``)."""
        return self.fields[shape_of(path)]

    def label(self, path: str) -> str:
        """The Danish label of a concrete path; list items are numbered (``Aktivitet 3 – hvem``)."""
        shape = shape_of(path)
        if shape in self.fields:
            fld = self.fields[shape]
            if fld.list_path is None:
                return fld.label
            lst = self.lists[fld.list_path]
            index = path[len(lst.path) + 1:].split(".")[0]
            number = f" {int(index) + 1}" if index.isdigit() else ""
            if lst.scalar:
                return f"{lst.label}{number}"
            return fld.label.replace(lst.item_title, f"{lst.item_title}{number}", 1)
        if shape in self.lists:
            return self.lists[shape].label
        node = self.schema_at(path)
        return node.get("title", path) if node else path

    def schema_at(self, path: str) -> dict | None:
        """The schema node at a concrete or shape path, or None."""
        node: dict = self.schema
        for part in path.split(".") if path else []:
            if node.get("type") == "array":
                node = node.get("items", {})
                if part.isdigit() or part == "*":
                    continue
            node = node.get("properties", {}).get(part)
            if node is None:
                return None
        return node

    # -- layout -----------------------------------------------------------------------------
    def expand(self, path: str, prefix: str = "") -> list[Field]:
        """The leaf fields a layout path names: a field, or every leaf under an object."""
        full = f"{prefix}.{path}" if prefix else path
        if full in self.fields:
            return [self.fields[full]]
        return [f for p, f in self.fields.items() if p.startswith(full + ".")]

    def block_fields(self, block: dict) -> tuple[ListDef, list[Field]]:
        """The list a ``rows`` or ``blocks`` layout block shows, and the fields it shows of
        each item: those its ``columns``/``fields`` name, else every field of the list."""
        lst = self.lists[block.get("rows") or block["blocks"]]
        names = block.get("columns") or block.get("fields")
        if not names:
            return lst, list(lst.fields)
        return lst, [f for n in names for f in self.expand(n, f"{lst.path}.*")]

    @cache  # noqa: B019 - forms live for the process
    def slots(self) -> tuple[Slot, ...]:
        """Every content control of the document in layout order (one pass of each list)."""
        out: list[Slot] = []
        for block in self.layout:
            if "fields" in block and "blocks" not in block:
                for fld in [f for p in block["fields"] for f in self.expand(p)]:
                    out.extend(_slots_of(fld, None))
            elif "rows" in block or "blocks" in block:
                lst, flds = self.block_fields(block)
                for fld in flds:
                    out.extend(_slots_of(fld, lst.path))
        return tuple(out)

    def __repr__(self) -> str:
        return f"<Form {self.id} {self.version}>"


def _slots_of(fld: Field, region: str | None) -> list[Slot]:
    if fld.kind == "multi":
        return [Slot(fld, value, region) for value, _ in fld.choices]
    return [Slot(fld, None, region)]


def _is_multi(node: dict) -> bool:
    return node.get("type") == "array" and "enum" in node.get("items", {})


def _choices(node: dict) -> tuple[tuple[Any, str], ...]:
    titles = node.get("x-enum-titles", {})
    return tuple((v, titles.get(str(v), str(v))) for v in node.get("enum", ()))


def _make_field(sub: dict, path: str, label: str, list_path: str | None,
                required: bool) -> Field:
    fmt = sub.get("format")
    if _is_multi(sub):
        kind, choices = "multi", _choices(sub["items"])
    elif "enum" in sub:
        kind, choices = "dropdown", _choices(sub)
    elif fmt == "kommune":
        from .danish import kommuner

        kind, choices = "dropdown", tuple((k["navn"], k["navn"]) for k in kommuner())
    elif sub.get("type") == "boolean":
        kind, choices = "checkbox", ()
    elif fmt == "date":
        kind, choices = "date", ()
    elif sub.get("x-widget") == "long":
        kind, choices = "long", ()
    else:
        kind, choices = "text", ()
    return Field(path=path, label=label, kind=kind, help=sub.get("description", ""),
                 format=fmt, choices=choices, list_path=list_path, required=required,
                 schema=sub)


# ---------------------------------------------------------------------------------------
# Checking a schema when it is loaded
# ---------------------------------------------------------------------------------------
JSON_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"


@cache
def _meta_bytes() -> bytes:
    return package_bytes("data/meta.schema.json")


@cache
def meta_schema() -> dict:
    """The meta-schema of a form schema: every ``x-`` keyword and where it may stand."""
    import json

    return json.loads(_meta_bytes().decode("utf-8"))


@cache
def _quick_checks() -> tuple[Callable[[Any], bool], Callable[[Any], bool]]:
    """(valid JSON Schema 2020-12, valid against the meta-schema): compiled once, in Rust."""
    import jsonschema_rs

    return jsonschema_rs.meta.is_valid, jsonschema_rs.Draft202012Validator(meta_schema()).is_valid


def check_schema(schema: Any, name: str, form_id: str | None = None) -> None:
    """Refuse a form schema that is not valid JSON Schema 2020-12 or misuses an ``x-`` keyword.

    Raises :class:`SchemaError` with one Danish message naming the keyword, its place
    in the file (a JSON path, ``$.x-layout[3].level``) and the file ``name``. A valid schema
    costs two compiled checks; only an invalid one is explained by ``jsonschema``.
    """
    if not isinstance(schema, dict):
        raise SchemaError(f'Skemaet "{name}" kan ikke bruges: det skal være et JSON-objekt.',
                              hint="Ret skemaet; formen er beskrevet i schemas/README.md.")
    is_json_schema, is_form_schema = _quick_checks()
    if not (is_json_schema(schema) and is_form_schema(schema)):
        from jsonschema import Draft202012Validator

        errors = list(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema))
        if errors and schema.get("$schema", JSON_SCHEMA_2020_12) == JSON_SCHEMA_2020_12:
            raise SchemaError(
                f'Skemaet "{name}" kan ikke bruges: {_explain_schema_error(errors)}.',
                hint="Ret skemaet, så det er gyldigt JSON Schema 2020-12.")
        errors = list(Draft202012Validator(meta_schema()).iter_errors(schema))
        if errors:
            raise SchemaError(
                f'Skemaet "{name}" kan ikke bruges: {_explain_schema_error(errors)}.',
                hint="Ret skemaet; dets nøgleord (også x-nøgleordene) er beskrevet i "
                     "schemas/README.md.")
    _check_name(schema, name, form_id)


def _check_name(schema: dict, name: str, form_id: str | None) -> None:
    if form_id is not None and schema.get("x-form") != form_id:
        raise SchemaError(
            f'Skemaet "{name}" kan ikke bruges: "x-form" er "{schema["x-form"]}", men filen '
            f'hedder "{form_id}.schema.json".', hint="Giv filen og x-form samme navn.")


_TYPE_WORDS = {"string": "tekst", "integer": "et helt tal", "number": "et tal",
               "boolean": "true eller false", "array": "en liste", "object": "et objekt"}


def _place(parts: Iterable[Any]) -> str:
    """A JSON path: ``$.x-layout[3].level``."""
    import json

    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_$-]+", part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def _unknown(key: str, known: Iterable[str], parts: list[Any]) -> str:
    import difflib

    guess = difflib.get_close_matches(key, list(known), n=1)
    also = f' (mente du "{guess[0]}"?)' if guess else ""
    return f'ukendt nøgleord "{key}" ved {_place(parts + [key])}{also}'


def _explain_schema_error(errors: list) -> str:
    """One Danish sentence for the most telling of jsonschema's errors about a schema."""
    import json

    def rank(err) -> int:
        if "propertyNames" in err.schema_path or err.validator == "additionalProperties":
            return 0  # an unknown keyword: the likeliest typo, and the clearest message
        return 2 if err.validator in ("anyOf", "oneOf") else 1

    err = min(errors, key=rank)  # min keeps the first of equals: document order
    parts = list(err.absolute_path)
    kw = err.validator
    if "propertyNames" in err.schema_path:
        return _unknown(str(err.instance), err.validator_value or (), parts)
    if kw == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties", {})
        extra = [k for k in err.instance if k not in known]
        return _unknown(extra[0], known, parts)
    where = _place(parts)
    if kw == "required":
        missing = err.message.split("'")[1]
        return f'nøgleordet "{missing}" mangler ved {where}'
    if kw == "type":
        expected = err.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        words = [_TYPE_WORDS.get(str(e), str(e)) for e in expected]
        return f"{where} skal være {' eller '.join(words)}"
    if kw in ("enum", "const"):
        options = err.validator_value if kw == "enum" else [err.validator_value]
        shown = ", ".join(json.dumps(o, ensure_ascii=False) for o in options)
        return f"{where} skal være {'en af: ' if kw == 'enum' else ''}{shown}"
    if kw in ("anyOf", "oneOf") and isinstance(err.schema, dict) and "message" in err.schema:
        return f"{where}: {err.schema['message']}"
    if parts and isinstance(parts[-1], str):
        return f'nøgleordet "{parts[-1]}" ved {where} har en ugyldig værdi'
    return f"{where} har en ugyldig værdi"


#: Change when check_schema, or what Form makes of a schema, checks more: a schema found
#: valid by an older check is then checked again.
_CHECK_VERSION = b"skema schema check 2\0"


def _cache_folder() -> str | None:
    """Where schemas found valid are remembered: ``$SKEMA_CACHE``, else the user's cache;
    None without a home directory (every schema is then checked every time)."""
    env = os.environ.get("SKEMA_CACHE")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        home = os.path.expanduser("~")
        if home.startswith("~"):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "skema")


def _marker(form_id: str, raw: bytes) -> tuple[str, bytes] | None:
    """The marker of a schema's exact bytes found valid and made into a form: its file and
    the content it must begin with (None: no cache folder).

    The content is everything the finding depends on, in full: this check's version, the
    form id, the meta-schema's bytes and the schema's bytes. The file is named by a CRC-32
    and the length of that content, which is cheap (SHA-256 would load OpenSSL: 4 ms of
    ``skema forms``) and can be forged: a schema folder may come from someone else, and two
    schemas with the same name are easily made. That costs nothing but time, as the marker
    is trusted only when it holds exactly the content and the form's listing after it
    (:func:`_trusted`): a collision can make a valid schema be checked again, never an
    invalid one go unchecked."""
    folder = _cache_folder()
    if folder is None:
        return None
    import zlib

    meta = _meta_bytes()
    content = b"%s%s\0%d\0%s%s" % (_CHECK_VERSION, form_id.encode("utf-8"), len(meta), meta,
                                      raw)
    name = f"schema-ok-{form_id}-{len(content):x}-{zlib.crc32(content):08x}"
    return os.path.join(folder, name), content


def _listing(form: Form) -> bytes:
    """What ``skema forms`` shows of a form (version and title), as a marker ends with it:
    ``<length>:<version><length>:<title>`` in UTF-8, each length in bytes."""
    version = form.version.encode("utf-8")
    title = form.title.encode("utf-8")
    return b"%d:%s%d:%s" % (len(version), version, len(title), title)


#: The most a listing may add to a marker's content (the lengths have at most 4 digits).
_LISTING_MAX = 2 * (4 + 1 + 9999)


def _trusted(marker: tuple[str, bytes] | None) -> tuple[str, str] | None:
    """The form's version and title when the marker file is a regular file holding exactly
    the marker's content followed by a whole listing (:func:`_listing`) and nothing more;
    None otherwise (check the schema). Read without following a link, without waiting on
    a pipe, and no more than such a file can hold."""
    if marker is None:
        return None
    path, content = marker
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:  # none yet, a link, or the cache cannot be read: check
        return None
    try:
        info = os.fstat(fd)
        import stat

        if not stat.S_ISREG(info.st_mode) or not (
                len(content) < info.st_size <= len(content) + _LISTING_MAX):
            return None
        held = os.read(fd, info.st_size)
    except OSError:
        return None
    finally:
        os.close(fd)
    if not held.startswith(content):
        return None
    fields: list[str] = []
    rest = held[len(content):]
    for _ in range(2):
        size, colon, rest = rest.partition(b":")
        if not colon or not size.isdigit() or len(size) > 4 or len(rest) < int(size):
            return None
        try:
            fields.append(rest[:int(size)].decode("utf-8"))
        except UnicodeDecodeError:
            return None
        rest = rest[int(size):]
    if rest:  # anything after the title: not a marker this code wrote
        return None
    return fields[0], fields[1]


def _remember(marker: tuple[str, bytes] | None, form: Form) -> None:
    """Write the marker, the form's listing after its content: a new temporary file (never
    an existing one or a link: another user may share the cache) renamed into place, so a
    marker is never seen half-written; the form's older markers go. A cache that cannot be
    written only costs time."""
    if marker is None:
        return
    path, content = marker
    folder, name = os.path.split(path)
    temporary = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0), 0o600)
        try:
            os.write(fd, content + _listing(form))
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return
    _forget_older(folder, name, form.id)


def _forget_older(folder: str, kept: str, form_id: str) -> None:
    """Remove the form's other markers (each schema edit left one) and the empty markers
    of the first version (``schema-ok-`` and 40 hex digits)."""
    import re

    own = re.compile(rf"schema-ok-{re.escape(form_id)}-[0-9a-f]+-[0-9a-f]{{8}}|"
                     r"schema-ok-[0-9a-f]{40}")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for other in names:
        if other != kept and own.fullmatch(other):
            try:
                os.unlink(os.path.join(folder, other))
            except OSError:
                pass


def _parse(raw: bytes, name: str) -> Any:
    """The JSON of a schema file, or a SchemaError naming the file (and the line)."""
    import json

    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (f" (linje {exc.lineno}, kolonne {exc.colno})"
                 if isinstance(exc, json.JSONDecodeError) else "")
        raise SchemaError(f'Skemaet "{name}" er ikke gyldig JSON{where}.',
                          hint="Ret filen, så den er JSON i UTF-8.") from exc


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


@cache
def _load(form_id: str, mtime: float) -> Form:
    """The form of a schema file (``mtime``: a changed file is loaded anew), checked by
    :func:`check_schema` unless its exact bytes were found valid and made into a form
    before (each command loads its form)."""
    name = f"{form_id}.schema.json"
    raw = _read(os.path.join(_schema_folder(), name))
    schema = _parse(raw, name)
    if not isinstance(schema, dict):
        check_schema(schema, name, form_id)  # raises
    _check_name(schema, name, form_id)
    marker = _marker(form_id, raw)
    if _trusted(marker) is not None:
        return Form(schema)
    check_schema(schema, name, form_id)
    form = Form(schema)
    _remember(marker, form)
    return form


def form_ids() -> list[str]:
    """Ids of every form in the catalogue, sorted."""
    suffix = ".schema.json"
    try:
        names = os.listdir(_schema_folder())
    except OSError:  # no such folder: no forms, as a glob of it gives none
        return []
    return sorted(n[:-len(suffix)] for n in names if n.endswith(suffix))


def _schema_file(form_id: str) -> str:
    """The schema file of a form id; raises UnknownFormError listing the known ids."""
    path = os.path.join(_schema_folder(), f"{form_id}.schema.json")
    if not re.fullmatch(r"[a-z0-9-]+", form_id or "") or not os.path.isfile(path):
        known = ", ".join(form_ids())
        raise UnknownFormError(
            f"Ukendt formular: \"{form_id}\".", hint=f"Kendte formularer: {known}."
        )
    return path


def load_form(form_id: str) -> Form:
    """The form with this id; raises UnknownFormError listing the known ids."""
    return _load(form_id, os.stat(_schema_file(form_id)).st_mtime)


def forms() -> list[Form]:
    """Every form of the catalogue."""
    return [load_form(i) for i in form_ids()]


def form_titles() -> list[tuple[str, str, str]]:
    """(id, version, title) of every form of the catalogue, as :func:`forms` gives them and
    with the same errors, for ``skema forms``. A schema whose exact bytes were found valid
    and made into a form before is only read: its listing is the one its marker holds
    (neither the JSON is parsed, nor the fields worked out, nor :mod:`toolkit.danish`
    loaded for the municipalities); any other is loaded."""
    titles = []
    for form_id in form_ids():
        listed = _trusted(_marker(form_id, _read(_schema_file(form_id))))
        if listed is None:
            form = load_form(form_id)
            listed = form.version, form.title
        titles.append((form_id, *listed))
    return titles
