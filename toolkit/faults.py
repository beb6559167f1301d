"""Faults of the output folder (disk full, read-only, vanished): one Danish word for them.

A fault of the folder, unlike a problem with one file, stops a run: every later file would
fail the same way. :func:`folder_fault` tells such errors apart and :func:`fault_message`
says what happened, what was finished and when to run again (a re-run finishes the rest).
"""

from __future__ import annotations

import errno
from pathlib import Path

from .errors import os_reason

#: errno names that are faults of the whole output folder, with when to run again.
_WHEN = {
    "ENOSPC": "når der er plads", "EDQUOT": "når der er plads",
    "EROFS": "når mappen kan skrives i", "EACCES": "når mappen kan skrives i",
    "EPERM": "når mappen kan skrives i", "ENOENT": "når mappen findes igen",
    "ENOTDIR": "når mappen findes igen", "EIO": "når disken virker igen",
}


def folder_fault(exc: BaseException) -> bool:
    """True when ``exc`` is a fault of the output folder (disk full, read-only, gone)."""
    return isinstance(exc, OSError) and errno.errorcode.get(exc.errno or 0, "") in _WHEN


def fault_message(folder: str | Path, exc: OSError, finished: str) -> str:
    """``ud: der er ikke plads på disken; 116 af 5000 dokumenter skrevet; kør igen, når
    der er plads.`` (``finished``: what was done, in Danish)."""
    name = errno.errorcode.get(exc.errno or 0, "")
    when = _WHEN.get(name, "")
    return (f"{folder}: {os_reason(exc)}; {finished}; kør igen"
            + (f", {when}" if when else "") + ".")
