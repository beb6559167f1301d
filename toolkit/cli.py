"""The ``skema`` command line: parse options, call the library, print in Danish, exit code.

Exit status: 0 all good; 1 some input was invalid or some file failed (the rest done),
``fill`` with data that has problems (the document is still written) or that is plainly
for another form (refused), or an unexpected error in skema; 2 wrong usage (unknown form,
a missing file for every command, a directory for a file, bad option or value).
click's own words are Danish through the gettext catalogue in ``toolkit/locale`` (see
``toolkit/commands/base.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .commands import error, fail, masked
from .commands.base import RootGroup, debugging, report_unexpected
from .errors import DataFileError, SkemaError, UnknownFormError

#: The commands defined in their own module, imported only when one of them runs (or is
#: looked up): name → (``"module:attribute"``, the short help ``skema --help`` shows).
#: tests/test_cli_start.py checks that each short help is the command's own.
LAZY_COMMANDS = {
    "batch": ("toolkit.commands.batch:batch_cmd",
              "Ét udfyldt dokument pr. gyldig række i en projektmappe."),
    "collect": ("toolkit.commands.collect:collect_cmd",
                "Saml alle returnerede formularer (.docx og .pdf) i MAPPE i ét regneark."),
    "consent": ("toolkit.commands.consent:consent_cmd",
                "Arkivet med underskrevne samtykkeerklæringer."),
    "profile": ("toolkit.commands.profile:profile_cmd",
                "Kommunens profil (kommune.yaml): navn, logo, kontakter og samtykketekster."),
    "serve": ("toolkit.commands.serve:serve_cmd",
              "Start web-appen (http://127.0.0.1:8000), så skema kan bruges fra en browser."),
    "token": ("toolkit.commands.serve:token_cmd",
              "API-nøgler til sagssystemer (web-appens /api)."),
    "user": ("toolkit.commands.serve:user_cmd", "Brugere af web-appens servertilstand."),
}


#: Commands for which the root does not quiet pypdf's and pyHanko's logs: they never parse
#: a PDF (``logging`` is not imported for them), or quiet them themselves once their own
#: start is made (``consent``: after ``consent add`` has started its PDF/A copy).
QUIET_OWN_LOGS = frozenset({"forms", "schema", "consent"})


def _suffix(name: str) -> str:
    """A file name's suffix in lower case, as :mod:`pathlib` gives it (``.docx``; ``""``
    for ``a.`` or ``.docx``); pathlib is imported by the commands that need it only."""
    from pathlib import PurePath

    return PurePath(name).suffix.lower()


def _load(form_id: str):
    from .catalogue import load_form

    try:
        return load_form(form_id)
    except UnknownFormError as exc:
        raise fail(exc, 2) from None
    except SkemaError as exc:  # a schema that is not valid (SchemaError)
        raise fail(exc) from None


def _read(path: str):
    from .fileio import read_data

    try:
        return read_data(path)
    except DataFileError as exc:
        raise fail(exc, 2 if not os.path.isfile(path) else 1) from None


def _write(path: str, data: bytes, overwrite: bool) -> None:
    from .fileio import write_atomic

    try:
        write_atomic(path, data, overwrite=overwrite)
    except SkemaError as exc:
        raise fail(exc) from None


F = TypeVar("F", bound=Callable[..., Any])

overwrite_option = click.option("--overwrite", is_flag=True,
                                help="Overskriv en eksisterende fil.")
form_argument = click.argument("form", metavar="FORMULAR")
data_argument = click.argument("data", metavar="DATA", type=click.Path(dir_okay=False))


def _suffixes(allowed: tuple[str, ...]) -> str:
    """``.docx, .pdf eller .xlsx``."""
    names = [f".{a}" for a in allowed]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" eller {names[-1]}"


def output_option(allowed: tuple[str, ...]) -> Callable[[F], F]:
    """``-o/--output FIL`` whose help names every suffix the command writes."""
    return click.option("-o", "--output", "output", required=True, metavar="FIL",
                        type=click.Path(dir_okay=False),
                        help=f"Filen der skrives; filtypen vælger formatet: "
                             f"{_suffixes(allowed)}.")


def _output_format(output: str, allowed: tuple[str, ...] = ("docx", "pdf")) -> str:
    """The format named by the output file's suffix, or a usage error."""
    suffix = _suffix(output)
    if suffix.lstrip(".") not in allowed:
        raise click.UsageError(f"Filtypen \"{suffix or '(ingen)'}\" understøttes ikke her; "
                               f"brug {_suffixes(allowed)}.")
    return suffix.lstrip(".")


@click.group("skema", cls=RootGroup, lazy=LAZY_COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Vis den fulde fejlsporing ved fejl.")
@click.option("--profile", "profile_path", metavar="KOMMUNE.yaml", envvar="SKEMA_PROFILE",
              type=click.Path(dir_okay=False),
              help="Kommunens profil (navn, logo, kontakter) på dokumenterne; også "
                   "$SKEMA_PROFILE. Uden den er dokumenterne neutrale.")
@click.version_option(package_name="skema", message="skema %(version)s",
                      help="Vis versionen og afslut.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, profile_path: str | None) -> None:
    """skema – danske kommunale skemaer: skabeloner, udfyldning, validering og udtræk."""
    if ctx.invoked_subcommand not in QUIET_OWN_LOGS:
        from .commands.process import quiet_parser_logs

        quiet_parser_logs()
    ctx.obj = {"debug": debug, "profile_path": profile_path}


@cli.command("forms")
def forms_cmd() -> None:
    """Vis formularerne (id, version og titel)."""
    from .catalogue import form_titles
    from .commands.process import may_exit_now

    try:
        rows = form_titles()
    except SkemaError as exc:  # a schema that is not valid (SchemaError)
        raise fail(exc) from None
    width = max(len(r[0]) for r in rows)
    for form_id, version, title in rows:
        click.echo(f"{form_id:<{width}}  {version:<7}  {title}")
    may_exit_now()  # it only read: the program may end without Python's teardown


@cli.command("schema")
@form_argument
def schema_cmd(form: str) -> None:
    """Udskriv formularens JSON Schema."""
    import json

    click.echo(json.dumps(_load(form).schema, ensure_ascii=False, indent=2))


@cli.group("templates")
def templates_cmd() -> None:
    """Word-skabelonerne i form_templates/, genereret fra skemaerne."""


@templates_cmd.command("build")
@click.argument("form_list", nargs=-1, metavar="[FORMULAR]...")
@click.option("--check", is_flag=True,
              help="Skriv intet; afslut med 1 hvis en skabelon er forældet.")
def templates_build(form_list: tuple[str, ...], check: bool) -> None:
    """Byg Word-skabelonen for hver formular (alle, hvis ingen er nævnt)."""
    from .catalogue import form_ids
    from .fileio import write_atomic
    from .render.word_build import build_template, template_path

    stale = []
    for form_id in form_list or form_ids():
        form = _load(form_id)
        data = build_template(form)
        path = template_path(form)
        if check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(path)
            continue
        write_atomic(path, data, overwrite=True)
        click.echo(f"{path}: skrevet")
    if stale:
        for path in stale:
            click.echo(f"{path}: forældet i forhold til skemaet", err=True)
        raise click.exceptions.Exit(1)


@cli.command("blank")
@form_argument
@output_option(("docx", "pdf", "xlsx"))
@overwrite_option
def blank_cmd(form: str, output: str, overwrite: bool) -> None:
    """Lav en tom formular (.docx, udfyldelig .pdf) eller en indtastningsprojektmappe (.xlsx)."""
    from . import blank
    from .commands.profile import current_profile

    fmt = _output_format(output, ("docx", "pdf", "xlsx"))
    _write(output, blank(_load(form), fmt, profile=current_profile()), overwrite)
    what = "tom projektmappe til indtastning skrevet" if fmt == "xlsx" else "tom formular skrevet"
    click.echo(masked(f"{output}: ") + what)


@cli.command("fill")
@form_argument
@data_argument
@output_option(("docx", "pdf"))
@click.option("--template", type=click.Path(dir_okay=False), metavar="SKABELON.docx",
              help="Egen Word-skabelon i stedet for den medfølgende.")
@click.option("--flatten", is_flag=True,
              help="PDF uden udfyldelige felter: svarene bliver en del af siden.")
@click.option("--row", type=click.IntRange(1), metavar="N",
              help="Fra en .xlsx: rækkenummeret i Excel på hovedarket.")
@click.option("--key", metavar="NØGLE", help="Fra en .xlsx: rækkens nøgle (fx Nr.).")
@click.option("--editable/--locked", "editable", default=None,
              help="PDF: felterne kan (--editable) eller kan ikke (--locked) ændres efter "
                   "udfyldning; underskriftsfelter kan altid udfyldes. Standard: "
                   "formularens eget valg (samtykket låses).")
@overwrite_option
def fill_cmd(form: str, data: str, output: str, template: str | None, flatten: bool,
             row: int | None, key: str | None, editable: bool | None,
             overwrite: bool) -> None:
    """Udfyld formularen med data fra en .json-, .yaml- eller .xlsx-fil (.docx eller .pdf).

    Har dataene problemer, skrives dokumentet alligevel, problemerne vises, og
    kommandoen afslutter med 1. Data, der tydeligvis hører til en anden formular,
    afvises (intet skrives).
    """
    from . import fill
    from .commands.profile import current_profile
    from .commands.workbook import is_workbook, record_for_fill
    from .data_check import foreign_data
    from .validation import validate

    fmt = _output_format(output)
    if flatten and fmt != "pdf":
        raise click.UsageError("--flatten kan kun bruges, når der skrives en .pdf.")
    if editable is not None and fmt != "pdf":
        raise click.UsageError("--editable og --locked kan kun bruges, når der skrives en .pdf.")
    if template and fmt != "docx":
        raise click.UsageError("--template er en Word-skabelon og kan kun bruges med .docx.")
    frm = _load(form)
    if template and not os.path.isfile(template):
        raise click.UsageError(f"Skabelonen {template} findes ikke.")
    if is_workbook(data):
        values, report, _ = record_for_fill(frm, data, row, key)
    elif row is not None or key is not None:
        raise click.UsageError("--row og --key bruges kun med en .xlsx-fil.")
    else:
        values = _read(data)
        other = foreign_data(frm, values)
        if other:
            raise error(f"{data}: {other}",
                        f"Brug en datafil til formularen \"{frm.id}\" (se skema schema "
                        f"{frm.id}), eller udfyld den formular, dataene hører til.")
        report = validate(frm, values, profile=current_profile())
    try:
        out = fill(frm, values, fmt, template=template, flatten=flatten,
                   profile=current_profile(), editable=editable)
    except SkemaError as exc:
        raise fail(exc) from None
    _write(output, out, overwrite)
    for problem in report:
        click.echo(f"{data}: {masked(str(problem))}", err=True)
    if not report.valid:
        click.echo(masked(f"{output}: ") + "udfyldt formular skrevet, men dataene har "
                   f"{len(report)} "
                   f"problem{'er' if len(report) != 1 else ''} (se ovenfor)")
        raise click.exceptions.Exit(1)
    click.echo(masked(f"{output}: udfyldt formular skrevet"))


@cli.command("validate")
@form_argument
@data_argument
@click.option("--json", "as_json", is_flag=True, help="Udskriv problemerne som JSON.")
@click.option("--report", type=click.Path(dir_okay=False), metavar="RAPPORT.xlsx",
              help="Fra en .xlsx: skriv en kopi med de forkerte celler markeret.")
@overwrite_option
def validate_cmd(form: str, data: str, as_json: bool, report: str | None,
                 overwrite: bool) -> None:
    """Kontroller data og vis hvert problem med dets sted (.json, .yaml eller .xlsx)."""
    from .commands.profile import current_profile
    from .commands.workbook import is_workbook, validate_workbook
    from .validation import validate

    if is_workbook(data):
        validate_workbook(_load(form), data, as_json, report, overwrite)
        return
    if report:
        raise click.UsageError("--report kan kun bruges med en .xlsx-fil.")

    result = validate(_load(form), _read(data), profile=current_profile())
    if as_json:
        click.echo(result.to_json())
    elif result.valid:
        click.echo(masked(f"{data}: ingen problemer"))
    for problem in result:
        if not as_json:
            click.echo(f"{data}: {masked(str(problem))}", err=True)
    if not result.valid:
        raise click.exceptions.Exit(1)


@cli.command("extract")
@click.argument("files", nargs=-1, required=True, metavar="FIL...",
                type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FIL",
              help="Skriv svarene til en fil: .json (svarene som JSON) eller .xlsx (et "
                   "regneark som skema collect laver). Uden -o skrives JSON på skærmen.")
@click.option("--form", "form_id", metavar="FORMULAR",
              help="Læs filerne som denne formular, uanset hvad de selv siger.")
@overwrite_option
def extract_cmd(files: tuple[str, ...], output: str | None, form_id: str | None,
                overwrite: bool) -> None:
    """Læs svarene ud af returnerede formularer (.docx og .pdf)."""
    import json

    from . import extract
    from .extraction import extraction_payload

    if output and _suffix(output) not in (".json", ".xlsx"):
        raise click.UsageError("Udtræk kan skrives til .json eller .xlsx (brug -o svar.json).")
    if form_id:
        _load(form_id)
    if output and _suffix(output) == ".xlsx":
        from .collect import collect_files
        from .commands.collect import write_collection

        write_collection(collect_files(list(files), form_id), output, overwrite)
        return
    results: list[Any] = []  # an Extraction, or the Danish reason a file was not read
    failed = False
    for name in files:
        try:
            result = extract(name, form=form_id)
        except SkemaError as exc:
            failed = True
            click.echo(f"Fejl: {exc}" + (f"\n  Tip: {exc.hint}" if exc.hint else ""), err=True)
            results.append((name, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a bug in skema costs this file only
            failed = True
            report_unexpected(exc, debugging(), name)
            results.append((name, f"uventet fejl i skema ({type(exc).__name__})"))
            continue
        for note in result.notes:
            click.echo(f"{name}: {note}", err=True)
        for problem in result.report:
            failed = True
            click.echo(f"{name}: {masked(str(problem))}", err=True)
        results.append(result)
    text = json.dumps(extraction_payload(results, len(files) == 1), ensure_ascii=False,
                      indent=2)
    if output:
        _write(output, (text + "\n").encode("utf-8"), overwrite)
    else:
        click.echo(text)
    if failed:
        raise click.exceptions.Exit(1)


def main(argv: list[str] | None = None) -> None:
    """Run the command line; no traceback unless ``--debug`` (see ``RootGroup.main``)."""
    cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="skema")


def run() -> None:
    """The ``skema`` program (the installed command and ``python -m toolkit``, through
    :func:`toolkit.program.run`): :func:`main`,
    then, when the command allows it, the process ends without Python's teardown
    (:func:`toolkit.commands.process.exit_now`). In-process callers (tests) use
    :func:`main`, which always returns or raises."""
    try:
        main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            from .commands.process import exit_now

            exit_now(exc.code)
        raise
