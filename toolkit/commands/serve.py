"""``skema serve`` (the web app) and the commands that manage who may use it:
``skema token new|revoke|list`` (API keys) and ``skema user add`` (server-mode users)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import SkemaError
from . import fail
from .base import Command, Group
from .profile import current_profile

LOOPBACK = ("127.0.0.1", "localhost")  # not ::1: the host check reads IPv4 names only


def default_data() -> Path:
    """The web app's data folder: ``$SKEMA_DATA``, else ``$XDG_DATA_HOME/skema`` (by default
    ``~/.local/share/skema``)."""
    if os.environ.get("SKEMA_DATA"):
        return Path(os.environ["SKEMA_DATA"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "skema"


data_option = click.option(
    "--data", "data", type=click.Path(file_okay=False), metavar="MAPPE",
    help="Mappen, hvor web-appen gemmer alt (database, kladder, job og samtykkearkivet). "
         "Standard: $SKEMA_DATA eller ~/.local/share/skema.")


def role_option(help_text: str):
    """The ``--role`` option of a new token or user."""
    return click.option("--role", "role", default="sagsbehandler", show_default=True,
                        type=click.Choice(["sagsbehandler", "administrator"]), metavar="ROLLE",
                        help=help_text)


def _do(data: str | None, action: str, *args: object):
    """The web store's ``action`` done with ``args``; its refusal as the command's error."""
    try:
        return getattr(_store(data), action)(*args)
    except SkemaError as exc:
        raise fail(exc) from None


def _store(data: str | None):
    from ..web.store import WebStore

    folder = Path(data) if data else default_data()
    try:
        return WebStore(folder / "skema-web.db")
    except OSError as exc:
        raise click.ClickException(f"{folder}: mappen kan ikke bruges ({exc.strerror}).") \
            from None


def _echo_rows(rows: list[dict], columns: tuple[str, ...]) -> None:
    """One line a row, its ``columns`` separated by tabs: ``oprettet`` as a Danish date,
    ``tilbagekaldt`` as the token's state."""
    from ..danish import format_moment

    def cell(row: dict, column: str) -> str:
        if column == "oprettet":
            return format_moment(row[column], clock=False)
        if column == "tilbagekaldt":
            return "tilbagekaldt" if row[column] else "gyldig"
        return str(row[column])

    for row in rows:
        click.echo("\t".join(cell(row, c) for c in columns))


@click.command("serve", cls=Command)
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADRESSE",
              help="Adressen, der lyttes på. Uden --server kun 127.0.0.1 (denne pc).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              metavar="PORT", help="Porten, der lyttes på.")
@data_option
@click.option("--server", is_flag=True,
              help="Servertilstand til en afdeling: log-ind med brugere og roller "
                   "(opret dem med 'skema user add'). Hver forespørgsel skrives i loggen "
                   "(CPR-numre i adresser skjult).")
def serve_cmd(host: str, port: int, data: str | None, server: bool) -> None:
    """Start web-appen (http://127.0.0.1:8000), så skema kan bruges fra en browser."""
    try:
        import uvicorn

        from ..web import WebConfig, create_app
    except ImportError as exc:  # pragma: no cover - the web extras are dependencies
        raise click.ClickException(f"web-appen mangler en pakke ({exc.name}).") from None
    if not server and host not in LOOPBACK:
        raise click.UsageError("Uden --server lytter web-appen kun på denne pc (127.0.0.1). "
                               "Brug --server (med log-ind) for at åbne den for andre.")
    folder = Path(data) if data else default_data()
    try:
        app = create_app(WebConfig(data=folder, server=server, profile=current_profile()))
    except SkemaError as exc:
        raise fail(exc) from None
    mode = "servertilstand med log-ind" if server else "lokal tilstand, kun denne pc"
    click.echo(f"skema kører på http://{host}:{port}/ ({mode}); data i {folder}. "
               "Stop med Ctrl+C.")
    from .process import quiet_parser_logs

    quiet_parser_logs()  # pyHanko's tracebacks for unverified signatures (consent uploads)
    # server mode logs each request (for the department's operators); local mode only
    # warnings. Either way a CPR number typed into an address is masked in the log.
    uvicorn.run(app, host=host, port=port, log_config=log_config(),
                log_level="info" if server else "warning", access_log=server,
                server_header=False)


def log_config() -> dict:
    """uvicorn's own logging set-up with :class:`toolkit.web.security.MaskedAccessLog` on
    every handler: a CPR number in a request's address never reaches the log."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"skjul_cpr": {"()": "toolkit.web.security.MaskedAccessLog"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["skjul_cpr"]
    return config


@click.group("token", cls=Group)
def token_cmd() -> None:
    """API-nøgler til sagssystemer (web-appens /api)."""


@token_cmd.command("new")
@click.option("--name", "name", required=True, metavar="NAVN",
              help="Hvem nøglen er til, fx sagssystemets navn.")
@role_option("Nøglens rolle: sagsbehandler eller administrator.")
@data_option
def token_new(name: str, role: str, data: str | None) -> None:
    """Lav en ny API-nøgle (den vises kun denne ene gang)."""
    number, token = _do(data, "new_token", name, role)
    click.echo(f"Nøgle {number} til {name} ({role}). Gem den nu; den vises ikke igen:")
    click.echo(token)


@token_cmd.command("revoke")
@click.argument("number", type=int, metavar="NUMMER")
@data_option
def token_revoke(number: int, data: str | None) -> None:
    """Tilbagekald en API-nøgle (den virker ikke mere)."""
    _do(data, "revoke_token", number)
    click.echo(f"Nøgle {number} er tilbagekaldt.")


@token_cmd.command("list")
@data_option
def token_list(data: str | None) -> None:
    """Vis API-nøglerne (nummer, navn, rolle; aldrig selve nøglen)."""
    _echo_rows(_do(data, "tokens"), ("nummer", "navn", "rolle", "oprettet", "tilbagekaldt"))


@click.group("user", cls=Group)
def user_cmd() -> None:
    """Brugere af web-appens servertilstand."""


@user_cmd.command("add")
@click.argument("name", metavar="BRUGERNAVN")
@role_option("sagsbehandler: udfyld, masseudfyld, indsaml, søg samtykker; "
             "administrator: også brugere, verificering og sletning i arkivet.")
@click.option("--password-file", "password_file", type=click.File("r"), metavar="FIL",
              help="Læs adgangskoden fra en fil ('-' for standard-input) i stedet for at "
                   "blive spurgt.")
@data_option
def user_add(name: str, role: str, password_file, data: str | None) -> None:
    """Opret en bruger (adgangskoden gemmes kun som argon2-hash)."""
    if password_file is not None:
        password = password_file.readline().rstrip("\n")
    else:
        password = click.prompt("Adgangskode", hide_input=True, confirmation_prompt=True)
    _do(data, "add_user", name, password, role)
    click.echo(f"Brugeren {name} ({role}) er oprettet.")


@user_cmd.command("list")
@data_option
def user_list(data: str | None) -> None:
    """Vis brugerne (navn, rolle, oprettet; aldrig adgangskoden)."""
    _echo_rows(_do(data, "users"), ("navn", "rolle", "oprettet"))


@user_cmd.command("remove")
@click.argument("name", metavar="BRUGERNAVN")
@data_option
def user_remove(name: str, data: str | None) -> None:
    """Fjern en bruger (vedkommende logges ud med det samme)."""
    _do(data, "remove_user", name)
    click.echo(f"Brugeren {name} er fjernet.")
