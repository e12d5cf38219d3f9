"""Step: `refresh_additional_sampling_all_instruments`, prices of traded contracts during the day.

The daily price job stores one bar per contract per day (at the session close). While the stack
handler runs, the contracts we trade (held in the book, or in an order on the stacks) are sampled
more often: each run (hourly by default) merges the broker's hourly bars since the last stored
row into their contract prices, so the multiple and adjusted prices built from them, and the
reference prices of new orders, follow the market through the day.

The same rules as the daily job guard what is written: bars are cleaned (zero prices, bars in the
future, zero volume, as config says) and spike-checked against the stored prices
(`max_price_spike`); a spike is held back (logged CRITICAL, listed as spiked, not written) for
the manual price check. A contract with no stored prices yet is left to the daily job, which
judges a first fetch against the instrument's level.
"""

from __future__ import annotations

import logging

from sysbrokers.broker import BarFrequency
from syscore.exceptions import MissingData
from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob
from sysobjects.price_cleaning import CleaningRules, clean_bars
from sysobjects.spikes import find_spikes

log = logging.getLogger(__name__)

STEP = "refresh_additional_sampling_all_instruments"


def traded_contracts(data: DataBlob) -> list[tuple[str, str]]:
    """(instrument, contract) held in the book or in an unfinished order, sorted."""
    contracts = set(data.contract_positions.all())
    for order in data.contract_orders.active():
        contracts.update((order.instrument_code, leg.contract_id) for leg in order.legs)
    return sorted(contracts)


def _rules(data: DataBlob) -> CleaningRules:
    config = data.config
    return CleaningRules(
        ignore_zero_prices=bool(config["ignore_zero_prices"]),
        ignore_future_prices=bool(config["ignore_future_prices"]),
        ignore_zero_volume=bool(config["ignore_zero_volume"]),
    )


def refresh_additional_sampling_all_instruments(data: DataBlob) -> JobSummary:
    summary = JobSummary(STEP)
    contracts = traded_contracts(data)
    if not contracts:
        summary.note = "no traded contracts (no positions, no orders): nothing to sample"
        return summary
    now = data.clock.now()
    rules = _rules(data)
    max_spike = float(data.config["max_price_spike"])
    for instrument, contract in contracts:
        item = f"{instrument}/{contract}"
        with summary.isolated(item, "sampled prices"):
            try:
                existing = data.contract_prices.get(instrument, contract)
            except MissingData:
                existing = None
            if existing is None or existing.empty:
                summary.unchanged.append(item)  # its first prices come from the daily job
                continue
            last = existing.index[-1]
            bars = data.broker.contract_bars(instrument, contract, BarFrequency.HOURLY, start=last.to_pydatetime())
            bars = bars[bars.index > last]
            fresh = clean_bars(bars, now, rules).bars
            if fresh.empty:
                summary.unchanged.append(item)
                continue
            spikes = find_spikes(existing["FINAL"], fresh["FINAL"], max_spike)
            if spikes:
                for spike in spikes:
                    log.critical("price spike in %s %s, not written: %s (max_price_spike %g)", instrument,
                                 contract, spike.describe(), max_spike,
                                 extra={"instrument_code": instrument, "contract_date": contract})
                summary.spiked[item] = f"{len(spikes)} spike(s), first {spikes[0].describe()}"
                continue
            added = data.contract_prices.append_newer(instrument, contract, fresh)
            summary.updated[item] = f"{added} bar(s) to {fresh.index[-1]:%Y-%m-%d %H:%M}"
    return summary
