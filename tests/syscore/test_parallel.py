"""Worker pool for pure calculations: results in order, from other processes, inline where it
must be (one worker, inside a worker), errors re-raised, SYSPROD_WORKERS checked."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from syscore.exceptions import SysprodError
from syscore.parallel import WorkerPool, configured_workers, current_pool, worker_pool


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


_BARRIER = None  # set before the workers fork, so they inherit it


def _meet_then_pid(x: int) -> int:
    _BARRIER.wait(timeout=30)  # returns only once both workers are running a task at once
    return os.getpid()


def _nested(x: int) -> tuple[bool, list[int]]:
    pool = current_pool()  # inherited from the parent through fork: must run inline here
    return pool.parallel, [value for value, _ in pool.map(_square_and_pid, range(x))]


def _fails(x: int) -> int:
    if x == 3:
        raise ValueError("bad item 3")
    return x


def test_map_keeps_order_and_runs_on_forked_workers():
    with worker_pool(2) as pool:
        results = pool.map(_square_and_pid, range(11))
    assert [value for value, _ in results] == [x * x for x in range(11)]
    assert os.getpid() not in {pid for _, pid in results}


def test_both_workers_compute_at_the_same_time():
    global _BARRIER
    _BARRIER = multiprocessing.get_context("fork").Barrier(2)
    with worker_pool(2) as pool:
        pids = pool.map(_meet_then_pid, range(2))
    assert len(set(pids)) == 2 and os.getpid() not in pids


def test_one_worker_runs_inline():
    with worker_pool(1) as pool:
        results = pool.map(_square_and_pid, range(5))
        assert not pool.parallel
    assert {pid for _, pid in results} == {os.getpid()}


def test_outside_a_block_everything_runs_inline():
    assert not current_pool().parallel
    assert current_pool().map(_square_and_pid, [2]) == [(4, os.getpid())]


def test_a_worker_runs_its_own_tasks_inline():
    with worker_pool(2) as pool:
        results = pool.map(_nested, [3, 4])
    assert results == [(False, [0, 1, 4]), (False, [0, 1, 4, 9])]


def test_a_failing_task_raises_its_error_in_the_caller():
    with worker_pool(2) as pool, pytest.raises(ValueError, match="bad item 3"):
        pool.map(_fails, range(6))
    with pytest.raises(ValueError, match="bad item 3"):
        WorkerPool(1).submit(_fails, 3).result()


def _dies(x: int) -> int:
    if x == 1:
        os._exit(9)  # as a worker killed by the OOM killer
    return x


def test_a_worker_that_dies_is_a_one_line_error():
    message = "worker process stopped unexpectedly.*SYSPROD_WORKERS=1"
    with worker_pool(2) as pool:
        with pytest.raises(SysprodError, match=message):
            pool.map(_dies, range(4))
        with pytest.raises(SysprodError, match=message):  # the next tasks, on the broken pool
            pool.map(_dies, range(4))


def test_workers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SYSPROD_WORKERS", "3")
    assert configured_workers() == 3
    monkeypatch.delenv("SYSPROD_WORKERS")
    assert configured_workers() >= 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("SYSPROD_WORKERS", bad)
        with pytest.raises(SysprodError, match="SYSPROD_WORKERS=.*whole number >= 1"):
            configured_workers()


def test_import_in_background_loads_the_module_and_survives_a_missing_one():
    import subprocess
    import sys

    code = (
        "import sys; from syscore.parallel import import_in_background; "
        "assert 'xml.dom.minidom' not in sys.modules; "
        "import_in_background('no_such_module_here', 'xml.dom.minidom').join(30); "
        "t = import_in_background('xml.dom.minidom'); t.join(30); "
        "print('xml.dom.minidom' in sys.modules, t.is_alive())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
    assert out.stderr == ""
