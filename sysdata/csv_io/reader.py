"""Reading pysystemtrade CSV files into validated frames, with errors that name file and row.

Numbers are read from their text by `sysdata.csv_io.numbers.parse_decimal_text` as pysystemtrade
(pandas 2.x's default parser) reads them, so an imported store holds the very doubles
pysystemtrade would hold. Rows are never reordered or dropped silently: the only repair is the
explicit one of `repair_roll_calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from syscore.exceptions import DataValidationError
from sysdata.csv_io.layout import DATETIME_FORMAT
from sysdata.csv_io.numbers import NotANumber, parse_decimal_text
from sysobjects.prices import (
    MULTIPLE_PRICE_CONTRACTS,
    MULTIPLE_PRICE_VALUES,
    validate_multiple_prices,
    validate_price_series,
)
from sysobjects.roll_calendars import ROLL_CALENDAR_COLUMNS, validate_roll_calendar

NO_ROWS_FIX = "an import never replaces stored data with nothing; fix the file or leave it out of the tree"


def read_raw_csv(path: Path, string_columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV as text-safe columns; an unreadable, empty or header-only file is one clear error."""
    dtype = {column: str for column in (string_columns or [])}
    try:
        frame = pd.read_csv(path, dtype=dtype, skipinitialspace=True)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise DataValidationError(f"{path}: cannot read the file ({reason}); check it is a readable CSV") from None
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: empty file (no header, no rows); {NO_ROWS_FIX}") from None
    except pd.errors.ParserError as exc:
        raise DataValidationError(
            f"{path}: not a valid CSV ({str(exc).splitlines()[0]}); fix the file"
        ) from None
    if frame.empty:
        raise DataValidationError(f"{path}: header only, no rows; {NO_ROWS_FIX}")
    return frame


def _numbers(frame: pd.DataFrame, columns: list[str], path: Path) -> pd.DataFrame:
    """Value columns (read as text) to float64, as pysystemtrade's pandas reads them."""
    out = frame.copy()
    for column in columns:
        if column not in out.columns:
            continue  # validation names the missing column
        try:
            out[column] = parse_decimal_text(out[column], pandas_compatible=True)
        except NotANumber as exc:
            raise DataValidationError(
                f"{path}: column {column} row {exc.row + 1} ({out.index[exc.row]}) holds '{exc.text}', "
                "not a number; fix or blank it"
            ) from None
    return out


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
    frame = _datetime_index(read_raw_csv(path, [column]), "DATETIME", path)
    if column not in frame.columns:
        raise DataValidationError(f"{path}: missing column {column}; expected DATETIME,{column}")
    frame = _numbers(frame, [column], path)
    return validate_price_series(frame[column].rename(column), str(path), positive=positive)


def read_fx_csv(path: Path) -> pd.Series:
    return read_price_column(path, "PRICE", positive=True)


def read_adjusted_csv(path: Path) -> pd.Series:
    return read_price_column(path, "price", positive=False)


def read_multiple_csv(path: Path) -> pd.DataFrame:
    text_columns = MULTIPLE_PRICE_CONTRACTS + MULTIPLE_PRICE_VALUES
    frame = _datetime_index(read_raw_csv(path, text_columns), "DATETIME", path)
    return validate_multiple_prices(_numbers(frame, MULTIPLE_PRICE_VALUES, path), str(path))


REPAIR_HINT = "or re-run with --repair (sorts a roll calendar, keeps the last row of a repeated timestamp)"


@dataclass(frozen=True)
class Repair:
    """One change `repair_roll_calendar` made: what was wrong, the fix by hand, what it did."""

    problem: str
    fix: str
    done: str

    def __str__(self) -> str:
        return f"{self.problem}; {self.done}"


def read_roll_calendar_csv(path: Path, repair: bool = False) -> tuple[pd.DataFrame, list[Repair]]:
    """The validated calendar and the repairs made to it (none unless `repair`).

    pysystemtrade's own shipped calendars include some out of time order or repeating a
    timestamp; without `repair` those are rejected with a message naming the first such row.
    """
    frame = _datetime_index(read_raw_csv(path, ROLL_CALENDAR_COLUMNS), "DATE_TIME", path)
    repaired, repairs = repair_roll_calendar(frame)
    if repairs and not repair:
        first = repairs[0]
        raise DataValidationError(f"{path}: {first.problem}; {first.fix}, {REPAIR_HINT}")
    return validate_roll_calendar(repaired, str(path)), repairs


def repair_roll_calendar(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Repair]]:
    """Sort by time (stable) and keep the last row of each repeated timestamp; list each change.

    Rows are numbered as the file's data rows (1 = the first row under the header).
    """
    stamps = frame.index.asi8
    repairs = [
        Repair(f"row {row + 1} ({frame.index[row]}) is earlier than the row before",
               "sort the rows by time", "moved it into time order")
        for row in np.flatnonzero(np.diff(stamps) < 0) + 1
    ]
    order = np.argsort(stamps, kind="stable")
    ordered = frame.iloc[order]
    repeated = ordered.index.duplicated(keep="last")
    kept = {stamp: int(order[position]) for position, stamp in enumerate(ordered.index)}  # last wins
    for position in np.flatnonzero(repeated):
        row, stamp = int(order[position]), ordered.index[position]
        repairs.append(
            Repair(f"row {row + 1} ({stamp}) is duplicated by row {kept[stamp] + 1}",
                   "keep one row per timestamp", f"dropped row {row + 1}, kept row {kept[stamp] + 1}")
        )
    return ordered[~repeated], repairs
