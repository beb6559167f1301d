"""What ``skema extract`` (and the web app's ``/api/extract``) gives as JSON for returned
files: the same shape whether a file was read or not."""

from __future__ import annotations

from typing import Any

from . import danish


def extraction_payload(results: list[Any], single: bool) -> Any:
    """For one file its answers (``{}`` when it could not be read); for several a list
    with one object per file in the order given (``data`` null and ``fejl`` the reason
    when it could not be read). ``results`` holds an :class:`~toolkit.Extraction` per file
    read, or a ``(name, reason)`` pair for a file that was not."""
    if single:
        first = results[0]
        return {} if isinstance(first, tuple) else first.data
    return [file_payload(res) for res in results]


def file_payload(result: Any) -> dict[str, Any]:
    """One file's object in :func:`extraction_payload`'s list: ``fil`` (masked),
    ``formular``, ``version``, ``data`` and, when it was not read, ``fejl``."""
    from .collect import display_name

    if isinstance(result, tuple):
        return {"fil": danish.mask_cpr(display_name(result[0])), "formular": None,
                "version": None, "data": None, "fejl": danish.mask_cpr(result[1])}
    return {"fil": danish.mask_cpr(display_name(result.source)),
            "formular": result.form.id, "version": result.version, "data": result.data}
