"""Reading what several reports need, tolerating what is not there yet.

The order stacks, positions and capital come with later parts of the system than the prices; a
report asks here and gets an empty answer plus the reason, so it can say "no fills yet" instead of
failing. FX conversion to the base currency and the instrument metadata are read the same way
by every report.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from syscore.exceptions import MissingData, SysprodError

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)


def repository(data: DataBlob, attribute: str) -> Any | None:
    """`data.<attribute>` when this version has that repository, else None."""
    try:
        return getattr(data, attribute)
    except (AttributeError, ImportError):
        return None


def base_currency(data: DataBlob) -> str:
    return str(data.config["base_currency"])


def _usd_rate(data: DataBlob, currency: str) -> pd.Series | None:
    """Value of one unit of `currency` in USD (None: it is USD). The FX store keeps CCYUSD pairs."""
    if currency == "USD":
        return None
    try:
        return data.fx_prices.get(f"{currency}USD")
    except MissingData:
        raise MissingData(f"no FX prices {currency}USD stored; run update_fx_prices") from None


def fx_to_base(data: DataBlob, currency: str) -> pd.Series | None:
    """Value of one unit of `currency` in the base currency over time (None: 1, it is the base)."""
    base = base_currency(data)
    if currency == base:
        return None
    to_usd, base_usd = _usd_rate(data, currency), _usd_rate(data, base)
    if base_usd is None:
        return to_usd
    if to_usd is None:
        return 1.0 / base_usd
    joined = pd.concat([to_usd, base_usd], axis=1).sort_index().ffill().dropna()
    return joined.iloc[:, 0] / joined.iloc[:, 1]


def fx_at(rate: pd.Series | None, when: pd.Timestamp | dt.datetime) -> float:
    """The rate at or before `when` (the first one if `when` is before all of them)."""
    if rate is None:
        return 1.0
    upto = rate.loc[:when]
    return float(upto.iloc[-1] if len(upto) else rate.iloc[0])


def fx_on(rate: pd.Series | None, index: pd.DatetimeIndex) -> pd.Series:
    """The rate for each time of `index` (last known, as of that time)."""
    if rate is None:
        return pd.Series(1.0, index=index)
    return rate.reindex(rate.index.union(index)).sort_index().ffill().bfill().reindex(index)


def pointsize(data: DataBlob, instrument: str) -> tuple[float, str]:
    """(point size, currency) from the instrument config."""
    meta = data.instruments.get(instrument)
    return meta.pointsize, meta.currency


def contract_closes(data: DataBlob, instrument: str, contract: str) -> pd.Series:
    """Daily closes (last FINAL of each day, stamped at that bar) of one contract; empty if none."""
    try:
        bars = data.contract_prices.get(instrument, contract)
    except MissingData:
        return pd.Series(dtype=float)
    return bars["FINAL"].dropna()


def catch_missing(what: str, function, *args, **kwargs) -> tuple[Any, str]:
    """(result, "") or (None, why) when the data is missing or its repository fails."""
    try:
        return function(*args, **kwargs), ""
    except SysprodError as exc:
        return None, f"{what}: {exc}"
