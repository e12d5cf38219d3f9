"""Trade limits and the trades counted against them (DocumentStore).

Limits are set and cleared by `sysprod control trade-limit` (one document per instrument,
strategy or all, and period; setting one again replaces it). The stack handler asks `allowed`
before it sends an order, then `record`s the contracts it sends under the broker order's id (a
put by key, so recording the same order twice, e.g. after a restart, counts it once) and
`release`s what an order did not use (rejected, or cancelled part-filled at stop). The rules are pure, in
`sysobjects.trade_limits`.
"""

from __future__ import annotations

import datetime as dt

from syscore.exceptions import MissingData
from sysdata.stores.documents import DocumentStore
from sysobjects.trade_limits import (
    LimitedTrade,
    TradeLimit,
    TradeRecord,
    allowed_trade,
    limit_key,
    used,
)


class TradeLimits:
    LIMITS = "trade_limits"
    RECORDS = "trade_limit_records"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    # --- limits -----------------------------------------------------------------------------
    def set(self, limit: TradeLimit) -> None:
        self._docs.put(self.LIMITS, limit.key, limit.to_dict())

    def clear(self, instrument: str, strategy: str | None = None, period_days: int | None = None) -> list[TradeLimit]:
        """Remove the limits of `instrument` (only the one strategy's, or the instrument-wide ones
        when `strategy` is None; only one period when given); returns what was removed."""
        gone = [
            limit for limit in self.for_instrument(instrument)
            if limit.strategy_name == strategy and period_days in (None, limit.period_days)
        ]
        if not gone:
            who = f"{strategy}/{instrument}" if strategy else instrument
            period = f" over {period_days} day(s)" if period_days else ""
            raise MissingData(f"no trade limit on {who}{period}; see 'sysprod control trade-limit list'")
        for limit in gone:
            self._docs.delete(self.LIMITS, limit.key)
        return gone

    def all(self) -> list[TradeLimit]:
        return [TradeLimit.from_dict(doc) for _, doc in self._docs.items(self.LIMITS)]

    def for_instrument(self, instrument: str) -> list[TradeLimit]:
        return [TradeLimit.from_dict(doc) for doc in self._docs.find(self.LIMITS, instrument_code=instrument)]

    def get(self, instrument: str, strategy: str | None, period_days: int) -> TradeLimit | None:
        doc = self._docs.get(self.LIMITS, limit_key(instrument, strategy, period_days))
        return None if doc is None else TradeLimit.from_dict(doc)

    # --- trades counted -----------------------------------------------------------------------
    def record(self, key: str, strategy: str, instrument: str, contracts: int, when: dt.datetime) -> None:
        """Count `contracts` (absolute) sent by one order, known by `key` (its broker order id)."""
        self._docs.put(self.RECORDS, str(key), {
            "strategy_name": strategy, "instrument_code": instrument,
            "contracts": abs(int(contracts)), "time": when.isoformat(),
        })

    def release(self, key: str, contracts_used: int) -> None:
        """An order used only `contracts_used` (its fill) of what was recorded: count that."""

        def change(doc):
            if doc is None:
                return None
            return None if contracts_used == 0 else {**doc, "contracts": abs(int(contracts_used))}

        self._docs.update(self.RECORDS, str(key), change)

    def records(self, instrument: str) -> list[TradeRecord]:
        return [
            TradeRecord(d["strategy_name"], d["instrument_code"], int(d["contracts"]),
                        dt.datetime.fromisoformat(d["time"]))
            for d in self._docs.find(self.RECORDS, instrument_code=instrument)
        ]

    def prune(self, before: dt.datetime) -> int:
        """Forget trades older than every limit's window could look (housekeeping)."""
        gone = 0
        for key, doc in self._docs.items(self.RECORDS):
            if dt.datetime.fromisoformat(doc["time"]) < before:
                gone += int(self._docs.delete(self.RECORDS, key))
        return gone

    # --- the question the stack handler asks ----------------------------------------------
    def allowed(
        self, strategy: str, instrument: str, trade: int, now: dt.datetime, contracts_per_unit: int = 1,
    ) -> LimitedTrade:
        limits = self.for_instrument(instrument)
        if not limits:
            return LimitedTrade(int(trade))
        return allowed_trade(strategy, instrument, trade, limits, self.records(instrument), now, contracts_per_unit)

    def usage(self, now: dt.datetime) -> list[tuple[TradeLimit, int]]:
        """Every limit with the contracts its window has used at `now` (for the CLI)."""
        out = []
        for limit in self.all():
            out.append((limit, used(limit, self.records(limit.instrument_code), now)))
        return out
