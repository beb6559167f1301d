"""``skema batch FORM input.xlsx -o DIR``: one filled document per valid row."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import danish
from ..errors import DataFileError, SkemaError, TemplateError, UnknownFormError
from . import error
from .base import Command
from .process import collector_freezable, collector_paused, term_as_interrupt
from .profile import current_profile
from .progress import ProgressBar
from .workbook import PER_KIND

_error = error


def _read_book(path: str, form: Any, validate: bool,
               freeze: Callable[[], None] | None = None) -> Any:
    """The workbook opened as a stream, its list sheets read with the cyclic garbage
    collector paused (a third faster); the rows are read as the batch needs them. Its
    notices (a hidden main sheet read) are printed as ``validate`` prints them. Then
    ``freeze()`` (:func:`~.process.collector_freezable`): what the process holds now (the
    toolkit, the compiled template, the first pass) is what the workers inherit, and the
    parent's collections no longer un-share it."""
    from ..sources.excel import stream_workbook

    with collector_paused():
        book = stream_workbook(path, form)
    if freeze is not None:
        freeze()
    for note in book.notices:
        click.echo(f"Bemærk: {danish.mask_cpr(f'{path}: {note}')}", err=True)
    return book


class _PerKind:
    """Counts problems by kind as they come; the first :data:`PER_KIND` of each are shown,
    the rest only counted (a workbook of 100,000 bad rows prints no 100,000 lines)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def take(self, problems: list[Any]) -> list[Any]:
        """The problems still to be shown, counting every one."""
        shown = []
        for problem in problems:
            self.seen[problem.code] = self.seen.get(problem.code, 0) + 1
            if self.seen[problem.code] <= PER_KIND:
                shown.append(problem)
        return shown

    def summary(self, source: str, form: str) -> list[str]:
        """One line per kind with more problems than were shown."""
        return [danish.mask_cpr(f"{source}: … og {n - PER_KIND} problem"
                                f"{'er' if n - PER_KIND != 1 else ''} mere af samme slags "
                                f"({code}); se dem alle med 'skema validate {form} {source} "
                                "--report rapport.xlsx'.")
                for code, n in self.seen.items() if n > PER_KIND]


@click.command("batch", cls=Command,
               short_help="Ét udfyldt dokument pr. gyldig række i en projektmappe.")
@click.argument("form", metavar="FORMULAR")
@click.argument("data", metavar="DATA.xlsx", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "outdir", required=True, metavar="MAPPE",
              type=click.Path(file_okay=False),
              help="Mappen dokumenterne skrives i (oprettes om nødvendigt).")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "both"]),
              default="docx", show_default=True, metavar="[docx|pdf|both]",
              help="Filtypen der skrives for hver række: .docx, .pdf eller begge (both).")
@click.option("--name", "pattern", metavar="MØNSTER",
              help="Filnavne ud fra felter, fx \"{sag.sagsnummer}-{borger.navn}\"; "
                   "desuden {row} (rækkens nummer), {key} og {form}. Standard: "
                   "formularens x-filename eller \"{form}-{row}\" (aldrig et CPR-nummer).")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, metavar="N",
              help="Antal processer (standard: én pr. kerne).")
@click.option("--template", type=click.Path(dir_okay=False), metavar="SKABELON.docx",
              help="Egen Word-skabelon i stedet for den medfølgende.")
@click.option("--overwrite", is_flag=True,
              help="Overskriv eksisterende filer med andet indhold.")
def batch_cmd(form: str, data: str, outdir: str, fmt: str, pattern: str | None,
              jobs: int | None, template: str | None, overwrite: bool) -> None:
    """Lav ét udfyldt dokument pr. gyldig række i projektmappen DATA.xlsx.

    Ugyldige rækker meldes med deres celle og springes over; resten laves. Filerne
    skrives hele eller slet ikke, og eksisterende filer overskrives kun med --overwrite.
    MAPPE/manifest.csv får en linje pr. fil (row, file, sha256, status). Bliver kørslen
    afbrudt, laver samme kommando resten: filer med samme indhold springes over.
    Afslutter med 1, hvis en række er ugyldig eller en fil ikke kunne skrives.
    """
    from ..batch import INVALID, MANIFEST, BatchError, describe, run_batch
    from ..catalogue import load_form

    try:
        frm = load_form(form)
    except UnknownFormError as exc:
        raise _error(str(exc), exc.hint, 2) from None
    if not Path(data).is_file():
        raise _error(f"{data}: filen findes ikke.", "Tjek stien og filnavnet.", 2)
    if Path(data).suffix.lower() not in (".xlsx", ".xlsm"):
        raise click.UsageError(f"{data}: batch læser en Excel-projektmappe (.xlsx). "
                               f"Lav en tom med: skema blank {frm.id} -o input.xlsx")
    if template and fmt == "pdf":
        raise click.UsageError("--template er en Word-skabelon og kan ikke bruges med "
                               "--format pdf.")
    if template and not Path(template).is_file():
        raise click.UsageError(f"Skabelonen {template} findes ikke.")

    bar = ProgressBar("Rækker")
    per_kind = _PerKind()

    def on_result(res) -> None:
        if not res.problems and not res.message:
            return
        bar.finish()
        if res.status == INVALID:  # (one result per invalid row, whatever the formats)
            shown = per_kind.take(res.problems)
            if shown:
                click.echo(f"Række {res.row} er ugyldig og springes over:", err=True)
            for problem in shown:
                click.echo(f"  {describe(problem, data)}", err=True)
        elif res.message:
            tip = "  Tip: brug --overwrite for at erstatte den." if res.status == "findes" \
                else ""
            click.echo(danish.mask_cpr(f"{Path(outdir) / res.file} (række {res.row}): "
                                       f"{res.message}.{tip}"), err=True)

    def on_read(problems) -> None:
        for problem in per_kind.take(problems):
            click.echo(f"Bemærk: {describe(problem, data)}", err=True)

    try:
        # a killed batch stops like one given Ctrl-C
        with term_as_interrupt(), collector_freezable() as freeze:
            result = run_batch(frm, data, outdir, fmt=fmt, pattern=pattern, jobs=jobs,
                               overwrite=overwrite, template=template, progress=bar,
                               on_result=on_result, on_read=on_read,
                               reader=functools.partial(_read_book, freeze=freeze),
                               profile=current_profile())
    except BatchError as exc:
        raise _error(str(exc), exc.hint, 2) from None
    except (DataFileError, TemplateError) as exc:
        raise _error(danish.mask_cpr(str(exc)), exc.hint, 1) from None
    except SkemaError as exc:
        raise _error(danish.mask_cpr(str(exc)), exc.hint, 1) from None
    finally:
        bar.finish()
    for line in per_kind.summary(data, frm.id):
        click.echo(line, err=True)

    if not result.rows:
        click.echo(f"Bemærk: projektmappen har ingen udfyldte rækker ({data}).\n"
                   f"  Tip: udfyld en række pr. borger på hovedarket.", err=True)
    written, unchanged = result.count("skrevet"), result.count("uændret")
    invalid = result.count(INVALID)  # (one result per invalid row)
    failed = result.count("findes") + result.count("fejl")
    if result.fault:
        click.echo(danish.mask_cpr(f"Fejl: {result.fault}") + "\n  Tip: de skrevne filer er "
                   "hele, og en ny kørsel springer dem over.", err=True)
        raise click.exceptions.Exit(1)
    if result.worker_lost:
        click.echo("Fejl: en arbejdsproces stoppede uventet (fx dræbt eller løbet tør for "
                   "hukommelse).", err=True)
    if result.interrupted:
        click.echo(f"Afbrudt efter {result.done} af {result.rows} rækker "
                   f"({written} filer skrevet). Alle skrevne filer er hele.\n"
                   "  Tip: kør samme kommando igen for at lave resten"
                   + (", evt. med --jobs 1." if result.worker_lost else "."), err=True)
        raise click.exceptions.Exit(1)
    parts = [f"{written} {'fil' if written == 1 else 'filer'} skrevet"]
    if unchanged:
        parts.append(f"{unchanged} fandtes allerede med samme indhold")
    if invalid:
        parts.append(f"{invalid} ugyldige rækker sprunget over")
    if failed:
        parts.append(f"{failed} filer ikke skrevet")
    click.echo(danish.mask_cpr(f"{outdir}: " + ", ".join(parts) + f" ({result.rows} rækker); "
                               f"manifest: {Path(outdir) / MANIFEST}"))
    if invalid or failed or result.problems:
        raise click.exceptions.Exit(1)
