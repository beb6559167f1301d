"""Limits on reading one file: size (checked with stat before reading), time and memory.

Every file skema reads for a user – ``extract``, ``collect``, ``consent add`` (and the web
app later) – goes through :func:`bounded`, so a hostile file (a 242 KB PDF whose 2,000
pages share one huge content stream, a workbook that declares a million rows) costs at
most :data:`READ_SECONDS` and :data:`READ_MEMORY` bytes and ends with the same Danish
message wherever it is read. The reading runs in a forked child process whose address
space is limited (``RLIMIT_AS``) and which is stopped when the time is up; the calling
process is never changed. Where ``fork`` does not exist the call runs in-process with only
the size check. An outside program that reads the file (Ghostscript, LibreOffice for the
archive's PDF/A copies) runs under the same limits with :func:`run_program`.

``SKEMA_READ_SECONDS`` and ``SKEMA_READ_MEMORY_MB`` change the limits (tests, big servers).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import subprocess

from .errors import DocumentError

#: A file larger than this is not read at all (checked with stat, before reading).
MAX_FILE_BYTES = 60 * 1024 * 1024
#: Seconds one file may take to read.
READ_SECONDS = 60
#: Bytes of memory one file's reading may take, beyond what the process already has.
READ_MEMORY = 1024 * 1024 * 1024

TOO_SLOW = ("filen tog for lang tid at læse (over {seconds} sekunder) og er sprunget over")
TOO_BIG = "filen kræver for meget hukommelse at læse (over {mb} MB) og er sprunget over"
CRASHED = "filen fik læseren til at gå ned og kan ikke læses"
HINT = "Bed afsenderen om at gemme formularen igen, gerne uden store billeder."

T = TypeVar("T")


class LimitError(DocumentError):
    """Reading one file went beyond a limit (size, time or memory); ``code`` is its problem
    code (``too_slow``, ``crashed`` or ``file_unreadable``)."""

    def __init__(self, message: str, hint: str = "", code: str = "file_unreadable") -> None:
        super().__init__(message, hint)
        self.code = code


def read_seconds() -> float:
    """The time limit per file: ``SKEMA_READ_SECONDS`` or :data:`READ_SECONDS`."""
    return float(os.environ.get("SKEMA_READ_SECONDS") or READ_SECONDS)


def read_memory() -> int:
    """The memory limit per file in bytes: ``SKEMA_READ_MEMORY_MB`` or :data:`READ_MEMORY`."""
    mb = os.environ.get("SKEMA_READ_MEMORY_MB")
    return int(float(mb) * 1024 * 1024) if mb else READ_MEMORY


def check_size(path: str | Path, limit: int = MAX_FILE_BYTES) -> int:
    """The file's size from stat; LimitError when it is above ``limit`` (never read)."""
    return check_length(os.stat(path).st_size, limit)


def check_length(size: int, limit: int = MAX_FILE_BYTES) -> int:
    """``size`` (bytes of a file, or of bytes handed over); LimitError above ``limit``."""
    if size > limit:
        raise LimitError(f"filen er for stor ({size // 1024 // 1024} MB); skema læser "
                         f"formularer op til {limit // 1024 // 1024} MB",
                         hint="Bed afsenderen om at gemme formularen uden store billeder.")
    return size


def read_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, after :func:`check_size`; never more than ``limit`` + 1 bytes."""
    size = check_size(path, limit)
    with open(path, "rb") as handle:
        data = handle.read(size + 1)  # not limit: read(n) reserves n bytes
    if len(data) > limit:  # grew since stat
        raise LimitError(f"filen er for stor; skema læser formularer op til "
                         f"{limit // 1024 // 1024} MB", hint=HINT)
    return data


def bounded(func: Callable[..., T], *args: Any, seconds: float | None = None,
            memory: int | None = None, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` with at most ``seconds`` and ``memory`` extra bytes, in a
    forked child; its result or exception comes back (both must pickle). LimitError
    when a limit is reached or the child dies.

    A plain ``os.fork`` and a pipe (``multiprocessing`` costs more to import than a
    scanned consent's whole reading); the child never returns into the caller's code."""
    seconds = read_seconds() if seconds is None else seconds
    memory = read_memory() if memory is None else memory
    if not hasattr(os, "fork"):
        return func(*args, **kwargs)
    import pickle  # here, not on import: the archive's Ghostscript starts sooner
    import select
    import sys
    import time

    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        with _suppress_os_errors():
            if stream is not None:
                stream.flush()
    receive, send = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: whatever happens, it ends here
        try:
            os.close(receive)
            _child(send, seconds, memory, parent, func, args, kwargs)
        finally:
            os._exit(0)
    os.close(send)
    try:
        deadline = time.monotonic() + seconds
        waiting = select.poll()  # not select(): a web server's descriptors pass 1024
        waiting.register(receive, select.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if waiting.poll(max(0, int(left * 1000) + 1)):
                break
            if left <= 0:
                raise LimitError(TOO_SLOW.format(seconds=f"{seconds:g}"), hint=HINT,
                                 code="too_slow")
        chunks = []
        while True:
            chunk = os.read(receive, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        try:
            ok, payload = pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - cut off or nothing: the child died reading
            raise LimitError(CRASHED, hint="Bed afsenderen om at gemme og sende filen "
                                           "igen.", code="crashed") from None
    finally:
        os.close(receive)
        with _suppress_os_errors():
            os.kill(pid, signal.SIGKILL)  # done or not: it has nothing more to do
        with _suppress_os_errors():
            os.waitpid(pid, 0)
    if ok:
        return payload
    if isinstance(payload, MemoryError):
        raise LimitError(TOO_BIG.format(mb=memory // 1024 // 1024), hint=HINT)
    raise payload


def _suppress_os_errors() -> Any:
    import contextlib

    return contextlib.suppress(OSError, ValueError)  # ValueError: a closed stream


def run_program(args: list[str], seconds: float | None = None, memory: int | None = None
                ) -> subprocess.CompletedProcess[bytes]:
    """Run an outside program that reads a user's file, under the limits of :func:`bounded`:
    at most ``seconds`` of wall time (then it and every process it started are killed and
    LimitError ``too_slow`` is raised) and ``memory`` bytes of data per process
    (``RLIMIT_DATA``: a program that needs more fails, as a reader that runs out of
    memory). It stops when the calling process dies (``PR_SET_PDEATHSIG``, else its CPU
    limit ends it), and its own session lets it be killed with its children. Its output
    is captured; its exit code is the caller's to judge. OSError when it cannot be started.

    The limits are set by programs that then become the program (exec): util-linux's
    ``setpriv --pdeathsig`` and ``prlimit``, else a small Python (which also stops at once
    when the caller died before it started); not by a function run between fork and
    exec, which is unsafe in a process with threads (the web app)."""
    return start_program(args, seconds, memory).wait()


class Program:
    """An outside program started by :func:`start_program`, running under the limits of
    :func:`run_program` while the caller does other work; :meth:`wait` for its result (the
    time limit counts from the start), :meth:`kill` to give it up."""

    def __init__(self, proc: subprocess.Popen[bytes], seconds: float) -> None:
        import time

        self.proc = proc
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.ended = False

    def wait(self) -> subprocess.CompletedProcess[bytes]:
        """Its exit code and output once it ends; LimitError ``too_slow`` (it and what it
        started killed) when the time is up."""
        import subprocess
        import time

        proc = self.proc
        try:
            out, err = proc.communicate(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise LimitError(TOO_SLOW.format(seconds=f"{self.seconds:g}"), hint=HINT,
                             code="too_slow") from None
        except BaseException:
            self.kill()
            raise
        self.kill()  # a child it left behind (LibreOffice's helper processes)
        if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise LimitError(TOO_SLOW.format(seconds=f"{self.seconds:g}"), hint=HINT,
                             code="too_slow")
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def kill(self) -> None:
        """Stop it and everything it started (once; nothing more after that)."""
        if not self.ended:
            self.ended = True
            _kill_group(self.proc)


def start_program(args: list[str], seconds: float | None = None, memory: int | None = None
                  ) -> Program:
    """Start what :func:`run_program` runs and return at once: the program works while
    the caller goes on (the archive's PDF/A copy is made while the file is read)."""
    import errno
    import shutil
    import subprocess
    import sys

    seconds = read_seconds() if seconds is None else seconds
    memory = read_memory() if memory is None else memory
    if shutil.which(args[0]) is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), args[0])
    if os.name == "posix":
        cpu = int(seconds) + 5
        setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
        if setpriv and prlimit:  # util-linux's: 2 ms where a Python takes 20
            args = [setpriv, "--pdeathsig", "KILL", "--", prlimit, f"--cpu={cpu}:{cpu + 5}",
                    f"--data={memory}:{memory}", "--", *args]
        else:
            args = [sys.executable, "-I", "-S", "-c", _LIMITED, str(os.getpid()), str(cpu),
                    str(memory), *args]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    return Program(proc, seconds)


#: Run by :func:`start_program` (without util-linux's setpriv and prlimit) as
#: ``python -c _LIMITED PARENT CPU MEMORY PROGRAM ARGS…``: stop with the parent, limit CPU
#: seconds and data bytes, then become the program.
_LIMITED = """
import os, resource, signal, sys
parent, cpu, memory = (int(a) for a in sys.argv[1:4])
try:
    import ctypes
    ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)
except (OSError, AttributeError, ImportError):
    pass
if os.getppid() != parent:
    os._exit(1)
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
for name in ("SIGPIPE", "SIGXFSZ"):  # as Python found them, not as it set them
    signal.signal(getattr(signal, name), signal.SIG_DFL)
os.execvp(sys.argv[4], sys.argv[4:])
"""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the program's session (it and what it started) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        proc.kill()
    proc.communicate()


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` (Linux), looked up before a fork, or None."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _child(send: int, seconds: float, memory: int, parent: int, func: Callable[..., Any],
           args: tuple, kwargs: dict) -> None:
    """In the forked child: limit the address space and CPU time (so that an orphan stops
    by itself when its parent is killed), run, write (ok, result or error) pickled to the
    pipe ``send``. Its standard input is the null device, as a reader needs none."""
    import pickle

    die_with_parent(parent)
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    except OSError:
        pass
    try:
        import resource

        cpu = int(seconds) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    except (OSError, ValueError, ImportError):
        pass  # no rlimit: the time limit still holds
    limit_memory(memory)
    try:
        result: tuple[bool, Any] = (True, func(*args, **kwargs))
    except MemoryError as exc:
        result = (False, exc)
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, raised there
        result = (False, exc)
    try:
        data = pickle.dumps(result)
    except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
        data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(send, view):]
        os.close(send)
    except OSError:  # the parent is gone (killed): stop quietly, no traceback
        os._exit(0)
    import sys

    for stream in (sys.stdout, sys.stderr):  # what the reader printed (warnings)
        with _suppress_os_errors():
            if stream is not None:
                stream.flush()


def limit_memory(memory: int) -> None:
    """Let this process take at most ``memory`` bytes of address space beyond what it has
    (``RLIMIT_AS``); more raises MemoryError. Only for a process skema itself started (a
    reader's child, a pool worker): it is never lifted."""
    try:
        import resource

        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[0])
        limit = pages * os.sysconf("SC_PAGE_SIZE") + memory
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, ImportError):
        pass  # no /proc or no rlimit: the time limit still holds


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to stop this (child) process when its parent dies (prctl
    PR_SET_PDEATHSIG); with ``parent``, stop at once when that parent is already gone.
    Only for a process skema itself started (a reader's child, a pool worker)."""
    prctl = _prctl()
    if prctl is None:
        return  # not Linux: the CPU-time limit still ends an orphan reader
    prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def process_alive(pid: int) -> bool:
    """True when another process ``pid`` is running (not a zombie); False for this one."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed worker whose parent died too may linger as a zombie
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True
