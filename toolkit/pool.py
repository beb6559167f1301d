"""One process pool for the jobs that spread over the cores (batch, collect).

:func:`run` calls a function on every item of a list in worker processes
(``concurrent.futures.ProcessPoolExecutor`` with the fork start method: the workers start
with the toolkit imported and inherit the function and the items, so only item numbers
and results cross between processes). It yields the results chunk by chunk as they come.
Items given as an iterator instead of a list are streamed: taken from it only as workers
become free (at most two chunks per worker in flight) and sent to the workers with their
chunk, so neither the parent nor the workers ever hold more than those.

A worker that dies (killed, out of memory, a crash in a C parser) breaks the pool, which
the executor reports as ``BrokenProcessPool``. Then either the run stops with
:class:`~toolkit.errors.WorkerLost` (``isolate=False``: batch), or (``isolate=True``:
collect) the items that were in the workers' hands are each run again alone, so only the
one that crashes its worker is given up (as :data:`CRASHED`), and the rest go on in a new
pool. With a time limit (``seconds``) an item that keeps its worker busy longer is given
up (as :data:`TOO_SLOW`): its worker is killed and the pool is made anew.

Each worker notes in shared memory which item it is on and since when, so the parent knows
which item a dead or stuck worker held. Workers ignore Ctrl-C (the parent handles it);
when the parent stops early (an exception, Ctrl-C, the caller closes the generator) the
workers are killed before the generator returns, so no worker goes on writing. Where fork
is missing (Windows), and for one worker, everything runs in this process, without time
limit.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from .errors import WorkerLost
from .limits import die_with_parent, limit_memory, read_memory

#: True where worker processes can be forked (not on Windows).
FORK = "fork" in multiprocessing.get_all_start_methods()
CRASHED, TOO_SLOW = "crashed", "too slow"


@dataclass(frozen=True)
class Lost:
    """The result for an item that gave none: its worker died or it ran out of time."""

    reason: str  # CRASHED or TOO_SLOW


Chunk = list[tuple[int, Any]]

# What the workers inherit through fork, by pool number: (function, items, slots).
_SHARED: dict[int, tuple[Callable[[Any], Any], Sequence[Any] | None, Any]] = {}
_NUMBERS = itertools.count()
_SLOT = -1  # in a worker: its slot in the shared table
_FIELDS = 3  # per slot: pid, item number (-1 when idle), time the item was started


def cores() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run(fn: Callable[[Any], Any], items: Sequence[Any] | Iterable[Any], workers: int,
        chunk: int = 1, seconds: float | None = None, isolate: bool = False
        ) -> Iterator[Chunk]:
    """``fn(item)`` for every item, spread over ``workers`` processes.

    Yields lists of ``(index, result)`` as chunks of ``chunk`` items finish, in no fixed
    order (``index``: the item's place in ``items``); a result is a :class:`Lost` for an
    item whose worker died (only with ``isolate``) or that took longer than ``seconds``.
    Raises WorkerLost when a worker dies and ``isolate`` is false. ``fn`` reaches the
    workers through fork (never pickled), and so do the items of a sequence; the items of
    any other iterable are read lazily and pickled to the workers chunk by chunk, as are
    the results.
    """
    chunk = max(1, chunk)
    held: dict[int, Any] | None = None
    shared: Sequence[Any] | None = None
    get: Callable[[int], Any]
    if isinstance(items, Sequence):
        pending = _Feed([list(range(i, min(len(items), i + chunk)))
                         for i in range(0, len(items), chunk)])
        shared = items
        get = items.__getitem__
    else:
        held = {}
        pending = _Feed(_chunks(items, chunk, held))
        get = held.pop
    if workers <= 1 or not FORK or pending.has(2) < 2:
        while pending:
            indices = pending.popleft()
            yield [(i, fn(get(i))) for i in indices]
        return
    while pending:
        with _Pool(fn, shared, min(workers, pending.has(workers) or 1), held) as pool:
            suspects, slow = yield from pool.drain(pending, seconds)
        if slow:
            pool.forget(slow)
            yield [(i, Lost(TOO_SLOW)) for i in sorted(slow)]
        if suspects and not isolate:
            raise WorkerLost()
        for i in sorted(suspects):  # one of them crashed its worker: each goes alone
            with _Pool(fn, shared, 1, held) as alone:
                crashed, slow = yield from alone.drain(_Feed([[i]]), seconds)
            if slow or crashed:
                alone.forget({i})
            if slow:
                yield [(i, Lost(TOO_SLOW))]
            elif crashed:
                yield [(i, Lost(CRASHED))]


def _chunks(items: Iterable[Any], chunk: int, held: dict[int, Any]) -> Iterator[list[int]]:
    """Item numbers in chunks, each item put in ``held`` as its chunk is taken."""
    numbered = enumerate(items)
    while True:
        indices = []
        for i, item in itertools.islice(numbered, chunk):
            held[i] = item
            indices.append(i)
        if not indices:
            return
        yield indices


class _Feed:
    """The chunks still to run: those put back, then a lazy source read only on demand."""

    def __init__(self, chunks: Iterable[list[int]]) -> None:
        self.buffer: deque[list[int]] = deque()
        self.source = iter(chunks)

    def has(self, n: int) -> int:
        """How many chunks (up to ``n``) are left, reading ahead at most ``n``."""
        while len(self.buffer) < n:
            nxt = next(self.source, None)
            if nxt is None:
                break
            self.buffer.append(nxt)
        return min(n, len(self.buffer))

    def __bool__(self) -> bool:
        return self.has(1) > 0

    def popleft(self) -> list[int]:
        """The next chunk."""
        if not self:
            raise IndexError("no chunk left")
        return self.buffer.popleft()

    def appendleft(self, indices: list[int]) -> None:
        """Put a chunk back in front."""
        self.buffer.appendleft(indices)

    def buffered(self) -> list[list[int]]:
        """The chunks read ahead or put back (not those still in the source)."""
        return list(self.buffer)

    def remove(self, indices: list[int]) -> None:
        """Drop a chunk that was read ahead or put back."""
        self.buffer.remove(indices)


class _Pool:
    """A ProcessPoolExecutor whose workers note what they are doing in a shared table."""

    def __init__(self, fn: Callable[[Any], Any], items: Sequence[Any] | None, workers: int,
                 held: dict[int, Any] | None = None) -> None:
        ctx = multiprocessing.get_context("fork")
        self.workers = workers
        self.held = held  # streamed items by number, until their result is in
        self.slots = ctx.Array("d", [-1.0] * (workers * _FIELDS), lock=False)
        counter = ctx.Value("i", 0)
        self.number = next(_NUMBERS)
        _SHARED[self.number] = (fn, items, self.slots)
        self.executor = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start,
                                            initargs=(self.number, counter, os.getpid()))

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        if kind is not None:  # stopped early: no worker goes on with its items
            self._kill_all()
        self.executor.shutdown(wait=True, cancel_futures=True)
        del _SHARED[self.number]

    def forget(self, numbers: set[int]) -> None:
        """Drop streamed items that are given up."""
        if self.held is not None:
            for i in numbers:
                self.held.pop(i, None)

    def _submit(self, indices: list[int]) -> Future:
        payload = None if self.held is None else [self.held[i] for i in indices]
        return self.executor.submit(_work, self.number, indices, payload)

    def _done(self, result: Chunk) -> Chunk:
        if self.held is not None:
            for i, _ in result:
                self.held.pop(i, None)
        return result

    def drain(self, pending: _Feed, seconds: float | None
              ) -> Generator[Chunk, None, tuple[set[int], set[int]]]:
        """Run chunks off ``pending`` until it is empty or the pool breaks.

        Yields the finished chunks and returns ``(suspects, slow)``: the items that were
        being worked on when a worker died, and those given up for taking too long.
        Items of chunks that did not finish are put back on ``pending``.
        """
        running: dict[Future, list[int]] = {}
        slow: set[int] = set()
        unfinished: list[int] = []
        broken = False
        while (pending or running) and not broken:
            while pending and len(running) < 2 * self.workers:
                indices = pending.popleft()
                try:
                    future = self._submit(indices)
                except BrokenProcessPool:  # a worker died since the last wait
                    pending.appendleft(indices)
                    broken = True
                    break
                running[future] = indices
            if broken:
                break
            done, _ = wait(running, timeout=0.2 if seconds else 1.0,
                           return_when=FIRST_COMPLETED)
            for future in done:
                indices = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    pending.appendleft(indices)
                    unfinished += indices
                else:
                    yield self._done(result)
            if seconds and not broken:
                now = time.monotonic()
                stuck = [(pid, i) for pid, i, start in self._busy() if now - start > seconds]
                slow.update(i for _pid, i in stuck)
                self._kill(stuck)
        if not broken:
            return set(), slow
        for future, indices in running.items():
            try:
                yield self._done(future.result())  # finished before the pool broke
            except BrokenProcessPool:
                pending.appendleft(indices)
                unfinished += indices
        # a pool broken by killing a stuck worker: the others' items go again, in a new
        # pool; otherwise one of the items in hand crashed its worker (a worker that died
        # between items makes every unfinished item a suspect: each is then run alone)
        suspects = set() if slow else (
            {i for _pid, i, _start in self._busy()} or set(unfinished))
        for indices in pending.buffered():
            if suspects.intersection(indices) or slow.intersection(indices):
                pending.remove(indices)
                rest = [i for i in indices if i not in suspects and i not in slow]
                if rest:
                    pending.appendleft(rest)
        return suspects, slow

    def _busy(self) -> list[tuple[int, int, float]]:
        """(pid, item, started) of every worker that is on an item."""
        table = self.slots[:]
        out = []
        for j in range(self.workers):
            pid, item, start = table[j * _FIELDS: (j + 1) * _FIELDS]
            if pid > 0 and item >= 0:
                out.append((int(pid), int(item), start))
        return out

    def _kill_all(self) -> None:
        """Kill every worker of the pool, also one still starting.

        A worker notes its pid in the table only once its initialiser runs; one forked but
        not yet that far would be missed by the table and go on with the queued items
        (an endless one made the shutdown wait for ever). So the executor's own list of
        its processes is used, and the table only where that list is not there.
        """
        processes = getattr(self.executor, "_processes", None)
        if processes:
            for proc in list(processes.values()):
                if proc.is_alive():
                    proc.kill()
            for proc in list(processes.values()):
                proc.join(5)
            return
        table = self.slots[:]
        self._kill([(int(table[j * _FIELDS]),) for j in range(self.workers)
                    if table[j * _FIELDS] > 0])

    @staticmethod
    def _kill(busy: Sequence[tuple[Any, ...]]) -> None:
        pids = {entry[0] for entry in busy}
        if not pids:
            return
        # through the Process objects: a worker that has died and been reaped meanwhile
        # is not signalled (its pid may belong to another process by now)
        for proc in multiprocessing.active_children():
            if proc.pid in pids:
                proc.kill()


def _start(number: int, counter: Any, parent: int) -> None:
    """Worker initialiser: stop when the parent dies; take a slot in the table; leave
    Ctrl-C to the parent.

    The worker process is the pool's own: what it sets here is set in it alone. A parent
    killed outright (SIGKILL, the out-of-memory killer) cannot stop its workers, and they
    would go on with their items, then wait for ever for more; Linux stops them instead
    (``PR_SET_PDEATHSIG``, quietly: no traceback). A worker may take the memory of one
    file read (:func:`toolkit.limits.read_memory`) beyond what it starts with: more
    raises MemoryError in the item that asked for it. The objects inherited through fork
    are moved out of the collector's sight (``gc.freeze``), in this worker only.
    """
    global _SLOT
    die_with_parent(parent)
    limit_memory(read_memory())  # the memory limit of every file read, per worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # this worker process only
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not a handler inherited from the parent
    gc.enable()  # rendering makes cycles, whatever the parent process chose for itself
    # what the worker inherited (the toolkit, the template, the parent's reading state)
    # is never garbage: the collector leaves it alone instead of re-scanning it (and
    # writing into every object's header, which un-shares the parent's pages) in every
    # full collection
    gc.freeze()
    with counter.get_lock():
        _SLOT = counter.value
        counter.value += 1
    _SHARED[number][2][_SLOT * _FIELDS] = os.getpid()


def _work(number: int, indices: list[int], payload: list[Any] | None = None) -> Chunk:
    fn, items, slots = _SHARED[number]
    if payload is None:  # the items of a sequence, inherited through fork
        assert items is not None
        payload = [items[i] for i in indices]
    base = _SLOT * _FIELDS
    out = []
    try:
        for k, i in enumerate(indices):
            slots[base + 2] = time.monotonic()
            slots[base + 1] = i
            out.append((i, fn(payload[k])))
    finally:
        slots[base + 1] = -1
    return out
