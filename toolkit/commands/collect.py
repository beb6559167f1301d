"""``skema collect DIR -o OUT.xlsx``: every returned form in a folder into one workbook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import danish
from ..errors import UnknownFormError
from . import error, write_output
from .base import Command

if TYPE_CHECKING:
    from ..collect import Collection


_error = error


@click.command("collect", cls=Command)
@click.argument("folder", metavar="MAPPE",
                type=click.Path(exists=True, file_okay=False, dir_okay=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              metavar="FIL", help="Regnearket der skrives: .xlsx.")
@click.option("--form", "form_id", metavar="FORMULAR",
              help="Saml kun denne formular; andre formularer meldes og springes over.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, metavar="N",
              help="Antal processer (standard: én pr. kerne).")
@click.option("--follow-links", is_flag=True,
              help="Læs også filer, som symbolske links fører til uden for MAPPE.")
@click.option("--overwrite", is_flag=True, help="Overskriv en eksisterende fil.")
def collect_cmd(folder: str, output: str, form_id: str | None, jobs: int | None,
                follow_links: bool, overwrite: bool) -> None:
    """Saml alle returnerede formularer (.docx og .pdf) i MAPPE i ét regneark.

    Regnearket har et ark Status (fil, formular, version, status og hvert problem med
    dets felt), et ark pr. formular, et ark pr. liste og for samarbejdsmodellen en samlet
    tilbudsoversigt. Status er en af: ok, mangler svar, ugyldig, ulæselig, ikke en formular,
    intern fejl (en fejl i skema, ikke i filen; de andre filer læses alligevel).
    """
    from ..catalogue import load_form
    from ..collect import collect

    if Path(output).suffix.lower() != ".xlsx":
        raise click.UsageError("Resultatet skrives som regneark; brug -o samlet.xlsx.")
    if form_id:
        try:
            load_form(form_id)
        except UnknownFormError as exc:
            raise _error(str(exc), exc.hint, 2) from None
    if Path(output).exists() and not overwrite:
        raise _error(f"{output}: filen findes allerede og overskrives ikke.",
                     "Brug --overwrite for at overskrive, eller vælg et andet filnavn.")
    write_collection(collect(folder, form_id=form_id, workers=jobs, follow_links=follow_links),
                     output, overwrite)


def write_collection(result: Collection, output: str, overwrite: bool) -> None:
    """Write the workbook of a collection, print each file that is not ok and a summary;
    exit 1 unless every file is ok."""
    from ..collect import STATUSES, workbook
    folder = result.root
    write_output(output, workbook(result), overwrite, f"{len(result.unique())} fil(er) læst")
    for entry in result.entries:
        if entry.status == "ok" and not entry.duplicate_of:
            continue
        name = danish.mask_cpr(entry.path)
        for path, label, message, hint in entry.messages():
            where = f"{path}: \"{label}\" " if path else ""
            line = f"{name}: {entry.status}: {where}{message}"
            click.echo(line + (f"\n  Tip: {hint}" if hint else ""), err=True)
    counts = result.counts()
    duplicates = len(result.entries) - len(result.unique())
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    extra = f"; {duplicates} dublet(ter) talt én gang" if duplicates else ""
    click.echo(danish.mask_cpr(f"{output}: ") + f"{len(result.unique())} fil(er) samlet "
               f"({summary or 'ingen filer'}{extra})")
    if not result.entries and folder:
        click.echo(f"{folder}: ingen .docx- eller .pdf-filer fundet.", err=True)
    if not result.all_ok:
        raise click.exceptions.Exit(1)
