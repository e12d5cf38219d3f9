"""Run one job on its own: `python -m sysproduction.update_fx_prices`, `sysprod run update_fx_prices`.

Processes (`run_*`) run jobs on a schedule; running one job by hand is for catching up after a
failure or trying a change. Same environment as the processes (`SYSPROD_DATA_ROOT`,
`SYSPROD_CONFIG`), logging installed, the job's summary printed; exit 1 when an item failed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from syscore.exceptions import SysprodError

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def run_job(blob: DataBlob, job: Callable[[DataBlob], object], echo: Callable[[str], None] = print) -> int:
    """Run `job` on `blob` with logging installed; print its summary; return the exit code."""
    from syslogdiag import flush_logs, setup_process_logging

    setup_process_logging(blob, job.__name__)
    try:
        summary = job(blob)
    finally:
        flush_logs()
    echo(str(summary))
    return 1 if getattr(summary, "failed", None) else 0


def blob_from_environment() -> DataBlob:
    """The installation named by SYSPROD_DATA_ROOT / SYSPROD_CONFIG; its clock becomes the
    process clock."""
    from syscore.clock import set_clock
    from sysdata.data_blob import DataBlob

    root = os.environ.get("SYSPROD_DATA_ROOT")
    config = os.environ.get("SYSPROD_CONFIG")
    blob = DataBlob.from_data_root(
        Path(root) if root else None, Path(config) if config else None, must_exist=True
    )
    set_clock(blob.clock)
    return blob


def run_job_main(job: Callable[[DataBlob], object]) -> None:
    """Entry point of the job modules: exits with the job's code; user errors are one line."""
    try:
        code = run_job(blob_from_environment(), job)
    except SysprodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    raise SystemExit(code)
