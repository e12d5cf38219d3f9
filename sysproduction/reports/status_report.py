"""The status report: is everything running, is the data fresh, is anything stopped or broken?

Processes (state, last start and end, outcome, runs that failed in the last week), stale prices
per instrument, instrument locks, position breaks (the open breaks the stack handler's check
recorded, and the book against the broker now) and the orders still working.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from syscore.exceptions import SysprodError
from syscore.job_summary import JobSummary
from syslogdiag.render.report import Report
from sysproduction.reports.order_data import Missing, open_orders_frame
from sysproduction.reports.report_data import repository
from sysproduction.reports.reporting import run_report

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

FAILED_OUTCOMES = ("completed with failures", "crashed", "died", "terminated")
FAILURE_LOOKBACK = dt.timedelta(days=7)
POSITION_BREAK = "position break:"


def process_frame(data: DataBlob, now: dt.datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per process, and the failed runs of the last week (newest first)."""
    from sysproduction.control.views import process_state_rows

    since = (now - FAILURE_LOOKBACK).isoformat()
    history = [run for run in data.process_control.history() if (run.get("end_time") or run.get("start_time") or "") >= since]
    failed = [run for run in history if run.get("last_outcome") in FAILED_OUTCOMES]
    counts = pd.Series([run.get("process_name") for run in failed], dtype=object).value_counts()
    rows = [
        {"process": row["process"], "status": row["status"], "running": row["running"],
         "last start": row["start"], "last end": row["end"], "last outcome": row["last outcome"] or "",
         "failed runs (7 days)": int(counts.get(row["process"], 0))}
        for row in process_state_rows(data)
    ]
    states = data.process_control.all()
    failures = pd.DataFrame(
        [{"process": run.get("process_name"), "start": _time(run.get("start_time")),
          "end": _time(run.get("end_time")), "outcome": run.get("last_outcome"),
          "since": _since(states.get(run.get("process_name")), run, history),
          "detail": run.get("detail") or ""} for run in reversed(failed)],
        columns=["process", "start", "end", "outcome", "since", "detail"],
    )
    return pd.DataFrame(rows), failures


def _since(state, run: dict, history: list[dict]) -> str:
    """What happened after a failed run: its failures were accepted (`sysprod control accept`;
    the process's state still names that run), a later run of the process completed, or nothing
    yet ("")."""
    from sysproduction.control.control_state import ACCEPTED, COMPLETED

    end = run.get("end_time") or ""
    if (state is not None and state.last_outcome == ACCEPTED and state.end_time is not None
            and state.end_time.isoformat() == end):
        return "accepted"
    later = [r for r in history if r.get("process_name") == run.get("process_name")
             and (r.get("end_time") or "") > end and r.get("last_outcome") == COMPLETED]
    return "a later run completed" if later else ""


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).replace(microsecond=0) if text else None


def stale_frame(data: DataBlob) -> tuple[pd.DataFrame, int]:
    """(the stale instruments: where their prices end and why, number of instruments checked)."""
    from sysproduction.jobs.prices.stale_prices import prices_end, staleness

    today = data.clock.now().date()
    instruments = data.multiple_prices.list()
    rows = []
    for instrument in instruments:
        reason = staleness(data, instrument, today)
        if reason is not None:
            end = prices_end(data, instrument)
            rows.append({"instrument": instrument, "prices end": end,
                         "days old": (today - end).days if end else None, "why": reason})
    return pd.DataFrame(rows, columns=["instrument", "prices end", "days old", "why"]), len(instruments)


def locks_frame(data: DataBlob) -> pd.DataFrame | Missing:
    locks = repository(data, "instrument_locks")
    if locks is None:
        return Missing("instrument locks are not available in this installation yet")
    rows = [{"instrument": code, "since": lock["time"], "reason": lock["reason"]}
            for code, lock in sorted(locks.all().items())]
    return pd.DataFrame(rows, columns=["instrument", "since", "reason"])


def recorded_breaks(data: DataBlob) -> pd.DataFrame | Missing:
    """The open breaks the stack handler's check recorded (since when, what differs, whether it
    locked the instrument)."""
    breaks = repository(data, "position_breaks")
    if breaks is None:
        return Missing("position breaks are not recorded in this installation yet")
    rows = [{"instrument": code, "since": found.since,
             "differences": "; ".join(f"{c} book {book} broker {broker}"
                                      for c, book, broker in found.position_break.differences),
             "locked by the check": found.locked_here}
            for code, found in sorted(breaks.all().items())]
    return pd.DataFrame(rows, columns=["instrument", "since", "differences", "locked by the check"])


def broker_breaks(data: DataBlob) -> pd.DataFrame | Missing:
    """Contract positions where the broker and our book disagree, now."""
    from sysproduction.reports.order_data import contract_positions

    try:
        held = {(p.instrument_code, p.contract_id): int(p.position) for p in data.broker.positions()}
    except SysprodError as exc:
        return Missing(f"the broker's positions could not be read: {exc}")
    book = contract_positions(data)
    keys = sorted(set(held) | set(book))
    rows = [{"instrument": i, "contract": c, "broker": held.get((i, c), 0), "book": book.get((i, c), 0),
             "difference": held.get((i, c), 0) - book.get((i, c), 0)}
            for i, c in keys if held.get((i, c), 0) != book.get((i, c), 0)]
    return pd.DataFrame(rows, columns=["instrument", "contract", "broker", "book", "difference"])


def build_status_report(data: DataBlob) -> Report:
    now = data.clock.now()
    report = Report("status_report", "Status report", now)

    processes, failures = process_frame(data, now)
    section = report.section("Processes")
    section.table(processes, formats={"failed runs (7 days)": "d"})
    if failures.empty:
        section.text("No process run failed in the last 7 days.")
    else:
        waiting = int((failures["since"] == "").sum())
        text = f"{len(failures)} process run(s) failed in the last 7 days"
        if waiting:
            section.warning(f"{text}, {waiting} neither accepted nor followed by a completed run: see "
                            "'sysprod control history'; a process waiting for one starts after "
                            "'sysprod control accept PROCESS'.")
        else:
            section.text(f"{text}; each was accepted or followed by a completed run.")
        section.table(failures, title="Failed runs (last 7 days, newest first)")

    stale, checked = stale_frame(data)
    section = report.section("Stale prices")
    if checked == 0:
        section.warning("no instruments have multiple prices yet: import data or run run_daily_prices_updates")
    elif stale.empty:
        section.text(f"All {checked} instruments have prices within max_stale_days "
                     f"({data.config['max_stale_days']} days).")
    else:
        section.warning(f"{len(stale)} of {checked} instruments have stale prices.")
        section.table(stale, formats={"days old": "d"})

    locks = locks_frame(data)
    section = report.section("Instrument locks")
    if isinstance(locks, Missing):
        section.warning(locks.why)
    elif locks.empty:
        section.text("No instrument is locked.")
    else:
        section.warning(f"{len(locks)} instrument(s) locked: no new orders in them until unlocked.")
        section.table(locks)

    section = report.section("Position breaks")
    recorded = recorded_breaks(data)
    if isinstance(recorded, Missing):
        if not isinstance(locks, Missing):
            breaks = locks[locks["reason"].str.startswith(POSITION_BREAK)]
            section.text(f"Locked by the position-break check: {', '.join(breaks['instrument']) or 'none'}.")
    elif recorded.empty:
        section.text("The stack handler's position-break check has no open break.")
    else:
        section.warning(f"{len(recorded)} open position break(s) found by the stack handler: "
                        f"{', '.join(recorded['instrument'])}")
        section.table(recorded, title="Open breaks (check_external_position_break)")
    now_breaks = broker_breaks(data)
    if isinstance(now_breaks, Missing):
        section.warning(now_breaks.why)
    elif now_breaks.empty:
        section.text("The broker's contract positions match the book.")
    else:
        section.warning(f"{len(now_breaks)} contract position(s) differ between the broker and the book.")
        section.table(now_breaks, title="Broker against book, now")

    orders = open_orders_frame(data)
    section = report.section("Open orders")
    if isinstance(orders, Missing):
        section.warning(orders.why)
    elif orders.empty:
        section.text("No orders are working.")
    else:
        section.table(orders, formats={"id": "d", "trade": "d", "filled": "d"})
    return report


def status_report(data: DataBlob) -> JobSummary:
    return run_report(data, "status_report", build_status_report)
