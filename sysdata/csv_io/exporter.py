"""Export the stores back to pysystemtrade's CSV layout (for backups a person can read, and for
moving data to another install). An import of the export gives equal values, and so does
pysystemtrade's own reading of it: the few values (about 1 in 700) whose shortest text its pandas
parser would misread are written as a 17-digit text it reads exactly (`pandas_faithful_text`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from syscore.fileio import atomic_write_with
from sysdata.csv_io import layout
from sysdata.csv_io.numbers import pandas_faithful_text, parse_decimal_text
from sysdata.data_blob import DataBlob


@dataclass
class ExportReport:
    files: dict[str, int] = field(default_factory=dict)  # kind -> files written


def faithful_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each float that pandas' parser would misread from its repr given as text."""
    out = frame
    for column in frame.columns:
        values = frame[column].to_numpy()
        if values.dtype != np.float64:
            continue
        texts = np.array([repr(v) for v in values.tolist()], dtype=object)
        finite = np.isfinite(values)
        misread = finite & (parse_decimal_text(np.where(finite, texts, None), pandas_compatible=True) != values)
        if misread.any():
            fixed = values.astype(object)
            fixed[misread] = [pandas_faithful_text(v) for v in values[misread]]
            out = out.copy() if out is frame else out
            out[column] = fixed
    return out


def _write_frame(path: Path, frame: pd.DataFrame, index_label: str) -> None:
    frame = faithful_frame(frame)
    atomic_write_with(
        path,
        lambda tmp: frame.to_csv(tmp, index_label=index_label, date_format=layout.DATETIME_FORMAT),
        fsync=False,
    )


MULTIPLE_ORDER = ["CARRY", "CARRY_CONTRACT", "PRICE", "PRICE_CONTRACT", "FORWARD", "FORWARD_CONTRACT"]


def fx_file(dest: Path, pair: str, prices: pd.Series) -> Path:
    """One FX series as `fx_prices_csv/PAIR.csv` under the tree `dest`."""
    path = dest / layout.FX_FOLDER / f"{pair}.csv"
    _write_frame(path, prices.to_frame("PRICE"), "DATETIME")
    return path


def multiple_file(dest: Path, instrument: str, frame: pd.DataFrame) -> Path:
    path = dest / layout.MULTIPLE_FOLDER / f"{instrument}.csv"
    _write_frame(path, frame[MULTIPLE_ORDER], "DATETIME")
    return path


def adjusted_file(dest: Path, instrument: str, prices: pd.Series) -> Path:
    path = dest / layout.ADJUSTED_FOLDER / f"{instrument}.csv"
    _write_frame(path, prices.to_frame("price"), "DATETIME")
    return path


def roll_calendar_file(dest: Path, instrument: str, calendar: pd.DataFrame) -> Path:
    path = dest / layout.ROLL_CALENDAR_FOLDER / f"{instrument}.csv"
    _write_frame(path, calendar, "DATE_TIME")
    return path


def export_config_tables(data: DataBlob, dest: Path) -> list[Path]:
    """csvconfig/: instrument config, roll config, spread costs (from the document store) and
    more instrument info, each when the installation has any."""
    written = []
    config_dir = dest / layout.CONFIG_FOLDER
    for repo, filename in (
        (data.instruments, layout.INSTRUMENT_CONFIG_FILE),
        (data.roll_parameters, layout.ROLL_CONFIG_FILE),
        (data.spread_costs, layout.SPREAD_COSTS_FILE),
    ):
        table = repo.table
        if len(table):
            frame = table.reset_index()[repo.COLUMNS]
            atomic_write_with(config_dir / filename, lambda tmp, f=frame: f.to_csv(tmp, index=False), fsync=False)
            written.append(config_dir / filename)
    more_info = Path(layout.MORE_INFO_FILE).stem
    if data.csv.exists("config", more_info):
        frame = data.csv.read("config", more_info)
        atomic_write_with(config_dir / layout.MORE_INFO_FILE, lambda tmp: frame.to_csv(tmp, index=False), fsync=False)
        written.append(config_dir / layout.MORE_INFO_FILE)
    return written


def export_csv_tree(data: DataBlob, dest: Path) -> ExportReport:
    dest = Path(dest)
    report = ExportReport()

    def count(kind: str) -> None:
        report.files[kind] = report.files.get(kind, 0) + 1

    for _ in export_config_tables(data, dest):
        count(layout.CONFIG_FOLDER)
    for pair in data.fx_prices.list():
        fx_file(dest, pair, data.fx_prices.get(pair))
        count(layout.FX_FOLDER)
    for instrument in data.multiple_prices.list():
        multiple_file(dest, instrument, data.multiple_prices.get(instrument))
        count(layout.MULTIPLE_FOLDER)
    for instrument in data.adjusted_prices.list():
        adjusted_file(dest, instrument, data.adjusted_prices.get(instrument))
        count(layout.ADJUSTED_FOLDER)
    for instrument in data.roll_calendars.list():
        roll_calendar_file(dest, instrument, data.roll_calendars.get(instrument))
        count(layout.ROLL_CALENDAR_FOLDER)
    return report
