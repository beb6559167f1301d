"""skema: Danish municipal forms from one JSON Schema each.

The public API: the catalogue (:func:`forms`, :func:`form_ids`, :func:`load_form`, giving
a :class:`Form` of :class:`Field` s), rendering (:func:`fill`, :func:`blank`,
:func:`build_template`), :func:`validate` and :func:`extract` (an :class:`Extraction`).
Problems are data (a :class:`Report` of :class:`Problem` s, each with a registered code);
deliberate errors are :class:`SkemaError` subclasses with Danish messages and a hint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    DataFileError,
    DocumentError,
    NotAFormError,
    OutputExistsError,
    SchemaError,
    SkemaError,
    TemplateError,
    UnknownFormError,
)
from .lazy import lazy_names

if TYPE_CHECKING:
    from pathlib import Path

    from .catalogue import Field, Form, form_ids, forms, load_form
    from .problems import Problem, Report
    from .profile import Profile, ProfileError, load_profile
    from .readers.docx import Extraction

__all__ = [
    "FORMATS", "DataFileError", "DocumentError", "Extraction", "Field", "Form",
    "NotAFormError", "OutputExistsError", "Problem", "Profile", "ProfileError", "Report",
    "SchemaError", "SkemaError", "TemplateError", "UnknownFormError", "blank",
    "build_template", "extract", "fill", "form_ids", "forms", "load_form", "load_profile",
    "validate",
]

#: The public names imported when first asked for (PEP 562), and their modules: ``import
#: toolkit`` stays light, so that ``skema --help`` does not load the catalogue, the profile
#: or the readers (lxml, pypdf …) it does not use.
_LAZY = {
    "Field": "catalogue", "Form": "catalogue", "form_ids": "catalogue", "forms": "catalogue",
    "load_form": "catalogue", "Problem": "problems", "Report": "problems",
    "Profile": "profile", "ProfileError": "profile", "load_profile": "profile",
    "Extraction": "readers.docx",
}


__getattr__ = lazy_names(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def validate(form: Form, data: Any, profile: Profile | None = None) -> Report:
    """Check data against the form's schema and cross-field rules; return every problem.
    ``profile``: the municipality's limits (the longest consent) instead of the schema's.

    (:func:`toolkit.validation.validate`; jsonschema is imported on the first call.)
    """
    from .validation import validate as _validate

    return _validate(form, data, profile)


def _form(form: Form | str) -> Form:
    from .catalogue import Form, load_form

    return form if isinstance(form, Form) else load_form(form)


#: The formats :func:`fill` writes (:func:`blank` also writes ``xlsx``).
FORMATS = ("docx", "pdf")


def _check_format(fmt: str, allowed: tuple[str, ...] = FORMATS) -> None:
    if fmt not in allowed:
        raise SkemaError(f"Formatet \"{fmt}\" understøttes ikke.",
                         hint="Brug " + " eller ".join(f".{a}" for a in allowed) + ".")


def fill(form: Form | str, data: dict, fmt: str = "docx",
         template: str | Path | None = None, flatten: bool = False,
         profile: Profile | None = None, editable: bool | None = None) -> bytes:
    """A filled form as bytes: ``fmt`` ``docx`` or ``pdf`` (``flatten``: no widgets).

    ``profile``: the municipality's name, logo and contacts on every page (None: a neutral
    document). ``editable`` (PDF): False locks every field but the signatures and leaves out
    spare list rows; None follows the schema's ``x-locked``.
    """
    _check_format(fmt)
    if fmt == "pdf":
        from .render.pdf_layout import render_pdf

        return render_pdf(_form(form), data, flatten=flatten, profile=profile,
                          editable=editable)
    from .render.word_compiled import render

    return render(_form(form), data, template=template, profile=profile)


def blank(form: Form | str, fmt: str = "docx", profile: Profile | None = None) -> bytes:
    """An empty fillable form as bytes: ``docx``, ``pdf``, or ``xlsx`` (the input workbook);
    ``profile`` as in :func:`fill`."""
    _check_format(fmt, FORMATS + ("xlsx",))
    if fmt == "xlsx":
        from .render.xlsx import input_workbook

        return input_workbook(_form(form), profile=profile)
    if fmt == "pdf":
        from .render.pdf_layout import render_pdf

        return render_pdf(_form(form), None, blank=True, profile=profile)
    from .render.word_compiled import render

    return render(_form(form), None, blank=True, profile=profile)


def build_template(form: Form | str) -> bytes:
    """The Word template generated from the form's schema."""
    from .render.word_build import build_template as _build

    return _build(_form(form))


def extract(path: str | Path, form: str | None = None) -> Extraction:
    """Read a returned form file (.docx or .pdf) into an :class:`Extraction`, within the
    limits of :mod:`toolkit.limits` (size before reading, time and memory while reading):
    the data, the form and version it was read as, its validation :class:`Report` and
    notes about the file. ``form`` reads it as that form id (else the document's own id decides).

    A file that cannot be read raises :class:`DocumentError` (:class:`NotAFormError` when
    it is readable but none of the catalogue's forms)."""
    from pathlib import Path

    from .limits import LimitError, bounded

    path = Path(path)
    if not path.is_file():
        raise DocumentError(f"{path}: filen findes ikke.", hint="Tjek stien og filnavnet.")
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise DocumentError(f"{path}: gamle Word-filer (.doc) kan ikke læses.",
                            hint="Åbn filen i Word og gem den som .docx.")
    if suffix not in (".docx", ".pdf"):
        raise DocumentError(f"{path}: filtypen \"{path.suffix}\" kan ikke læses.",
                            hint="Brug en .docx- eller .pdf-fil.")
    if suffix == ".docx":  # only the reader the file needs is imported
        from .readers.docx import extract_docx as reader
    else:
        from .readers.pdf import extract_pdf as reader
    try:
        return bounded(_read_form, reader, path, form)
    except DocumentError as exc:
        kind = LimitError if isinstance(exc, LimitError) else DocumentError
        raise kind(f"{path}: {exc}", hint=exc.hint) from None


def _read_form(reader: Any, path: Path, form: str | None) -> Any:
    """Read one form file with ``reader`` (in the bounded child of :func:`extract`)."""
    from .limits import read_file

    return reader(read_file(path), str(path), form)
