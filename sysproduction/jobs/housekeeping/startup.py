"""Jobs of the `startup` process (run at boot, before anything else)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sysproduction.control.control_state import mark_dead_processes

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def clear_stale_processes(data: DataBlob) -> str:
    """After a reboot every process marked running on this host is dead: mark them finished
    (each with a CRITICAL record) so today's cron starts are not refused."""
    marked = mark_dead_processes(data.process_control, data.clock.now())
    return f"marked finished: {', '.join(marked)}" if marked else "no stale processes"
