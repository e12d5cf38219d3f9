"""Is the process that claimed a control record still alive?

A pid alone is not enough: after a crash or reboot the number may belong to someone else. On
Linux a process is identified by the boot id plus its start tick (from /proc), so a reused pid or
a reboot reads as dead. Elsewhere the pid is probed with signal 0.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

PROC = Path("/proc")


def hostname() -> str:
    """This machine's name in control records. SYSPROD_HOST_NAME overrides it (machines whose
    names are not unique, and tests simulating several machines on one); the MongoDB store's
    write lock uses the same name."""
    return os.environ.get("SYSPROD_HOST_NAME") or socket.gethostname()


def _boot_id() -> str:
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # comm (field 2) is in parentheses and may hold spaces: split after the last ')'
    return text[text.rindex(")") + 2:].split()


def process_identity(pid: int) -> str | None:
    """`<boot id>:<start tick>` of a live pid; None when unknown (no /proc) or not running."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return f"{_boot_id()}:{fields[19]}"


def is_alive(pid: int | None, identity: str | None = None) -> bool:
    """True while `pid` runs and (when known) is still the same process as `identity`."""
    if pid is None or pid <= 0:
        return False
    if PROC.is_dir():
        fields = _stat_fields(pid)
        if fields is None or fields[0] in ("Z", "X"):  # gone, or a zombie nobody reaped yet
            return False
        return identity is None or process_identity(pid) == identity
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
