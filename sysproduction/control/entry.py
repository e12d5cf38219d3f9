"""The one entry path for everything a user runs: processes, single jobs and interactive tools.

`run(name)` is behind `sysprod run NAME`, `sysprod control interactive|diagnostics`, and every
`python -m sysproduction.NAME` alias module (`run_daily_prices_updates`, `update_fx_prices`,
`interactive_controls`, ...). Given a name from the registry it builds the DataBlob (data root and
config from `SYSPROD_DATA_ROOT` / `SYSPROD_CONFIG`, as the wrappers in `scripts/` set them, unless
the CLI passes its own), installs logging, runs, prints the summary and returns the exit code; a
user mistake (SysprodError) is one line on stderr and exit code 1.

Exit codes: a process returns 0 when it ran cleanly or declined to start for a scheduled reason, 1
when a method failed (it raised, or its summary lists failed items), the process it waits for
completed with failures, or the start was refused (a second copy). A job returns 1 when an item
failed. A tool returns 0 when it ends normally.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from syscore.exceptions import SysprodError
from sysproduction.control.registry import JOBS, TOOLS, resolve_job

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def blob_from_environment() -> DataBlob:
    """The installation named by SYSPROD_DATA_ROOT / SYSPROD_CONFIG (its clock is `blob.clock`)."""
    from sysproduction.wiring import make_blob

    root = os.environ.get("SYSPROD_DATA_ROOT")
    config = os.environ.get("SYSPROD_CONFIG")
    return make_blob(Path(root) if root else None, config_path=Path(config) if config else None,
                     must_exist=True)


def run(name: str, build_blob: Callable[[], DataBlob] | None = None,
        echo: Callable[[str], None] = print) -> int:
    """Run process, job or tool `name`; return its exit code. User errors are one line."""
    try:
        blob = (build_blob or blob_from_environment)()
        return _run_on(blob, name, echo)
    except SysprodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def main(name: str) -> None:
    """What each `python -m sysproduction.NAME` alias module calls: exit with `run(name)`."""
    raise SystemExit(run(name))


def _run_on(blob: DataBlob, name: str, echo: Callable[[str], None]) -> int:
    from syslogdiag import flush_logs, setup_process_logging

    if name in JOBS or name in TOOLS:
        target = resolve_job(JOBS.get(name) or TOOLS[name])
        setup_process_logging(blob, name)
        try:
            summary = target(blob)
        finally:
            flush_logs()
        if name in TOOLS:
            return 0
        echo(str(summary))
        return 1 if getattr(summary, "failed", None) else 0
    return _run_process(blob, _process_name(blob, name), echo)


def _process_name(blob: DataBlob, name: str) -> str:
    """`run_stack_handler` or `stack_handler` -> `run_stack_handler`; anything else is a user
    mistake naming what can be run."""
    from sysproduction.control.process_config import process_names

    processes = process_names(blob.config)
    for candidate in (name, f"run_{name}"):
        if candidate in processes:
            return candidate
    raise SysprodError(
        f"'{name}' is not a process, job or tool; processes: {', '.join(processes)}; "
        f"jobs: {', '.join(JOBS)}; tools: {', '.join(TOOLS)}"
    )


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _run_process(blob: DataBlob, name: str, echo: Callable[[str], None]) -> int:
    """Run process `name` under its control state and schedule; SIGTERM ends it cleanly (the
    control record is released); one summary line per method."""
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
