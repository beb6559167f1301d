"""Faults of the output folder (disk full, read-only, vanished): one Danish word for them.

A fault of the folder, unlike a problem with one file, stops a run: every later file would
fail the same way. :func:`folder_fault` tells such errors apart and :func:`fault_message`
says what happened, what was finished and when to run again (a re-run finishes the rest).
"""

from __future__ import annotations

import errno
import os
import sqlite3
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


def fault_of(folder: str | Path, exc: BaseException) -> OSError | None:
    """The fault of ``folder`` behind ``exc``, as an OSError :func:`folder_fault` knows, or
    None when ``exc`` is something else. An OSError is its own answer; SQLite says only
    "full", "read-only", "cannot open" or "I/O error", so the folder's state decides
    which of disk full, read-only or gone it is."""
    if isinstance(exc, OSError):
        return exc if folder_fault(exc) else None
    if not isinstance(exc, sqlite3.OperationalError):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name == "SQLITE_FULL" or "disk is full" in text:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder))
    if not (name.startswith(("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN"))
            or "readonly" in text or "disk i/o" in text or "unable to open" in text):
        return None
    return _state(folder)


def _state(folder: str | Path) -> OSError:
    """What is wrong with ``folder`` now: read-only, full, gone, else an I/O error."""
    code = errno.EIO
    try:
        stat = os.statvfs(folder)
        if stat.f_flag & os.ST_RDONLY:
            code = errno.EROFS
        elif stat.f_bavail == 0 or stat.f_ffree == 0:
            code = errno.ENOSPC
        elif not os.access(folder, os.W_OK):
            code = errno.EACCES
    except FileNotFoundError:
        code = errno.ENOENT
    except (OSError, AttributeError):  # no statvfs (Windows): an I/O error it is
        pass
    return OSError(code, os.strerror(code), str(folder))
