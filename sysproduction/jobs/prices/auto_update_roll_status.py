"""Job: set each instrument's roll state from the documented rules (`sysobjects.auto_roll`),
logging the reason for every change. An instrument whose stored prices are stale (older than
`max_stale_days`) is left alone and listed as STALE: a person looks first. The positions the
rules read are the contract-position book the stack handler keeps from fills
(`data.contract_positions`); an instrument locked for a position break (that book and the
broker disagree) is left alone until the break clears. Runs nightly before
update_multiple_adjusted_prices, which then carries out any Roll_Adjusted.

Run: `sysprod run auto_update_roll_status` or `python -m sysproduction.auto_update_roll_status`.
"""

from __future__ import annotations

import logging

from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysobjects.auto_roll import decide_roll_state
from sysproduction.jobs.prices.stale_prices import LOOK_AT_IT, staleness
from sysproduction.jobs.summary import JobSummary, traded_instruments
from sysproduction.reports.roll_report import auto_roll_settings, change_roll_state, roll_info_for

log = logging.getLogger(__name__)


def auto_update_roll_status(data: DataBlob) -> JobSummary:
    summary = JobSummary("auto_update_roll_status")
    settings = auto_roll_settings(data.config)
    today = data.clock.now().date()
    breaks: list[str] = []
    for instrument in traded_instruments(data, summary):
        with log_context(instrument_code=instrument, type="roll_status"), \
                summary.isolated(instrument, "roll state"):
            held = _position_break(data, instrument)
            if held is not None:
                # The position book and the broker disagree: a roll decided on this book could
                # roll prices away from a contract still held. A person (or the break clearing
                # itself) comes first.
                log.warning("%s: roll state left alone: %s", instrument, held)
                breaks.append(f"{instrument} ({held})")
                summary.unchanged.append(instrument)
                continue
            stale = staleness(data, instrument, today)
            if stale is not None:
                # Old data makes every roll date look reached: a stop sign, not a roll signal.
                summary.stale[instrument] = f"{stale}; {LOOK_AT_IT}"
                log.warning("%s: %s; %s", instrument, stale, LOOK_AT_IT)
                continue
            info = roll_info_for(data, instrument, today)
            decision = decide_roll_state(info.situation(), settings)
            if decision is None:
                summary.unchanged.append(instrument)
                continue
            new_state, reason = decision
            change_roll_state(data, instrument, new_state, f"auto: {reason}")
            summary.updated[instrument] = f"{info.state} -> {new_state.value}: {reason}"
    if breaks:
        summary.note = "left alone, position break open: " + "; ".join(breaks)
    return summary


def _position_break(data: DataBlob, instrument: str) -> str | None:
    """What the open position break is, else None: the break the stack handler's check recorded
    (also when the instrument was already locked by hand, so the lock reason is someone else's),
    or a lock whose reason says "position break:"."""
    found = data.position_breaks.get(instrument)
    if found is not None:
        return found.position_break.describe()
    reason = data.instrument_locks.reason(instrument)
    return reason if reason is not None and reason.startswith("position break:") else None
