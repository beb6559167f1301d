"""A PDF/A-2b rendition of each archived document, for reading in twenty years.

The original bytes stay the record; the rendition is a copy in a format made for long-term
keeping (fonts embedded, colour profile, no external references).

- ``.docx``: LibreOffice (``soffice --convert-to pdf`` with ``SelectPdfVersion`` 2), the
  same program that opens the forms in the tests, and the best reader of Word files there
  is outside Word.
- PDF and scanned images: Ghostscript (``gs -dPDFA=2``). It is kept by Artifex since
  1988, packaged by every distribution, reads any PDF (it re-renders instead of patching,
  so a damaged or odd PDF still gives a clean one) and writes PDF/A with the sRGB output
  intent it ships itself. Images are wrapped into a PDF with Pillow first. (LibreOffice
  opens a PDF as a drawing and loses text; ocrmypdf uses Ghostscript underneath.)

Both run under the limits of every file read (:func:`toolkit.limits.start_program`: the same
time and memory, killed with what they started when the time is up). A missing tool, a
failure, a limit reached or a result that is not PDF/A-2b gives no rendition and a Danish
note saying why; it never stops the document from being archived.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from ..errors import os_reason
from ..limits import LimitError, Program, bounded, process_alive, start_program

PDFA_DEF = """%!
/ICCProfile ({icc}) def
[/_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark
[{{icc_PDFA}} << /N 3 >> /PUT pdfmark
[{{icc_PDFA}} ICCProfile (r) file /PUT pdfmark
[/_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark
[{{OutputIntent_PDFA}} << /Type /OutputIntent /S /GTS_PDFA1 /DestOutputProfile {{icc_PDFA}}
  /OutputConditionIdentifier (sRGB) >> /PUT pdfmark
[{{Catalog}} << /OutputIntents [ {{OutputIntent_PDFA}} ] >> /PUT pdfmark
"""

LIBREOFFICE = "LibreOffice"
GHOSTSCRIPT = "Ghostscript"


class Rendition(NamedTuple):
    """A PDF/A-2b rendition (``data``), or None with the reason in ``note``. (A named
    tuple, not a dataclass: ``dataclasses`` is not imported before Ghostscript starts.)"""

    data: bytes | None
    tool: str
    note: str = ""


def _srgb_profile() -> str | None:
    found = sorted(glob.glob("/usr/share/ghostscript/*/iccprofiles/srgb.icc")
                   + glob.glob("/usr/local/share/ghostscript/*/iccprofiles/srgb.icc"))
    return found[-1] if found else None


def _is_pdfa_2b(data: bytes) -> bool:
    """Whether the PDF (opened with qpdf) claims PDF/A-2b in its XMP metadata."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            meta = pdf.Root.get("/Metadata")
            xmp = meta.read_bytes() if isinstance(meta, pikepdf.Stream) else b""
    except (pikepdf.PdfError, ValueError):
        return False
    return pdfa_claim(xmp) == "2B"


#: The XMP namespace of the PDF/A identification schema (``pdfaid:part``, ``conformance``).
PDFA_ID = "http://www.aiim.org/pdfa/ns/id/"


def pdfa_claim(xmp: bytes) -> str:
    """The PDF/A part and conformance an XMP packet claims (``2B``), as pikepdf's
    ``pdfa_status`` gives it: each from its first ``pdfaid:`` attribute or element, as
    written; '' when it lacks either or is not well-formed XML (pikepdf would repair it;
    a copy that needs repair is no PDF/A). Read with expat, not lxml (~8 ms of an add's
    start-up), and without a document type: a declared one ends the reading."""
    from xml.parsers import expat

    found: dict[str, str] = {}
    reading: list[str] = []  # the pdfaid element whose text is being read, and its text

    def begin(name: str, attributes: dict[str, str]) -> None:
        for key, value in attributes.items():
            space, _, local = key.rpartition(" ")
            if space == PDFA_ID and local in ("part", "conformance"):
                found.setdefault(local, value)
        space, _, local = name.rpartition(" ")
        reading[:] = [local, ""] if space == PDFA_ID and local not in found else []

    def text(data: str) -> None:
        if reading:
            reading[1] += data

    def end(_name: str) -> None:
        if reading and reading[0] in ("part", "conformance"):
            found.setdefault(reading[0], reading[1])
        reading.clear()

    def refuse(*_args: object) -> None:
        raise ValueError("XMP med dokumenttype")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = begin, end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse
    try:
        parser.Parse(xmp, True)
    except (expat.ExpatError, ValueError):
        return ""
    return found["part"] + found["conformance"] if len(found) == 2 else ""


def _launch(args: list[str], tool: str) -> Program | str:
    """Start a converter within the limits of a file read (:func:`start_program`): it
    works while the caller goes on; a Danish note when it cannot be started."""
    try:
        return start_program(args)
    except OSError as exc:
        return f"{tool} kunne ikke startes ({exc.strerror})"


def _finish(program: Program, tool: str) -> str:
    """Wait for a converter; '' when it succeeded, else a Danish note (a limit reached:
    the same words as anywhere a file is read)."""
    try:
        proc = program.wait()
    except LimitError as exc:
        return f"{tool}: {exc}"
    if proc.returncode != 0:
        return f"{tool} fejlede (udfaldskode {proc.returncode})"
    return ""


def _ghostscript(data: bytes, kind: str, folder: Path) -> tuple[list[str], Path] | str:
    """Ghostscript's command line and output file for ``data``, or a note why not."""
    exe = shutil.which("gs")
    if exe is None:
        return "Ghostscript (gs) er ikke installeret"
    icc = _srgb_profile()
    if icc is None:
        return "Ghostscripts sRGB-farveprofil findes ikke"
    source = folder / "kilde.pdf"
    if kind == "pdf":
        source.write_bytes(data)
    else:
        try:  # decoding a scan is reading a file: a 145 KB TIFF of 50 huge pages
            bounded(_image_pdf, data, source)  # would take gigabytes in this process
        except LimitError as exc:
            return f"billedet: {exc}"
        except ImageError as exc:
            return f"billedet kan ikke læses ({exc})"
    definition = folder / "pdfa.ps"
    definition.write_text(PDFA_DEF.format(icc=icc), encoding="ascii")
    target = folder / "pdfa.pdf"
    return [exe, "-q", "-dPDFA=2", "-dBATCH", "-dNOPAUSE", "-dNOOUTERSAVE",
            "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB",
            "-sDEVICE=pdfwrite", *_unused_decoder(icc), f"--permit-file-read={icc}",
            f"-sOutputFile={target}", str(definition), str(source)], target


def _unused_decoder(icc: str) -> list[str]:
    """``-dWantsToUnicode=false`` for Ghostscript 10 and later, whose PDF interpreter (C,
    not PostScript) takes a font's Unicode from the document alone: the 137 KB PostScript
    table from glyph names to Unicode that pdfwrite loads at its start otherwise (~10 ms,
    an eighth of a scan's copy) is never used for a PDF. The copies are the same text,
    pixels and ToUnicode maps with and without it (bench/README.md). Older versions (their
    PDF interpreter is PostScript and uses the table) keep it. The version is that of the
    resource folder the sRGB profile is in (``/usr/share/ghostscript/10.00.0/…``)."""
    version = Path(icc).parent.parent.name.split(".")[0]
    return ["-dWantsToUnicode=false"] if version.isdigit() and int(version) >= 10 else []


class ImageError(Exception):
    """A scan that cannot be decoded (the reason in the message)."""


def _image_pdf(data: bytes, target: Path) -> None:
    """Wrap a scanned image's frames (pages) into a PDF at ``target`` (in a bounded
    child); ImageError when the image cannot be read or is too large to decode."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            frames = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frames.append(image.convert("RGB"))
        frames[0].save(target, "PDF", save_all=True, append_images=frames[1:],
                       resolution=300.0)
    except Image.DecompressionBombError:
        raise ImageError(f"over {2 * (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000} "
                         "millioner billedpunkter på en side") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageError(str(exc)) from None


def _libreoffice(data: bytes, folder: Path) -> tuple[list[str], Path] | str:
    """LibreOffice's command line and output file for ``data``, or a note why not."""
    exe = shutil.which("soffice")
    if exe is None:
        return "LibreOffice (soffice) er ikke installeret"
    source = folder / "dokument.docx"
    source.write_bytes(data)
    profile = (folder / "profil").as_uri()
    return [exe, "--headless", "--norestore", f"-env:UserInstallation={profile}",
            "--convert-to",
            'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}',
            "--outdir", str(folder / "ud"), str(source)], folder / "ud" / "dokument.pdf"


def _result(target: Path, tool: str, note: str) -> Rendition:
    if note:
        return Rendition(None, tool, note)
    try:
        data = target.read_bytes()
    except OSError:
        return Rendition(None, tool, f"{tool} skrev ingen PDF")
    if not _is_pdfa_2b(data):
        return Rendition(None, tool, f"{tool} skrev en PDF, der ikke er PDF/A-2b")
    return Rendition(data, tool)


class Pending:
    """A rendition being made (:func:`start`): the converter runs while the caller reads
    and checks the document; :meth:`result` waits for it, :meth:`cancel` gives it up.
    Either removes its temporary folder; use it as a context manager to be sure."""

    def __init__(self, tool: str, folder: tempfile.TemporaryDirectory[str] | None = None,
                 program: Program | None = None, target: Path | None = None,
                 note: str = "") -> None:
        self.tool, self.folder, self.program = tool, folder, program
        self.target, self.note = target, note
        self.done: Rendition | None = None

    def result(self) -> Rendition:
        """The rendition, or None with the reason (waits for the converter)."""
        if self.done is None:
            try:
                try:
                    note = self.note or (_finish(self.program, self.tool)
                                         if self.program is not None else "")
                    if note or self.target is None:
                        self.done = Rendition(None, self.tool, note)
                    else:
                        self.done = _result(self.target, self.tool, note)
                finally:
                    self._clean()
            except OSError as exc:  # the temporary folder could not be removed
                self.done = Rendition(None, self.tool,
                                      f"{tempfile.gettempdir()}: {os_reason(exc)}")
        return self.done

    def cancel(self) -> None:
        """Stop the converter and remove its folder (the document is not archived)."""
        if self.done is None:
            self.done = Rendition(None, self.tool, "opgivet")
            with contextlib.suppress(OSError):
                self._clean()

    def _clean(self) -> None:
        if self.program is not None:
            self.program.kill()
        if self.folder is not None:
            folder, self.folder = self.folder, None
            folder.cleanup()

    def __enter__(self) -> Pending:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


#: A work folder's name: the prefix, the process id, a random part.
PREFIX = "skema-pdfa-"
#: A work folder left by a dead process is removed when it is this old (seconds).
ORPHAN_AGE = 3600


def _clean_orphans() -> None:
    """Remove work folders (with their copy of a document) that a process killed while it
    made a rendition left behind: their process is gone and they are an hour old (age
    too, as a process id may be another system's where the temporary folder is shared)."""
    old = time.time() - ORPHAN_AGE
    with contextlib.suppress(OSError):
        for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
            pid = folder.name[len(PREFIX):].split("-", 1)[0]
            with contextlib.suppress(OSError, ValueError):
                if (not pid.isdigit() or (int(pid) == os.getpid() or process_alive(int(pid)))
                        or folder.lstat().st_mtime > old or not folder.is_dir()):
                    continue
                shutil.rmtree(folder)


def start(data: bytes, kind: str) -> Pending:
    """Start the PDF/A-2b rendition of a document of ``kind`` (pdf, docx, jpeg, png,
    tiff) and return at once; :meth:`Pending.result` gives it.

    The work is done in a private temporary folder; a fault there (the system's temporary
    disk full) gives a note naming that folder, never a fault of the archive."""
    try:
        pending = _started(data, kind)
    finally:
        _clean_orphans()  # after the start: the converter does not wait for it
    with contextlib.suppress(ImportError):  # what checks the result, loaded while the
        import pikepdf  # noqa: F401  converter works
    return pending


def _started(data: bytes, kind: str) -> Pending:
    """The converter started in a new private folder (:func:`start`)."""
    tool = LIBREOFFICE if kind == "docx" else GHOSTSCRIPT
    folder = None
    try:
        folder = tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-")
        path = Path(folder.name)
        os.chmod(path, 0o700)
        made = _libreoffice(data, path) if kind == "docx" else _ghostscript(data, kind, path)
        if isinstance(made, str):
            return Pending(tool, folder, note=made)
        args, target = made
        program = _launch(args, tool)
        if isinstance(program, str):
            return Pending(tool, folder, note=program)
        return Pending(tool, folder, program, target)
    except OSError as exc:
        if folder is not None:
            with contextlib.suppress(OSError):
                folder.cleanup()
        return Pending(tool, note=f"{tempfile.gettempdir()}: {os_reason(exc)}")


def start_file(path: str | Path) -> tuple[bytes, str, Pending] | None:
    """Read the document at ``path`` (within the size limit of every file read) and start
    its rendition: (bytes, kind, pending) for :meth:`Archive.add`'s ``prepared``, so that the
    converter works while the archive is opened. None when the file cannot be read or is
    no kind the archive keeps; the add then reads it itself and says why."""
    from ..errors import DocumentError
    from ..limits import read_file
    from .metadata import sniff_kind

    try:
        data = read_file(path)
    except (OSError, DocumentError):
        return None
    kind = sniff_kind(data) if data else None
    if kind is None:
        return None
    return data, kind, start(data, kind)


def render(data: bytes, kind: str) -> Rendition:
    """The PDF/A-2b rendition of a document of ``kind`` (pdf, docx, jpeg, png, tiff),
    made in a private temporary folder (see :func:`start`)."""
    with start(data, kind) as pending:
        return pending.result()
