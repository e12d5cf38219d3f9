"""Positions per contract as the system books them (from fills), in the DocumentStore.

The roll logic asks "what do we hold in the priced contract?" from here, not from the broker:
the broker's view is reconciled against this book separately.
"""

from __future__ import annotations

from sysdata.stores.documents import DocumentStore


class ContractPositions:
    COLLECTION = "contract_positions"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    @staticmethod
    def _key(instrument: str, contract: str) -> str:
        return f"{instrument}/{contract}"

    def get(self, instrument: str, contract: str) -> int:
        doc = self._docs.get(self.COLLECTION, self._key(instrument, contract))
        return 0 if doc is None else int(doc["position"])

    def for_instrument(self, instrument: str) -> dict[str, int]:
        docs = self._docs.find(self.COLLECTION, instrument_code=instrument)
        return {d["contract_date"]: int(d["position"]) for d in docs if int(d["position"]) != 0}

    def add(self, instrument: str, contract: str, quantity: int) -> int:
        """Book a filled quantity atomically; returns the new position."""

        def change(doc):
            position = (0 if doc is None else int(doc["position"])) + int(quantity)
            return {"instrument_code": instrument, "contract_date": contract, "position": position}

        return int(self._docs.update(self.COLLECTION, self._key(instrument, contract), change)["position"])

    def set(self, instrument: str, contract: str, position: int) -> None:
        self._docs.put(
            self.COLLECTION,
            self._key(instrument, contract),
            {"instrument_code": instrument, "contract_date": contract, "position": int(position)},
        )
