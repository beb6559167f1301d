"""One consent described for a person: the Danish lines ``skema consent show`` prints and
the web app's consent page shows (the same words in both), and the retention in force."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import danish
from .audit import ACTIONS, Entry
from .model import DEFAULT_RETENTION_YEARS, KIND_NAMES, Consent

if TYPE_CHECKING:
    from .store import Archive


def retention_years() -> int:
    """The retention after expiry or withdrawal: ``$SKEMA_RETENTION_YEARS`` or the default."""
    value = os.environ.get("SKEMA_RETENTION_YEARS", "")
    return int(value) if value.isdigit() else DEFAULT_RETENTION_YEARS


def rendition_text(arch: Archive, consent_id: int) -> str:
    """``lavet med Ghostscript`` or ``mangler: Ghostscript (gs) er ikke installeret``."""
    for row in arch.rendition_rows(consent_id):
        if row["kind"] == "pdfa":
            return (f"lavet med {row['tool']}" if row["sha256"]
                    else f"mangler: {row['note']}")
    return "mangler"


def status_text(arch: Archive, consent: Consent) -> str:
    """``aktiv``, or ``aktiv (tilbagekaldes fra 1. december 2026)`` for a withdrawal ahead."""
    status = consent.status(arch.today)
    if consent.withdrawn_on and status != "tilbagekaldt":
        status += f" (tilbagekaldes fra {danish.format_date(consent.withdrawn_on)})"
    return status


def details(arch: Archive, consent: Consent, show_cpr: bool = False
            ) -> list[tuple[str, str]]:
    """The consent's facts as (label, value) pairs, in the order they are shown."""
    from ..catalogue import load_form

    schema = load_form("samtykke").schema["properties"]
    roles = schema["parter"]["items"]["properties"]["rolle"]["x-enum-titles"]
    types = schema["oplysninger"]["properties"]["typer"]["items"]["x-enum-titles"]
    meta = consent.meta
    cpr = consent.cpr if show_cpr else danish.mask_cpr(consent.cpr)

    def party(p: dict) -> str:
        role = p.get("rolle")
        return f"{p.get('navn')}" + (f" ({roles.get(role, role).lower()})" if role else "")

    return [
        ("Borger", f"{consent.navn or '–'}, CPR {cpr}"),
        ("Status", f"{status_text(arch, consent)} pr. {danish.format_date(arch.today)}"),
        ("Formål", consent.formaal),
        ("Parter", "; ".join(party(p) for p in meta.get("parter", [])) or "–"),
        ("Oplysninger", ", ".join(types.get(t, t) for t in meta.get("oplysninger", []))
         + (f" ({meta['andet_tekst']})" if meta.get("andet_tekst") else "") or "–"),
        ("Netværkspersoner", "; ".join(
            p.get("navn", "") + (f" ({p['relation']})" if p.get("relation") else "")
            for p in meta.get("netvaerkspersoner", [])) or "–"),
        ("Myndighed", ", ".join(filter(None, (meta.get("kommune"), meta.get("afdeling"))))
         or "–"),
        ("Sagsbehandler", meta.get("sagsbehandler") or "–"),
        ("Journalnummer", meta.get("journalnummer") or "–"),
        ("Gyldig", f"{danish.format_date(consent.gyldig_fra)} – "
                   f"{danish.format_date(consent.gyldig_til)}"),
        ("Tilbagekaldt fra", danish.format_date(consent.withdrawn_on) or "–"),
        ("Opbevares til", danish.format_date(consent.retained_until(retention_years()))),
        ("Dokument", f"{danish.mask_cpr(consent.original_name)}, "
                     f"{KIND_NAMES.get(consent.kind, consent.kind)}, "
                     + f"{consent.size:,} bytes".replace(",", ".")),
        ("SHA-256", consent.sha256),
        ("PDF/A-2b", rendition_text(arch, consent.id)),
        ("Oplysninger fra", f"formularen samtykke {consent.form_version}"
         if consent.source == "formular" else "angivet ved arkivering (scanning)"),
        ("Tilføjet", danish.format_stamp(consent.added_at)),
    ]


def history_line(entry: Entry) -> str:
    """``27. november 2026 kl. 16.00.00  tilbagekaldt fra 1. december 2026 af mette (post
    4)`` (Danish time)."""
    extra = ""
    if entry.action == "withdraw":
        extra = f" fra {danish.format_date(entry.details.get('fra'))}"
    return (f"{danish.format_stamp(entry.at)}  "
            f"{ACTIONS.get(entry.action, entry.action)}{extra} af {entry.actor} "
            f"(post {entry.seq})")
