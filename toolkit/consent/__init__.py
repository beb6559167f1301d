"""The consent archive: signed consents kept byte for byte, indexed, audited.

``Archive`` (store.py) stores and finds documents; ``verify`` checks them all; ``model``
holds the decoded record (``Consent``); ``metadata`` the form answers, dates and CPR
numbers; ``audit`` the keyed hash-chained log; ``keys`` the keys kept outside the archive;
``checkpoint`` the signed checkpoints; ``access`` the citizen's access package;
``rendition`` the PDF/A copies; ``signatures`` checks PDF signatures with pyHanko
(imported only when needed).
"""

from __future__ import annotations

from ..errors import ArchiveError
from .model import (
    DEFAULT_RETENTION_YEARS,
    STATUSES,
    Consent,
    PurgeResult,
    Verification,
)
from .store import DEFAULT_ARCHIVE, Archive

__all__ = ["DEFAULT_ARCHIVE", "DEFAULT_RETENTION_YEARS", "STATUSES", "Archive",
           "ArchiveError", "Consent", "PurgeResult", "Verification"]
