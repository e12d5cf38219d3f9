"""Positions per strategy and instrument as the system books them (DocumentStore).

They change only through fills of the strategy's orders (and balance trades): the stacks call
`change_in` inside the same transaction that books the fill, and each position document keeps
the id of the last fill that moved it. Roll orders (the roll pseudo-strategy) move a position
between contracts and so never change a strategy position.
"""

from __future__ import annotations

from typing import Any

from sysdata.stores.documents import DocumentStore, Transaction


class StrategyPositions:
    COLLECTION = "strategy_positions"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    @staticmethod
    def key(strategy: str, instrument: str) -> str:
        return f"{strategy}/{instrument}"

    def get(self, strategy: str, instrument: str) -> int:
        doc = self._docs.get(self.COLLECTION, self.key(strategy, instrument))
        return 0 if doc is None else int(doc["position"])

    def for_strategy(self, strategy: str) -> dict[str, int]:
        docs = self._docs.find(self.COLLECTION, strategy_name=strategy)
        return {d["instrument_code"]: int(d["position"]) for d in docs if int(d["position"]) != 0}

    def all(self) -> dict[tuple[str, str], int]:
        """Every non-zero position, keyed (strategy, instrument)."""
        return {
            (d["strategy_name"], d["instrument_code"]): int(d["position"])
            for _, d in self._docs.items(self.COLLECTION) if int(d["position"]) != 0
        }

    def for_instrument(self, instrument: str) -> dict[str, int]:
        """Non-zero positions of every strategy in one instrument."""
        docs = self._docs.find(self.COLLECTION, instrument_code=instrument)
        return {d["strategy_name"]: int(d["position"]) for d in docs if int(d["position"]) != 0}

    @classmethod
    def change_in(cls, tx: Transaction, strategy: str, instrument: str, quantity: int, fill_id: str) -> int:
        """Inside the transaction that books fill `fill_id`: add `quantity`; returns the new position."""
        key = cls.key(strategy, instrument)
        doc: dict[str, Any] | None = tx.get(cls.COLLECTION, key)
        position = (0 if doc is None else int(doc["position"])) + int(quantity)
        tx.put(cls.COLLECTION, key, {"strategy_name": strategy, "instrument_code": instrument,
                                     "position": position, "last_fill_id": fill_id})
        return position
