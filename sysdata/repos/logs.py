"""Stored log records (DocumentStore), queryable by type, instrument, level, process and time.

Every process writes its log records here (through `syslogdiag`), so a user can ask "what
happened to US10 last night?" from any machine sharing the store, long after the process's
stdout has scrolled away. Records get increasing ids, so the store's key order is the order in
which they were written.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from syscore.exceptions import DataValidationError
from sysdata.stores.documents import Document, DocumentStore

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

# The structured attributes a record may carry (DESIGN §7); each is queryable by equality.
LOG_ATTRIBUTES = (
    "type",
    "component",
    "instrument_code",
    "contract_date",
    "currency_code",
    "strategy_name",
    "order_id",
    "process_name",
)


def level_number(level: str | int) -> int:
    """`"WARNING"` or 30 -> 30; an unknown name is a user error, not a silent 'everything'."""
    if isinstance(level, int):
        return level
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise DataValidationError(
            f"unknown log level '{level}'; use DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    return number


class LogRecords:
    """Log records in collection `logs`; each document holds level, message, time and attributes."""

    COLLECTION = "logs"

    def __init__(self, blob: DataBlob | DocumentStore):
        self._docs: DocumentStore = getattr(blob, "documents", blob)

    def add(self, record: Document) -> int:
        """Store one record (needs `level`, `message`, `time` as ISO text); returns its id."""
        return self._docs.insert_with_id(self.COLLECTION, record)

    def query(
        self,
        *,
        type: str | None = None,  # noqa: A002 - the attribute's own name
        instrument_code: str | None = None,
        process_name: str | None = None,
        min_level: str | int | None = None,
        since: dt.datetime | None = None,
        limit: int | None = None,
        **equals: Any,
    ) -> list[Document]:
        """Records matching every given attribute, oldest first; `limit` keeps the newest N."""
        wanted = {
            key: value
            for key, value in {
                "type": type,
                "instrument_code": instrument_code,
                "process_name": process_name,
                **equals,
            }.items()
            if value is not None
        }
        records = self._docs.find(self.COLLECTION, **wanted)
        if min_level is not None:
            floor = level_number(min_level)
            records = [r for r in records if r.get("levelno", 0) >= floor]
        if since is not None:
            cutoff = since.isoformat()
            records = [r for r in records if r.get("time", "") >= cutoff]
        if limit is not None and limit >= 0:
            records = records[max(0, len(records) - limit):] if limit else []
        return records

    def delete_older_than(self, days: float, now: dt.datetime) -> int:
        """Delete records stamped more than `days` before `now`; returns how many went."""
        cutoff = (now - dt.timedelta(days=days)).isoformat()
        deleted = 0
        for key, record in self._docs.items(self.COLLECTION):
            if record.get("time", "") < cutoff and self._docs.delete(self.COLLECTION, key):
                deleted += 1
        return deleted

    def count(self) -> int:
        return len(self._docs.keys(self.COLLECTION))
