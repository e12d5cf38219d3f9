"""Each strategy's optimal positions with their buffers (DocumentStore), and their history.

One collection holds both: `current/<strategy>` (the strategy's whole current set, one document)
and `history/<strategy>/<instrument>/<run number>` (one row per instrument per run). `put_all`
writes the new set and its history rows in one transaction, so a reader never sees a set whose
history is missing, nor half of one run's set and half of another's.
"""

from __future__ import annotations

import pandas as pd

from sysdata.stores.documents import DocumentStore
from sysobjects.optimal_positions import BufferedOptimalPosition

CURRENT = "current/"
HISTORY = "history/"
HISTORY_COLUMNS = ["optimal", "lower", "upper", "reference_price", "reference_contract", "reference_time"]


class OptimalPositions:
    COLLECTION = "optimal_positions"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def put_all(self, strategy: str, positions: dict[str, BufferedOptimalPosition]) -> None:
        """Replace the strategy's current set by `positions` and append them to its history."""
        rows = {code: position.to_dict() for code, position in positions.items()}
        run = self._docs.next_id(self.COLLECTION)  # two runs at one clock time both stay
        docs = {
            f"{HISTORY}{strategy}/{code}/{run:012d}": {"kind": "history", "strategy": strategy, "run": run, **row}
            for code, row in rows.items()
        }
        docs[f"{CURRENT}{strategy}"] = {"kind": "current", "strategy": strategy, "positions": rows}
        put_many = getattr(self._docs, "put_many", None)
        if put_many is not None:
            put_many(self.COLLECTION, docs)
            return
        for key, doc in docs.items():  # a store without transactions: history before the set
            self._docs.put(self.COLLECTION, key, doc)

    def for_strategy(self, strategy: str) -> dict[str, BufferedOptimalPosition]:
        """The strategy's current set (empty when it has none)."""
        doc = self._docs.get(self.COLLECTION, f"{CURRENT}{strategy}")
        if doc is None:
            return {}
        return {code: BufferedOptimalPosition.from_dict(row) for code, row in sorted(doc["positions"].items())}

    def strategies(self) -> list[str]:
        return sorted(k[len(CURRENT):] for k in self._docs.keys(self.COLLECTION) if k.startswith(CURRENT))

    def history(self, strategy: str, instrument: str) -> pd.DataFrame:
        """One row per run (index run_time): optimal, lower, upper and the reference price."""
        docs = self._docs.find(self.COLLECTION, kind="history", strategy=strategy, instrument_code=instrument)
        if not docs:
            return pd.DataFrame(columns=HISTORY_COLUMNS, index=pd.DatetimeIndex([], name="run_time"))
        frame = pd.DataFrame(
            [{c: d[c] for c in HISTORY_COLUMNS} for d in docs],
            index=pd.DatetimeIndex([pd.Timestamp(d["run_time"]) for d in docs], name="run_time"),
        )
        frame["reference_time"] = pd.to_datetime(frame["reference_time"])
        return frame.sort_index(kind="stable")
