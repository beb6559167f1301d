"""What the command line may do to its own process and the library never does.

The library leaves process-wide state alone (signal handlers, the garbage collector,
logging); a command that wants such a change for its run asks for it here, and gets the
previous state back when it is done.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


@contextlib.contextmanager
def term_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) while the block runs."""
    def handler(_signum: int, _frame: object) -> None:
        raise Terminated()

    import signal

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the block runs (reading a large workbook makes
    millions of small objects and no cycles: the collector would only re-scan them)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def quiet_parser_logs() -> None:
    """pypdf logs every repair it makes in a returned PDF; the user is told what matters
    in Danish, so only its errors are let through. pyHanko logs a full traceback when no
    path to a trust root can be built, the expected case without trust roots: its loggers
    are silenced (the signature's status says it in Danish). Calling it again adds
    nothing (no handlers piling up)."""
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        logger.propagate = False
