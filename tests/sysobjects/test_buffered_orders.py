"""Classic buffered positions: trade to the nearest edge, rounded; inside the buffer nothing."""

from __future__ import annotations

import pytest

from syscore.exceptions import DataValidationError
from sysobjects.buffered_orders import buffered_trade


def test_inside_the_buffer_no_trade_edges_included():
    assert buffered_trade(5, 3.2, 7.9)[0] == 0
    assert buffered_trade(3, 3.0, 7.9)[0] == 0  # on the lower edge
    assert buffered_trade(-4, -6.5, -4.0)[0] == 0  # on the upper edge, short side
    assert "inside buffer" in buffered_trade(5, 3.2, 7.9)[1]


def test_below_the_buffer_buys_to_the_rounded_lower_edge():
    trade, reason = buffered_trade(1, 3.6, 7.9)  # lower 3.6 -> 4: buy 3
    assert trade == 3
    assert reason == "position 1 below buffer [3.60, 7.90]: trade to lower edge 4"
    assert buffered_trade(-5, -2.2, 1.0)[0] == 3  # short below: -5 -> round(-2.2) = -2


def test_above_the_buffer_sells_to_the_rounded_upper_edge():
    trade, reason = buffered_trade(10, 3.6, 7.4)  # upper 7.4 -> 7: sell 3
    assert trade == -3
    assert "above buffer" in reason and "upper edge 7" in reason
    assert buffered_trade(2, -6.0, -1.7)[0] == -4  # long above a short buffer: 2 -> -2


def test_rounding_is_half_to_even_like_pysystemtrade():
    # Python's round(): 2.5 -> 2, 3.5 -> 4, -2.5 -> -2
    assert buffered_trade(0, 2.5, 9.0)[0] == 2
    assert buffered_trade(0, 3.5, 9.0)[0] == 4
    assert buffered_trade(0, -9.0, -2.5)[0] == -2


def test_below_the_unrounded_edge_but_at_the_rounded_one_trades_nothing():
    trade, reason = buffered_trade(2, 2.4, 5.0)  # 2 < 2.4, but round(2.4) = 2
    assert trade == 0
    assert "below buffer" in reason


@pytest.mark.parametrize("lower, upper", [(5.0, 3.0), (float("nan"), 3.0), (1.0, float("inf"))])
def test_a_broken_buffer_is_refused_in_one_line(lower, upper):
    with pytest.raises(DataValidationError, match="run_systems"):
        buffered_trade(0, lower, upper)
