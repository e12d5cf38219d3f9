"""P&L from prices and fills, and the slippage arithmetic, on numbers worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from sysobjects.pandl import pandl_by_bar, window
from sysobjects.slippage import estimate_tick, slippage_points, suggested_spreads

T = pd.to_datetime(["2026-11-24 20:00", "2026-11-25 20:00", "2026-11-26 20:00"])


def test_pandl_marks_what_was_held_and_each_fill_against_the_next_close():
    closes = pd.Series([100.0, 101.0, 103.0], index=T)
    fills = pd.DataFrame({"time": pd.to_datetime(["2026-11-25 10:00", "2026-11-26 20:00", "2026-11-27 09:00"]),
                          "quantity": [1, 1, -1], "price": [100.5, 102.0, 104.0]})
    pnl = pandl_by_bar(closes, fills, position_now=1)
    # held before: 1 - (1 + 1 - 1) = 0. Bar 1: 0 x 1 + 1 x (101 - 100.5) = 0.5.
    # Bar 2: held 1 x 2 = 2, + 1 x (103 - 102) = 1, + the late sell marked at the last close:
    # -1 x (103 - 104) = 1 -> 4.
    assert pnl.tolist() == [0.5, 4.0]
    # the identity: now x last - before x first - sum(q x price) = 103 - 0 - (100.5 + 102 - 104)
    assert pnl.sum() == pytest.approx(1 * 103.0 - 0 * 100.0 - (100.5 + 102.0 - 104.0))


def test_fills_before_the_window_are_in_the_opening_position():
    closes = pd.Series([100.0, 101.0, 103.0], index=T)
    fills = pd.DataFrame({"time": pd.to_datetime(["2026-11-20 10:00"]), "quantity": [2], "price": [90.0]})
    assert pandl_by_bar(closes, fills, 2).tolist() == [2.0, 4.0]


def test_window_starts_at_the_last_close_before_the_start():
    closes = pd.Series([100.0, 101.0, 103.0], index=T)
    got = window(closes, pd.Timestamp("2026-11-25 22:00"), pd.Timestamp("2026-11-27 00:00"))
    assert got.tolist() == [101.0, 103.0]


def test_slippage_signed_by_direction_and_the_suggested_spread():
    fills = pd.DataFrame({"quantity": [2, -1, 1], "price": [10.3, 9.9, 10.0],
                          "side_price": [10.25, 9.95, None], "mid_price": [10.2, 10.0, None],
                          "reference_price": [10.1, 10.1, 10.0], "instrument": ["X", "X", "Y"]})
    points = slippage_points(fills)
    assert points.loc[0].tolist() == pytest.approx([0.1, 0.05, 0.05, 0.1, 0.2])
    # sell: delay -(10.0 - 10.1) = 0.1, bid/ask -(9.95 - 10.0) = 0.05, execution -(9.9 - 9.95) = 0.05
    assert points.loc[1].tolist() == pytest.approx([0.1, 0.05, 0.05, 0.1, 0.2])
    spreads = suggested_spreads(points, fills["quantity"], fills["instrument"])
    assert spreads.loc["X"].tolist() == pytest.approx([2, 3, 0.05, 0.1])  # Y has no mid: not measured
    assert "Y" not in spreads.index


def test_tick_is_the_smallest_step_between_prices():
    assert estimate_tick(pd.Series([130.0, 130.1, 130.3, 130.1])) == 0.1
    assert pd.isna(estimate_tick(pd.Series([5.0, 5.0])))
