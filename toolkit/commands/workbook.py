"""Excel input for ``skema fill`` and ``skema validate``: pick a row, print problems, report."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from .. import danish
from ..catalogue import Form
from ..errors import SkemaError
from ..validation import Report
from . import fail, write_output
from .process import collector_paused

_error = fail


def is_workbook(path: str) -> bool:
    """True when the data file is a spreadsheet (by suffix): .xlsx, .xlsm, .xls or .ods."""
    return Path(path).suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods")


def _read(form: Form, path: str):
    from ..sources.excel import read_workbook

    try:
        with collector_paused():
            return read_workbook(path, form)
    except SkemaError as exc:
        raise _error(exc, 2 if not Path(path).is_file() else 1) from None


def _rows_text(rows: list[int]) -> str:
    if not rows:
        return "ingen rækker"
    if rows == list(range(rows[0], rows[-1] + 1)):
        return f"række {rows[0]}" if len(rows) == 1 else f"rækkerne {rows[0]}–{rows[-1]}"
    return "rækkerne " + ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")


def record_for_fill(form: Form, path: str, row: int | None, key: str | None
                    ) -> tuple[dict, Report, str]:
    """(data, problems, where) of the one row ``fill`` uses; a usage error when unclear.

    The row is the Excel row number on the main sheet (``--row``) or the row's key
    (``--key``); with neither, the workbook must have exactly one row.
    """
    book = _read(form, path)
    from ..sources.workbook_layout import layout

    sheet = layout(form).main.name
    rows = [r.row for r in book.records]
    if row is not None or key is not None:
        rec = book.record(row=row, key=key)
        if rec is None:
            what = f"Række {row}" if row is not None else (
                f"Nøglen \"{danish.mask_cpr(key or '')}\"")
            raise click.UsageError(f"{what} findes ikke blandt de udfyldte rækker på arket "
                                   f"\"{sheet}\" ({_rows_text(rows)}).")
    elif len(book.records) == 1:
        rec = book.records[0]
    else:
        raise click.UsageError(
            f"{path}: arket \"{sheet}\" har {len(book.records)} udfyldte rækker "
            f"({_rows_text(rows)}); vælg én med --row N (rækkenummeret i Excel) eller "
            "--key NØGLE, eller brug skema batch til dem alle.")
    for note in rec.notes:
        click.echo(f"Bemærk: {path}: {danish.mask_cpr(str(note))}", err=True)
    problems = [p for p in book.problems if p.code != "missing_sheet"] + rec.problems
    return rec.data, Report(problems), f"{path}: række {rec.row}"


#: Problems of one kind printed before the rest are only counted (a workbook of 100,000
#: bad rows must not print 100,000 lines).
PER_KIND = 20


def first_per_kind(problems: list, per_kind: int = PER_KIND) -> tuple[list, dict[str, int]]:
    """The first ``per_kind`` problems of each code, in order, and how many more per code."""
    seen: dict[str, int] = {}
    shown = []
    for problem in problems:
        seen[problem.code] = seen.get(problem.code, 0) + 1
        if seen[problem.code] <= per_kind:
            shown.append(problem)
    return shown, {code: n - per_kind for code, n in seen.items() if n > per_kind}


def validate_workbook(form: Form, path: str, as_json: bool, report: str | None,
                      overwrite: bool) -> None:
    """``skema validate FORM input.xlsx``: every problem with its cell; exit 1 if any."""
    if report and Path(report).suffix.lower() != ".xlsx":
        raise click.UsageError("--report skriver en kopi af projektmappen; brug fx "
                               "--report rapport.xlsx.")
    if report and Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        raise click.UsageError("--report kan kun skrive en kopi af en .xlsx-fil; gem "
                               f"{Path(path).name} som .xlsx i Excel eller LibreOffice først.")
    book = _read(form, path)
    result = book.report()
    if as_json:
        click.echo(json.dumps([{**asdict(p), "message": danish.mask_cpr(p.message)}
                               for p in result], ensure_ascii=False, indent=2))
    else:
        for note in book.notes():
            click.echo(f"Bemærk: {path}: {danish.mask_cpr(str(note))}", err=True)
        shown, more = first_per_kind(list(result))
        for problem in shown:
            click.echo(f"{path}: {danish.mask_cpr(str(problem))}", err=True)
        for code, count in more.items():
            click.echo(danish.mask_cpr(f"{path}: ") + f"… og {count} problem"
                       f"{'er' if count != 1 else ''} mere af samme slags ({code}); se dem "
                       "alle med --report eller --json.", err=True)
        bad = sum(1 for r in book.records if not r.valid)
        if result.valid:
            click.echo(danish.mask_cpr(f"{path}: ")
                       + f"{len(book.records)} rækker, ingen problemer")
        else:
            click.echo(danish.mask_cpr(f"{path}: ") + f"{len(book.records)} rækker, {bad} "
                       f"med problemer, {len(result)} problemer i alt")
    if report:
        from ..render.xlsx import report_copy

        write_output(report, report_copy(path, result, book.notes()), overwrite,
                     f"{path} er kontrolleret ({len(result)} problemer)")
        if not as_json:
            click.echo(danish.mask_cpr(f"{report}: ")
                       + f"rapport skrevet med {len(result)} problemer markeret")
    if not result.valid:
        raise click.exceptions.Exit(1)
