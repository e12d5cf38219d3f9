"""Reading pysystemtrade CSV files into validated frames, with errors that name file and row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from syscore.exceptions import DataValidationError
from sysdata.csv_io.layout import DATETIME_FORMAT
from sysobjects.prices import (
    MULTIPLE_PRICE_CONTRACTS,
    validate_multiple_prices,
    validate_price_series,
)
from sysobjects.roll_calendars import ROLL_CALENDAR_COLUMNS, validate_roll_calendar


def read_raw_csv(path: Path, string_columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV as text-safe columns; an unreadable file is one clear error."""
    dtype = {column: str for column in (string_columns or [])}
    try:
        return pd.read_csv(path, dtype=dtype, skipinitialspace=True)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise DataValidationError(f"{path}: cannot read the file ({reason}); check it is a readable CSV") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(
            f"{path}: not a valid CSV ({str(exc).splitlines()[0]}); fix the file"
        ) from None


def _datetime_index(frame: pd.DataFrame, column: str, path: Path) -> pd.DataFrame:
    if column not in frame.columns:
        raise DataValidationError(
            f"{path}: missing column {column}; the first column must be {column}"
        )
    raw = frame[column]
    stamps = pd.to_datetime(raw, format=DATETIME_FORMAT, errors="coerce")
    if stamps.isna().any():
        fallback = pd.to_datetime(raw[stamps.isna()], format="ISO8601", errors="coerce")
        stamps = stamps.fillna(fallback)
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise DataValidationError(
            f"{path}: row {row + 1} has {column} '{raw.iloc[row]}', not a timestamp; "
            "write YYYY-MM-DD HH:MM:SS"
        )
    out = frame.drop(columns=[column])
    out.index = pd.DatetimeIndex(stamps.to_numpy(), name=column).astype("datetime64[ns]")
    return out


def read_price_column(path: Path, column: str, positive: bool) -> pd.Series:
    """DATETIME plus one value column (FX `PRICE`, adjusted `price`)."""
    frame = _datetime_index(read_raw_csv(path), "DATETIME", path)
    if column not in frame.columns:
        raise DataValidationError(f"{path}: missing column {column}; expected DATETIME,{column}")
    return validate_price_series(frame[column].rename(column), str(path), positive=positive)


def read_fx_csv(path: Path) -> pd.Series:
    return read_price_column(path, "PRICE", positive=True)


def read_adjusted_csv(path: Path) -> pd.Series:
    return read_price_column(path, "price", positive=False)


def read_multiple_csv(path: Path) -> pd.DataFrame:
    frame = _datetime_index(read_raw_csv(path, MULTIPLE_PRICE_CONTRACTS), "DATETIME", path)
    return validate_multiple_prices(frame, str(path))


def read_roll_calendar_csv(path: Path) -> pd.DataFrame:
    frame = _datetime_index(read_raw_csv(path, ROLL_CALENDAR_COLUMNS), "DATE_TIME", path)
    return validate_roll_calendar(frame, str(path))
