"""Positions per contract as the system books them (from fills), in the DocumentStore.

The roll logic asks "what do we hold in the priced contract?" from here, not from the broker:
the broker's view is reconciled against this book separately (the stack handler's position-break
check). The book changes only through fills (and balance trades): the order stacks call
`change_in` inside the transaction that books the fill, and each document keeps the id of the
last fill that moved it, so a fill booked twice is refused by the stacks' fill ledger and never
moves a position twice.
"""

from __future__ import annotations

from typing import Any

from sysdata.stores.documents import DocumentStore, Transaction


class ContractPositions:
    COLLECTION = "contract_positions"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    @staticmethod
    def key(instrument: str, contract: str) -> str:
        return f"{instrument}/{contract}"

    _key = key

    def get(self, instrument: str, contract: str) -> int:
        doc = self._docs.get(self.COLLECTION, self.key(instrument, contract))
        return 0 if doc is None else int(doc["position"])

    def for_instrument(self, instrument: str) -> dict[str, int]:
        docs = self._docs.find(self.COLLECTION, instrument_code=instrument)
        return {d["contract_date"]: int(d["position"]) for d in docs if int(d["position"]) != 0}

    def all(self) -> dict[tuple[str, str], int]:
        """Every non-zero position, keyed (instrument, contract)."""
        return {
            (d["instrument_code"], d["contract_date"]): int(d["position"])
            for _, d in self._docs.items(self.COLLECTION) if int(d["position"]) != 0
        }

    def instrument_total(self, instrument: str) -> int:
        return sum(self.for_instrument(instrument).values())

    @classmethod
    def change_in(cls, tx: Transaction, instrument: str, contract: str, quantity: int, fill_id: str) -> int:
        """Inside the transaction that books fill `fill_id`: add `quantity`; returns the new position."""
        key = cls.key(instrument, contract)
        doc: dict[str, Any] | None = tx.get(cls.COLLECTION, key)
        position = (0 if doc is None else int(doc["position"])) + int(quantity)
        tx.put(cls.COLLECTION, key, {"instrument_code": instrument, "contract_date": contract,
                                     "position": position, "last_fill_id": fill_id})
        return position

    def set(self, instrument: str, contract: str, position: int) -> None:
        """Write a position directly. For building test and sandbox installations only: in
        production the book moves through fills and balance trades (the order stacks)."""
        self._docs.put(
            self.COLLECTION,
            self.key(instrument, contract),
            {"instrument_code": instrument, "contract_date": contract, "position": int(position),
             "last_fill_id": None},
        )
