"""Job: fetch new daily FX rates from the broker and merge them, spike-checked.

The pairs are every currency an instrument we hold prices for trades in, against the base currency (`GBPUSD` for a
GBP instrument in a USD account), plus any pair already stored. Unlike pysystemtrade, FX gets the
same spike check as futures prices: one bad rate would mis-size every position in that currency.

Run: `sysprod run update_fx_prices` or `python -m sysproduction.update_fx_prices`.
"""

from __future__ import annotations

import logging

import pandas as pd

from syscore.exceptions import MissingData
from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysproduction.jobs.prices.spike_check import newer_than, report_spikes, spikes_in
from sysproduction.jobs.summary import JobSummary, traded_instruments

log = logging.getLogger(__name__)


def fx_pairs_needed(data: DataBlob) -> list[str]:
    base = data.config["base_currency"]
    traded = set(data.multiple_prices.list()) & set(data.instruments.list())
    currencies = {data.instruments.get(code).currency for code in traded}
    pairs = {f"{ccy}{base}" for ccy in currencies if ccy != base}
    return sorted(pairs | set(data.fx_prices.list()))


def stored_fx(data: DataBlob, pair: str) -> pd.Series | None:
    try:
        return data.fx_prices.get(pair)
    except MissingData:
        return None


def update_fx_prices(data: DataBlob) -> JobSummary:
    summary = JobSummary("update_fx_prices")
    max_spike = float(data.config["max_price_spike"])
    traded_instruments(data, summary)
    for pair in fx_pairs_needed(data):
        with log_context(currency_code=pair, type="fx_prices"), summary.isolated(pair, "FX rates"):
            existing = stored_fx(data, pair)
            start = None if existing is None or existing.empty else existing.index[-1].to_pydatetime()
            fresh = newer_than(data.broker.fx_prices(pair, start=start).dropna(), existing)
            if fresh.empty:
                summary.unchanged.append(pair)
                continue
            spikes = spikes_in(existing, fresh, max_spike)
            if spikes:
                summary.spiked[pair] = report_spikes(f"FX {pair}", spikes, max_spike)
                continue
            added = data.fx_prices.append_newer(pair, fresh)
            log.info("FX %s: %d new rate(s) to %s", pair, added, fresh.index[-1])
            summary.updated[pair] = f"{added} row(s) to {fresh.index[-1]:%Y-%m-%d %H:%M}"
    return summary
