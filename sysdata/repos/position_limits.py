"""Position limits per instrument (all strategies together) and per strategy and instrument
(DocumentStore). One document per limit; the rule that cuts a trade back is pure, in
sysobjects/position_limits.py. No stored limit means no limit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from syscore.exceptions import DataValidationError
from sysdata.stores.documents import DocumentStore
from sysobjects.position_limits import check_limit_value


@dataclass(frozen=True)
class PositionLimitEntry:
    strategy_name: str | None  # None: the instrument's limit over all strategies
    instrument_code: str
    limit: int
    time: dt.datetime

    @property
    def label(self) -> str:
        if self.strategy_name:
            return f"strategy {self.strategy_name} / instrument {self.instrument_code}"
        return f"instrument {self.instrument_code}"


def _key(instrument: str, strategy: str | None) -> str:
    if not instrument:
        raise DataValidationError("a position limit is for an instrument; name it")
    return f"strategy_instrument:{strategy}/{instrument}" if strategy else f"instrument:{instrument}"


class PositionLimits:
    COLLECTION = "position_limits"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def set(self, instrument: str, limit: int, when: dt.datetime, strategy: str | None = None) -> None:
        """Store (or replace) the absolute limit; 0 allows no position at all."""
        value = check_limit_value(limit)
        self._docs.put(self.COLLECTION, _key(instrument, strategy), {
            "strategy_name": strategy or None, "instrument_code": instrument, "limit": value,
            "time": when.isoformat(),
        })

    def clear(self, instrument: str, strategy: str | None = None) -> bool:
        """Remove a limit; False when there was none."""
        return self._docs.delete(self.COLLECTION, _key(instrument, strategy))

    def get(self, instrument: str, strategy: str | None = None) -> int | None:
        """The limit, or None when there is none (no limit)."""
        doc = self._docs.get(self.COLLECTION, _key(instrument, strategy))
        return None if doc is None else int(doc["limit"])

    def all(self) -> list[PositionLimitEntry]:
        """Every stored limit: instruments first, then strategy/instrument pairs."""
        return [
            PositionLimitEntry(doc.get("strategy_name"), doc["instrument_code"], int(doc["limit"]),
                               dt.datetime.fromisoformat(doc["time"]))
            for _, doc in self._docs.items(self.COLLECTION)
        ]
