"""Total capital and each strategy's capital (DocumentStore).

Total capital is one document: every stored entry (time, broker account value, total capital,
max capital, accumulated P&L, and why it was written) plus the large change waiting for a
person's confirmation. Keeping them in one document means every change (a valuation that also
settles the pending change, a deletion of the entries since a time, an edit of the latest entry)
is one read-modify-write inside one transaction of the document store: two processes (the
nightly job and the interactive tool) can never both build on the same previous entry, and a
killed process leaves the book as it was or as it became, never half-changed. The price is
size: at the default schedule (up to ten valuations a day) a decade is 36,500 entries, about
6 MB, and a valuation then reads and rewrites it in one to two seconds (measured on a busy
2-core machine); `delete_since` trims it.

Strategy capital is one document too (strategy -> its entries), so a day's allocation to all
strategies lands together or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from syscore.exceptions import DataValidationError, MissingData
from sysdata.stores.documents import DocumentStore
from sysobjects.capital import (
    COLUMNS,
    CapitalBook,
    CapitalEntry,
    CapitalValues,
    PendingChange,
)

INDEX_NAME = "time"
TOTAL_CAPITAL_FIX = "run run_capital_update (its update_total_capital) or update_capital_manual"


def _iso(when: dt.datetime) -> str:
    return when.isoformat()


def _book_to_doc(book: CapitalBook) -> dict[str, Any]:
    pending = book.pending
    return {
        "entries": [
            {"time": _iso(e.time), "source": e.source, **e.values.to_dict()} for e in book.entries
        ],
        "pending": None if pending is None else {
            "time": _iso(pending.time),
            "broker_account_value": pending.broker_account_value,
            "previous_broker_account_value": pending.previous_broker_account_value,
            "change": pending.change,
        },
    }


def _book_from_doc(doc: dict[str, Any] | None) -> CapitalBook:
    if doc is None:
        return CapitalBook()
    entries = tuple(
        CapitalEntry(dt.datetime.fromisoformat(e["time"]), CapitalValues.from_dict(e), e["source"])
        for e in doc.get("entries", [])
    )
    raw = doc.get("pending")
    pending = None if raw is None else PendingChange(
        dt.datetime.fromisoformat(raw["time"]), float(raw["broker_account_value"]),
        float(raw["previous_broker_account_value"]), float(raw["change"]),
    )
    return CapitalBook(entries, pending)


class TotalCapital:
    """The installation's total capital history (`data.total_capital`)."""

    COLLECTION = "capital"
    KEY = "total"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    # --- reading ------------------------------------------------------------------------------
    def book(self) -> CapitalBook:
        return _book_from_doc(self._docs.get(self.COLLECTION, self.KEY))

    def entries(self) -> pd.DataFrame:
        """The history with a `source` column saying why each entry was written (built straight
        from the stored document: reports read long histories)."""
        doc = self._docs.get(self.COLLECTION, self.KEY)
        rows = [] if doc is None else doc.get("entries", [])
        frame = pd.DataFrame(rows, columns=["time", *COLUMNS, "source"])
        frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("time"), format="ISO8601"), name=INDEX_NAME)
        return frame.astype({c: float for c in COLUMNS})

    def history(self) -> pd.DataFrame:
        """Index time; columns broker_account_value, total_capital, max_capital,
        accumulated_pnl (an empty frame with those columns when nothing is stored)."""
        return self.entries()[list(COLUMNS)]

    def latest_entry(self) -> CapitalEntry | None:
        """The latest entry (only it is parsed), None when nothing is stored."""
        doc = self._docs.get(self.COLLECTION, self.KEY)
        entries = [] if doc is None else doc.get("entries", [])
        if not entries:
            return None
        last = entries[-1]
        return CapitalEntry(dt.datetime.fromisoformat(last["time"]), CapitalValues.from_dict(last), last["source"])

    def latest(self) -> pd.Series | None:
        """The latest entry's four values (name: its time), None when nothing is stored."""
        entry = self.latest_entry()
        if entry is None:
            return None
        return pd.Series(entry.values.to_dict(), name=pd.Timestamp(entry.time), dtype=float)

    def latest_values(self) -> CapitalValues | None:
        entry = self.latest_entry()
        return None if entry is None else entry.values

    def total_capital(self) -> float:
        values = self.latest_values()
        if values is None:
            raise MissingData(f"no total capital stored; {TOTAL_CAPITAL_FIX}")
        return values.total_capital

    def pending(self) -> PendingChange | None:
        doc = self._docs.get(self.COLLECTION, self.KEY)
        return _book_from_doc({"pending": doc.get("pending")} if doc else None).pending

    # --- changing (each one transaction) ------------------------------------------------------
    def change(self, change: Callable[[CapitalBook], CapitalBook | None]) -> CapitalBook:
        """Read-modify-write the whole book atomically: `change(book)` returns the new book, or
        None to leave it as it is. Returns the book as stored afterwards."""
        stored: list[CapitalBook] = []

        def apply(doc: dict[str, Any] | None) -> dict[str, Any] | None:
            old = _book_from_doc(doc)
            new = change(old)
            stored[:] = [old if new is None else new]
            if new is None:
                return doc
            return _book_to_doc(new) if (new.entries or new.pending) else None

        self._docs.update(self.COLLECTION, self.KEY, apply)
        return stored[0]

    def append(self, time: dt.datetime, values: CapitalValues, source: str) -> CapitalBook:
        """Store one entry (settling any pending change)."""
        return self.change(lambda book: book.with_entry(CapitalEntry(time, values, source)))

    def delete_since(self, since: dt.datetime) -> int:
        """Delete the entries at or after `since`; returns how many went."""
        removed = 0

        def drop(book: CapitalBook) -> CapitalBook:
            nonlocal removed
            kept = book.without_since(since)
            removed = len(book.entries) - len(kept.entries)
            return kept

        self.change(drop)
        return removed

    def delete_all(self) -> int:
        """Delete every entry and any pending change; returns how many entries went."""
        removed = 0

        def drop(book: CapitalBook) -> CapitalBook:
            nonlocal removed
            removed = len(book.entries)
            return CapitalBook()

        self.change(drop)
        return removed


class StrategyCapital:
    """Each strategy's capital history (`data.strategy_capital`)."""

    COLLECTION = "capital"
    KEY = "strategies"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def _all(self) -> dict[str, list[list[Any]]]:
        doc = self._docs.get(self.COLLECTION, self.KEY)
        return {} if doc is None else doc["strategies"]

    def strategies(self) -> list[str]:
        return sorted(self._all())

    def history(self, strategy: str) -> pd.Series:
        """The strategy's capital over time (name `capital`; empty when none)."""
        rows = self._all().get(strategy, [])
        return pd.Series(
            [float(capital) for _, capital in rows],
            index=pd.DatetimeIndex([dt.datetime.fromisoformat(t) for t, _ in rows], name=INDEX_NAME),
            name="capital", dtype=float,
        )

    def latest(self, strategy: str) -> float:
        rows = self._all().get(strategy)
        if not rows:
            raise MissingData(
                f"no capital stored for strategy '{strategy}'; give it a weight in "
                "strategy_capital_allocation.strategy_weights and run run_capital_update"
            )
        return float(rows[-1][1])

    def all_history(self) -> pd.DataFrame:
        """One column per strategy, indexed by time (NaN where a strategy had no entry)."""
        names = self.strategies()
        if not names:
            return pd.DataFrame(index=pd.DatetimeIndex([], name=INDEX_NAME), dtype=float)
        frame = pd.concat({name: self.history(name) for name in names}, axis=1, sort=True)
        frame.index.name = INDEX_NAME
        return frame

    def record(self, time: dt.datetime, capital: dict[str, float]) -> None:
        """Store one allocation: each named strategy's capital at `time`, all in one transaction
        (an entry already at `time` is replaced, so each time has one value per strategy)."""
        for name, value in capital.items():
            if not isinstance(value, int | float) or not value >= 0 or value == float("inf"):
                raise DataValidationError(
                    f"capital for strategy '{name}' is {value!r}; an allocation must be a finite "
                    "number of 0 or more"
                )

        def add(doc: dict[str, Any] | None) -> dict[str, Any]:
            strategies = {} if doc is None else dict(doc["strategies"])
            for name, value in capital.items():
                rows = list(strategies.get(name, []))
                last = dt.datetime.fromisoformat(rows[-1][0]) if rows else None
                if last is not None and last > time:
                    raise DataValidationError(
                        f"strategy '{name}' has capital stored after {time:%Y-%m-%d %H:%M}; "
                        "entries go in time order"
                    )
                if last == time:  # a re-run at the same time replaces its own entry
                    rows.pop()
                rows.append([_iso(time), float(value)])
                strategies[name] = rows
            return {"strategies": strategies}

        self._docs.update(self.COLLECTION, self.KEY, add)

    def delete_strategy(self, strategy: str) -> bool:
        """Forget a strategy's capital history; False when it had none."""
        found = False

        def drop(doc: dict[str, Any] | None) -> dict[str, Any] | None:
            nonlocal found
            if doc is None or strategy not in doc["strategies"]:
                return doc
            found = True
            rest = {k: v for k, v in doc["strategies"].items() if k != strategy}
            return {"strategies": rest} if rest else None

        self._docs.update(self.COLLECTION, self.KEY, drop)
        return found
