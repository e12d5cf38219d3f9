"""`python -m sysproduction.interactive_controls` (also `sysprod control interactive`).

Numbered menu: view process states, change a status, mark dead processes finished, view the
process config, accept a process's failures, clear broker client ids, update spread costs (offering
what the costs report's fills suggest; each change recorded with who, when and why). Piped input works (one
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


ALL_SUGGESTED = "every suggested change"


def update_spread_costs(blob: DataBlob, p: Prompter) -> None:
    """Set an instrument's spread cost, offering what the costs report's fills suggest; the
    spread-cost store records the change with who made it, when and why."""
    from sysproduction.reports.costs_report import cost_figures, suggestions
    from sysproduction.reports.order_data import Missing

    figures = cost_figures(blob)
    offered: dict[str, float] = {}
    if isinstance(figures, Missing):
        p.write(f"no suggestions: {figures.why}")
    else:
        shown = figures[(figures["fills"] > 0) | figures["suggested"].notna()]
        p.write(format_rows([{"instrument": code, **{k: _cost_text(v) for k, v in row.items()}}
                             for code, row in shown.iterrows()],
                            empty="no fills measured yet: nothing to suggest"))
        offered = suggestions(figures)
    options = sorted(set(blob.spread_costs.list()) | set(blob.instruments.list()) | set(offered))
    if offered:
        options = [ALL_SUGGESTED, *options]
    if not options:
        p.write("no instruments configured: import instrumentconfig.csv and spreadcosts.csv first")
        return
    choice = p.choose("instrument (number or name; empty to skip)", options)
    if choice is None:
        return
    if choice == ALL_SUGGESTED:
        for code, value in offered.items():
            p.write(f"  {code}: {_current(blob, code)} -> {value:.6g}")
        if not p.confirm(f"set these {len(offered)} spread costs"):
            p.write("nothing changed")
            return
        reason = p.ask("reason", "costs report suggestion")
        changed = blob.spread_costs.set_many(offered, reason=reason)
        p.write(f"changed: {', '.join(changed) or 'none'}")
        return
    current = _current(blob, choice)
    hint = f"; the fills suggest {offered[choice]:.6g}" if choice in offered else ""
    p.write(f"{choice}: spread cost {current}{hint}")
    value = p.ask_number("new spread cost (half the bid-ask spread, price points)", lambda v: v >= 0,
                         "a number >= 0", default=offered.get(choice))
    reason = p.ask("reason", "costs report suggestion" if offered.get(choice) == value else "set by hand")
    if blob.spread_costs.set(choice, value, reason=reason):
        last = blob.spread_costs.history(choice).iloc[-1]
        p.write(f"{choice}: {current} -> {value:.6g} (by {last['who']} at "
                f"{blob.spread_costs.history(choice).index[-1]:%Y-%m-%d %H:%M:%S}: {reason})")
    else:
        p.write(f"{choice}: already {value:.6g}; nothing changed")


def _current(blob: DataBlob, instrument: str) -> str:
    return f"{blob.spread_costs.get(instrument):.6g}" if blob.spread_costs.has(instrument) else "(none)"


def _cost_text(value: object) -> object:
    if isinstance(value, float):
        return "" if value != value else f"{value:.6g}"
    return value


def interactive_controls(blob: DataBlob, prompter: Prompter | None = None) -> None:
    items = [
        ("view process states", view_states),
        ("change a process status (GO / STOP / PAUSE / NO-RUN)", change_status),
        ("mark dead processes finished", mark_dead),
        ("view process config", view_config),
        ("accept the failures of a process's last run", accept),
        ("clear broker client ids", clear_client_ids),
        ("update spread costs", update_spread_costs),
    ]
    run_menu(
        f"interactive controls ({blob.data_root})",
        [(label, lambda p, fn=fn: fn(blob, p)) for label, fn in items],
        prompter or Prompter(),
    )
