"""Job: fetch new bars for every sampled contract, clean them, and merge them spike-checked.

A contract's first fetch is spike-checked too, against the instrument's level carried to that
contract (a wrong multiplier on a newly sampled contract is held back like any other spike).

Daily bars always; hourly bars too when `download_hourly_prices` is set (merged into the same
series, as the multiple prices are built from whatever rows the contracts have). Cleaning drops
zero prices, bars in the future and zero-volume bars (each rule switchable in config). One
instrument failing never stops the others; the summary at the end lists every outcome.

Run: `sysprod run update_historical_prices` or `python -m sysproduction.update_historical_prices`.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import pandas as pd

from sysbrokers.broker import BarFrequency
from syscore.exceptions import MissingData
from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysobjects.price_cleaning import CleaningRules, clean_bars
from sysobjects.spikes import Spike, first_fetch_history, first_fetch_spikes, level_for_new_contract
from sysproduction.jobs.prices.spike_check import newer_than, report_spikes, spikes_in
from sysproduction.jobs.prices.stale_prices import note_stale
from sysproduction.jobs.summary import JobSummary, traded_instruments

log = logging.getLogger(__name__)


def cleaning_rules(config) -> CleaningRules:
    return CleaningRules(
        ignore_zero_prices=bool(config["ignore_zero_prices"]),
        ignore_future_prices=bool(config["ignore_future_prices"]),
        ignore_zero_volume=bool(config["ignore_zero_volume"]),
    )


def stored_contract_prices(data: DataBlob, instrument: str, contract: str) -> pd.DataFrame | None:
    try:
        return data.contract_prices.get(instrument, contract)
    except MissingData:
        return None


def new_bars(data: DataBlob, instrument: str, contract: str, existing: pd.DataFrame | None) -> pd.DataFrame:
    """Cleaned bars after the last stored one (daily, plus hourly when configured)."""
    start = None if existing is None or existing.empty else existing.index[-1].to_pydatetime()
    frames = [data.broker.contract_bars(instrument, contract, BarFrequency.DAILY, start=start)]
    if data.config["download_hourly_prices"]:
        frames.append(data.broker.contract_bars(instrument, contract, BarFrequency.HOURLY, start=start))
    non_empty = [f for f in frames if len(f)]
    bars = pd.concat(non_empty) if non_empty else frames[0]
    bars = bars[~bars.index.duplicated(keep="first")].sort_index()
    result = clean_bars(newer_than(bars, existing), data.clock.now(), cleaning_rules(data.config))
    if result.dropped:
        log.info(
            "%s %s: dropped %s", instrument, contract,
            ", ".join(f"{n} bar(s) {why}" for why, n in result.dropped.items()),
        )
    return result.bars


def new_contract_level(data: DataBlob, instrument: str, contract: str) -> pd.Series:
    """The instrument's level carried to a contract with no stored prices (empty when the
    instrument has no multiple or adjusted prices to carry)."""
    try:
        return level_for_new_contract(
            data.multiple_prices.get(instrument), data.adjusted_prices.get(instrument), contract
        )
    except MissingData:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([]))


def spike_check_history(
    data: DataBlob, instrument: str, contract: str, existing: pd.DataFrame | None, fresh: pd.DataFrame
) -> pd.Series:
    """The history new bars are judged against (also by the manual check): the contract's stored
    FINALs, or for its first fetch the instrument's level carried to it (`first_fetch_history`)."""
    if existing is not None and len(existing):
        return existing["FINAL"]
    return first_fetch_history(new_contract_level(data, instrument, contract), fresh["FINAL"])


def contract_spikes(
    data: DataBlob, instrument: str, contract: str, existing: pd.DataFrame | None, fresh: pd.DataFrame
) -> list[Spike]:
    """Spikes among new bars: against the stored bars; for a contract with none yet (its first
    fetch), its latest bars against the instrument's level carried to the contract."""
    max_spike = float(data.config["max_price_spike"])
    if existing is not None and len(existing):
        return spikes_in(existing["FINAL"], fresh["FINAL"], max_spike)
    level = new_contract_level(data, instrument, contract)
    return first_fetch_spikes(level, fresh["FINAL"], max_spike)


def update_contract(data: DataBlob, instrument: str, contract: str, summary: JobSummary) -> None:
    item = f"{instrument}/{contract}"
    max_spike = float(data.config["max_price_spike"])
    with log_context(contract_date=contract):
        existing = stored_contract_prices(data, instrument, contract)
        fresh = new_bars(data, instrument, contract, existing)
        if fresh.empty:
            summary.unchanged.append(item)
            return
        spikes = contract_spikes(data, instrument, contract, existing, fresh)
        if spikes:
            summary.spiked[item] = report_spikes(f"{instrument} {contract}", spikes, max_spike)
            return
        added = data.contract_prices.append_newer(instrument, contract, fresh)
        summary.updated[item] = f"{added} bar(s) to {fresh.index[-1]:%Y-%m-%d %H:%M}"


def update_historical_prices(data: DataBlob, instruments: list[str] | None = None) -> JobSummary:
    summary = JobSummary("update_historical_prices")
    traded = traded_instruments(data, summary)
    by_instrument: dict[str, list[str]] = defaultdict(list)
    for record in data.contracts.sampled():
        by_instrument[record.instrument_code].append(record.contract_date)
    for instrument in sorted(by_instrument):
        if instruments is not None and instrument not in instruments:
            continue
        with log_context(instrument_code=instrument, type="historical_prices"), \
                summary.isolated(instrument, "prices"):
            for contract in sorted(by_instrument[instrument]):
                update_contract(data, instrument, contract, summary)
    note_stale(data, [code for code in traded if instruments is None or code in instruments], summary.stale)
    return summary
