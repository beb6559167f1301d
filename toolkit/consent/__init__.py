"""The consent archive: signed consents kept byte for byte, indexed, audited.

``Archive`` (archive.py) stores and finds documents; ``audit`` holds the hash-chained log;
``signatures`` checks PDF signatures with pyHanko (imported only when needed).
"""

from __future__ import annotations

from .archive import (
    DEFAULT_ARCHIVE,
    DEFAULT_RETENTION_YEARS,
    STATUSES,
    Archive,
    ArchiveError,
    Consent,
    Finding,
    PurgeResult,
)

__all__ = ["DEFAULT_ARCHIVE", "DEFAULT_RETENTION_YEARS", "STATUSES", "Archive",
           "ArchiveError", "Consent", "Finding", "PurgeResult"]
