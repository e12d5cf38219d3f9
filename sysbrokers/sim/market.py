"""What the simulated broker asks of a market, and the FX arithmetic both markets share.

Two markets stand behind the simulated broker: a synthetic one generated from a seed
(`sysbrokers.sim.synthetic`) and a replay of an imported real dataset (`sysbrokers.sim.replay`).
Both answer only up to the time they are given (the broker passes `clock.now()`), never later.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

import pandas as pd

from syscore.exceptions import BrokerError, BrokerNoData
from sysobjects.instruments import InstrumentMeta
from sysobjects.roll_parameters import RollParameters

# Daily bars are stamped at one fixed session close (UTC); hourly bars cover the eight hours
# before it, stamped at the end of each hour. The close is 19:00 so that the day's bar exists when
# the crontab's 20:00 price process runs (a test checks the two against each other): a 23:00 close
# left the 20:00 job with nothing new and production a day behind the market.
SESSION_CLOSE = dt.time(19, 0)
HOURS_PER_SESSION = 8

_PAIR = re.compile(r"^[A-Z]{3}[A-Z]{3}$")


class SimMarket(Protocol):
    kind: str

    def describe(self) -> str: ...
    def instrument_codes(self) -> list[str]: ...
    def instrument_meta(self, code: str) -> InstrumentMeta: ...
    def roll_parameters(self, code: str) -> RollParameters: ...
    def spread_cost(self, code: str) -> float: ...
    def currencies(self) -> list[str]: ...
    def contract_expiry(self, code: str, contract_id: str) -> dt.date: ...
    def listed_contracts(self, code: str, now: dt.datetime) -> list[str]: ...
    def daily_bars(self, code: str, contract_id: str, now: dt.datetime) -> pd.DataFrame: ...
    def hourly_bars(self, code: str, contract_id: str, now: dt.datetime) -> pd.DataFrame: ...
    def usd_rates(self, currency: str, now: dt.datetime) -> pd.Series:
        """Daily USD value of one unit of `currency` up to `now` (constant 1 for USD)."""
        ...


def split_pair(pair: str) -> tuple[str, str]:
    if not isinstance(pair, str) or not _PAIR.match(pair):
        raise BrokerError(f"FX pair '{pair}' is not six capital letters such as GBPUSD")
    return pair[:3], pair[3:]


def fx_pair_prices(market: SimMarket, pair: str, now: dt.datetime) -> pd.Series:
    """Units of the second currency per unit of the first (GBPUSD: USD per GBP), up to `now`.

    Crosses come from the two USD rates on the dates both have.
    """
    base, quote = split_pair(pair)
    known = set(market.currencies())
    for currency in (base, quote):
        if currency not in known:
            raise BrokerNoData(
                f"FX pair {pair}: the simulated market has no {currency}; it knows {', '.join(sorted(known))}"
            )
    if quote == "USD":
        rates = market.usd_rates(base, now)
    elif base == "USD":
        rates = 1.0 / market.usd_rates(quote, now)
    else:
        left, right = market.usd_rates(base, now), market.usd_rates(quote, now)
        rates = (left / right.reindex(left.index)).dropna()
    return rates.rename("price")


def latest_rate(market: SimMarket, currency: str, target: str, now: dt.datetime) -> float:
    """The last known rate converting one unit of `currency` into `target`."""
    if currency == target:
        return 1.0
    series = fx_pair_prices(market, f"{currency}{target}", now)
    if series.empty:
        raise BrokerNoData(f"no {currency}{target} rate known at {now:%Y-%m-%d %H:%M}")
    return float(series.iloc[-1])


def session_stamp(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Midnight-normalised days -> their session close stamps."""
    offset = pd.Timedelta(hours=SESSION_CLOSE.hour, minutes=SESSION_CLOSE.minute)
    return pd.DatetimeIndex(days + offset, name="DATETIME")


def empty_bars() -> pd.DataFrame:
    """A bar frame with no rows (a contract not yet listed, or a time before the history)."""
    return pd.DataFrame(
        {column: pd.Series(dtype="float64") for column in ("OPEN", "HIGH", "LOW", "FINAL", "VOLUME")},
        index=pd.DatetimeIndex([], name="DATETIME", dtype="datetime64[ns]"),
    )
