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


class BatchError(SkemaError):
    """A batch that cannot start: bad name pattern, output folder, format."""


class WorkerLost(SkemaError):
    """A worker process stopped without finishing its work (killed, out of memory)."""

    def __init__(self, message: str = "en arbejdsproces stoppede uventet (fx dræbt eller "
                 "løbet tør for hukommelse)", hint: str = "") -> None:
        super().__init__(message, hint)
