"""The consent archive: signed consents kept byte for byte, indexed, audited.

``Archive`` (store.py) stores and finds documents; ``verify`` checks them all; ``model``
holds the decoded record (``Consent``); ``metadata`` the form answers, dates and CPR
numbers; ``audit`` the keyed hash-chained log; ``keys`` the keys kept outside the archive;
``checkpoint`` the signed checkpoints; ``access`` the citizen's access package;
``rendition`` the PDF/A copies; ``signatures`` checks PDF signatures with pyHanko
(imported only when needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ArchiveError
from ..lazy import lazy_names

if TYPE_CHECKING:
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

#: The public names imported when first asked for (PEP 562): ``toolkit.consent.rendition``
#: can start a PDF/A copy before the index (sqlite3), the audit log and the keys are loaded.
_LAZY = {"DEFAULT_RETENTION_YEARS": "model", "STATUSES": "model", "Consent": "model",
         "PurgeResult": "model", "Verification": "model", "DEFAULT_ARCHIVE": "store",
         "Archive": "store"}


__getattr__ = lazy_names(__name__, _LAZY, globals())
