"""Uploads within the limits of :class:`~toolkit.web.config.WebConfig`: the request's
declared length checked before its body is read (413 in Danish), each file's size checked
again as it is saved, and a saved file named without the user's file name (a CPR number
in a name never reaches the disk); what is saved is then read by the library with the
command line's own limits (``toolkit.limits``)."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from fastapi import HTTPException, Request, UploadFile

#: Room for the multipart framing and small fields beside the files.
OVERHEAD = 64 * 1024
CHUNK = 1 << 20


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def too_large(limit: int) -> HTTPException:
    """The 413 for a file (or body) above ``limit`` bytes."""
    return HTTPException(413, f"Filen er for stor; højst {_mb(limit)} pr. fil.")


def body_limit(files: int = 1) -> Callable[[Request], None]:
    """A dependency: refuse (413) a request whose body is declared larger than ``files``
    uploads of the app's largest file, and (411) one that does not declare its length."""
    def dependency(request: Request) -> None:
        limit = request.app.state.config.max_upload_bytes
        declared = request.headers.get("content-length")
        if declared is None or not declared.isdigit():
            raise HTTPException(411, "Forespørgslen skal angive sin længde "
                                     "(Content-Length).")
        if int(declared) > files * limit + OVERHEAD:
            raise too_large(limit)
    return dependency


def save_upload(upload: UploadFile, folder: Path, limit: int) -> Path:
    """Save one uploaded file in ``folder`` under a random name with the upload's suffix
    (.docx, .pdf …); 413 when it holds more than ``limit`` bytes (nothing is kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(upload.filename or "").suffix.lower()
    if not suffix.isascii() or not suffix[1:].isalnum():
        suffix = ""
    target = folder / f"upload-{secrets.token_hex(8)}{suffix}"
    written = 0
    with open(target, "xb") as out:
        upload.file.seek(0)
        for chunk in iter(lambda: upload.file.read(CHUNK), b""):
            written += len(chunk)
            if written > limit:
                break
            out.write(chunk)
    if written > limit:
        target.unlink(missing_ok=True)
        raise too_large(limit)
    return target


def scratch(request: Request) -> Path:
    """A new private folder for one request's uploads (remove it with :func:`discard`)."""
    base = request.app.state.config.data / "tmp"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = base / secrets.token_hex(8)
    folder.mkdir(mode=0o700)
    return folder


def discard(folder: Path) -> None:
    """Remove a folder made by :func:`scratch`."""
    shutil.rmtree(folder, ignore_errors=True)
