"""Worker processes for pure, independent calculations (parameter estimation's fits).

Estimating a system's parameters fits weights at ~50 dates for every instrument: thousands of
small optimisations that share no state, on one core by default. A `worker_pool` runs them in
processes forked from the current one, so a worker starts with every module and every input
already in memory (no start-up imports, no copying of the price history) and only the task's
arguments and result cross a pipe.

Results never depend on the number of workers: every task is a pure function computed by the
same code on the same machine, and results are returned in submission order. With one worker,
where `fork` does not exist, or inside a worker, tasks run inline in the calling process.

The number of workers is every CPU this process may use, or SYSPROD_WORKERS if set.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from syscore.exceptions import SysprodError

WORKERS_VARIABLE = "SYSPROD_WORKERS"
T = TypeVar("T")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def configured_workers() -> int:
    """SYSPROD_WORKERS if set (a whole number >= 1), else every available CPU."""
    raw = os.environ.get(WORKERS_VARIABLE, "").strip()
    if not raw:
        return available_cpus()
    try:
        workers = int(raw)
    except ValueError:
        workers = 0
    if workers < 1:
        raise SysprodError(f"{WORKERS_VARIABLE}={raw!r}: must be a whole number >= 1 (1 runs everything in one process)")
    return workers


class WorkerPool:
    """Submit pure functions to forked workers (or run them inline, see the module docstring)."""

    def __init__(self, workers: int):
        self.workers = workers
        self._owner = os.getpid()
        self._executor: ProcessPoolExecutor | None = None
        self._forkable = "fork" in multiprocessing.get_all_start_methods()

    @property
    def parallel(self) -> bool:
        """True where tasks go to other processes (not inside a worker, not with one worker)."""
        return self.workers > 1 and self._forkable and os.getpid() == self._owner

    def submit(self, fn: Callable[..., T], *args: Any) -> Future:
        if not self.parallel:
            done: Future = Future()
            try:
                done.set_result(fn(*args))
            except BaseException as error:  # noqa: BLE001 - re-raised by result(), as a worker's would be
                done.set_exception(error)
            return done
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
        try:
            return self._executor.submit(fn, *args)
        except BrokenProcessPool as error:  # a worker died since the last tasks
            raise _worker_died() from error

    def map(self, fn: Callable[..., T], items: Iterable[Any]) -> list[T]:
        """[fn(item) for item in items], in order."""
        return self.map_later(fn, items)()

    def map_later(self, fn: Callable[..., T], items: Iterable[Any]) -> Callable[[], list[T]]:
        """Start [fn(item) for item in items] and return the function that waits for it (in
        order), so the caller can prepare the next batch meanwhile. Each worker takes one
        chunk, every `workers`-th item (neighbouring items, e.g. fits at later dates, cost
        alike). Inline (computed now) where the pool is not parallel."""
        items = list(items)
        if not self.parallel or len(items) < 2:
            results = [fn(item) for item in items]
            return lambda: results
        count = min(self.workers, len(items))
        futures = [self.submit(_run_chunk, fn, items[k::count]) for k in range(count)]

        def gather() -> list[T]:
            out: list = [None] * len(items)
            for k, future in enumerate(futures):
                out[k::count] = _result(future)
            return out

        return gather

    def close(self) -> None:
        if self._executor is not None and os.getpid() == self._owner:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None


def _result(future: Future) -> Any:
    """The future's result; a worker that died (killed, out of memory) is a one-line error."""
    try:
        return future.result()
    except BrokenProcessPool as error:
        raise _worker_died() from error


def _worker_died() -> SysprodError:
    return SysprodError(
        "a worker process stopped unexpectedly (killed, or out of memory?): run again, or with "
        f"{WORKERS_VARIABLE}=1 to compute in one process"
    )


def _run_chunk(fn: Callable[..., T], chunk: list[Any]) -> list[T]:
    return [fn(item) for item in chunk]


_CURRENT: ContextVar[WorkerPool | None] = ContextVar("worker_pool", default=None)


@contextmanager
def worker_pool(workers: int | None = None) -> Iterator[WorkerPool]:
    """A pool for the block (SYSPROD_WORKERS or every CPU by default); `current_pool()` inside
    the block returns it. Workers are forked at the first task and stopped at the block's end."""
    pool = WorkerPool(configured_workers() if workers is None else workers)
    token = _CURRENT.set(pool)
    try:
        yield pool
    finally:
        _CURRENT.reset(token)
        pool.close()


def current_pool() -> WorkerPool:
    """The pool of the enclosing `worker_pool` block, else one that runs everything inline."""
    return _CURRENT.get() or WorkerPool(1)


def import_in_background(*modules: str) -> threading.Thread:
    """Start importing `modules` on a daemon thread and return it.

    For a module that is certain to be needed later and costs a noticeable part of the run to
    import (pandas: ~0.3 s): the import's file reading and the caller's own waiting (e.g. on
    files read by pyarrow threads, which release the GIL) overlap. Importing it again later just
    waits for this import to finish (Python's import lock), so nothing is imported twice.
    """

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the later import in the main thread reports it
                continue

    thread = threading.Thread(target=load, name="import-" + "-".join(modules), daemon=True)
    thread.start()
    return thread
