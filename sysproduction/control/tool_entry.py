"""Start an interactive tool: `python -m sysproduction.<tool>` or `sysprod run <tool>`.

Blob from the environment (or the CLI), logging installed, user errors as one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from syscore.exceptions import SysprodError

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def run_tool(blob: DataBlob, tool: Callable[[Any], None], name: str) -> int:
    """Run `tool` on `blob` with logging installed; 0 when it ends normally."""
    from syslogdiag import flush_logs, setup_process_logging

    setup_process_logging(blob, name)
    try:
        tool(blob)
    finally:
        flush_logs()
    return 0


def tool_main(tool: Callable[[Any], None], name: str) -> int:
    from sysproduction.job_main import blob_from_environment

    try:
        return run_tool(blob_from_environment(), tool, name)
    except SysprodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
