"""Cleaning broker bars before they are merged: what a broker sends is not always a price.

Each rule can be switched off in config (`price_cleaning` in defaults.yaml), because markets differ:
some spread markets legitimately print zero, some feeds never send volume.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class CleaningRules:
    ignore_zero_prices: bool = True
    ignore_future_prices: bool = True
    ignore_zero_volume: bool = True
    ignore_missing_final: bool = True


@dataclass(frozen=True)
class CleaningResult:
    bars: pd.DataFrame
    dropped: dict[str, int]


def clean_bars(bars: pd.DataFrame, now: dt.datetime, rules: CleaningRules) -> CleaningResult:
    """Drop bars that are not usable prices; report how many each rule dropped."""
    keep = pd.Series(True, index=bars.index)
    dropped: dict[str, int] = {}

    def drop(name: str, mask: pd.Series) -> None:
        newly = mask & keep
        dropped[name] = int(newly.sum())
        keep[newly] = False

    if rules.ignore_missing_final:
        drop("missing FINAL", bars["FINAL"].isna())
    if rules.ignore_zero_prices:
        drop("zero price", bars["FINAL"] == 0)
    if rules.ignore_future_prices:
        drop("in the future", pd.Series(bars.index > pd.Timestamp(now), index=bars.index))
    if rules.ignore_zero_volume and "VOLUME" in bars:
        drop("zero volume", bars["VOLUME"] == 0)
    return CleaningResult(bars[keep.to_numpy()], {k: v for k, v in dropped.items() if v})


def apply_final_corrections(bars: pd.DataFrame, corrected_final: pd.Series) -> pd.DataFrame:
    """Bars with FINAL replaced where a correction was made; OPEN, HIGH and LOW move by the same
    amount (the bar keeps its shape around the corrected close) and VOLUME is left alone."""
    out = bars.copy()
    shift = (corrected_final.reindex(out.index) - out["FINAL"]).fillna(0.0)
    for column in ("OPEN", "HIGH", "LOW", "FINAL"):
        out[column] = out[column] + shift
    return out
