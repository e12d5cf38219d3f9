"""Instrument metadata and roll parameters, kept as pysystemtrade-shaped CSV (spread costs live in
the document store: sysdata/repos/spread_costs.py)."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from syscore.exceptions import MissingData
from sysdata.stores.csv_tables import CsvTableStore
from sysobjects.instruments import (
    INSTRUMENT_CSV_COLUMNS,
    ROLL_CSV_COLUMNS,
    InstrumentMeta,
)
from sysobjects.roll_parameters import RollParameters

FOLDER = "config"


class _ConfigTable:
    TABLE = ""
    COLUMNS: list[str] = []

    def __init__(self, csv: CsvTableStore):
        self._csv = csv

    @cached_property
    def table(self) -> pd.DataFrame:
        if not self._csv.exists(FOLDER, self.TABLE):
            return pd.DataFrame(columns=self.COLUMNS).set_index("Instrument")
        return self._csv.read(FOLDER, self.TABLE, keep_default_na=False).set_index("Instrument")

    def list(self) -> list[str]:
        return sorted(self.table.index)

    def has(self, instrument: str) -> bool:
        return instrument in self.table.index

    def _row(self, instrument: str) -> pd.Series:
        if instrument not in self.table.index:
            raise MissingData(
                f"instrument {instrument} has no row in {self.TABLE}.csv; add it and re-import"
            )
        return self.table.loc[instrument]

    def write_table(self, frame: pd.DataFrame) -> None:
        """Replace the whole table (columns in pysystemtrade's order)."""
        self._csv.write(FOLDER, self.TABLE, frame.reset_index()[self.COLUMNS])
        self.__dict__.pop("table", None)


class Instruments(_ConfigTable):
    TABLE = "instrumentconfig"
    COLUMNS = INSTRUMENT_CSV_COLUMNS

    def get(self, instrument: str) -> InstrumentMeta:
        return InstrumentMeta.from_csv_row(instrument, self._row(instrument))


class RollParametersRepo(_ConfigTable):
    TABLE = "rollconfig"
    COLUMNS = ROLL_CSV_COLUMNS

    def get(self, instrument: str) -> RollParameters:
        return RollParameters.from_csv_row(instrument, self._row(instrument))
