"""The web app's consent archive: ``config.archive`` with its key file ``config.key_file``
(outside the archive), made on first use; every action recorded with the identity of
who asked (a user's name, ``nøgle:NAVN`` for an API token, or ``lokal``)."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import HTTPException, Request

from ..consent.store import INDEX, Archive
from .config import WebConfig

#: The largest consent number there can be (an SQLite integer).
MAX_NUMBER = 2**63 - 1
#: A look-up's reason (written in the audit log) in characters at most.
MAX_REASON = 1000

_CREATING = threading.Lock()
_READY: set[Path] = set()


def open_archive(config: WebConfig, actor: str) -> Archive:
    """The archive opened for ``actor`` (close it, or use it in a ``with`` block).

    The first call makes it; every other request waits until it is made (its index file
    exists before its tables do, so the file alone does not say it is ready)."""
    root = config.archive.resolve()
    if root not in _READY:
        with _CREATING:
            if root not in _READY:
                if not (root / INDEX).is_file():
                    config.key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    Archive.init(root, config.key_file, actor=actor)[0].close()
                _READY.add(root)
    return Archive(root, key_file=config.key_file, actor=actor)


def known_number(request: Request) -> None:
    """A dependency of the consent routes: 404 for a consent number larger than any the
    archive can hold (the database would fail on it: a 500)."""
    digits = str(request.path_params.get("consent_id", "")).lstrip("-")
    if digits.isdigit() and (len(digits) > 19 or int(digits) > MAX_NUMBER):
        raise HTTPException(404, "Samtykket findes ikke i arkivet.")
