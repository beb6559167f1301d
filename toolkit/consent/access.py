"""The citizen's access request (GDPR art. 15): one zip with everything about them.

``oversigt.html`` (a readable Danish summary) on top, then each consent document
(``samtykke-N.pdf``…) with its metadata (``samtykke-N.json``) and its PDF/A rendition
(``samtykke-N-pdfa.pdf``) when there is one, the full history of their
consents (``historik.json``: added, withdrawn, purged) and the log of who looked them up
(``opslag.json``). Only entries carrying this citizen's keyed hash are included.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from typing import TYPE_CHECKING, Any

from .. import danish
from .audit import ACTIONS, Entry
from .model import KIND_NAMES, Consent

if TYPE_CHECKING:
    from .store import Archive

HISTORY = ("add", "withdraw", "purge")
COMMANDS = {"list": "søgning på CPR-nummer", "show": "visning af samtykket",
            "get": "udlevering af dokumentet", "export": "udlevering til sagssystem",
            "access": "indsigt til borgeren", "vis-cpr": "visning af CPR-nummeret"}


def _row(entry: Entry) -> dict[str, Any]:
    return {"post": entry.seq, "tid": entry.at, "handling": ACTIONS.get(entry.action,
                                                                        entry.action),
            "hvem": entry.actor, "samtykke": entry.consent_id,
            **{k: v for k, v in entry.details.items() if k != "post"}}


def _when(stamp: str) -> str:
    return danish.format_stamp(stamp)


def summary(arch: Archive, cpr: str, consents: list[Consent], history: list[Entry],
            lookups: list[Entry]) -> str:
    """The Danish HTML summary on top of the zip."""
    e = html.escape
    name = next((c.navn for c in consents if c.navn), "")
    parts = [
        "<!DOCTYPE html>", '<html lang="da"><head><meta charset="utf-8">',
        "<title>Indsigt i samtykker</title>",
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .5em;"
        "text-align:left}</style></head><body>",
        "<h1>Indsigt i dine samtykker</h1>",
        f"<p>Til: {e(name or 'borgeren')}, CPR {e(danish.mask_cpr(cpr))}. Udarbejdet "
        f"{e(danish.format_date(arch.real_today))} fra kommunens samtykkearkiv.</p>",
        f"<h2>Dine samtykker ({len(consents)})</h2>",
    ]
    if consents:
        parts.append("<table><tr><th>Nr.</th><th>Formål</th><th>Gyldig</th><th>Status</th>"
                     "<th>Dokument</th></tr>")
        for c in consents:
            status = c.status(arch.today)
            if c.withdrawn_on:
                status += f" (tilbagekaldt fra {danish.format_date(c.withdrawn_on)})"
            parts.append(
                f"<tr><td>{c.id}</td><td>{e(c.formaal)}</td><td>"
                f"{e(danish.format_date(c.gyldig_fra))} – {e(danish.format_date(c.gyldig_til))}"
                f"</td><td>{e(status)}</td><td>samtykke-{c.id}{c.suffix} "
                f"({e(KIND_NAMES.get(c.kind, c.kind))})</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>Arkivet har ingen samtykker fra dig nu.</p>")
    parts.append("<h2>Historik</h2><ul>")
    for entry in history:
        extra = (f" fra {danish.format_date(entry.details.get('fra'))}"
                 if entry.action == "withdraw" else "")
        parts.append(f"<li>{e(_when(entry.at))}: samtykke nr. {entry.consent_id} "
                     f"{e(ACTIONS.get(entry.action, entry.action))}{e(extra)} "
                     f"(af {e(entry.actor)})</li>")
    parts.append("</ul><h2>Hvem har slået dine samtykker op</h2>")
    if lookups:
        parts.append("<table><tr><th>Tidspunkt</th><th>Hvem</th><th>Hvad</th>"
                     "<th>Samtykker</th><th>Begrundelse</th></tr>")
        for entry in lookups:
            what = COMMANDS.get(entry.details.get("kommando") or entry.action, entry.action)
            numbers = ", ".join(str(n) for n in entry.details.get("numre", [])) or "–"
            parts.append(f"<tr><td>{e(_when(entry.at))}</td><td>{e(entry.actor)}</td>"
                         f"<td>{e(what)}</td><td>{e(numbers)}</td>"
                         f"<td>{e(entry.details.get('grund') or '–')}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>Ingen opslag er registreret.</p>")
    parts.append("<p>Dokumenterne ligger i denne zip-fil præcis som de blev arkiveret; "
                 "oplysningerne om hvert samtykke står i samtykke-N.json, historikken i "
                 "historik.json og opslagene i opslag.json.</p></body></html>")
    return "\n".join(parts) + "\n"


def write_consent(package: zipfile.ZipFile, arch: Archive, consent: Consent) -> str:
    """Put one consent in a zip: the document byte for byte (``samtykke-N.pdf`` …) and its
    metadata (``samtykke-N.json``). Returns the stem ``samtykke-N``."""
    stem = f"samtykke-{consent.id}"
    package.writestr(stem + consent.suffix, arch.read(consent))
    text = json.dumps(consent.to_json(arch.today), ensure_ascii=False, indent=2)
    package.writestr(stem + ".json", text + "\n")
    return stem


def build(arch: Archive, cpr: str, consents: list[Consent], log: list[Entry]) -> bytes:
    """The access zip for one citizen (``log``: the entries carrying their keyed hash)."""
    history = [e for e in log if e.action in HISTORY]
    lookups = [e for e in log if e.action not in HISTORY]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("oversigt.html", summary(arch, cpr, consents, history, lookups))
        for consent in consents:
            stem = write_consent(package, arch, consent)
            pdfa = arch.rendition(consent.id)
            if pdfa is not None:
                package.writestr(stem + "-pdfa.pdf", pdfa)
        for name, entries in (("historik.json", history), ("opslag.json", lookups)):
            text = json.dumps([_row(x) for x in entries], ensure_ascii=False, indent=2)
            package.writestr(name, text + "\n")
    return buffer.getvalue()
