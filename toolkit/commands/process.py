"""What the command line may do to its own process and the library never does.

The library leaves process-wide state alone (signal handlers, the garbage collector,
logging); a command that wants such a change for its run asks for it here, and gets the
previous state back when it is done.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterator


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


@contextlib.contextmanager
def collector_freezable() -> Iterator[Callable[[], None]]:
    """Gives ``freeze()``: every object the process holds when it is called is moved out
    of the cyclic garbage collector's sight (``gc.freeze``) until the block ends, when
    they are given back to it (``gc.unfreeze``).

    For a process about to fork workers that share its memory: a full collection writes
    into the header of every object it scans, and each page so written stops being shared
    (copy-on-write) and is counted again: a batch's parent un-shared ~10 MB that way
    soon after its workers started (bench/README.md, "Memory flat: fourth pass").
    Objects made after ``freeze()`` are collected as usual."""
    frozen = False

    def freeze() -> None:
        nonlocal frozen
        gc.freeze()
        frozen = True

    try:
        yield freeze
    finally:
        if frozen:
            gc.unfreeze()


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


#: Set by a command that has finished all its work (files closed, archive committed):
#: :func:`exit_now` may end the process without Python's teardown.
_finished = {"done": False}


def may_exit_now() -> None:
    """Let the ``skema`` program end at once when the command returns (see
    :func:`exit_now`); called by a command whose every file and connection is closed."""
    _finished["done"] = True


def exit_now(code: int | None) -> None:
    """End the process with ``code`` without Python's teardown (freeing every loaded
    module: 20–40 ms after a ``consent add`` that loaded pikepdf and lxml), when the command
    said so (:func:`may_exit_now`) and no other thread runs; otherwise return and let the
    caller exit normally. stdout and stderr are flushed first; atexit handlers are skipped,
    which is why a command must ask for it."""
    import threading

    if not _finished["done"] or threading.active_count() != 1:
        return
    if "logging" in sys.modules:  # its handlers flushed and closed, as at a normal exit
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, or gone
            return
    os._exit(code or 0)
