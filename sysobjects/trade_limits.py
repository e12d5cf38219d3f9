"""Trade limits: the most contracts that may be traded in an instrument (all strategies
together), or in one strategy's instrument, over a rolling window of N days.

A limit counts absolute contracts: a buy of 3 and a sell of 2 use 5. A calendar spread uses each
leg (one spread of a roll is 2 contracts), as pysystemtrade counts an order's total absolute
quantity. Trades count from when they are sent; an order the broker rejects, or the unfilled part
of one cancelled when the stack handler stops, gives its contracts back (an order the broker
cancels part-filled keeps counting what it was sent with: a limit errs on the side of less).

An order beyond a limit is cut back to what every limit that applies still allows, never grown or
reversed; when nothing is left it is held, with the reason. Instruments and strategies without a
limit are not limited. Pure: values in, values out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from syscore.exceptions import DataValidationError


@dataclass(frozen=True)
class TradeLimit:
    """`max_contracts` absolute contracts per `period_days`, for `instrument_code`, and for one
    strategy's trades in it when `strategy_name` is set (else all strategies together)."""

    instrument_code: str
    max_contracts: int
    period_days: int
    strategy_name: str | None = None

    def __post_init__(self) -> None:
        check_limit(self.max_contracts, self.period_days)

    @property
    def key(self) -> str:
        return limit_key(self.instrument_code, self.strategy_name, self.period_days)

    def describe(self) -> str:
        who = f"{self.strategy_name}/{self.instrument_code}" if self.strategy_name else self.instrument_code
        return f"{who}: {self.max_contracts} contracts per {self.period_days} day(s)"

    def applies_to(self, strategy_name: str, instrument_code: str) -> bool:
        return self.instrument_code == instrument_code and self.strategy_name in (None, strategy_name)

    def to_dict(self) -> dict:
        return {"instrument_code": self.instrument_code, "strategy_name": self.strategy_name,
                "max_contracts": self.max_contracts, "period_days": self.period_days}

    @classmethod
    def from_dict(cls, doc: dict) -> TradeLimit:
        return cls(doc["instrument_code"], int(doc["max_contracts"]), int(doc["period_days"]),
                   doc.get("strategy_name"))


def limit_key(instrument_code: str, strategy_name: str | None, period_days: int) -> str:
    """One limit per (instrument, strategy or all, period): setting it again replaces it."""
    return f"{instrument_code}/{strategy_name or '*'}/{int(period_days)}"


def check_limit(max_contracts: object, period_days: object) -> None:
    """One clear line for a limit that cannot be."""
    if not isinstance(max_contracts, int) or isinstance(max_contracts, bool) or max_contracts < 0:
        raise DataValidationError(
            f"trade limit {max_contracts!r} is not a whole number of contracts, 0 or more; fix it"
        )
    if not isinstance(period_days, int) or isinstance(period_days, bool) or period_days < 1:
        raise DataValidationError(f"trade limit period {period_days!r} is not a whole number of days, 1 or more; fix it")


@dataclass(frozen=True)
class TradeRecord:
    """Contracts (absolute) one order used, at `time`."""

    strategy_name: str
    instrument_code: str
    contracts: int
    time: dt.datetime


def used(limit: TradeLimit, records: Iterable[TradeRecord], now: dt.datetime) -> int:
    """Contracts the limit's trades used in its window: after `now - period_days`, up to now."""
    start = now - dt.timedelta(days=limit.period_days)
    return sum(
        abs(r.contracts) for r in records
        if start < r.time <= now and limit.applies_to(r.strategy_name, r.instrument_code)
    )


def remaining(limit: TradeLimit, records: Iterable[TradeRecord], now: dt.datetime) -> int:
    return max(0, limit.max_contracts - used(limit, records, now))


@dataclass(frozen=True)
class LimitedTrade:
    """The trade a limit allows (`trade`, signed like the asked one) and, when cut or held, why."""

    trade: int
    reason: str = ""

    @property
    def held(self) -> bool:
        return self.trade == 0


def allowed_trade(
    strategy_name: str, instrument_code: str, trade: int, limits: Iterable[TradeLimit],
    records: Iterable[TradeRecord], now: dt.datetime, contracts_per_unit: int = 1,
) -> LimitedTrade:
    """The part of signed `trade` (units of `contracts_per_unit` contracts: 2 for a calendar
    spread) that every limit on this strategy and instrument still allows at `now`."""
    if contracts_per_unit < 1:
        raise DataValidationError(f"contracts per unit must be at least 1, got {contracts_per_unit}")
    records = list(records)
    units = abs(int(trade))
    reasons = []
    for limit in sorted(limits, key=lambda x: x.key):
        if not limit.applies_to(strategy_name, instrument_code):
            continue
        left = remaining(limit, records, now)
        fits = left // contracts_per_unit
        if fits < units:
            units = fits
            reasons.append(f"{limit.describe()}, {left} left")
    signed = units if trade > 0 else -units
    if not reasons:
        return LimitedTrade(int(trade))
    what = "held" if units == 0 else f"cut from {trade} to {signed}"
    return LimitedTrade(signed, f"trade limit: {what} ({'; '.join(reasons)})")
