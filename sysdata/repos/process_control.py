"""Control state per process (DocumentStore): GO / STOP / PAUSE / NO-RUN, and who is running it.

The status is what the user wants; the rest (running flag, pid, host, identity, start and end
times, outcome of the last run) is what the process itself records. Both live in one document per
process so a start can check and claim it in one atomic update, and a finished run is kept in a
history collection for diagnostics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from syscore.exceptions import DataValidationError
from sysdata.stores.documents import Document, DocumentStore

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


class ProcessStatus(StrEnum):
    GO = "GO"  # may start and run
    STOP = "STOP"  # a running copy ends at its next method boundary; no new start
    PAUSE = "PAUSE"  # a running copy waits between methods until GO (or STOP)
    NO_RUN = "NO-RUN"  # no new start; a running copy carries on

    @classmethod
    def parse(cls, text: str) -> ProcessStatus:
        cleaned = text.strip().upper().replace("_", "-")
        for status in cls:
            if status.value == cleaned:
                return status
        raise DataValidationError(
            f"unknown process status '{text}'; use one of {', '.join(s.value for s in cls)}"
        )


@dataclass(frozen=True)
class ProcessState:
    """One process's control document."""

    process_name: str
    status: ProcessStatus = ProcessStatus.GO
    running: bool = False
    pid: int | None = None
    host: str | None = None
    identity: str | None = None  # boot id + process start tick: survives pid reuse
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    last_outcome: str | None = None  # completed / stopped / crashed / died

    def to_doc(self) -> Document:
        doc: dict[str, Any] = asdict(self)
        doc["status"] = self.status.value
        for key in ("start_time", "end_time"):
            doc[key] = doc[key].isoformat() if doc[key] is not None else None
        return doc

    @classmethod
    def from_doc(cls, name: str, doc: Document | None) -> ProcessState:
        if doc is None:
            return cls(name)
        return cls(
            process_name=name,
            status=ProcessStatus(doc.get("status", "GO")),
            running=bool(doc.get("running", False)),
            pid=doc.get("pid"),
            host=doc.get("host"),
            identity=doc.get("identity"),
            start_time=_parse_time(doc.get("start_time")),
            end_time=_parse_time(doc.get("end_time")),
            last_outcome=doc.get("last_outcome"),
        )


def _parse_time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


class ProcessControl:
    """Collection `process_control` (one document per process) and `process_history` (runs)."""

    COLLECTION = "process_control"
    HISTORY = "process_history"

    def __init__(self, blob: DataBlob | DocumentStore):
        self._docs: DocumentStore = getattr(blob, "documents", blob)

    def get(self, name: str) -> ProcessState:
        return ProcessState.from_doc(name, self._docs.get(self.COLLECTION, name))

    def all(self) -> dict[str, ProcessState]:
        return {key: ProcessState.from_doc(key, doc) for key, doc in self._docs.items(self.COLLECTION)}

    def update(
        self, name: str, change: Callable[[ProcessState], ProcessState]
    ) -> ProcessState:
        """Atomically replace the state by `change(current)` (read-modify-write in one step)."""

        def on_doc(doc: Document | None) -> Document:
            return change(ProcessState.from_doc(name, doc)).to_doc()

        return ProcessState.from_doc(name, self._docs.update(self.COLLECTION, name, on_doc))

    def set_status(self, name: str, status: ProcessStatus) -> ProcessState:
        return self.update(name, lambda state: replace(state, status=status))

    def add_history(self, state: ProcessState, detail: str = "") -> int:
        """Keep a finished run (start, end, outcome, pid) for `process history` views."""
        doc = state.to_doc()
        doc.pop("status", None)
        doc.pop("running", None)
        doc["detail"] = detail
        return self._docs.insert_with_id(self.HISTORY, doc)

    def history(self, name: str | None = None, limit: int | None = None) -> list[Document]:
        runs = (
            self._docs.find(self.HISTORY, process_name=name)
            if name is not None
            else [doc for _, doc in self._docs.items(self.HISTORY)]
        )
        return runs[-limit:] if limit else runs
