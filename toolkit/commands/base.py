"""The click classes every ``skema`` command uses: Danish all the way through, honest errors.

click's own words (``Usage:``, ``Missing option``, ``No such option`` …) are looked up with
the standard library's ``gettext``, so they are translated the way click documents: by a
gettext catalogue. ``toolkit/locale/da/LC_MESSAGES/skema.po`` (compiled to ``skema.mo``)
holds them in Danish, and :func:`danish_messages` makes gettext use it while a command
runs: it binds the ``skema`` domain to that folder, makes it the current domain and asks
for Danish (``LANGUAGE=da``, the one way the standard library lets a program choose the
language). click itself is not touched. The words click does not look up through gettext
– the usage line's ``[OPTIONS]`` and ``COMMAND [ARGS]...`` and the type names used as
metavars (``FILE``, ``INTEGER RANGE``) – are set by :class:`Command` and :class:`Group`
and by an explicit ``metavar`` on each option.

:meth:`Group.main` is also where an unexpected error (a bug in skema) ends: one Danish
line that says so and points to ``--debug``, which shows the traceback.
"""

from __future__ import annotations

import contextlib
import gettext
import os
import sys
from collections.abc import Iterator
from typing import Any

import click

from ..errors import SkemaError, os_reason
from ..resources import package_file, package_path
from . import masked

DOMAIN = "skema"
OPTIONS_METAVAR = "[TILVALG]"
SUBCOMMAND_METAVAR = "KOMMANDO [ARGUMENTER]..."
UNEXPECTED = ("Fejl: {where}uventet fejl i skema ({name}). Det er en fejl i programmet, "
              "ikke i {what}.\n  Tip: Kør kommandoen igen som skema --debug … for at se "
              "detaljerne, og meld fejlen til udviklerne.")


def report_unexpected(exc: BaseException, debug: bool, where: str = "") -> None:
    """Tell the user that skema itself failed (``where``: the file it was reading), on
    stderr; the traceback too under ``--debug``. Never says that a file is damaged."""
    if debug:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__)
    click.echo(UNEXPECTED.format(where=f"{masked(where)}: " if where else "",
                                 name=type(exc).__name__,
                                 what="filen" if where else "dine filer"), err=True)


def debugging() -> bool:
    """True when the command line runs with ``--debug``."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    return bool(root is not None and isinstance(root.obj, dict) and root.obj.get("debug"))


def locale_dir() -> str:
    """The folder with the compiled catalogues (``da/LC_MESSAGES/skema.mo``)."""
    return package_path("locale") or str(package_file("locale"))


@contextlib.contextmanager
def danish_messages() -> Iterator[None]:
    """click's messages in Danish while the block runs; the previous gettext domain and
    ``LANGUAGE`` are restored afterwards (the command line may change process state, but
    an in-process caller such as a test keeps its own)."""
    previous_domain = gettext.textdomain()
    previous_language = os.environ.get("LANGUAGE")
    gettext.bindtextdomain(DOMAIN, locale_dir())
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = "da"
    try:
        yield
    finally:
        gettext.textdomain(previous_domain)
        if previous_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = previous_language


class _MaskingStream:
    """A text stream that writes through :func:`toolkit.danish.mask_cpr`: every message,
    click's usage errors and ``--debug`` tracebacks included, leaves without a CPR number."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` with every CPR number masked (text only, like any text stream)."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._stream.write(masked(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        """Write each line masked."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def masked_stderr() -> Iterator[None]:
    """``sys.stderr`` masks CPR numbers while the block runs (stderr carries only messages;
    stdout is left alone, since data printed there is the user's own)."""
    previous = sys.stderr
    sys.stderr = _MaskingStream(previous)
    try:
        yield
    finally:
        sys.stderr = previous


def terminal_columns() -> int:
    """The terminal's width in columns, as :func:`shutil.get_terminal_size` gives it
    (``$COLUMNS``, else the terminal of stdout, else 80), without importing :mod:`shutil`
    (with ``bz2`` and ``lzma``: 2 ms of ``skema --help``)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return columns


class Context(click.Context):
    """click's context, its help page as click makes it, for every skema command."""

    def make_formatter(self) -> click.HelpFormatter:
        """click's formatter at click's width (the terminal's, at most 80, less 2, at least
        50), found by :func:`terminal_columns` (click would import shutil for it)."""
        width = self.terminal_width
        if width is None and click.formatting.FORCED_WIDTH is None:
            most = 80 if self.max_content_width is None else self.max_content_width
            width = max(min(terminal_columns(), most) - 2, 50)
        return self.formatter_class(width=width, max_width=self.max_content_width)

    def get_help(self) -> str:
        """The help page. Showing it is all that ``--help`` does (its callback exits next),
        so the ``skema`` program may then end without Python's teardown
        (:func:`toolkit.commands.process.exit_now`: ~8 ms of ``skema --help``)."""
        from .process import may_exit_now

        may_exit_now()
        return super().get_help()


class Command(click.Command):
    """A click command whose usage line is Danish (``[TILVALG]``)."""

    context_class = Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        super().__init__(*args, **kwargs)


class Group(click.Group):
    """A click group whose usage line is Danish; its commands and sub-groups are too."""

    command_class = Command
    group_class: type[click.Group] | type[type] | None = type  # sub-groups: this class
    context_class = Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", SUBCOMMAND_METAVAR)
        super().__init__(*args, **kwargs)


def load_command(where: str) -> click.Command:
    """The command object named ``"module:attribute"``, its module imported now (by the
    import statement's own path, which ``python -X importtime`` reports)."""
    module, _, attribute = where.partition(":")
    command = getattr(__import__(module, fromlist=[attribute]), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{where} is not a click command")
    return command


class RootGroup(Group):
    """The ``skema`` group: Danish messages, and no traceback unless ``--debug``.

    ``lazy`` names commands whose module is imported only when the command is looked up
    (click's lazy-loading pattern): name → (``"module:attribute"``, its short help). The
    group's ``--help`` lists them from the short help without importing them, so that
    ``skema --help`` and the light commands do not pay for the heavy ones' imports.
    """

    group_class = Group

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, the lazy ones included, sorted."""
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command; a lazy one is imported (once) when first asked for."""
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(load_command(self.lazy[cmd_name][0]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of ``--help`` as click writes it, a lazy command's line
        made from its short help (its module is not imported for it)."""
        shown = [name for name in self.list_commands(ctx)
                 if name not in self.commands or not self.commands[name].hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name in shown)
        lines = []
        for name in shown:
            command = self.commands.get(name) or click.Command(name, help=self.lazy[name][1])
            lines.append((name, command.get_short_help_str(limit)))
        with formatter.section(gettext.gettext("Commands")):
            formatter.write_dl(lines)

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Run the command line with click's messages in Danish; an error that skema did
        not expect is one Danish line (exit 1), with the traceback only under ``--debug``."""
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv[:argv.index("--")] if "--" in argv else "--debug" in argv
        with danish_messages(), masked_stderr():
            try:
                return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
            except SystemExit:
                raise
            except SkemaError as exc:  # meant for the user, just not caught by a command
                if debug:
                    import traceback

                    traceback.print_exc()
                click.echo(masked(f"Fejl: {exc}" + (f"\n  Tip: {exc.hint}"
                                                    if exc.hint else "")), err=True)
                sys.exit(1)
            except OSError as exc:  # the machine, not skema: no access, disk full …
                if debug:
                    import traceback

                    traceback.print_exc()
                where = f"{exc.filename}: " if exc.filename else ""
                click.echo(masked(f"Fejl: {where}{os_reason(exc)}."), err=True)
                sys.exit(1)
            except Exception as exc:  # a bug in skema: say so, never "damaged file"
                report_unexpected(exc, debug)
                sys.exit(1)
