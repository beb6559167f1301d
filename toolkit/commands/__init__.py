"""Commands of the skema command line, one module each, and their shared error helpers."""

from __future__ import annotations

import click

from ..errors import SkemaError


def error(message: str, hint: str = "", code: int = 1) -> click.ClickException:
    """A click error: the Danish message, a "Tip:" line when there is a hint, exit ``code``."""
    err = click.ClickException(message + (f"\n  Tip: {hint}" if hint else ""))
    err.exit_code = code
    return err


def fail(exc: SkemaError, code: int = 1) -> click.ClickException:
    """The click error for a library error (its message and hint)."""
    return error(str(exc), exc.hint, code)
