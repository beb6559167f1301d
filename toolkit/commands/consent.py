"""``skema consent …``: the archive of signed consent documents.

The archive is ``--archive DIR``, else ``$SKEMA_ARCHIVE``, else ``./samtykkearkiv``; its
keys are ``--key-file`` (else ``$SKEMA_ARCHIVE_KEY_FILE``, else
``~/.config/skema/archive.key``) or ``$SKEMA_ARCHIVE_KEY``. Statuses are computed for
today (``$SKEMA_TODAY`` fixes the date, for tests only: deletions and withdrawals are
still bounded by the real clock). CPR numbers are shown masked unless ``--show-cpr`` is
given; they never go into file names or the audit log.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import danish
from ..errors import SkemaError
from . import fail
from .base import Group

_error = fail


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from ..consent.metadata import iso_day  # read before Ghostscript starts anyway

    iso = iso_day(value) or danish.parse_date(value)
    if iso is None:
        raise click.BadParameter(f"\"{value}\" er ikke en dato; skriv fx 2025-10-31 eller "
                                 "31-10-2025.")
    return iso


def _number(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    text = str(value).strip().lstrip("#")
    if not text.isdigit() or int(text) < 1:
        raise click.BadParameter(f"\"{value}\" er ikke et samtykkenummer; se numrene med "
                                 "'skema consent list'.")
    return int(text)


def _start_first(files: tuple[str, ...]) -> Any:
    """``consent add``: the first file read and its PDF/A copy started before the archive
    is opened (Ghostscript works on the other core meanwhile); None when it cannot be."""
    from ..consent.rendition import start_file

    return start_file(files[0]) if files else None


def archive_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--archive``, ``--key-file`` (and the hidden ``--today``) on every subcommand;
    opens the archive. A command with the ``--checkpoints`` option writes a signed checkpoint
    into that folder after its work."""

    @click.option("--archive", "archive_dir", envvar="SKEMA_ARCHIVE", default="samtykkearkiv",
                  metavar="MAPPE",
                  help="Arkivets mappe (ellers $SKEMA_ARCHIVE, ellers ./samtykkearkiv).")
    @click.option("--key-file", envvar="SKEMA_ARCHIVE_KEY_FILE", default=None, metavar="FIL",
                  help="Arkivets nøglefil uden for arkivet (ellers $SKEMA_ARCHIVE_KEY_FILE, "
                       "ellers ~/.config/skema/archive.key; $SKEMA_ARCHIVE_KEY går forud).")
    @click.option("--today", envvar="SKEMA_TODAY", callback=_day, hidden=True)
    @functools.wraps(func)
    def wrapper(*args: Any, archive_dir: str, key_file: str | None, today: str | None,
                **kwargs: Any) -> Any:
        from .process import quiet_parser_logs

        adding = func.__name__ == "add_cmd"
        early = _start_first(kwargs["files"]) if adding else None
        if adding:
            kwargs["prepared"] = early
        quiet_parser_logs()  # here, not in the root: after the PDF/A copy is started
        from ..consent import Archive

        day = _dt.date.fromisoformat(today) if today else None
        folder = kwargs.pop("checkpoint_dir", None)
        try:
            with (early[2] if early else contextlib.nullcontext()), \
                    Archive(archive_dir, today=day, create=adding, key_file=key_file) as arch:
                try:
                    result = func(arch, *args, **kwargs)
                finally:
                    if folder:
                        _write_checkpoint(arch, Path(folder) / "-", overwrite=False)
        except SkemaError as exc:
            raise _error(exc) from None
        from .process import may_exit_now

        may_exit_now()  # the archive is closed: the program may end without the teardown
        return result

    return wrapper


checkpoints_option = click.option(
    "--checkpoints", "checkpoint_dir", type=click.Path(file_okay=False), default=None,
    metavar="MAPPE",
    help="Skriv bagefter et underskrevet kontrolpunkt i denne mappe (uden for arkivet).")

reason_option = click.option(
    "--reason", default="", metavar="TEKST",
    help="Begrundelse for opslaget; skrives i revisionsloggen og vises borgeren ved indsigt.")


def citizen_zip_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--cpr``, ``-o FIL.zip``, ``--overwrite``, ``--reason`` and the archive options."""
    for option in reversed((
            click.option("--cpr", required=True, metavar="CPR", help="Borgerens CPR-nummer."),
            click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
                         metavar="FIL.zip", help="Zip-filen der skrives: .zip."),
            click.option("--overwrite", is_flag=True, help="Overskriv en eksisterende fil."),
            reason_option, archive_options)):
        func = option(func)
    return func


def _check_output(output: str, overwrite: bool, zip_only: str = "") -> None:
    """Refuse a wrong suffix (``zip_only`` is the message) or an existing file before any
    work is done (and before a look-up is logged)."""
    from ..errors import OutputExistsError

    if zip_only and not output.lower().endswith(".zip"):
        raise click.UsageError(zip_only)
    if Path(output).exists() and not overwrite:
        raise _error(OutputExistsError(f"{danish.mask_cpr(output)}: filen findes allerede og "
                                       "overskrives ikke.", hint="Brug --overwrite."))


def _write_checkpoint(arch: Any, output: Path, overwrite: bool) -> Path:
    """Write a signed checkpoint; ``DIR/-`` names a file after the head in ``DIR``."""
    from ..consent import checkpoint
    from ..fileio import write_atomic

    point = arch.checkpoint()
    if output.name == "-":
        output.parent.mkdir(parents=True, exist_ok=True)
        output = output.parent / checkpoint.file_name(point)
    if output.resolve().is_relative_to(arch.root.resolve()):
        raise _error(SkemaError(f"{output}: kontrolpunktet skal gemmes uden for arkivet.",
                                hint="Vælg en fil i en anden mappe eller på et andet system."))
    write_atomic(output, checkpoint.dumps(point).encode("utf-8"), overwrite=overwrite)
    return output


def _retention() -> int:
    from ..consent.summary import retention_years

    return retention_years()


retention_option = click.option(
    "--retention-years", type=click.IntRange(0, 100), default=None, metavar="ÅR",
    help="Opbevaringstid i år efter udløb eller tilbagekaldelse (mindst og standard 5, "
         "eller $SKEMA_RETENTION_YEARS).")


def _dk(iso: str | None) -> str:
    """``2025-10-31`` as ``31-10-2025`` (table columns)."""
    return f"{iso[8:10]}-{iso[5:7]}-{iso[:4]}" if iso else ""


def _cpr(cpr: str, show: bool) -> str:
    return cpr if show else danish.mask_cpr(cpr)


@click.group("consent", cls=Group)
def consent_cmd() -> None:
    """Arkivet med underskrevne samtykkeerklæringer.

    Dokumenterne gemmes byte for byte, skrivebeskyttet og navngivet efter deres SHA-256;
    hver ændring og hvert opslag skrives i en revisionslog, hvor hver post bærer en nøglet
    hash af den forrige (nøglen ligger uden for arkivet). Start med 'skema consent init'.
    """


@consent_cmd.command("init")
@click.option("--archive", "archive_dir", envvar="SKEMA_ARCHIVE", default="samtykkearkiv",
              metavar="MAPPE", help="Arkivets mappe (ellers $SKEMA_ARCHIVE, ellers "
                                    "./samtykkearkiv).")
@click.option("--key-file", envvar="SKEMA_ARCHIVE_KEY_FILE", default=None, metavar="FIL",
              help="Nøglefilen, der oprettes uden for arkivet (ellers "
                   "~/.config/skema/archive.key); en eksisterende nøgle overskrives aldrig.")
def init_cmd(archive_dir: str, key_file: str | None) -> None:
    """Opret et nyt arkiv og dets nøgler (uden for arkivet).

    Nøglefilen (kun læsbar for ejeren) låser revisionsloggen, og signeringsnøglen ved
    siden af den underskriver kontrolpunkter. Findes nøglerne allerede, bruges de.
    """
    from ..consent import Archive

    try:
        arch, made = Archive.init(archive_dir, key_file)
    except SkemaError as exc:
        raise _error(exc) from None
    with arch:
        source = arch.keys.source
        click.echo(f"Arkivet {arch.root} er oprettet. Nøgle: {source} "
                   + ("(ny)" if made else "(eksisterende, ikke overskrevet)") + ".")
        click.echo("  Tip: tag en sikkerhedskopi af nøglefilen og signeringsnøglen ved siden "
                   "af den, og opbevar dem adskilt fra arkivet.")


@consent_cmd.command("checkpoint")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              metavar="FIL.json", help="Kontrolpunktet, gemt uden for arkivet: .json.")
@click.option("--overwrite", is_flag=True, help="Overskriv en eksisterende fil.")
@archive_options
def checkpoint_cmd(arch: Any, output: str, overwrite: bool) -> None:
    """Skriv et underskrevet kontrolpunkt: revisionsloggens seneste post, tid og antal.

    Gem det et andet sted (print, mail, andet system); 'skema consent verify --checkpoint
    FIL' beviser siden, at arkivet stadig rummer den historik.
    """
    written = _write_checkpoint(arch, Path(output), overwrite)
    seq, digest = arch.head()
    click.echo(danish.mask_cpr(f"{written}: ")
               + f"kontrolpunkt for post {seq} (HMAC-SHA256 {digest[:16]}…)")


@consent_cmd.command("add")
@click.argument("files", nargs=-1, required=True, metavar="FIL...",
                type=click.Path(exists=True, dir_okay=False))
@click.option("--cpr", metavar="CPR", help="Borgerens CPR-nummer (til scanninger).")
@click.option("--name", "navn", metavar="TEKST", help="Borgerens navn.")
@click.option("--purpose", "formaal", metavar="TEKST", help="Formålet med samtykket.")
@click.option("--party", "parter", multiple=True, metavar="NAVN[:ROLLE]",
              help="En part (gentag); ROLLE er afgiver, modtager eller begge.")
@click.option("--info-type", "oplysninger", multiple=True, metavar="TYPE",
              help="En type oplysninger (gentag), fx helbredsoplysninger.")
@click.option("--valid-from", "gyldig_fra", callback=_day, metavar="DATO",
              help="Første dag samtykket gælder.")
@click.option("--valid-to", "gyldig_til", callback=_day, metavar="DATO",
              help="Sidste dag samtykket gælder.")
@click.option("--municipality", "kommune", metavar="TEKST", help="Kommunen.")
@click.option("--caseworker", "sagsbehandler", metavar="TEKST",
              help="Sagsbehandleren.")
@click.option("--case-number", "journalnummer", metavar="TEKST", help="Sagens journalnummer.")
@click.option("--trust-root", "trust_roots", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              metavar="CERT", help="Certifikat, som underskrifter kontrolleres mod (gentag; "
                                   "eller $SKEMA_TRUST_ROOTS).")
@click.option("--add-anyway", is_flag=True,
              help="Arkivér også et dokument, der ligner en kopi af et samtykke i kraft.")
@checkpoints_option
@archive_options
def add_cmd(arch: Any, files: tuple[str, ...], parter: tuple[str, ...],
            oplysninger: tuple[str, ...], trust_roots: tuple[str, ...], add_anyway: bool,
            prepared: Any = None, **options: str | None) -> None:
    """Arkivér underskrevne samtykker (PDF, .docx eller scanning).

    Fra kommunens egen samtykke-formular læses borger, formål, parter, oplysninger og
    gyldighed af dokumentet. For en scanning skal de angives: mindst --cpr, --purpose,
    --valid-from og --valid-to.
    """
    from ..consent.metadata import info_type, parse_party
    from ..consent.signatures import describe, trust_roots_from_env

    given: dict[str, Any] = {k: v for k, v in options.items() if v}
    if parter:
        given["parter"] = [parse_party(p) for p in parter]
    if oplysninger:
        given["oplysninger"] = [info_type(o) for o in oplysninger]
    roots = list(trust_roots) or trust_roots_from_env()
    failed = False
    for index, name in enumerate(files):
        try:  # the first file's bytes and PDF/A copy: read and started before the archive
            consent = arch.add(name, given, roots, add_anyway=add_anyway,
                               prepared=prepared if index == 0 else None)
        except SkemaError as exc:
            failed = True
            click.echo(f"Fejl: {exc}" + (f"\n  Tip: {exc.hint}" if exc.hint else ""),
                       err=True)
            continue
        click.echo(f"{danish.mask_cpr(name)}: arkiveret som samtykke nr. {consent.id} – "
                   f"{consent.navn or 'borger'} ({danish.mask_cpr(consent.cpr)}), gyldig "
                   f"{_dk(consent.gyldig_fra)} til {_dk(consent.gyldig_til)}, status "
                   f"{consent.status(arch.today)}")
        for sig in consent.signatures:
            click.echo(f"  Underskrift: {describe(sig)}")
        click.echo(f"  PDF/A-2b: {_rendition(arch, consent.id)}")
    if failed:
        raise click.exceptions.Exit(1)


def _rendition(arch: Any, consent_id: int) -> str:
    from ..consent.summary import rendition_text

    return rendition_text(arch, consent_id)


_HEADERS = ("Nr.", "Borger", "CPR", "Gyldig fra", "Gyldig til", "Status", "Underskrift",
            "Formål")


@consent_cmd.command("list")
@click.option("--cpr", metavar="CPR", help="Kun denne borgers samtykker.")
@click.option("--status", type=click.Choice(["aktiv", "kommende", "udløbet", "tilbagekaldt"]),
              help="Kun samtykker med denne status i dag.")
@click.option("--expires-within", metavar="PERIODE",
              help="Kun samtykker i kraft, der udløber inden for perioden, fx 30d.")
@click.option("--show-cpr", "vis_cpr", is_flag=True, help="Vis hele CPR-numre.")
@click.option("--json", "as_json", is_flag=True, help="Udskriv som JSON.")
@reason_option
@archive_options
def list_cmd(arch: Any, cpr: str | None, status: str | None, expires_within: str | None,
             vis_cpr: bool, as_json: bool, reason: str) -> None:
    """Vis samtykkerne i arkivet (status beregnes for i dag).

    En søgning med --cpr er et opslag på borgeren og skrives i revisionsloggen.
    """
    from ..consent.metadata import parse_period
    from ..consent.signatures import short

    days = parse_period(expires_within) if expires_within is not None else None
    consents = arch.list(cpr=cpr, status=status, expires_within=days, reason=reason)
    if as_json:
        click.echo(json.dumps([c.to_json(arch.today, vis_cpr, _retention()) for c in consents],
                              ensure_ascii=False, indent=2))
        return
    if not consents:
        click.echo("Ingen samtykker matcher.")
        return
    rows = [(str(c.id), c.navn, _cpr(c.cpr, vis_cpr), _dk(c.gyldig_fra), _dk(c.gyldig_til),
             c.status(arch.today), short(c.signatures),
             c.formaal if len(c.formaal) <= 40 else c.formaal[:39] + "…")
            for c in consents]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(_HEADERS)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(_HEADERS, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip().replace("\n", " ")
              for r in rows]
    lines.append(f"{len(rows)} samtykke{'r' if len(rows) != 1 else ''}")
    click.echo("\n".join(lines))


@consent_cmd.command("show")
@click.argument("consent_id", metavar="ID", callback=_number)
@click.option("--show-cpr", "vis_cpr", is_flag=True, help="Vis hele CPR-nummeret.")
@click.option("--json", "as_json", is_flag=True, help="Udskriv som JSON.")
@reason_option
@archive_options
def show_cmd(arch: Any, consent_id: int, vis_cpr: bool, as_json: bool, reason: str) -> None:
    """Vis ét samtykke: oplysninger, dokument, underskrifter og historik (et opslag, som
    skrives i revisionsloggen)."""
    from ..consent.signatures import describe
    from ..consent.summary import details, history_line

    consent, history = arch.show(consent_id, reason)
    history = [e for e in history if e.action != "lookup"]
    if as_json:
        payload = consent.to_json(arch.today, vis_cpr, _retention())
        payload["historik"] = [e.to_json() for e in history]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    info = details(arch, consent, vis_cpr)
    width = max(len(k) for k, _ in info) + 1
    click.echo(f"Samtykke nr. {consent.id}")
    for key, value in info:
        click.echo(f"  {(key + ':').ljust(width)} {value}")
    if consent.signatures:
        click.echo("  Underskrifter:")
        for sig in consent.signatures:
            click.echo(f"    {describe(sig)}")
    else:
        click.echo(f"  {'Underskrifter:'.ljust(width)} ingen digitale underskrifter")
    click.echo("Historik:")
    for entry in history:
        click.echo(f"  {history_line(entry)}")


@consent_cmd.command("get")
@click.argument("consent_id", metavar="ID", callback=_number)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              metavar="FIL", help="Filen der skrives: præcis de arkiverede bytes.")
@click.option("--overwrite", is_flag=True, help="Overskriv en eksisterende fil.")
@reason_option
@archive_options
def get_cmd(arch: Any, consent_id: int, output: str, overwrite: bool, reason: str) -> None:
    """Hent det arkiverede dokument, byte for byte som det blev tilføjet (et opslag, som
    skrives i revisionsloggen)."""
    from ..fileio import write_atomic

    _check_output(output, overwrite)
    consent, data = arch.document(consent_id, reason)
    write_atomic(output, data, overwrite=overwrite)
    click.echo(f"{danish.mask_cpr(output)}: samtykke nr. {consent.id} skrevet "
               f"({consent.size} bytes, SHA-256 kontrolleret)")


@consent_cmd.command("withdraw")
@click.argument("consent_id", metavar="ID", callback=_number)
@click.option("--date", "date", required=True, callback=_day, metavar="DATO",
              help="Dagen tilbagekaldelsen gælder fra (den dag kommunen fik den).")
@checkpoints_option
@archive_options
def withdraw_cmd(arch: Any, consent_id: int, date: str) -> None:
    """Registrér at borgeren har tilbagekaldt samtykket; dokument og historik bevares."""
    consent = arch.withdraw(consent_id, date)
    click.echo(f"Samtykke nr. {consent.id}: tilbagekaldt fra {danish.format_date(date)}; "
               f"status i dag: {consent.status(arch.today)}")


@consent_cmd.command("verify")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(exists=True),
              metavar="FIL", help="Et kontrolpunkt (gentag, eller en mappe med dem): bevis at "
                                  "arkivet stadig rummer den historik.")
@click.option("--json", "as_json", is_flag=True, help="Udskriv fundene som JSON (med koder).")
@archive_options
def verify_cmd(arch: Any, checkpoints: tuple[str, ...], as_json: bool) -> None:
    """Kontrollér hver fil (SHA-256), revisionsloggens nøglede kæde, indekset mod loggen
    og (med --checkpoint) at historikken bag hvert kontrolpunkt stadig er der."""
    from ..consent import checkpoint

    files: list[Path] = []
    for name in checkpoints:
        path = Path(name)
        files += sorted(path.glob("*.json")) if path.is_dir() else [path]
    report = arch.verify([checkpoint.read(f) for f in files])
    counts = report.counts
    if as_json:
        click.echo(json.dumps(report.findings(), ensure_ascii=False, indent=2))
        if not report.valid:
            raise click.exceptions.Exit(1)
        return
    for problem in report:
        click.echo(f"Fejl: {problem}", err=True)
    summary = (f"{counts['samtykker']} samtykker, {counts['filer']} filer, "
               f"{counts['poster']} poster i revisionsloggen")
    if not report.valid:
        click.echo(f"{len(report)} fejl i arkivet {arch.root} ({summary}).\n  Tip: et "
                   "ændret eller manglende dokument hentes fra sikkerhedskopien; en "
                   "forældreløs fil arkiveres igen med 'skema consent add' eller slettes.",
                   err=True)
        raise click.exceptions.Exit(1)
    for consent_id, note in arch.missing_renditions():
        click.echo(f"Bemærk: samtykke nr. {consent_id}: PDF/A-udgaven mangler ({note}).")
    seq, digest = arch.head()
    proven = f"; {len(files)} kontrolpunkt{'er' if len(files) != 1 else ''} holder" \
        if files else ""
    click.echo(f"Arkivet {arch.root} er i orden: {summary}{proven}.\n"
               f"Revisionsloggens seneste post: {seq}, HMAC-SHA256 {digest}")


@consent_cmd.command("export")
@citizen_zip_options
def export_cmd(arch: Any, cpr: str, output: str, overwrite: bool, reason: str) -> None:
    """Udlevér en borgers samtykker til sagssystemet: dokumenterne og en JSON pr. dokument."""
    from ..fileio import write_atomic

    _check_output(output, overwrite, "Eksporten skrives som .zip (brug -o samtykker.zip).")
    data, consents = arch.export(cpr, reason)
    write_atomic(output, data, overwrite=overwrite)
    click.echo(f"{danish.mask_cpr(output)}: {len(consents)} samtykke"
               f"{'r' if len(consents) != 1 else ''} eksporteret (nr. "
               f"{', '.join(str(c.id) for c in consents)})")


@consent_cmd.command("purge")
@click.option("--before", required=True, callback=_day, metavar="DATO",
              help="Slet dokumenter, hvis opbevaringstid er udløbet før denne dato.")
@retention_option
@click.option("--dry-run", is_flag=True, help="Vis kun, hvad der ville blive slettet.")
@checkpoints_option
@archive_options
def purge_cmd(arch: Any, before: str, retention_years: int | None, dry_run: bool) -> None:
    """Slet samtykker, hvis opbevaringstid er udløbet (5 år efter udløb/tilbagekaldelse).

    Et samtykke, der stadig er i kraft, eller hvis opbevaringstid ikke er udløbet i dag,
    slettes ikke. Hver sletning skrives i revisionsloggen.
    """
    years = _retention() if retention_years is None else retention_years
    result = arch.purge(before, years=years, dry_run=dry_run)
    verb = "ville blive slettet" if dry_run else "slettet"
    for consent in result.deleted:
        click.echo(f"Samtykke nr. {consent.id}: {verb} (opbevaret til "
                   f"{danish.format_date(consent.retained_until(years))})")
    for consent, reason in result.refused:
        click.echo(f"Fejl: samtykke nr. {consent.id}: slettes ikke, da det {reason}.", err=True)
    click.echo(f"{len(result.deleted)} {verb}, {len(result.refused)} afvist.")
    if result.refused:
        raise click.exceptions.Exit(1)


@consent_cmd.command("access")
@citizen_zip_options
def access_cmd(arch: Any, cpr: str, output: str, overwrite: bool, reason: str) -> None:
    """Besvar borgerens anmodning om indsigt: dokumenter, oplysninger, historik og log over
    opslag, med en dansk oversigt (oversigt.html) øverst. Udleveringen logges."""
    from ..fileio import write_atomic

    _check_output(output, overwrite, "Indsigten skrives som .zip (brug -o indsigt.zip).")
    data, consents = arch.access(cpr, reason)
    write_atomic(output, data, overwrite=overwrite)
    click.echo(f"{danish.mask_cpr(output)}: indsigt med {len(consents)} samtykke"
               f"{'r' if len(consents) != 1 else ''} skrevet (oversigt.html øverst)")
