"""What every benchmark script needs: the repo on the path, the reference data location, a
machine line, and running one step in a fresh child process so its peak memory is its own."""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def reference_path() -> Path:
    """The pysystemtrade reference CSV tree ($SYSPROD_REFERENCE_DATA, relative to the repo)."""
    raw = Path(os.environ.get("SYSPROD_REFERENCE_DATA", "../shared/data/pysystemtrade_futures"))
    return raw if raw.is_absolute() else (REPO / raw).resolve()


def peak_mb() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_line() -> str:
    return f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run_in_child(step: Callable[..., None], *args: object) -> list[dict]:
    """Run `step(*args, queue)` in a spawned process; return every row it put on the queue."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=step, args=(*args, queue))
    process.start()
    rows = [queue.get()]  # at least one row; read before join so a full pipe can't block it
    process.join()
    while not queue.empty():
        rows.append(queue.get())
    return rows
