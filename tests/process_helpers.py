"""Helpers for tests that run real worker processes (multiprocessing, spawn)."""

from __future__ import annotations

from collections.abc import Iterable
from multiprocessing.process import BaseProcess


def join_cleanly(workers: Iterable[BaseProcess], timeout: float) -> None:
    """Wait for every worker and require a clean exit: a worker that raised or was killed fails
    the test here, naming itself, rather than as a missing or partial result further on."""
    for worker in workers:
        worker.join(timeout)
        assert worker.exitcode == 0, f"{worker.name} exited with {worker.exitcode}"
