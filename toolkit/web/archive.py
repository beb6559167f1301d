"""The web app's consent archive: ``config.archive`` with its key file ``config.key_file``
(outside the archive), made on first use; every action recorded with the identity of
who asked (a user's name, ``nøgle:NAVN`` for an API token, or ``lokal``)."""

from __future__ import annotations

import threading

from ..consent.store import INDEX, Archive
from .config import WebConfig

_CREATING = threading.Lock()


def open_archive(config: WebConfig, actor: str) -> Archive:
    """The archive opened for ``actor`` (close it, or use it in a ``with`` block)."""
    if not (config.archive / INDEX).is_file():
        with _CREATING:
            if not (config.archive / INDEX).is_file():
                config.key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                arch, _made = Archive.init(config.archive, config.key_file, actor=actor)
                return arch
    return Archive(config.archive, key_file=config.key_file, actor=actor)
