"""Step: broker positions against the book; a break locks the instrument until they agree.

The broker's positions (`data.broker.positions()`) are compared contract by contract with the
book (`data.contract_positions`). An instrument with an order in flight is not judged this pass
(its fills may be at the broker and not yet booked). For each break:
- the instrument is locked (`data.instrument_locks`, reason "position break: ..."): no new
  orders, no new contract or broker orders, and auto-roll leaves it alone;
- it is logged CRITICAL (which emails the user) when first seen or when what differs changes;
- it is remembered in `data.position_breaks` (since when, what differs, whether this check set the
  lock).
When the positions agree again the break is cleared and the lock removed, but only a lock this
check set: an instrument someone had locked by hand before the break stays locked.
"""

from __future__ import annotations

import logging

from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob
from sysobjects.position_breaks import BREAK_PREFIX, is_break_reason, position_breaks

log = logging.getLogger(__name__)

STEP = "check_external_position_break"


def check_external_position_break(data: DataBlob) -> JobSummary:
    summary = JobSummary(STEP)
    now = data.clock.now()
    with summary.isolated("broker positions", "position check"):
        broker = {(p.instrument_code, p.contract_id): p.position for p in data.broker.positions()}
    if "broker positions" in summary.failed:
        return summary
    in_flight = {record.instrument_code for record in data.broker_orders.active()}
    found = position_breaks(data.contract_positions.all(), broker, in_flight)
    locks = data.instrument_locks
    for instrument, brk in found.items():
        with summary.isolated(instrument, "position break"):
            reason = brk.describe()
            current = locks.reason(instrument)
            set_here = current is None or is_break_reason(current)
            if set_here:
                locks.lock(instrument, reason, now)
            if data.position_breaks.record(brk, now, set_here):
                held = "locked" if set_here else f"already locked by hand ({current})"
                log.critical("%s; %s: no new orders until the positions agree", reason, held,
                             extra={"instrument_code": instrument})
                summary.updated[instrument] = reason
            else:
                summary.unchanged.append(instrument)
    _clear_mended(data, summary, set(found) | in_flight)
    if found:
        summary.note = f"{len(found)} position break(s): {', '.join(sorted(found))}"
    return summary


def _clear_mended(data: DataBlob, summary: JobSummary, still_open_or_unjudged: set[str]) -> None:
    """Clear breaks (and the locks they set) of instruments whose positions agree again."""
    locks = data.instrument_locks
    remembered = data.position_breaks.all()
    stale_locks = {code for code, lock in locks.all().items() if is_break_reason(lock["reason"])}
    for instrument in sorted((set(remembered) | stale_locks) - still_open_or_unjudged):
        with summary.isolated(instrument, "position break"):
            was = data.position_breaks.clear(instrument)
            unlocked = locks.unlock_if_reason_starts(instrument, BREAK_PREFIX)  # never a hand lock
            since = f" since {was.since:%Y-%m-%d %H:%M}" if was is not None else ""
            log.warning("%s: broker and book positions agree again; position break%s cleared%s",
                        instrument, since, ", instrument unlocked" if unlocked else "",
                        extra={"instrument_code": instrument})
            summary.updated[instrument] = "position break cleared" + (", unlocked" if unlocked else "")
