"""IB API client ids, one per connected process, tracked in the installation's DocumentStore.

IB Gateway refuses a second connection with a client id already in use, so each process takes the
lowest free id at or above `ib_idoffset` (give installations sharing one gateway offsets far
apart) and gives it back when it disconnects or exits. A process killed without releasing leaves
its id behind: `startup`'s `clear_broker_client_ids` (and `interactive_controls`) clear them all,
and an id whose process is no longer alive on this host is taken over.

No ib_async import here: clearing ids works on an installation without the IB extra.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

from syscore.exceptions import BrokerError
from syscore.liveness import hostname, is_alive
from sysdata.stores.documents import DocumentStore

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

COLLECTION = "ib_client_ids"
MAX_IDS = 100



class ClientIdTracker:
    """Hands out and takes back client ids (see the module docstring)."""

    def __init__(self, documents: DocumentStore, offset: int):
        self._docs = documents
        self.offset = int(offset)

    def _stale(self, doc: dict | None) -> bool:
        return doc is not None and doc.get("host") == hostname() and not is_alive(int(doc["pid"]))

    def acquire(self, process: str, now: dt.datetime, exclude: set[int] = frozenset()) -> int:  # type: ignore[assignment]
        """The lowest free id at or above the offset, recorded as this process's (atomic)."""
        claim = {"pid": os.getpid(), "host": hostname(), "process": process, "since": now.isoformat()}
        for client_id in range(self.offset, self.offset + MAX_IDS):
            if client_id in exclude:
                continue
            taken: list[bool] = []

            def take(doc: dict | None, taken: list[bool] = taken) -> dict:
                taken.clear()
                if doc is None or self._stale(doc):
                    taken.append(True)
                    return claim
                return doc

            self._docs.update(COLLECTION, str(client_id), take)
            if taken:
                return client_id
        raise BrokerError(
            f"all IB client ids {self.offset}-{self.offset + MAX_IDS - 1} are taken; run "
            "`sysprod run startup` or interactive_controls' 'clear broker client ids' if no process uses them"
        )

    def release(self, client_id: int) -> None:
        doc = self._docs.get(COLLECTION, str(client_id))
        if doc is not None and doc.get("pid") == os.getpid() and doc.get("host") == hostname():
            self._docs.delete(COLLECTION, str(client_id))

    def in_use(self) -> dict[int, dict]:
        return {int(key): doc for key, doc in self._docs.items(COLLECTION)}

    def clear(self) -> list[int]:
        cleared = sorted(self.in_use())
        for client_id in cleared:
            self._docs.delete(COLLECTION, str(client_id))
        return cleared


def clear_client_ids(data: DataBlob) -> str:
    """Forget every recorded client id (at boot nothing is connected, so none is really in use)."""
    cleared = ClientIdTracker(data.documents, int(data.config["ib_idoffset"])).clear()
    return f"cleared IB client ids: {', '.join(map(str, cleared))}" if cleared else "no IB client ids recorded"
