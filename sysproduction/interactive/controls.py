"""`python -m sysproduction.interactive_controls` (also `sysprod control interactive`).

Numbered menu: view process states, change a status, mark dead processes finished, view the
process config, accept a process's failures, clear broker client ids. Piped input works (one
answer per line). Wherever a process is asked for, the same list is shown and the same answers
work: its number in that list, its name, or its name without `run_`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sysdata.repos.process_control import ProcessStatus
from sysproduction.control.control_state import accept_failures, mark_dead_processes
from sysproduction.control.process_config import process_names
from sysproduction.control.registry import METHODS, resolve_job
from sysproduction.control.views import format_rows, process_config_rows, process_state_rows
from sysproduction.interactive.menu import Prompter, run_menu

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

CLEAR_CLIENT_IDS = METHODS["clear_broker_client_ids"]


def view_states(blob: DataBlob, p: Prompter) -> None:
    p.write(format_rows(process_state_rows(blob)))


def choose_process(blob: DataBlob, p: Prompter, empty: str = "to skip") -> str | None:
    """One way to pick a process everywhere in this tool: number, name or short name; None for
    an empty answer."""
    return p.choose(f"process (number or name; empty {empty})", process_names(blob.config))


def change_status(blob: DataBlob, p: Prompter) -> None:
    name = choose_process(blob, p)
    if name is None:
        return
    current = blob.process_control.get(name).status
    p.write(f"{name} is {current.value}")
    status = p.choose("new status", [s.value for s in ProcessStatus])
    if status is None:
        return
    updated = blob.process_control.set_status(name, ProcessStatus.parse(status))
    p.write(f"{name}: {current.value} -> {updated.status.value}")


def mark_dead(blob: DataBlob, p: Prompter) -> None:
    marked = mark_dead_processes(blob.process_control, blob.clock.now())
    p.write(f"marked finished: {', '.join(marked)}" if marked else "no dead processes found")


def view_config(blob: DataBlob, p: Prompter) -> None:
    name = choose_process(blob, p, empty="for all")
    p.write(format_rows(process_config_rows(blob, name)))


def accept(blob: DataBlob, p: Prompter) -> None:
    """After checking a run that completed with failures, let the processes waiting for it start."""
    name = choose_process(blob, p)
    if name is None:
        return
    state = accept_failures(blob.process_control, name, blob.clock.now())
    p.write(f"{name}: {state.last_outcome} (run ended {state.end_time:%Y-%m-%d %H:%M:%S})")


def clear_client_ids(blob: DataBlob, p: Prompter) -> None:
    job = resolve_job(CLEAR_CLIENT_IDS)
    if job is None:
        p.write("clearing broker client ids is not available in this version (no IB broker here)")
        return
    p.write(str(job(blob)))


def interactive_controls(blob: DataBlob, prompter: Prompter | None = None) -> None:
    items = [
        ("view process states", view_states),
        ("change a process status (GO / STOP / PAUSE / NO-RUN)", change_status),
        ("mark dead processes finished", mark_dead),
        ("view process config", view_config),
        ("accept the failures of a process's last run", accept),
        ("clear broker client ids", clear_client_ids),
    ]
    run_menu(
        f"interactive controls ({blob.data_root})",
        [(label, lambda p, fn=fn: fn(blob, p)) for label, fn in items],
        prompter or Prompter(),
    )
