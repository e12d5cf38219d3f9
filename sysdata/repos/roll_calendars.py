"""Roll calendars per instrument, kept as pysystemtrade-shaped CSV."""

from __future__ import annotations

import pandas as pd

from sysdata.stores.csv_tables import CsvTableStore
from sysobjects.roll_calendars import ROLL_CALENDAR_COLUMNS, validate_roll_calendar

FOLDER = "roll_calendars"


class RollCalendars:
    def __init__(self, csv: CsvTableStore):
        self._csv = csv

    def list(self) -> list[str]:
        return self._csv.names(FOLDER)

    def exists(self, instrument: str) -> bool:
        return self._csv.exists(FOLDER, instrument)

    def get(self, instrument: str) -> pd.DataFrame:
        frame = self._csv.read(
            FOLDER, instrument, index_col=0, parse_dates=True, dtype={c: str for c in ROLL_CALENDAR_COLUMNS}
        )
        frame.index.name = "DATE_TIME"
        return frame

    def write(self, instrument: str, calendar: pd.DataFrame) -> None:
        checked = validate_roll_calendar(calendar, f"roll calendar {instrument}")
        self._csv.write(FOLDER, instrument, checked.rename_axis("DATE_TIME"), index=True)
