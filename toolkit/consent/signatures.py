"""Digital signatures in archived consents, checked with pyHanko.

No trust is assumed: without trust roots (``--trust-root`` or ``$SKEMA_TRUST_ROOTS``) a
signature is reported as *not verified against a trust root*, whatever it claims. What is
always checked is whether the signed bytes are intact and whether the document was
changed after signing (an incremental update after the signature).

pyHanko is imported only here, and only when a PDF is checked. pyHanko logs a full
traceback when no path to a trust root can be built (the expected case without trust
roots); the command line silences its loggers (toolkit.commands.process), the library
leaves logging to the program that uses it.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ArchiveError, raised_by_parser

#: Danish text for each integrity status.
STATUS_TEXT = {
    "intakt": "intakt: uændret siden underskriften",
    "tilføjelser": "intakt; senere tilladte tilføjelser (fx flere underskrifter)",
    "ændret": "ændret efter underskrift",
    "delvis": "underskriften dækker ikke hele dokumentet",
    "ugyldig": "ugyldig: signaturen passer ikke med certifikatet",
    "ulæselig": "kan ikke kontrolleres",
    "ikke_kontrolleret": "digital Word-signatur fundet; den kontrolleres ikke",
}

TRUST_TEXT = {
    "ikke_verificeret": "ikke verificeret mod et tillidsanker",
    "betroet": "betroet (kæde til et konfigureret tillidsanker)",
    "ikke_betroet": "ikke betroet af de konfigurerede tillidsankre",
}


def describe(sig: dict[str, Any]) -> str:
    """One Danish line for a signature result."""
    from ..danish import format_stamp

    who = sig.get("underskriver") or "ukendt underskriver"
    when = sig.get("tidspunkt")
    head = f"{who}, {format_stamp(when)}" if when else who
    text = STATUS_TEXT.get(sig.get("status", ""), sig.get("status", ""))
    trust = TRUST_TEXT.get(sig.get("tillid", ""), "")
    return f"{head}: {text}" + (f"; {trust}" if trust else "")


def short(sigs: list[dict[str, Any]]) -> str:
    """A short summary for a table column: ``–``, ``intakt``, ``ÆNDRET`` …"""
    if not sigs:
        return "–"
    worst = ["ugyldig", "ændret", "ulæselig", "delvis", "ikke_kontrolleret", "tilføjelser",
             "intakt"]
    status = min((s.get("status", "ulæselig") for s in sigs),
                 key=lambda st: worst.index(st) if st in worst else 0)
    label = {"ændret": "ÆNDRET", "ugyldig": "UGYLDIG", "ikke_kontrolleret": "ukontrolleret",
             "tilføjelser": "intakt+"}.get(status, status)
    return label if len(sigs) == 1 else f"{len(sigs)} × {label}"


def trust_roots_from_env() -> list[str]:
    """Trust-root certificate files named in ``$SKEMA_TRUST_ROOTS`` (path-separated)."""
    value = os.environ.get("SKEMA_TRUST_ROOTS", "")
    return [p for p in value.split(os.pathsep) if p.strip()]


def _load_roots(paths: Iterable[str | Path]) -> list:
    from asn1crypto import pem
    from asn1crypto import x509 as ax

    roots = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
            if pem.detect(data):
                for _type, _headers, der in pem.unarmor(data, multiple=True):
                    roots.append(ax.Certificate.load(der))
            else:
                roots.append(ax.Certificate.load(data))
            roots[-1].native  # noqa: B018  (parse now: fail here, not mid-validation)
        except (OSError, ValueError, TypeError) as exc:
            raise ArchiveError(f"{path}: tillidsankeret kan ikke læses ({type(exc).__name__}).",
                               hint="Angiv et X.509-certifikat som .pem eller .cer.") from None
    return roots


def _signer_name(cert: Any) -> str:
    try:
        subject = cert.subject.native
        return subject.get("common_name") or cert.subject.human_friendly
    except Exception as exc:  # noqa: BLE001  (a malformed certificate: report the rest)
        if not raised_by_parser(exc):
            raise
        return ""


def check_pdf(data: bytes, trust_roots: Iterable[str | Path] = ()) -> list[dict[str, Any]]:
    """Every signature in a PDF: field, signer, signing time, integrity and trust."""
    if b"/ByteRange" not in data:  # cheap: no signature dictionary at all
        return []
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = _load_roots(trust_roots)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001  (hostile or broken PDF: report, never crash)
        return [{"felt": "", "underskriver": "", "tidspunkt": None, "status": "ulæselig",
                 "tillid": "ikke_verificeret"}]
    results = []
    for sig in embedded:
        result: dict[str, Any] = {"felt": str(getattr(sig, "field_name", "") or ""),
                                  "underskriver": "", "tidspunkt": None,
                                  "status": "ulæselig", "tillid": "ikke_verificeret"}
        try:
            result["underskriver"] = _signer_name(sig.signer_cert)
            context = ValidationContext(trust_roots=roots, allow_fetching=False)
            status = validate_pdf_signature(sig, context)
        except Exception as exc:  # noqa: BLE001  (pyHanko on a broken signature)
            if not raised_by_parser(exc):
                raise
            results.append(result)
            continue
        when = status.signer_reported_dt
        if when is not None:
            result["tidspunkt"] = when.astimezone(_utc()).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            result["status"] = _integrity(status)
        except Exception as exc:  # noqa: BLE001  (pyHanko's lazy checks on a broken file)
            if not raised_by_parser(exc):
                raise
            result["status"] = "ulæselig"
        if roots:
            result["tillid"] = "betroet" if status.trusted else "ikke_betroet"
        results.append(result)
    return results


def _utc():
    import datetime as _dt

    return _dt.timezone.utc


def _integrity(status: Any) -> str:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if not status.intact:
        return "ændret"
    if not status.valid:
        return "ugyldig"
    coverage = status.coverage
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "intakt"
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return "delvis"
    level = status.modification_level
    if level in (None, ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        return "intakt"
    if level in (ModificationLevel.FORM_FILLING,) and status.docmdp_ok:
        return "tilføjelser"
    return "ændret"


def check_docx(data: bytes) -> list[dict[str, Any]]:
    """Word digital signatures are found but not checked (only PDF signatures are)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = [n for n in package.namelist() if n.startswith("_xmlsignatures/sig")]
    except (zipfile.BadZipFile, OSError):
        return []
    return [{"felt": n, "underskriver": "", "tidspunkt": None, "status": "ikke_kontrolleret",
             "tillid": "ikke_verificeret"} for n in names]


def to_check(data: bytes, kind: str) -> bool:
    """Whether :func:`check` has anything to read: a PDF with a signature dictionary
    (``/ByteRange``), a Word file; not a PDF without one, nor an image (both: none)."""
    return kind == "docx" or (kind == "pdf" and b"/ByteRange" in data)


def check(data: bytes, kind: str, trust_roots: Iterable[str | Path] = ()) -> list[dict]:
    """Signatures of a document of ``kind`` (``pdf``, ``docx``, image kinds: none)."""
    if kind == "pdf":
        return check_pdf(data, trust_roots)
    if kind == "docx":
        return check_docx(data)
    return []
