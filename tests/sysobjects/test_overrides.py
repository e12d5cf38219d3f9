"""Overrides: multiplier, close, reduce-only, no trading; and how several combine."""

from __future__ import annotations

import pytest

from syscore.exceptions import DataValidationError
from sysobjects.overrides import NO_OVERRIDE, Override, apply_override, combine


def test_no_override_changes_nothing():
    assert apply_override(NO_OVERRIDE, 3, 4) == (4, "")


def test_multiplier_scales_the_position_the_trade_leads_to():
    # holding 2, buffer says +6 (to 8); x0.5 -> position 4, trade +2
    trade, reason = apply_override(Override(multiplier=0.5), 2, 6)
    assert trade == 2
    assert reason == "override x0.5: trade +6 -> +2 (position 8 x0.5 -> 4)"


def test_multiplier_applies_even_when_the_buffer_asks_nothing():
    # holding 10 inside its buffer (trade 0); x0.5 halves it, as pysystemtrade does
    assert apply_override(Override(multiplier=0.5), 10, 0)[0] == -5


def test_multiplier_cuts_towards_zero_on_both_sides():
    # 7 * 0.5 = 3.5 -> 3 ; -7 * 0.5 = -3.5 -> -3 (pysystemtrade's floor would give -4)
    assert apply_override(Override(multiplier=0.5), 0, 7)[0] == 3
    assert apply_override(Override(multiplier=0.5), 0, -7)[0] == -3


def test_float_noise_does_not_cost_a_contract():
    combined = combine([Override(multiplier=0.35), Override(multiplier=0.2)])
    assert combined.multiplier == pytest.approx(0.07)
    assert apply_override(combined, 0, 100)[0] == 7  # 100 * 0.06999999999999999


def test_close_trades_to_flat_from_either_side():
    close = Override.parse("close")
    assert close.multiplier == 0.0
    assert apply_override(close, 5, 0)[0] == -5
    assert apply_override(close, -3, 2)[0] == 3
    assert apply_override(close, 0, 4)[0] == 0


@pytest.mark.parametrize(
    "position, trade, expected",
    [
        (5, -2, -2),   # reduces: allowed
        (5, 3, 0),     # grows: dropped
        (5, -8, -5),   # flips to -3: cut to a closing trade
        (-4, 1, 1),    # reduces a short
        (-4, -1, 0),   # grows a short
        (-4, 6, 4),    # flips a short: close
        (0, 3, 0),     # no position: nothing may be opened
        (5, -5, -5),   # closing exactly is allowed
    ],
)
def test_reduce_only(position, trade, expected):
    assert apply_override(Override(reduce_only=True), position, trade)[0] == expected


def test_no_trading_zeroes_every_trade():
    trade, reason = apply_override(Override(no_trading=True), 5, -5)
    assert trade == 0
    assert reason == "override no_trading: trade -5 -> 0"


def test_combining_multiplies_multipliers_and_keeps_every_flag():
    strategy, instrument, pair = Override(multiplier=0.5), Override(multiplier=0.5), Override(reduce_only=True)
    both = combine([strategy, instrument, pair])
    assert both == Override(multiplier=0.25, reduce_only=True)
    # holding 8, buffer says +4 (to 12): x0.25 -> 3, a reduction, so reduce-only lets it pass
    assert apply_override(both, 8, 4)[0] == -5
    # holding 2, buffer says +10 (to 12): x0.25 -> 3 > 2 grows: reduce-only drops it
    assert apply_override(both, 2, 10)[0] == 0
    # no trading wins over everything
    assert apply_override(combine([both, Override(no_trading=True)]), 8, -8)[0] == 0
    # close with reduce-only still closes (reduce-only allows closing)
    assert apply_override(combine([Override(multiplier=0.0), Override(reduce_only=True)]), 6, 0)[0] == -6


@pytest.mark.parametrize("text", ["1.5", "-0.1", "nan", "half", ""])
def test_bad_overrides_are_one_line_errors(text):
    with pytest.raises(DataValidationError) as caught:
        Override.parse(text)
    assert "\n" not in str(caught.value)
    assert "multiplier from 0 to 1" in str(caught.value)


def test_parse_accepts_the_words_in_any_spelling():
    assert Override.parse("Reduce-Only") == Override(reduce_only=True)
    assert Override.parse("no trading") == Override(no_trading=True)
    assert Override.parse("0.3") == Override(multiplier=0.3)
