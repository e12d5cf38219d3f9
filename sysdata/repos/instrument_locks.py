"""Instrument locks (DocumentStore): an instrument that is locked gets no new orders.

A lock is set by hand (`sysprod control lock set`, `interactive_update_override`) or by the stack
handler's position-break check (reason text starting "position break:"), and is cleared the same
ways. The strategy order generator and the spawning of contract orders both refuse a locked
instrument, so a lock is the one switch that stops all new trading in it.

Each lock is one document keyed by instrument, written in one transaction, so two processes
locking and unlocking at once never leave a half-written lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from syscore.exceptions import DataValidationError
from sysdata.stores.documents import DocumentStore


class InstrumentLocks:
    COLLECTION = "instrument_locks"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def lock(self, instrument: str, reason: str, when: dt.datetime) -> None:
        """Lock `instrument` with a reason (shown wherever the lock stops something).

        Locking an instrument already locked for the same reason keeps the first time, so a check
        that re-locks on every run still shows since when the lock has held; a different reason
        replaces reason and time."""
        if not instrument:
            raise DataValidationError("lock: instrument code is empty; name the instrument")
        if not reason or not reason.strip():
            raise DataValidationError(f"lock {instrument}: give a reason (it is shown to whoever finds the lock)")
        stamp = when.isoformat()

        def change(doc: dict[str, Any] | None) -> dict[str, Any]:
            if doc is not None and doc.get("reason") == reason:
                return doc
            return {"instrument_code": instrument, "reason": reason, "time": stamp}

        self._docs.update(self.COLLECTION, instrument, change)

    def unlock(self, instrument: str) -> bool:
        """Remove the lock; False when the instrument was not locked."""
        return self._docs.delete(self.COLLECTION, instrument)

    def unlock_if_reason_starts(self, instrument: str, prefix: str) -> bool:
        """Remove the lock only if its reason starts with `prefix`, checked and removed in one
        transaction: a check that clears its own locks ("position break: ...") never removes a
        lock a person set in the meantime. True when a lock was removed."""
        removed = False

        def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
            nonlocal removed
            if doc is not None and str(doc.get("reason", "")).startswith(prefix):
                removed = True
                return None
            return doc

        self._docs.update(self.COLLECTION, instrument, change)
        return removed

    def is_locked(self, instrument: str) -> bool:
        return self._docs.get(self.COLLECTION, instrument) is not None

    def reason(self, instrument: str) -> str | None:
        doc = self._docs.get(self.COLLECTION, instrument)
        return None if doc is None else str(doc["reason"])

    def since(self, instrument: str) -> dt.datetime | None:
        doc = self._docs.get(self.COLLECTION, instrument)
        return None if doc is None else dt.datetime.fromisoformat(doc["time"])

    def all(self) -> dict[str, dict]:
        """instrument -> {"reason": str, "time": datetime (naive UTC)}, sorted by instrument."""
        return {
            key: {"reason": doc["reason"], "time": dt.datetime.fromisoformat(doc["time"])}
            for key, doc in self._docs.items(self.COLLECTION)
        }
