"""The /samtykker pages (Samtykker): the consent archive in the browser.

Search by CPR number (sent in the body of a post, never in a URL), the list with status
and expiry, add (an uploaded consent read like ``skema consent add``; for a scan, a form
for its metadata), show (with the signature check made when it was archived), withdraw,
export for the case system, and for administrators verify and purge. Every call goes to
:class:`toolkit.consent.store.Archive` with the user's name as ``actor``, so the archive's
audit log records who did what; look-ups (a search, a consent shown, a CPR number shown)
are logged by the archive as the command line's are.

The archive lives in ``config.archive`` with its keys in ``config.key_file``; both are
made on first use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .. import danish
from ..consent.metadata import LABELS, REQUIRED, normalize_cpr, parse_day
from ..consent.model import STATUSES
from ..consent.store import Archive
from ..errors import ArchiveError, SkemaError
from .archive import MAX_REASON, known_number, open_archive
from .catalogue import download
from .pages import render
from .security import not_cross_site, require
from .store import Identity
from .uploads import UploadRefused, kept_name, saved

router = APIRouter(dependencies=[Depends(known_number)])
Caseworker = Annotated[Identity, Depends(require("sagsbehandler"))]
Administrator = Annotated[Identity, Depends(require("administrator"))]

#: Rows shown in the list at most (a search or a filter finds the rest).
MAX_ROWS = 500
#: Digits of the expiry filter's number of days at most (999999 days; more is no date).
MAX_DAYS_DIGITS = 6
#: Party rows on the add form (empty rows are left out).
PARTY_ROWS = 4
#: The add form's text fields, as the options of ``skema consent add``.
TEXT_FIELDS = ("cpr", "navn", "formaal", "gyldig_fra", "gyldig_til", "kommune",
               "sagsbehandler", "journalnummer")


@contextlib.contextmanager
def archive(request: Request, who: Identity) -> Iterator[Archive]:
    """The app's archive opened for ``who`` (made, with its keys, on first use)."""
    try:
        arch = open_archive(request.app.state.config, who.name)
    except ArchiveError as exc:
        raise HTTPException(500, _message(exc)) from None
    try:
        yield arch
    finally:
        arch.close()


def _message(exc: SkemaError) -> str:
    return f"{exc} {exc.hint}".strip() if exc.hint else str(exc)


def _consent_or_404(arch: Archive, consent_id: int) -> Any:
    try:
        return arch.get(consent_id)
    except ArchiveError as exc:
        raise HTTPException(404, _message(exc)) from None


def _schema_titles() -> tuple[dict[str, str], dict[str, str]]:
    """The samtykke form's titles of party roles and information types."""
    from ..catalogue import load_form

    schema = load_form("samtykke").schema["properties"]
    roles = schema["parter"]["items"]["properties"]["rolle"]["x-enum-titles"]
    types = schema["oplysninger"]["properties"]["typer"]["items"]["x-enum-titles"]
    return roles, types


def _row(arch: Archive, consent: Any) -> dict[str, Any]:
    from ..consent.signatures import short

    return {"nr": consent.id, "navn": consent.navn, "cpr": consent.cpr,
            "fra": danish.format_date(consent.gyldig_fra),
            "til": danish.format_date(consent.gyldig_til),
            "status": consent.status(arch.today), "underskrift": short(consent.signatures),
            "formaal": consent.formaal}


# -- list and search


@router.get("/samtykker")
def list_page(request: Request, who: Caseworker, status: str = "",
              udloeber: str = "") -> Response:
    """Samtykker: the search form and the list (filtered by status and expiry)."""
    errors: dict[str, str] = {}
    days = None
    if status and status not in STATUSES:
        errors["status"] = "Vælg en af statusserne på listen."
    if udloeber.strip():
        if udloeber.strip().isdigit() and len(udloeber.strip()) <= MAX_DAYS_DIGITS:
            days = int(udloeber)
        else:
            errors["udloeber"] = (f"\"{udloeber}\" er ikke et antal dage; skriv fx 30.")
    with archive(request, who) as arch:
        consents = [] if errors else arch.list(status=status or None, expires_within=days)
        rows = [_row(arch, c) for c in consents[:MAX_ROWS]]
    return _list(request, who, rows, len(consents), errors, status=status,
                 udloeber=udloeber)


def _list(request: Request, who: Identity, rows: list[dict[str, Any]], count: int,
          errors: dict[str, str], **extra: Any) -> Response:
    """The Samtykker page with these rows (400 with errors)."""
    return render(request, "samtykker.html", {
        "raekker": rows, "i_alt": count, "max": MAX_ROWS, "soegt": None, "status": "",
        "udloeber": "", "statusser": STATUSES, "fejl": errors,
        "admin": who.may("administrator"), "grund_max": MAX_REASON, **extra},
        status=400 if errors else 200)


@router.post("/samtykker/soeg")
async def search(request: Request, who: Caseworker) -> Response:
    """A citizen's consents, found by the CPR number in the post's body (a logged look-up).

    The answer is this page itself: the number never goes into a URL."""
    form = await request.form()
    cpr = str(form.get("cpr") or "").strip()
    reason = str(form.get("grund") or "").strip()
    error = ""
    if len(reason) > MAX_REASON:
        return _list(request, who, [], 0, {"grund": f"Skriv begrundelsen med højst {MAX_REASON} "
                                                    "tegn."}, cpr_felt=cpr, grund=reason)
    if not cpr:
        error = "Skriv borgerens CPR-nummer."
    else:
        try:
            cpr = normalize_cpr(cpr)
        except ArchiveError as exc:
            error = _message(exc)
    if error:
        return _list(request, who, [], 0, {"cpr": error}, cpr_felt=cpr, grund=reason)

    def work() -> tuple[list[dict[str, Any]], int]:
        with archive(request, who) as arch:
            found = arch.list(cpr=cpr, reason=reason)
            return [_row(arch, c) for c in found], len(found)

    rows, count = await run_in_threadpool(work)
    return _list(request, who, rows, count, {}, soegt=danish.mask_cpr(cpr))


@router.post("/samtykker/{consent_id:int}/cpr")
def reveal_cpr(request: Request, consent_id: int, who: Caseworker) -> Response:
    """Show one consent's full CPR number, asked for by the user: logged as a look-up.

    htmx gets the number alone (it replaces the masked one). A plain post is
    post/redirect/get: it logs the look-up and redirects (303) to the consent's page with a
    one-time pass (``?vist=``, kept in the app's database for two minutes) that shows the
    number once. A reload of that page does not post again (nothing is logged twice
    behind the user's back) and, the pass used, shows the number masked with a word on
    how to see it again: a new press, a new entry in the log."""
    with archive(request, who) as arch:
        consent = _consent_or_404(arch, consent_id)
        arch.lookup("vis-cpr", [consent])
    if request.headers.get("hx-request") == "true":
        return render(request, "samtykker-cpr.html", {"cpr": consent.cpr,
                                                      "nr": consent.id})
    grant = request.app.state.store.new_reveal(who.name, consent.id)
    return RedirectResponse(f"/samtykker/{consent.id}?vist={grant}", status_code=303)


#: The consent page reloaded after its CPR number was shown.
SHOWN_ONCE = ("CPR-nummeret vises kun én gang for hvert tryk på «Vis CPR-nummer». Tryk på "
              "knappen igen for at se det; det skrives i revisionsloggen.")


# -- one consent


def _show(request: Request, who: Identity, consent_id: int, show_cpr: bool = False,
          errors: dict[str, str] | None = None, message: str = "", dato: str = "",
          status: int = 200) -> Response:
    from ..consent.signatures import describe
    from ..consent.summary import details, history_line

    with archive(request, who) as arch:
        try:
            consent, history = arch.show(consent_id)
        except ArchiveError as exc:
            raise HTTPException(404, _message(exc)) from None
        facts = details(arch, consent, show_cpr)
        lines = [history_line(e) for e in history if e.action != "lookup"]
        state = consent.status(arch.today)
        first = min(consent.gyldig_fra, consent.added_at[:10])
        today = arch.today.isoformat()
    return render(request, "samtykker-vis.html", {
        "samtykke": consent, "fakta": facts, "historik": lines, "vis_cpr": show_cpr,
        "underskrifter": [describe(s) for s in consent.signatures], "tilstand": state,
        "fejl": errors or {}, "besked": message, "dato": dato or today,
        "foerste": first, "foerste_dansk": danish.format_date(first), "i_dag": today},
        status=status)


@router.get("/samtykker/{consent_id:int}", dependencies=[Depends(not_cross_site)])
def show_page(request: Request, consent_id: int, who: Caseworker, nyt: str = "",
              tilbagekaldt: str = "", vist: str = "") -> Response:
    """One consent: its facts, signature status and history (a logged look-up); with a
    pass of :func:`reveal_cpr` (``vist``) the CPR number in full, once."""
    message = ""
    if vist:
        if request.app.state.store.take_reveal(vist, who.name, consent_id):
            return _show(request, who, consent_id, show_cpr=True)
        message = SHOWN_ONCE
    elif nyt:
        message = f"Samtykket er arkiveret som nr. {consent_id}."
    elif tilbagekaldt:
        message = f"Tilbagekaldelsen af samtykke nr. {consent_id} er registreret."
    return _show(request, who, consent_id, message=message)


@router.post("/samtykker/{consent_id:int}/tilbagekald")
async def withdraw(request: Request, consent_id: int, who: Caseworker) -> Response:
    """Record the citizen's withdrawal from the date given."""
    form = await request.form()
    day = str(form.get("dato") or "").strip()

    def work() -> str:
        with archive(request, who) as arch:
            _consent_or_404(arch, consent_id)
            try:
                arch.withdraw(consent_id, day)
            except ArchiveError as exc:
                return _for_the_page(_message(exc))
        return ""

    error = "Skriv den dag, kommunen fik tilbagekaldelsen." if not day else \
        await run_in_threadpool(work)
    if error:
        return await run_in_threadpool(lambda: _show(request, who, consent_id,
                                                     errors={"dato": error}, dato=day,
                                                     status=400))
    return RedirectResponse(f"/samtykker/{consent_id}?tilbagekaldt=1", status_code=303)


@router.get("/samtykker/{consent_id:int}/dokument", dependencies=[Depends(not_cross_site)])
def document(request: Request, consent_id: int, who: Caseworker) -> Response:
    """The archived document, byte for byte (a logged look-up)."""
    with archive(request, who) as arch:
        _consent_or_404(arch, consent_id)
        try:
            consent, data = arch.document(consent_id)
        except ArchiveError as exc:  # changed or missing in the archive: not handed out
            raise HTTPException(500, _message(exc)) from None
    return download(data, f"samtykke-{consent.id}{consent.suffix}")


@router.get("/samtykker/{consent_id:int}/eksport", dependencies=[Depends(not_cross_site)])
def export(request: Request, consent_id: int, who: Caseworker) -> Response:
    """Every consent of this consent's citizen for the case system: the documents and a
    JSON each (``skema consent export``), logged as handed out."""
    with archive(request, who) as arch:
        consent = _consent_or_404(arch, consent_id)
        data, _ = arch.export(consent.cpr)
    return download(data, f"samtykker-eksport-nr-{consent.id}.zip")


# -- adding


def _add_context(values: dict[str, Any], errors: dict[str, str], message: str = ""
                 ) -> dict[str, Any]:
    roles, types = _schema_titles()
    parties = list(values.get("parter") or [])
    parties += [{"navn": "", "rolle": ""}] * (PARTY_ROWS - len(parties))
    return {"v": values, "fejl": errors, "besked": message, "roller": roles,
            "typer": types, "parter": parties}


@router.get("/samtykker/nyt")
def add_page(request: Request, who: Caseworker) -> Response:
    """The add form: the signed file, and the metadata a scan needs."""
    return render(request, "samtykker-nyt.html", _add_context({}, {}))


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """The metadata typed in, as ``skema consent add``'s options give it."""
    given = {k: values[k] for k in TEXT_FIELDS if values.get(k)}
    parties = [p for p in values["parter"] if p["navn"]]
    if parties:
        given["parter"] = parties
    if values["oplysninger"]:
        given["oplysninger"] = values["oplysninger"]
    return given


def _check_fields(values: dict[str, Any]) -> dict[str, str]:
    """Each typed-in value checked as the archive checks it (messages beside the fields)."""
    errors: dict[str, str] = {}
    if values.get("cpr"):
        try:
            values["cpr"] = normalize_cpr(values["cpr"])
        except ArchiveError as exc:
            errors["cpr"] = _message(exc)
    labels = {"gyldig_fra": "Gyldig fra", "gyldig_til": "Gyldig til"}
    for key, label in labels.items():
        if values.get(key):
            try:
                values[key] = parse_day(values[key], label)
            except ArchiveError as exc:
                errors[key] = _message(exc)
    if (values.get("gyldig_fra") and values.get("gyldig_til") and not errors
            and values["gyldig_til"] < values["gyldig_fra"]):
        errors["gyldig_til"] = "Gyldig til ligger før gyldig fra. Ret datoerne."
    return errors


#: The command line's words in the archive's messages, as the add form names them.
_PAGE_WORDS = (("--cpr", "CPR-nummer"), ("--purpose", "Formål"), ("--valid-from", "Gyldig fra"),
               ("--valid-to", "Gyldig til"), ("--add-anyway", "«Arkivér alligevel»"),
               ("'skema consent show ", "siden for samtykke nr. "),
               ("tilvalgene", "felterne"), ("tilvalget", "feltet"),
               ("Udelad feltet", "Lad feltet stå tomt"), (" (--date)", ""))


def _for_the_page(message: str, path: str = "", name: str = "") -> str:
    """An archive message for a page: the upload's own name, the form's words."""
    message = message.replace(path, name) if path else message
    for cli, page in _PAGE_WORDS:
        message = message.replace(cli, page)
    return danish.mask_cpr(message.replace("'.", "."))


@router.post("/samtykker/nyt")
async def add(request: Request, who: Caseworker) -> Response:
    """Archive an uploaded consent: read like ``skema consent add`` (the samtykke form's
    own answers, completed by what is typed in; for a scan the typed-in metadata)."""
    from ..consent.signatures import trust_roots_from_env

    config = request.app.state.config
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in TEXT_FIELDS}
    names = [str(n).strip() for n in form.getlist("part_navn")]
    roles = [str(r).strip() for r in form.getlist("part_rolle")]
    values["parter"] = [{"navn": n, "rolle": r if n else ""}
                        for n, r in zip(names, roles + [""] * len(names))]
    values["oplysninger"] = [str(t) for t in form.getlist("oplysninger")]
    values["tilfoej_alligevel"] = bool(form.get("tilfoej_alligevel"))
    uploads = [u for u in form.getlist("fil") if isinstance(u, UploadFile) and u.filename]
    values["fil_valgt"] = bool(uploads)
    errors = _check_fields(values)
    if not uploads:
        errors["fil"] = "Vælg filen med det underskrevne samtykke (PDF, Word eller scanning)."
    elif len(uploads) > 1:
        errors["fil"] = "Vælg ét samtykke ad gangen."
    if errors:
        return render(request, "samtykker-nyt.html", _add_context(values, errors), status=400)
    upload = uploads[0]
    name = kept_name(upload.filename, "samtykke")  # the archive keeps it

    def work() -> int | tuple[ArchiveError, str]:
        with saved(upload, config.tmp, config.max_upload_bytes, name) as path:
            try:
                with archive(request, who) as arch:
                    return arch.add(path, _given(values), trust_roots_from_env(),
                                    add_anyway=values["tilfoej_alligevel"]).id
            except ArchiveError as exc:
                return exc, str(path)

    try:
        outcome = await run_in_threadpool(work)
    except UploadRefused as exc:
        errors["fil"] = str(exc.detail)
        return render(request, "samtykker-nyt.html", _add_context(values, errors),
                      status=exc.status_code)
    if isinstance(outcome, tuple):
        error, path = outcome
        message = _for_the_page(_message(error), path, upload.filename or "")
        if not error.fields:  # about the file itself: beside the file field
            errors["fil"], message = message, ""
        for key in error.fields:
            errors[key] = (f"Skriv {LABELS[key]}: filen er ikke en udfyldt "
                           "samtykke-formular." if key in REQUIRED and not values.get(key)
                           else message)
        return render(request, "samtykker-nyt.html",
                      _add_context(values, errors, message), status=400)
    return RedirectResponse(f"/samtykker/{outcome}?nyt=1", status_code=303)


# -- administrator: verify and purge


@router.post("/samtykker/verificer")
def verify(request: Request, who: Administrator) -> Response:
    """Check every document, the audit chain and the index (``skema consent verify``)."""
    with archive(request, who) as arch:
        report = arch.verify()
        missing = arch.missing_renditions()
        seq, digest = arch.head()
    return render(request, "samtykker-kontrol.html", {
        "rapport": [str(p) for p in report], "gyldig": report.valid,
        "antal": report.counts, "mangler": missing, "post": seq, "hash": digest,
        "sletning": None})


@router.post("/samtykker/slet")
async def purge(request: Request, who: Administrator) -> Response:
    """Delete the consents whose retention ran out before a date (``skema consent purge``);
    "Vis kun" shows what would be deleted."""
    from ..consent.summary import retention_years

    form = await request.form()
    before = str(form.get("foer") or "").strip()
    dry_run = bool(form.get("proeve"))
    years = retention_years()

    def work() -> dict[str, Any]:
        with archive(request, who) as arch:
            result = arch.purge(before, years=years, dry_run=dry_run)
        return {"proeve": dry_run, "foer": danish.format_date(parse_day(before)),
                "slettet": [(c.id, danish.format_date(c.retained_until(years)))
                            for c in result.deleted],
                "afvist": [(c.id, why) for c, why in result.refused]}

    try:
        outcome = await run_in_threadpool(work)
    except ArchiveError as exc:
        raise HTTPException(400, _message(exc)) from None
    return render(request, "samtykker-kontrol.html", {"sletning": outcome, "rapport": None})
