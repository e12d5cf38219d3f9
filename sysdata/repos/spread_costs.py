"""Spread costs per instrument, in the DocumentStore (as pysystemtrade keeps them in its database).

A spread cost is half the bid-ask spread in price points: the backtest charges it on every trade
and the costs report compares it with the slippage actually paid. It changes when a person
decides so (the costs report suggests a value, `interactive_controls` sets it) or when
`spreadcosts.csv` is imported, so each instrument's document keeps its change history: the value,
the one it replaced, when (the installation's clock), who (user and process) and why. Value and
history live in ONE document, so a change and its record are written in one transaction and can
never disagree.

Installations from before this lived in the database have the table `csv/config/spreadcosts.csv`:
the first read migrates it (each row inserted only where the database has no value yet, so a
change made meanwhile is never overwritten; a marker document then records that the migration is
done, and the CSV file is renamed `spreadcosts.csv.migrated`). A migration killed half-way is
finished by the next read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from syscore.exceptions import DataValidationError, MissingData
from sysdata.stores.csv_tables import CsvTableStore
from sysdata.stores.documents import Document, DocumentStore
from sysobjects.instruments import SPREAD_CSV_COLUMNS

COLLECTION = "spread_costs"
META = "spread_costs_meta"  # the migration marker
MIGRATION_KEY = "csv_migration"
CSV_FOLDER = "config"
CSV_TABLE = "spreadcosts"
MIGRATED_SUFFIX = ".migrated"
HISTORY_COLUMNS = ["spread_cost", "previous", "who", "reason"]


def default_who() -> str:
    """The person and program making a change, when the caller does not say: `user (program)`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME (some containers)
        user = "unknown user"
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return f"{user} ({program})"


def checked_cost(instrument: str, value: object) -> float:
    """A spread cost is a finite number >= 0; anything else is refused in one line."""
    try:
        cost = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataValidationError(
            f"spread cost of {instrument}: '{value}' is not a number; give half the bid-ask "
            "spread in price points, e.g. 0.25"
        ) from None
    if not math.isfinite(cost) or cost < 0:
        raise DataValidationError(
            f"spread cost of {instrument}: {value} must be a finite number >= 0 (half the "
            "bid-ask spread in price points)"
        )
    return cost


class SpreadCosts:
    """`data.spread_costs`: read API `get/has/list/table`, changes through `set`/`set_many`."""

    TABLE = CSV_TABLE
    COLUMNS = SPREAD_CSV_COLUMNS

    def __init__(self, documents: DocumentStore, csv: CsvTableStore, now: Callable[[], dt.datetime]):
        self._docs = documents
        self._csv = csv
        self._now = now
        self._migration_checked = False

    # --- migration from the CSV table -----------------------------------------------------
    def _migrate(self) -> None:
        if self._migration_checked:
            return
        path = self._csv.path(CSV_FOLDER, CSV_TABLE)
        if path.is_file() and self._docs.get(META, MIGRATION_KEY) is None:
            table = self._csv.read(CSV_FOLDER, CSV_TABLE, keep_default_na=False, dtype={"Instrument": str})
            when = self._now()
            reason = f"migrated from {path}"
            for row in table.itertuples(index=False):
                instrument = str(row.Instrument)
                try:
                    cost = checked_cost(instrument, row.SpreadCost)
                except DataValidationError as exc:
                    raise DataValidationError(f"{path}: {exc}; correct the file so it can be "
                                              "moved into the database") from None
                entry = self._entry(cost, None, when, "sysprod (migration)", reason)
                self._docs.update(
                    COLLECTION, instrument,
                    lambda current, i=instrument, e=entry: current or self._new_doc(i, e),
                )
            self._docs.put(META, MIGRATION_KEY, {"time": when.isoformat(), "source": str(path),
                                                 "instruments": len(table)})
        if path.is_file() and self._docs.get(META, MIGRATION_KEY) is not None:
            with contextlib.suppress(FileNotFoundError):  # another process renamed it first
                path.replace(path.with_name(path.name + MIGRATED_SUFFIX))
        self._migration_checked = True

    # --- documents ------------------------------------------------------------------------
    @staticmethod
    def _entry(cost: float, previous: float | None, when: dt.datetime, who: str, reason: str) -> Document:
        return {"time": when.isoformat(), "spread_cost": cost, "previous": previous,
                "who": who, "reason": reason}

    @staticmethod
    def _new_doc(instrument: str, entry: Document) -> Document:
        return {"instrument_code": instrument, "spread_cost": entry["spread_cost"], "history": [entry]}

    def _doc(self, instrument: str) -> Document | None:
        self._migrate()
        return self._docs.get(COLLECTION, instrument)

    # --- reading (the API the backtest loader and the reports use) --------------------------
    def get(self, instrument: str) -> float:
        doc = self._doc(instrument)
        if doc is None:
            raise MissingData(
                f"instrument {instrument} has no spread cost; set one with interactive_controls "
                "(update spread costs) or import spreadcosts.csv with 'sysprod data import-csv'"
            )
        return float(doc["spread_cost"])

    def has(self, instrument: str) -> bool:
        return self._doc(instrument) is not None

    def list(self) -> list[str]:
        self._migrate()
        return self._docs.keys(COLLECTION)

    def all(self) -> dict[str, float]:
        """Every instrument's spread cost."""
        self._migrate()
        return {key: float(doc["spread_cost"]) for key, doc in self._docs.items(COLLECTION)}

    @property
    def table(self) -> pd.DataFrame:
        """pysystemtrade's spreadcosts.csv as a frame (index Instrument, column SpreadCost)."""
        costs = self.all()
        frame = pd.DataFrame({"Instrument": list(costs), "SpreadCost": list(costs.values())},
                             columns=self.COLUMNS)
        return frame.astype({"Instrument": object, "SpreadCost": float}).set_index("Instrument")

    def history(self, instrument: str) -> pd.DataFrame:
        """Every change of one instrument's spread cost, oldest first: index `time`, columns
        spread_cost, previous (NaN for the first value), who, reason. Empty when none."""
        doc = self._doc(instrument)
        entries = doc.get("history", []) if doc else []
        frame = pd.DataFrame(
            [[e.get(c) for c in HISTORY_COLUMNS] for e in entries], columns=HISTORY_COLUMNS,
            index=pd.DatetimeIndex([dt.datetime.fromisoformat(e["time"]) for e in entries], name="time"),
        )
        return frame.astype({"spread_cost": float, "previous": float})

    # --- changing ---------------------------------------------------------------------------
    def set(self, instrument: str, value: float, who: str | None = None, reason: str = "") -> bool:
        """Set one instrument's spread cost, recording who, when and why with it (one
        transaction). Setting the value it already has records nothing; returns whether it changed."""
        return bool(self.set_many({instrument: value}, who=who, reason=reason))

    def set_many(self, costs: Mapping[str, float], who: str | None = None, reason: str = "") -> list[str]:
        """Set several spread costs (each checked before any is written); returns the instruments
        whose value changed. Each instrument's change is atomic with its history entry."""
        checked = {str(instrument): checked_cost(str(instrument), value) for instrument, value in costs.items()}
        self._migrate()
        who = who or default_who()
        when = self._now()
        changed: list[str] = []
        for instrument, cost in checked.items():
            def change(current: Document | None, i: str = instrument, c: float = cost) -> Document:
                if current is None:
                    changed.append(i)
                    return self._new_doc(i, self._entry(c, None, when, who, reason))
                previous = float(current["spread_cost"])
                if previous == c:
                    return current
                changed.append(i)
                history = [*current.get("history", []), self._entry(c, previous, when, who, reason)]
                return {**current, "spread_cost": c, "history": history}

            self._docs.update(COLLECTION, instrument, change)
        return changed

    def write_table(self, frame: pd.DataFrame, who: str | None = None, reason: str = "") -> list[str]:
        """Set the spread costs of a frame shaped like spreadcosts.csv (index Instrument, column
        SpreadCost): what an import of the CSV file does. Returns the instruments changed."""
        return self.set_many(frame["SpreadCost"].to_dict(), who=who, reason=reason or "table written")
