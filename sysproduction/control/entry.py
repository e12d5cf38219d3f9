"""Start a process from the command line: `python -m sysproduction.run_X` and `sysprod run X`.

Builds the DataBlob (data root and config from `SYSPROD_DATA_ROOT` / `SYSPROD_CONFIG`, as the
wrappers in `scripts/` set them), installs logging, turns SIGTERM into a clean end (the control
record is released), runs, and prints one summary line per method. Exit code: 0 when the process
ran cleanly or declined to start for a scheduled reason, 1 when a method failed (it raised, or its
summary lists failed items), the previous process it waits for completed with failures, or the
start was refused (a second copy).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from syscore.exceptions import SysprodError

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_named_process(blob: DataBlob, name: str, echo: Callable[[str], None] = print) -> int:
    """Run process `name` on `blob`; print its summary; return the exit code."""
    from syslogdiag import flush_logs, setup_process_logging
    from sysproduction.control.process_config import load_process_config
    from sysproduction.control.runner import ProcessRunner

    config = load_process_config(blob.config, name)
    setup_process_logging(blob, config.name)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        result = ProcessRunner(blob, config).run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        flush_logs()
    for line in result.summary_lines():
        echo(line)
    return result.exit_code


def main(name: str) -> int:
    """Entry point of the `run_*` modules."""
    from sysproduction.job_main import blob_from_environment

    try:
        return run_named_process(blob_from_environment(), name)
    except SysprodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
