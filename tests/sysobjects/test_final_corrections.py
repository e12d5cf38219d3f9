"""A corrected FINAL leaves a consistent bar: LOW <= OPEN, FINAL <= HIGH."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sysobjects.price_cleaning import apply_final_corrections

INDEX = pd.to_datetime(["2024-01-01 19:00", "2024-01-02 19:00", "2024-01-03 19:00", "2024-01-04 19:00"])


def bars() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "OPEN": [100.0, 1000.0, 100.0, -1.0],
            "HIGH": [105.0, 1050.0, 110.0, 1.0],
            "LOW": [95.0, 950.0, 90.0, -3.0],
            "FINAL": [101.0, 1010.0, 108.0, -2.0],
            "VOLUME": [5.0, 6.0, 7.0, 8.0],
        },
        index=INDEX,
    )


def test_each_kind_of_correction_keeps_the_bar_consistent():
    corrected = pd.Series([np.nan, 101.0, 92.0, 2.0], index=INDEX)
    out = apply_final_corrections(bars(), corrected)
    assert out.iloc[0].tolist() == bars().iloc[0].tolist()  # not corrected: untouched
    # a ten-times bar corrected to 101: the whole bar is scaled back (a shift would leave HIGH 141)
    assert out.iloc[1].tolist() == pytest.approx([100.0, 105.0, 95.0, 101.0, 6.0])
    # a close inside the bar's own range: only FINAL changes
    assert out.iloc[2].tolist() == [100.0, 110.0, 90.0, 92.0, 7.0]
    # a sign change has no ratio: HIGH widens to take the corrected close
    assert out.iloc[3].tolist() == [-1.0, 2.0, -3.0, 2.0, 8.0]
    assert (out["LOW"] <= out[["OPEN", "FINAL"]].min(axis=1)).all()
    assert (out["HIGH"] >= out[["OPEN", "FINAL"]].max(axis=1)).all()


def test_a_previous_value_below_a_real_bar_does_not_leave_the_close_under_its_low():
    # the stored GOLD bar that prompted this: OPEN 2546.5, HIGH 2684.5 with FINAL 2226.5
    bar = pd.DataFrame({"OPEN": [2880.0], "HIGH": [3018.0], "LOW": [2850.0], "FINAL": [2560.0 + 400],
                        "VOLUME": [10.0]}, index=INDEX[:1])
    out = apply_final_corrections(bar, pd.Series([2226.5], index=INDEX[:1])).iloc[0]
    assert out["FINAL"] == 2226.5
    assert out["LOW"] <= min(out["OPEN"], out["FINAL"]) and out["HIGH"] >= max(out["OPEN"], out["FINAL"])
    assert out["HIGH"] == pytest.approx(3018.0 * 2226.5 / 2960.0)
