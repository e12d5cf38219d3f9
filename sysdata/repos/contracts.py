"""Futures contracts we know of: expiry and whether we sample (collect prices for) them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sysdata.stores.documents import DocumentStore


@dataclass(frozen=True)
class ContractRecord:
    instrument_code: str
    contract_date: str  # YYYYMMDD
    expiry_date: str | None = None  # ISO date, from the broker when known
    sampling: bool = False

    @property
    def key(self) -> str:
        return f"{self.instrument_code}/{self.contract_date}"


class Contracts:
    COLLECTION = "contracts"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def get(self, instrument: str, contract: str) -> ContractRecord | None:
        doc = self._docs.get(self.COLLECTION, f"{instrument}/{contract}")
        return None if doc is None else ContractRecord(**doc)

    def put(self, record: ContractRecord) -> None:
        self._docs.put(self.COLLECTION, record.key, asdict(record))

    def for_instrument(self, instrument: str) -> list[ContractRecord]:
        return [ContractRecord(**d) for d in self._docs.find(self.COLLECTION, instrument_code=instrument)]

    def sampled(self, instrument: str | None = None) -> list[ContractRecord]:
        query: dict[str, Any] = {"sampling": True}
        if instrument is not None:
            query["instrument_code"] = instrument
        return [ContractRecord(**d) for d in self._docs.find(self.COLLECTION, **query)]

    def put_many(self, records: list[ContractRecord]) -> None:
        put_many = getattr(self._docs, "put_many", None)
        docs = {r.key: asdict(r) for r in records}
        if put_many is not None:
            put_many(self.COLLECTION, docs)
        else:
            for key, doc in docs.items():
                self._docs.put(self.COLLECTION, key, doc)
