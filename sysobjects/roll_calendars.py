"""Roll calendars: the dates we rolled (or plan to roll) and the contracts either side."""

from __future__ import annotations

import pandas as pd

from syscore.exceptions import DataValidationError
from sysobjects.prices import _check_index, normalise_contract_column

ROLL_CALENDAR_COLUMNS = ["current_contract", "next_contract", "carry_contract"]


def validate_roll_calendar(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    missing = [c for c in ROLL_CALENDAR_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{what}: missing column(s) {', '.join(missing)}; expected {', '.join(ROLL_CALENDAR_COLUMNS)}"
        )
    _check_index(frame, what)
    out = frame[ROLL_CALENDAR_COLUMNS].copy()
    for column in ROLL_CALENDAR_COLUMNS:
        out[column] = normalise_contract_column(out[column], column, what)
    if out.index.dtype != "datetime64[ns]":
        out.index = out.index.astype("datetime64[ns]")
    return out
