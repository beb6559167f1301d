"""The toolkit's exception family. Every message is Danish and says what to do."""

from __future__ import annotations


class SkemaError(Exception):
    """Base class for every error the toolkit raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class UnknownFormError(SkemaError):
    """A form id that is not in the catalogue."""


class DataFileError(SkemaError):
    """A data file that cannot be read (missing, malformed JSON/YAML, wrong shape)."""


class TemplateError(SkemaError):
    """A Word template that does not match its form's schema."""


class DocumentError(SkemaError):
    """A returned document that cannot be read (corrupt, not a form, unsafe)."""


class NotAFormError(DocumentError):
    """A readable document that is not one of the catalogue's forms."""


class OutputExistsError(SkemaError):
    """An output file exists and overwriting was not asked for."""


class SchemaError(SkemaError):
    """A form schema the toolkit cannot use: not valid JSON Schema 2020-12, an x- keyword
    misused, an unknown layout block, lists in lists."""


#: Top-level packages whose errors mean "the file is damaged": the parsers skema hands a
#: returned file to. An exception that passed through one of them after skema's own last
#: frame was raised by the parser; one raised in skema's own code is a bug.
PARSERS = frozenset({
    "zipfile", "zlib", "gzip", "lzma", "bz2", "struct", "xml", "lxml", "defusedxml",
    "pypdf", "pikepdf", "python_calamine", "openpyxl", "docx", "pyhanko",
    "pyhanko_certvalidator", "asn1crypto", "cryptography", "PIL", "encodings", "codecs",
})


def raised_by_parser(exc: BaseException) -> bool:
    """True when ``exc`` came out of a third-party parser (see ``PARSERS``), False when
    skema's own code raised it (a bug, never to be reported as a damaged file).

    An exception of a parser's own class (``pikepdf.PdfError``, ``zlib.error``,
    ``lxml.etree.XMLSyntaxError`` – compiled parsers leave no Python frame) is the
    parser's. Otherwise the traceback is read from the innermost frame of skema's own code
    (``toolkit``) inwards: if a parser's frame follows it, the parser raised the error; if
    none does (the error arose in skema's line itself, or in a function skema handed it),
    it is skema's. An exception with no frame of skema's at all is the parser's.
    """
    if type(exc).__module__.split(".")[0] in PARSERS:
        return True
    modules = []
    tb = exc.__traceback__
    while tb is not None:
        modules.append(str(tb.tb_frame.f_globals.get("__name__", "")))
        tb = tb.tb_next
    own = [i for i, name in enumerate(modules) if name.split(".")[0] == "toolkit"]
    if not own:
        return True
    return any(name.split(".")[0] in PARSERS for name in modules[own[-1] + 1:])


_OS_REASONS = {
    "EACCES": "ingen adgang til filen", "EPERM": "ingen adgang til filen",
    "ENOENT": "filen eller mappen findes ikke", "ENOSPC": "der er ikke plads på disken",
    "EDQUOT": "der er ikke plads på disken (kvote)", "EISDIR": "det er en mappe, ikke en fil",
    "ENOTDIR": "en del af stien er ikke en mappe", "EROFS": "disken er skrivebeskyttet",
    "ENAMETOOLONG": "filnavnet er for langt", "EMFILE": "for mange åbne filer",
    "EIO": "læse- eller skrivefejl på disken", "EBUSY": "filen er i brug",
    "ETXTBSY": "filen er i brug", "ELOOP": "stien har for mange genveje (symlinks)",
}


def os_reason(exc: OSError) -> str:
    """A Danish reason for an operating-system error (the system's own text is English)."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    return _OS_REASONS.get(name, f"systemfejl ({name or type(exc).__name__})")


class ArchiveError(SkemaError):
    """A consent archive operation that was refused or failed (Danish message + hint).

    ``fields``: the metadata keys the refusal is about (``cpr``, ``gyldig_fra`` …), when it
    is about given metadata, so a form can mark those fields."""

    fields: tuple[str, ...] = ()


class BatchError(SkemaError):
    """A batch that cannot start: bad name pattern, output folder, format."""


class WorkerLost(SkemaError):
    """A worker process stopped without finishing its work (killed, out of memory)."""

    def __init__(self, message: str = "en arbejdsproces stoppede uventet (fx dræbt eller "
                 "løbet tør for hukommelse)", hint: str = "") -> None:
        super().__init__(message, hint)
