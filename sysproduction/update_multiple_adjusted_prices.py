"""Job: bring multiple prices up to the contract prices of the current PRICE/FORWARD/CARRY
contracts, re-deriving the rows from the earliest bar that arrived since the last run (so a late
bar fills its row), then adjusted prices (rows move with PRICE; no re-stitch), and carry out the
Panama step for instruments in Roll_Adjusted (priced from both contracts at one timestamp).

Run: `sysprod run update_multiple_adjusted_prices` or
`python -m sysproduction.update_multiple_adjusted_prices`.
"""

from __future__ import annotations

import logging

from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysobjects.roll_state import RollState
from sysproduction.job_summary import JobSummary, traded_instruments
from sysproduction.multiple_adjusted_updates import extend_instrument, roll_instrument

log = logging.getLogger(__name__)


def update_multiple_adjusted_prices(data: DataBlob, instruments: list[str] | None = None) -> JobSummary:
    summary = JobSummary("update_multiple_adjusted_prices")
    for instrument in traded_instruments(data, summary):
        if instruments is not None and instrument not in instruments:
            continue
        with log_context(instrument_code=instrument, type="multiple_adjusted_prices"), \
                summary.isolated(instrument, "multiple/adjusted prices"):
            rows, adjusted = extend_instrument(data, instrument)
            notes = [f"{rows} multiple row(s), {adjusted} adjusted row(s)"] if rows or adjusted else []
            if data.roll_states.get(instrument).state is RollState.ROLL_ADJUSTED:
                notes.append(roll_instrument(data, instrument))
            if notes:
                summary.updated[instrument] = "; ".join(notes)
            else:
                summary.unchanged.append(instrument)
    return summary


if __name__ == "__main__":
    from sysproduction.job_main import run_job_main

    run_job_main(update_multiple_adjusted_prices)
