"""The ``skema`` program: the installed command and ``python -m toolkit`` start here.

Loading the command line (click, with ``inspect``, ``typing`` …, and skema's commands)
makes some 18,000 objects the garbage collector tracks, and hardly any garbage; the
collector would scan them again and again while they are made (about 20 collections). So they
are loaded with the collector paused, and then frozen (:func:`gc.freeze`: they live as
long as the process, and later collections skip them) before the command runs with the
collector on, as it was. This is process-wide state, which only the command line may
change (DESIGN.md); in-process callers (tests) use :func:`toolkit.cli.main`, untouched.
"""

from __future__ import annotations

import gc


def run() -> None:
    """Load the command line with the garbage collector paused, freeze what it made, and
    run :func:`toolkit.cli.run` with the collector on again."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        from .cli import run as run_command_line
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    run_command_line()
