"""Commands of the skema command line, one module each, and their shared error helpers."""

from __future__ import annotations

import click

from ..errors import SkemaError


def masked(text: str) -> str:
    """``text`` with every CPR number masked (:func:`toolkit.danish.mask_cpr`; that module
    is imported at the first message, not for ``skema --help`` or ``skema forms``)."""
    from ..danish import mask_cpr

    return mask_cpr(text)


def error(message: str, hint: str = "", code: int = 1) -> click.ClickException:
    """A click error: the Danish message, a "Tip:" line when there is a hint, exit ``code``."""
    err = click.ClickException(message + (f"\n  Tip: {hint}" if hint else ""))
    # click reads exit_code from the instance; its type stubs (8.5) call it a class variable
    setattr(err, "exit_code", code)  # noqa: B010
    return err


def fail(exc: SkemaError, code: int = 1) -> click.ClickException:
    """The click error for a library error (its message and hint)."""
    return error(str(exc), exc.hint, code)


def write_output(output: str, data: bytes, overwrite: bool, done: str) -> None:
    """Write one output file atomically; a library error, or a fault of its folder (disk
    full, read-only, gone: ``done`` says what was finished), ends as one Danish line."""
    from pathlib import Path

    from ..faults import fault_message, folder_fault
    from ..fileio import write_atomic

    try:
        write_atomic(output, data, overwrite=overwrite)
    except SkemaError as exc:
        raise fail(exc) from None
    except OSError as exc:
        if not folder_fault(exc):
            raise
        raise error(masked(fault_message(
            Path(output).parent, exc, f"{done}, men {Path(output).name} er ikke skrevet"))
        ) from None
