"""A progress bar for long commands: ``click.progressbar`` fed by the library's callback.

The library reports progress as ``progress(done, total)`` and never imports click; this
module turns those calls into a bar on stderr, drawn only when stderr is a terminal.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import click


class ProgressBar:
    """A ``progress(done, total)`` callback drawing ``click.progressbar`` on ``file``.

    :meth:`finish` ends the line (call it before printing a message and at the end); the
    next call draws the bar again from where it was.
    """

    def __init__(self, label: str, file: TextIO | None = None,
                 enabled: bool | None = None, interval: float = 0.1) -> None:
        self.label = label
        self.file = file if file is not None else sys.stderr
        self.enabled = self.file.isatty() if enabled is None else enabled
        self.interval = interval
        self.last = 0.0
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.bar is not None and done < total and now - self.last < self.interval:
            return
        self.last = now
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label,
                                         show_pos=True, file=self.file)
            self.bar.pos = done  # a bar drawn again after a message goes on where it was
            self.bar.__enter__()
        elif done != self.bar.pos:
            self.bar.update(done - self.bar.pos)

    def finish(self) -> None:
        """End the bar's line (a later call draws a new bar from the same count)."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
