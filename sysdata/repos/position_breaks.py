"""Open position breaks (DocumentStore): one document per instrument whose broker and book
positions disagree, written by the stack handler's `check_external_position_break`.

The break also locks the instrument (`data.instrument_locks`, reason "position break: ...") so no
new orders are made; this record is what the check itself remembers: since when the break has
held, what differs, and whether it set the lock (a lock someone set by hand before the break is
left alone, and left in place when the break clears). Auto-roll and the reports ask `is_open`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sysdata.stores.documents import DocumentStore
from sysobjects.position_breaks import PositionBreak


@dataclass(frozen=True)
class OpenBreak:
    position_break: PositionBreak
    since: dt.datetime
    locked_here: bool  # the check set the instrument's lock (and so may clear it)


class PositionBreaks:
    COLLECTION = "position_breaks"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    @staticmethod
    def _from_doc(doc: dict) -> OpenBreak:
        return OpenBreak(PositionBreak.from_dict(doc["break"]), dt.datetime.fromisoformat(doc["since"]),
                         bool(doc["locked_here"]))

    def get(self, instrument: str) -> OpenBreak | None:
        doc = self._docs.get(self.COLLECTION, instrument)
        return None if doc is None else self._from_doc(doc)

    def is_open(self, instrument: str) -> bool:
        return self._docs.get(self.COLLECTION, instrument) is not None

    def all(self) -> dict[str, OpenBreak]:
        return {key: self._from_doc(doc) for key, doc in self._docs.items(self.COLLECTION)}

    def record(self, found: PositionBreak, when: dt.datetime, locked_here: bool) -> bool:
        """Remember a break seen at `when`; True when it is new or its differences changed (the
        caller logs it then, not on every pass). The first time seen is kept."""
        changed: list[bool] = []

        def change(doc: dict | None) -> dict:
            same = doc is not None and PositionBreak.from_dict(doc["break"]) == found
            changed.append(not same)
            since = doc["since"] if doc is not None else when.isoformat()
            keep_lock = bool(doc["locked_here"]) if doc is not None else False
            return {"break": found.to_dict(), "since": since, "locked_here": keep_lock or locked_here}

        self._docs.update(self.COLLECTION, found.instrument_code, change)
        return changed[0]

    def clear(self, instrument: str) -> OpenBreak | None:
        """Forget the instrument's break; returns what it was (None when there was none)."""
        gone: list[dict] = []

        def change(doc: dict | None) -> None:
            if doc is not None:
                gone.append(doc)
            return None

        self._docs.update(self.COLLECTION, instrument, change)
        return self._from_doc(gone[0]) if gone else None
