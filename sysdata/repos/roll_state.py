"""Roll state per instrument, with when and why it last changed, and the differential each daily
roll used (DocumentStore)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from sysdata.stores.documents import DocumentStore
from sysobjects.multiple_prices_update import RollPricing
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


class RollDifferentials:
    """The differential each daily roll used (DocumentStore), keyed by instrument and roll row time.

    Written before the roll row, so a roll killed before its adjusted prices were shifted is
    completed with the same differential, and a later re-stitch reproduces it exactly."""

    COLLECTION = "roll_differentials"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    @staticmethod
    def _key(instrument: str, roll_time: pd.Timestamp) -> str:
        return f"{instrument}/{pd.Timestamp(roll_time).isoformat()}"

    def record(self, instrument: str, roll_time: pd.Timestamp, pricing: RollPricing) -> None:
        self._docs.put(self.COLLECTION, self._key(instrument, roll_time), {
            "instrument_code": instrument,
            "roll_time": pd.Timestamp(roll_time).isoformat(),
            "differential": pricing.differential,
            "priced_at": pricing.time.isoformat(),
            "old_contract": pricing.old_contract,
            "old_price": pricing.old_price,
            "new_contract": pricing.new_contract,
            "new_price": pricing.new_price,
        })

    def for_instrument(self, instrument: str) -> pd.Series:
        """Roll row time -> differential, for every recorded roll of the instrument."""
        docs = self._docs.find(self.COLLECTION, instrument_code=instrument)
        if not docs:
            return pd.Series(dtype="float64", index=pd.DatetimeIndex([]), name="roll_differential")
        series = pd.Series(
            [float(d["differential"]) for d in docs],
            index=pd.DatetimeIndex([pd.Timestamp(d["roll_time"]) for d in docs]),
            name="roll_differential",
        )
        return series.sort_index()

    def get(self, instrument: str, roll_time: pd.Timestamp) -> dict | None:
        return self._docs.get(self.COLLECTION, self._key(instrument, roll_time))
