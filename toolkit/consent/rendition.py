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

Both run under the limits of every file read (:func:`toolkit.limits.run_program`: the same
time and memory, killed with what they started when the time is up). A missing tool, a
failure, a limit reached or a result that is not PDF/A-2b gives no rendition and a Danish
note saying why; it never stops the document from being archived.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import os_reason
from ..limits import LimitError, bounded, run_program

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


@dataclass(frozen=True)
class Rendition:
    """A PDF/A-2b rendition (``data``), or None with the reason in ``note``."""

    data: bytes | None
    tool: str
    note: str = ""


def _srgb_profile() -> str | None:
    found = sorted(glob.glob("/usr/share/ghostscript/*/iccprofiles/srgb.icc")
                   + glob.glob("/usr/local/share/ghostscript/*/iccprofiles/srgb.icc"))
    return found[-1] if found else None


def _is_pdfa_2b(data: bytes) -> bool:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return pdf.open_metadata().pdfa_status == "2B"
    except (pikepdf.PdfError, ValueError):
        return False


def _run(args: list[str], tool: str) -> str:
    """Run a converter within the limits of a file read; '' when it succeeded, else a
    Danish note (a limit reached: the same words as anywhere a file is read)."""
    try:
        proc = run_program(args)
    except LimitError as exc:
        return f"{tool}: {exc}"
    except OSError as exc:
        return f"{tool} kunne ikke startes ({exc.strerror})"
    if proc.returncode != 0:
        return f"{tool} fejlede (udfaldskode {proc.returncode})"
    return ""


def _ghostscript(data: bytes, kind: str, folder: Path) -> Rendition:
    exe = shutil.which("gs")
    if exe is None:
        return Rendition(None, GHOSTSCRIPT, "Ghostscript (gs) er ikke installeret")
    icc = _srgb_profile()
    if icc is None:
        return Rendition(None, GHOSTSCRIPT, "Ghostscripts sRGB-farveprofil findes ikke")
    source = folder / "kilde.pdf"
    if kind == "pdf":
        source.write_bytes(data)
    else:
        try:  # decoding a scan is reading a file: a 145 KB TIFF of 50 huge pages
            bounded(_image_pdf, data, source)  # would take gigabytes in this process
        except LimitError as exc:
            return Rendition(None, GHOSTSCRIPT, f"billedet: {exc}")
        except ImageError as exc:
            return Rendition(None, GHOSTSCRIPT, f"billedet kan ikke læses ({exc})")
    definition = folder / "pdfa.ps"
    definition.write_text(PDFA_DEF.format(icc=icc), encoding="ascii")
    target = folder / "pdfa.pdf"
    note = _run([exe, "-q", "-dPDFA=2", "-dBATCH", "-dNOPAUSE", "-dNOOUTERSAVE",
                 "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB",
                 "-sDEVICE=pdfwrite", f"--permit-file-read={icc}",
                 f"-sOutputFile={target}", str(definition), str(source)], GHOSTSCRIPT)
    return _result(target, GHOSTSCRIPT, note)


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


def _libreoffice(data: bytes, folder: Path) -> Rendition:
    exe = shutil.which("soffice")
    if exe is None:
        return Rendition(None, LIBREOFFICE, "LibreOffice (soffice) er ikke installeret")
    source = folder / "dokument.docx"
    source.write_bytes(data)
    profile = (folder / "profil").as_uri()
    note = _run([exe, "--headless", "--norestore", f"-env:UserInstallation={profile}",
                 "--convert-to",
                 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}',
                 "--outdir", str(folder / "ud"), str(source)], LIBREOFFICE)
    return _result(folder / "ud" / "dokument.pdf", LIBREOFFICE, note)


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


def render(data: bytes, kind: str) -> Rendition:
    """The PDF/A-2b rendition of a document of ``kind`` (pdf, docx, jpeg, png, tiff).

    The work is done in a private temporary folder; a fault there (the system's temporary
    disk full) gives a note naming that folder, never a fault of the archive."""
    tool = LIBREOFFICE if kind == "docx" else GHOSTSCRIPT
    try:
        with tempfile.TemporaryDirectory(prefix="skema-pdfa-") as tmp:
            folder = Path(tmp)
            os.chmod(folder, 0o700)
            if kind == "docx":
                return _libreoffice(data, folder)
            return _ghostscript(data, kind, folder)
    except OSError as exc:
        return Rendition(None, tool, f"{tempfile.gettempdir()}: {os_reason(exc)}")
