"""Roll state per instrument, with when and why it last changed (DocumentStore)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sysdata.stores.documents import DocumentStore
from sysobjects.roll_state import RollState


@dataclass(frozen=True)
class RollStateRecord:
    instrument_code: str
    state: RollState
    since: dt.datetime | None
    reason: str
    # For Roll_Adjusted: the PRICE contract being rolled out of, so a roll interrupted half way
    # (prices rolled, state not yet reset) is recognised and never done twice.
    roll_from: str | None = None


class RollStates:
    COLLECTION = "roll_state"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def get(self, instrument: str) -> RollStateRecord:
        """The stored state; an instrument never set is in No_Roll."""
        doc = self._docs.get(self.COLLECTION, instrument)
        if doc is None:
            return RollStateRecord(instrument, RollState.NO_ROLL, None, "never set")
        since = dt.datetime.fromisoformat(doc["since"]) if doc.get("since") else None
        return RollStateRecord(
            instrument, RollState(doc["state"]), since, doc.get("reason", ""), doc.get("roll_from")
        )

    def set(
        self, instrument: str, state: RollState, when: dt.datetime, reason: str,
        roll_from: str | None = None,
    ) -> None:
        """Record a change; `since` only moves when the state really changes."""

        def change(doc):
            if doc is not None and doc.get("state") == state.value:
                return {**doc, "reason": reason, "roll_from": roll_from or doc.get("roll_from")}
            return {"state": state.value, "since": when.isoformat(), "reason": reason, "roll_from": roll_from}

        self._docs.update(self.COLLECTION, instrument, change)

    def all(self) -> dict[str, RollStateRecord]:
        return {key: self.get(key) for key in self._docs.keys(self.COLLECTION)}
