"""Stale stored prices: say so per instrument, and keep the auto-roller's hands off them.

The rule is pure (`sysobjects.auto_roll.stale_reason`); this module finds where an instrument's
stored prices end (its multiple prices, or the priced contract's bars if they are newer, since the
contract prices are updated before the multiple prices each night).
"""

from __future__ import annotations

import datetime as dt
import logging

from syscore.exceptions import MissingData
from sysdata.data_blob import DataBlob
from sysobjects.auto_roll import stale_reason
from sysobjects.multiple_prices_update import current_contracts

log = logging.getLogger(__name__)

LOOK_AT_IT = "not auto-rolled until a person has looked: sysprod run interactive_update_roll_status"


def prices_end(data: DataBlob, instrument: str) -> dt.date | None:
    try:
        multiple = data.multiple_prices.get(instrument)
    except MissingData:
        return None
    if multiple.empty:
        return None
    end = multiple.index[-1]
    try:
        priced = data.contract_prices.get(instrument, str(current_contracts(multiple)["PRICE"]))
        if len(priced):
            end = max(end, priced.index[-1])
    except MissingData:
        pass
    return end.date()


def staleness(data: DataBlob, instrument: str, today: dt.date | None = None) -> str | None:
    """Why `instrument`'s stored prices are stale, or None."""
    today = today or data.clock.now().date()
    return stale_reason(prices_end(data, instrument), today, int(data.config["max_stale_days"]))


def note_stale(data: DataBlob, instruments: list[str], stale: dict[str, str]) -> None:
    """Add each stale instrument to a job summary's `stale` entries, with a warning in the log."""
    today = data.clock.now().date()
    for instrument in instruments:
        reason = staleness(data, instrument, today)
        if reason is not None:
            stale[instrument] = reason
            log.warning("%s: %s", instrument, reason)
