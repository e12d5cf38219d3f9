"""Validated price frames: contract prices, multiple prices, adjusted prices, FX prices.

Validation is where bad input gets its one-line message naming the row and the fix. Futures and
adjusted prices may be negative (crude oil traded below zero in April 2020); FX rates may not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from syscore.exceptions import DataValidationError

CONTRACT_PRICE_COLUMNS = ["OPEN", "HIGH", "LOW", "FINAL", "VOLUME"]
MULTIPLE_PRICE_COLUMNS = ["CARRY", "CARRY_CONTRACT", "PRICE", "PRICE_CONTRACT", "FORWARD", "FORWARD_CONTRACT"]
MULTIPLE_PRICE_VALUES = ["CARRY", "PRICE", "FORWARD"]
MULTIPLE_PRICE_CONTRACTS = ["CARRY_CONTRACT", "PRICE_CONTRACT", "FORWARD_CONTRACT"]


def _check_index(frame: pd.DataFrame | pd.Series, what: str) -> None:
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataValidationError(f"{what}: the index must be datetimes")
    if index.hasnans:
        row = int(np.flatnonzero(index.isna())[0])
        raise DataValidationError(f"{what}: row {row + 1} has no valid timestamp; fix or remove it")
    values = index.asi8
    if len(values) > 1:
        steps = np.diff(values)
        if (steps == 0).any():
            row = int(np.flatnonzero(steps == 0)[0]) + 1
            raise DataValidationError(
                f"{what}: timestamp {index[row]} (row {row + 1}) is duplicated; keep one row per timestamp"
            )
        if (steps < 0).any():
            row = int(np.flatnonzero(steps < 0)[0]) + 1
            raise DataValidationError(
                f"{what}: timestamp {index[row]} (row {row + 1}) is earlier than the row before; "
                "sort the rows by time"
            )


def _check_numeric(frame: pd.DataFrame, columns: list[str], what: str) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        series = out[column]
        if not pd.api.types.is_numeric_dtype(series):
            converted = pd.to_numeric(series, errors="coerce")
            bad = converted.isna() & series.notna() & (series.astype(str).str.strip() != "")
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataValidationError(
                    f"{what}: column {column} row {row + 1} ({frame.index[row]}) holds "
                    f"'{series.iloc[row]}', not a number; fix or blank it"
                )
            out[column] = converted
        out[column] = out[column].astype("float64")
        if np.isinf(out[column].to_numpy()).any():
            row = int(np.flatnonzero(np.isinf(out[column].to_numpy()))[0])
            raise DataValidationError(f"{what}: column {column} row {row + 1} is infinite; fix it")
    return out


def _check_columns(frame: pd.DataFrame, required: list[str], what: str) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{what}: missing column(s) {', '.join(missing)}; expected {', '.join(required)}"
        )


def _normalise_index(frame: pd.DataFrame) -> pd.DataFrame:
    if isinstance(frame.index, pd.DatetimeIndex) and frame.index.dtype != "datetime64[ns]":
        frame = frame.copy()
        frame.index = frame.index.astype("datetime64[ns]")
    return frame


def validate_contract_prices(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    _check_columns(frame, CONTRACT_PRICE_COLUMNS, what)
    _check_index(frame, what)
    out = _check_numeric(frame[CONTRACT_PRICE_COLUMNS], CONTRACT_PRICE_COLUMNS, what)
    return _normalise_index(out)


def normalise_contract_column(series: pd.Series, column: str, what: str) -> pd.Series:
    """Contract ids as 8-character strings ('20230900'); blanks stay missing.

    Works on the distinct values only (a column holds a few hundred contracts over ~50k rows).
    """
    raw = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[-1] = None
    for position, value in enumerate(uniques):
        text = _contract_text(value)
        if text is False:
            row = int(np.flatnonzero(codes == position)[0])
            raise DataValidationError(
                f"{what}: column {column} row {row + 1} holds '{value}', not a contract id "
                "YYYYMMDD; write e.g. 20230900"
            )
        mapped[position] = text
    return pd.Series(mapped[codes], index=series.index, name=column, dtype=object)


def _contract_text(value: object) -> str | None | bool:
    """'20230900' for a valid id, None for a blank, False for anything else."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float):
        if value != int(value):
            return False
        value = int(value)
    text = str(value).strip()
    if text == "" or text.lower() == "nan":
        return None
    if len(text) != 8 or not text.isdigit():
        return False
    return text


def validate_multiple_prices(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    _check_columns(frame, MULTIPLE_PRICE_COLUMNS, what)
    _check_index(frame, what)
    out = _check_numeric(frame[MULTIPLE_PRICE_COLUMNS], MULTIPLE_PRICE_VALUES, what)
    for column in MULTIPLE_PRICE_CONTRACTS:
        out[column] = normalise_contract_column(out[column], column, what)
    if out["PRICE_CONTRACT"].isna().any():
        row = int(np.flatnonzero(out["PRICE_CONTRACT"].isna().to_numpy())[0])
        raise DataValidationError(f"{what}: PRICE_CONTRACT is blank on row {row + 1}; every row needs one")
    return _normalise_index(out)


def validate_price_series(series: pd.Series, what: str, positive: bool = False) -> pd.Series:
    """A single price column (adjusted prices, FX). FX rates must be positive."""
    _check_index(series, what)
    frame = _check_numeric(series.to_frame("value"), ["value"], what)
    values = frame["value"]
    if positive:
        bad = values.notna() & (values <= 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataValidationError(
                f"{what}: row {row + 1} ({values.index[row]}) has rate {values.iloc[row]}, "
                "which is not positive; an FX rate must be > 0"
            )
    out = values.rename(series.name)
    if out.index.dtype != "datetime64[ns]":
        out.index = out.index.astype("datetime64[ns]")
    return out
