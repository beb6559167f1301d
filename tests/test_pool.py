"""The one process pool that batch and collect share (toolkit.pool).

Linux (fork) is assumed, like the rest of the suite's process tests.
"""

from __future__ import annotations

import os
import time

import pytest

from toolkit import pool
from toolkit.errors import WorkerLost


def _square(n: int) -> int:
    return n * n


def _crash_on_5(n: int) -> int:
    if n == 5:
        os._exit(3)  # what a segfault in a C parser does to a worker
    return n * n


def _hang_on_7(n: int) -> int:
    if n == 7:
        while True:
            pass
    return n * n


def _results(chunks) -> dict[int, object]:
    out: dict[int, object] = {}
    for chunk in chunks:
        for i, result in chunk:
            assert i not in out
            out[i] = result
    return out


def test_every_item_once_in_workers_and_in_process():
    items = list(range(40))
    for workers in (1, 2):
        assert _results(pool.run(_square, items, workers, chunk=3)) == {
            i: i * i for i in items}


def test_a_crash_loses_only_its_item_when_isolating():
    items = list(range(20))
    got = _results(pool.run(_crash_on_5, items, 2, chunk=2, isolate=True))
    assert got[5] == pool.Lost(pool.CRASHED)
    assert {i: r for i, r in got.items() if i != 5} == {i: i * i for i in items if i != 5}


def test_a_crash_stops_the_run_without_isolating():
    with pytest.raises(WorkerLost) as err:
        _results(pool.run(_crash_on_5, list(range(20)), 2, chunk=2))
    assert str(err.value) == ("en arbejdsproces stoppede uventet (fx dræbt eller løbet tør "
                              "for hukommelse)")


def test_an_item_over_the_time_limit_is_given_up_and_the_rest_goes_on():
    items = list(range(12))
    start = time.monotonic()
    got = _results(pool.run(_hang_on_7, items, 2, chunk=1, seconds=1, isolate=True))
    assert time.monotonic() - start < 15
    assert got[7] == pool.Lost(pool.TOO_SLOW)
    assert {i: r for i, r in got.items() if i != 7} == {i: i * i for i in items if i != 7}


def test_stopping_early_leaves_no_worker_running():
    import multiprocessing

    before = {p.pid for p in multiprocessing.active_children()}
    run = pool.run(_hang_on_7, list(range(12)), 2, chunk=1)
    next(run)
    run.close()  # the caller stops (Ctrl-C does the same through an exception)
    assert {p.pid for p in multiprocessing.active_children()} <= before


def test_streamed_items_are_read_only_as_workers_get_free():
    taken = []

    def source():
        for i in range(200):
            taken.append(i)
            yield i

    chunks = pool.run(_square, source(), 2, chunk=5)
    first = next(chunks)
    assert first and all(r == i * i for i, r in first)
    # at most two chunks per worker in flight, and the one just finished
    assert len(taken) <= 5 * (2 * 2 + 1) + 5
    got = dict(first)
    for chunk in chunks:
        got.update(chunk)
    assert got == {i: i * i for i in range(200)}
    assert len(taken) == 200


def test_streamed_items_survive_a_crashed_worker():
    got = _results(pool.run(_crash_on_5, iter(range(20)), 2, chunk=2, isolate=True))
    assert got.pop(5) == pool.Lost(pool.CRASHED)
    assert got == {i: i * i for i in range(20) if i != 5}


def test_streamed_items_in_one_process():
    assert _results(pool.run(_square, (i for i in range(7)), 1, chunk=3)) == {
        i: i * i for i in range(7)}
