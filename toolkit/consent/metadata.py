"""The consent archive's metadata: dates, periods, CPR numbers, the samtykke form's
answers, and the document kind from its first bytes."""

from __future__ import annotations

import datetime as _dt
import io
import json
import re
from typing import Any

from .. import danish
from ..errors import ArchiveError

LABELS = {
    "cpr": "borgerens CPR-nummer",
    "navn": "borgerens navn",
    "formaal": "formål",
    "parter": "parter",
    "oplysninger": "typer af oplysninger",
    "andet_tekst": "andre oplysninger",
    "netvaerkspersoner": "netværkspersoner",
    "kommune": "kommune",
    "afdeling": "afdeling",
    "sagsbehandler": "sagsbehandler",
    "journalnummer": "journalnummer",
    "gyldig_fra": "gyldig fra",
    "gyldig_til": "gyldig til",
}
OPTIONS = {"cpr": "--cpr", "formaal": "--purpose", "gyldig_fra": "--valid-from",
           "gyldig_til": "--valid-to"}
REQUIRED = ("cpr", "formaal", "gyldig_fra", "gyldig_til")


def parse_day(text: str | _dt.date | None, what: str = "datoen") -> str:
    """ISO ``YYYY-MM-DD`` from ISO or Danish (``26-02-2019``, ``26. februar 2019``)."""
    if isinstance(text, _dt.date):
        return text.isoformat()
    iso = iso_day(str(text or "")) or danish.parse_date(str(text or ""))
    if iso is None:
        raise ArchiveError(f"{what}: \"{text}\" er ikke en dato.",
                           hint="Skriv datoen som 2025-10-31 eller 31-10-2025.")
    return iso


def iso_day(text: str) -> str | None:
    """``text`` when it is a date that exists written as ``YYYY-MM-DD`` (what
    :func:`toolkit.danish.parse_date` gives for it too), else None: the usual spelling is
    read without loading every date format of :mod:`toolkit.values` (4–7 ms, before
    ``consent add`` starts its PDF/A copy)."""
    digits = text[:4] + text[5:7] + text[8:]
    if not (len(text) == 10 and text[4] == text[7] == "-" and digits.isascii()
            and digits.isdigit()):
        return None
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return None
    return text


def parse_period(text: str) -> int:
    """A period like ``30d``, ``30 dage``, ``6u`` (weeks) as a number of days."""
    match = re.fullmatch(r"\s*(\d+)\s*(d|dag|dage|u|uge|uger|w)?\s*", text or "",
                         re.IGNORECASE)
    if not match:
        raise ArchiveError(f"--expires-within: \"{text}\" er ikke en periode.",
                           hint="Skriv fx 30d (30 dage) eller 6u (6 uger).")
    days = int(match.group(1))
    return days * 7 if (match.group(2) or "d").lower()[0] in "uw" else days


def normalize_cpr(text: str) -> str:
    """``DDMMYY-XXXX`` from ``DDMMYYXXXX`` or ``DDMMYY-XXXX``; ArchiveError otherwise."""
    digits = re.sub(r"[\s-]", "", str(text or ""))
    cpr = f"{digits[:6]}-{digits[6:]}" if re.fullmatch(r"\d{10}", digits) else str(text)
    if not danish.is_cpr(cpr):
        raise ArchiveError(f"CPR-nummeret \"{danish.mask_cpr(str(text))}\" er ikke gyldigt.",
                           hint="Skriv det som DDMMÅÅ-XXXX med en rigtig dato.")
    return cpr


ROLES = ("afgiver", "modtager", "begge")


def parse_party(text: str) -> dict[str, str]:
    """A party from ``NAVN`` or ``NAVN:ROLLE`` (ROLLE afgiver, modtager or begge)."""
    name, _, role = text.rpartition(":")
    if name and role.strip().lower() in ROLES:
        return {"navn": name.strip(), "rolle": role.strip().lower()}
    return {"navn": text.strip(), "rolle": ""}


def info_type(text: str) -> str:
    """The key of a type of information, from its key or its Danish title in the
    ``samtykke`` form (``helbredsoplysninger``); other text is kept as it is."""
    from ..catalogue import load_form

    titles = load_form("samtykke").schema["properties"]["oplysninger"]["properties"][
        "typer"]["items"]["x-enum-titles"]
    for key, title in titles.items():
        if text.strip().casefold() in (key.casefold(), title.casefold()):
            return key
    return text.strip()


def metadata_from_form(data: dict[str, Any]) -> dict[str, Any]:
    """The archive's metadata from the answers of a ``samtykke`` form."""
    borger = data.get("borger") or {}
    myndighed = data.get("myndighed") or {}
    oplysninger = data.get("oplysninger") or {}
    meta = {
        "cpr": borger.get("cpr") or "",
        "navn": borger.get("navn") or "",
        "formaal": data.get("formaal") or "",
        "parter": [{"navn": p.get("navn", ""), "rolle": p.get("rolle", "")}
                   for p in data.get("parter") or [] if isinstance(p, dict)],
        "oplysninger": list(oplysninger.get("typer") or []),
        "andet_tekst": oplysninger.get("andet_tekst") or "",
        "netvaerkspersoner": [{"navn": p.get("navn", ""), "relation": p.get("relation", "")}
                              for p in data.get("netvaerkspersoner") or []
                              if isinstance(p, dict)],
        "kommune": myndighed.get("kommune") or "",
        "afdeling": myndighed.get("afdeling") or "",
        "sagsbehandler": data.get("sagsbehandler") or "",
        "journalnummer": data.get("journalnummer") or "",
        "gyldig_fra": data.get("gyldig_fra") or "",
        "gyldig_til": data.get("gyldig_til") or "",
    }
    return meta


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _shown(key: str, value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return danish.mask_cpr(text)


def _about(keys: Any, error: ArchiveError) -> ArchiveError:
    """The error, marked as being about these metadata keys."""
    error.fields = tuple(keys)
    return error


def merge_metadata(from_form: dict[str, Any] | None, given: dict[str, Any],
                   place: str) -> dict[str, Any]:
    """Form metadata completed by the options; a contradiction is refused."""
    meta: dict[str, Any] = {key: "" for key in LABELS}
    meta.update({"parter": [], "oplysninger": [], "netvaerkspersoner": []})
    for key, value in (from_form or {}).items():
        if not _empty(value):
            meta[key] = value
    for key, value in given.items():
        if _empty(value):
            continue
        if key in ("cpr",):
            value = normalize_cpr(value)
        elif key in ("gyldig_fra", "gyldig_til"):
            value = parse_day(value, OPTIONS[key])
        current = meta.get(key)
        if from_form and not _empty(current) and current != value:
            raise _about((key,), ArchiveError(
                f"{place}: {LABELS[key]} i dokumentet ({_shown(key, current)}) er ikke det "
                f"samme som det angivne ({_shown(key, value)}).",
                hint="Udelad tilvalget (dokumentets egne oplysninger bruges), eller ret "
                     "dokumentet."))
        meta[key] = value
    return check_metadata(meta, place, bool(from_form))


def check_metadata(meta: dict[str, Any], place: str, from_form: bool) -> dict[str, Any]:
    """Refuse a consent without citizen, purpose and validity; normalize CPR and dates."""
    missing = [key for key in REQUIRED if _empty(meta.get(key))]
    if missing:
        names = ", ".join(LABELS[k] for k in missing)
        options = ", ".join(OPTIONS[k] for k in missing)
        where = ("den udfyldte formular" if from_form
                 else "dokumentet er ikke en udfyldt samtykke-formular, og tilvalgene")
        raise _about(missing, ArchiveError(
            f"{place}: {where} mangler {names}; samtykket arkiveres ikke.",
            hint=f"Angiv {options} (for en scanning står oplysningerne på papiret)."))
    try:
        meta["cpr"] = normalize_cpr(meta["cpr"])
    except ArchiveError as exc:
        raise _about(("cpr",), ArchiveError(f"{place}: {exc}", hint=exc.hint)) from None
    for key in ("gyldig_fra", "gyldig_til"):
        meta[key] = parse_day(meta[key], f"{place}: {LABELS[key]}")
    if meta["gyldig_til"] < meta["gyldig_fra"]:
        raise _about(("gyldig_til",), ArchiveError(
            f"{place}: gyldig til ({meta['gyldig_til']}) ligger før gyldig fra "
            f"({meta['gyldig_fra']}).", hint="Ret datoerne."))
    meta["formaal"] = str(meta["formaal"]).strip()
    return meta


def sniff_kind(data: bytes, name: str = "") -> str | None:
    """The document kind from its first bytes: pdf, docx, jpeg, png, tiff (or None)."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        import zipfile  # here: this module is read before Ghostscript starts

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                if "word/document.xml" in package.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            return None
        return None
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


