"""Cleaning broker bars before they are merged: what a broker sends is not always a price.

Each rule can be switched off in config (`price_cleaning` in defaults.yaml), because markets differ:
some spread markets legitimately print zero, some feeds never send volume.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
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
    """Drop bars that are not usable prices; report how many each rule dropped (each bar is
    counted under the first rule that drops it)."""
    final = bars["FINAL"].to_numpy(dtype="float64")
    checks: list[tuple[str, bool, np.ndarray]] = [
        ("missing FINAL", rules.ignore_missing_final, np.isnan(final)),
        ("zero price", rules.ignore_zero_prices, final == 0),
        ("in the future", rules.ignore_future_prices, bars.index.to_numpy() > np.datetime64(now)),
    ]
    if "VOLUME" in bars:
        checks.append(("zero volume", rules.ignore_zero_volume, bars["VOLUME"].to_numpy(dtype="float64") == 0))
    keep = np.ones(len(bars), dtype=bool)
    dropped: dict[str, int] = {}
    for name, active, mask in checks:
        if not active:
            continue
        newly = mask & keep
        if newly.any():
            dropped[name] = int(newly.sum())
            keep &= ~newly
    return CleaningResult(bars if keep.all() else bars[keep], dropped)


def apply_final_corrections(bars: pd.DataFrame, corrected_final: pd.Series) -> pd.DataFrame:
    """Bars with FINAL replaced where a correction was made; OPEN, HIGH and LOW move by the same
    amount (the bar keeps its shape around the corrected close) and VOLUME is left alone."""
    out = bars.copy()
    shift = (corrected_final.reindex(out.index) - out["FINAL"]).fillna(0.0)
    for column in ("OPEN", "HIGH", "LOW", "FINAL"):
        out[column] = out[column] + shift
    return out
