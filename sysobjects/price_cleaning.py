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
    """Bars with FINAL replaced where a correction was made, each corrected bar kept consistent
    (LOW <= OPEN, FINAL <= HIGH); VOLUME is left alone.

    - A corrected FINAL inside the bar's own LOW..HIGH range changes FINAL only: the rest of the
      bar still describes the session.
    - A corrected FINAL outside that range says the whole bar is off, as a spike from a wrong price
      multiplier is: OPEN, HIGH and LOW are scaled by the same ratio as FINAL (corrected / received),
      which restores such a bar exactly and keeps any other in proportion. Moving them by the same
      amount instead would leave a ten-times bar's HIGH far above its corrected close.
    - Where no positive ratio exists (a zero or negative price, as spreads can have), LOW and HIGH
      are widened to take the corrected FINAL.
    """
    out = bars.copy()
    target = corrected_final.reindex(out.index)
    received = out["FINAL"].to_numpy(dtype="float64")
    value = target.to_numpy(dtype="float64")
    changed = ~np.isnan(value) & (value != received)
    if not changed.any():
        return out
    low, high = out["LOW"].to_numpy(dtype="float64"), out["HIGH"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = value / received
    outside = (value < np.fmin(low, received)) | (value > np.fmax(high, received))
    scale = changed & outside & np.isfinite(ratio) & (ratio > 0)
    for column in ("OPEN", "HIGH", "LOW"):
        prices = out[column].to_numpy(dtype="float64").copy()
        prices[scale] = prices[scale] * ratio[scale]
        out[column] = prices
    final = received.copy()
    final[changed] = value[changed]
    out["FINAL"] = final
    return _clip_to_range(out, changed)


def _clip_to_range(bars: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """LOW and HIGH of `rows` widened so OPEN and FINAL lie within them (missing values ignored)."""
    open_ = bars["OPEN"].to_numpy(dtype="float64")
    final = bars["FINAL"].to_numpy(dtype="float64")
    low = bars["LOW"].to_numpy(dtype="float64").copy()
    high = bars["HIGH"].to_numpy(dtype="float64").copy()
    low[rows] = np.fmin(np.fmin(low, open_), final)[rows]
    high[rows] = np.fmax(np.fmax(high, open_), final)[rows]
    bars["LOW"], bars["HIGH"] = low, high
    return bars
