"""Uploaded files: their limits (size per file, number of files, from the app's config),
saving them to a job's folder under safe names, and unpacking an uploaded .zip safely.

A file over the size limit or an upload of too many files is refused with 413 and a Danish
message. Names come from the browser and are not trusted: a name that tries to leave the
folder (``../``, an absolute path, a drive letter) is refused; a folder upload's names
(``mappe/under/fil.docx``) keep their sub-folders. A .zip is unpacked member by member with
every size counted as it is read (never trusting its directory), so a zip bomb or a zip
of too many files is refused before it fills the disk; links and encrypted members are
refused too. What is read from the files afterwards goes through the same hostile-file
handling as the command line (:mod:`toolkit.limits`, :mod:`toolkit.collect`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import string
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from fastapi import HTTPException
from starlette.datastructures import UploadFile

from .. import danish

CHUNK = 1 << 20
#: A .zip member that unpacks to more than this many times its packed size (and is over
#: a megabyte) is taken for a zip bomb.
MAX_RATIO = 200
#: All members of one .zip together may unpack to at most this many times the size limit
#: of one file.
ZIP_TOTAL_FACTOR = 4


class UploadRefused(HTTPException):
    """An upload that is not taken (413: too big or too many; 400: a hostile name or a
    damaged zip); the message is Danish and has no CPR number."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, danish.mask_cpr(message))


def megabytes(size: int) -> str:
    """A size limit as the pages say it (``50 MB``)."""
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def too_big(name: str, limit: int) -> UploadRefused:
    """The refusal of a file over the size limit (``name``: the file's name as shown; empty
    when it is not known yet)."""
    what = f"Filen \"{name}\"" if name else "Filen"
    return UploadRefused(413, f"{what} er for stor; grænsen er {megabytes(limit)} pr. fil. "
                              "Del den op, eller bed om at få grænsen hævet.")


def check_count(count: int, limit: int) -> None:
    """Refuse (413) an upload of more than ``limit`` files."""
    if count > limit:
        raise UploadRefused(413, f"Der kan højst sendes {limit} filer ad gangen (her er "
                                 f"der {count}). Del dem op i flere omgange.")


def display(name: str | None) -> str:
    """An uploaded file's name as it may be shown (CPR numbers masked)."""
    return danish.mask_cpr(name or "uden navn")


def safe_relative(name: str) -> PurePosixPath:
    """The relative path to keep an uploaded file under (sub-folders of a folder upload
    kept; a CPR number in a name masked, a very long name part shortened); refused (400)
    when the name leads out of the folder or is empty."""
    raw = name.replace("\\", "/")
    parts = raw.split("/")
    bad = (raw.startswith("/") or (len(raw) > 1 and raw[1] == ":")
           or any(p in ("..",) for p in parts) or "\x00" in raw)
    kept = [_short(danish.mask_cpr(p)) for p in parts if p not in ("", ".")]
    if bad or not kept:
        raise UploadRefused(400, f"Filnavnet \"{display(name)}\" peger ud af mappen og "
                                 "tages ikke imod. Pak filerne igen uden \"..\" eller "
                                 "absolutte stier i navnene.")
    return PurePosixPath(*kept)


#: The longest name part kept on disk, in characters (a file system takes 255 bytes).
MAX_NAME = 80


def _short(part: str) -> str:
    """A name part cut to :data:`MAX_NAME` characters, its suffix kept."""
    if len(part) <= MAX_NAME:
        return part
    suffix = PurePosixPath(part).suffix
    suffix = suffix if len(suffix) <= 10 else ""
    return part[:MAX_NAME - len(suffix)] + suffix


def strip_common_folder(paths: list[PurePosixPath]) -> list[PurePosixPath]:
    """The paths without the one top folder they all share (a folder upload sends
    ``mappe/fil.docx``; the files are then read as from inside ``mappe``)."""
    if not paths or any(len(p.parts) < 2 for p in paths):
        return paths
    top = {p.parts[0] for p in paths}
    if len(top) != 1:
        return paths
    return [PurePosixPath(*p.parts[1:]) for p in paths]


def free_name(folder: Path, rel: PurePosixPath) -> Path:
    """``folder/rel``, or ``… (2)``, ``… (3)`` when that is taken."""
    target = folder.joinpath(*rel.parts)
    n = 1
    while target.exists():
        n += 1
        target = folder.joinpath(*rel.parts[:-1], f"{rel.stem} ({n}){rel.suffix}")
    return target


def copy_bounded(source: IO[bytes], target: Path, limit: int, name: str) -> int:
    """Copy ``source`` to a new file ``target``, at most ``limit`` bytes (else the file is
    removed and the upload refused); the bytes copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with open(target, "xb") as out:
            while True:
                chunk = source.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise too_big(name, limit)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


#: The characters of a made-up folder or job name: letters only. A hex or digit name can hold
#: ten digits that look like a CPR number, which every message masks (and the name could
#: then not be swapped back for the upload's own).
NAME_LETTERS = string.ascii_letters
#: Letters of a made-up name (52 ** 22: about 125 bits).
NAME_LENGTH = 22


def new_name() -> str:
    """A fresh random name for an upload's folder (or a job, whose folder it is): letters
    only, so it never looks like a CPR number."""
    return "".join(secrets.choice(NAME_LETTERS) for _ in range(NAME_LENGTH))


def kept_name(name: str | None, default: str = "fil") -> str:
    """An uploaded file's name as it may be kept (the archive keeps it): no folders, no
    control characters, a CPR number masked, at most 120 characters (its end kept)."""
    from ..collect import display_name

    base = Path(display_name(name or "").replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable()).strip(". ")
    return danish.mask_cpr(base or default)[-120:]


@contextlib.contextmanager
def saved(upload: UploadFile, base: Path, limit: int, name: str = "") -> Iterator[Path]:
    """The upload saved in a private folder of its own under ``base`` (removed afterwards)
    under ``name`` (else ``upload`` with its suffix), at most ``limit`` bytes (refused with
    413 above it: :func:`too_big`). Blocking: call it from a worker thread."""
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = base / new_name()
    folder.mkdir(mode=0o700)
    suffix = Path(upload.filename or "").suffix.lower()
    if not (suffix[1:].isascii() and suffix[1:].isalnum()):
        suffix = ""
    target = folder / (name or f"upload{suffix}")
    try:
        upload.file.seek(0)
        copy_bounded(upload.file, target, limit, display(upload.filename))
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_sizes(files: Iterable[UploadFile], limit: int) -> None:
    """Refuse (413) before saving anything when a file is known to be over the limit."""
    for upload in files:
        if upload.size is not None and upload.size > limit:
            raise too_big(display(upload.filename), limit)


def uploads(value: Any) -> list[UploadFile]:
    """The uploaded files of a form value (one or many; empty file inputs left out)."""
    items = value if isinstance(value, list) else [value]
    return [u for u in items if isinstance(u, UploadFile) and (u.filename or u.size)]


def unpack_zip(path: Path, folder: Path, keep: tuple[str, ...], limit: int,
               max_files: int, name: str) -> list[Path]:
    """Unpack the members of the .zip at ``path`` whose names end in ``keep`` into
    ``folder``; the files written. Refused (the files written so far removed) when a name
    leads out of the folder, a member is a link, encrypted or over ``limit``, there are
    more than ``max_files``, all together unpack to more than :data:`ZIP_TOTAL_FACTOR`
    times ``limit``, or a member unpacks far beyond its packed size (a zip bomb)."""
    written: list[Path] = []
    try:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise UploadRefused(400, f"\"{name}\" er ikke en zip-fil eller er beskadiget.") \
                from None
        with archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            members = [i for i in infos if i.filename.lower().endswith(keep)]
            check_count(len(members), max_files)
            rels = strip_common_folder([safe_relative(i.filename) for i in members])
            total = 0
            for info, rel in zip(members, rels):
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise UploadRefused(400, f"\"{name}\" indeholder et symbolsk link "
                                             f"({display(info.filename)}); den pakkes ikke "
                                             "ud.")
                if info.flag_bits & 0x1:
                    raise UploadRefused(400, f"\"{name}\" er beskyttet med adgangskode; "
                                             "pak filerne uden adgangskode.")
                if info.file_size > limit:
                    raise too_big(display(info.filename), limit)
                if info.file_size > CHUNK and info.file_size > MAX_RATIO * max(
                        info.compress_size, 1):
                    raise _bomb(name)
                target = free_name(folder, rel)
                try:
                    with archive.open(info) as member:
                        size = copy_bounded(member, target, limit, display(info.filename))
                except (zipfile.BadZipFile, EOFError, OSError, RuntimeError,
                        NotImplementedError, ValueError) as exc:
                    if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile) \
                            and exc.errno is not None:
                        raise
                    raise UploadRefused(400, f"\"{name}\" er beskadiget og kan ikke pakkes "
                                             "ud.") from None
                written.append(target)
                total += size
                if total > ZIP_TOTAL_FACTOR * limit:
                    raise _bomb(name)
    except BaseException:
        for done in written:
            done.unlink(missing_ok=True)
        raise
    return written


def _bomb(name: str) -> UploadRefused:
    return UploadRefused(413, f"\"{name}\" pakker sig ud til en mistænkeligt stor størrelse "
                              "(zip-bombe) og pakkes ikke ud.")


def remove_empty_dirs(folder: Path) -> None:
    """Remove the empty sub-folders left under ``folder`` (deepest first)."""
    for current, dirs, _files in os.walk(folder, topdown=False):
        for d in dirs:
            try:
                os.rmdir(os.path.join(current, d))
            except OSError:
                pass
