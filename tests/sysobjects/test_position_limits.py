"""Position limits: a trade that would breach is cut back to the limit, never reversed."""

from __future__ import annotations

import pytest

from syscore.exceptions import DataValidationError
from sysobjects.position_limits import (
    LimitCheck,
    apply_position_limits,
    check_limit_value,
    limit_trade,
)


@pytest.mark.parametrize(
    "position, limit, trade, expected",
    [
        (0, 3, 2, 2),      # within: unchanged
        (0, 3, 4, 3),      # would reach 4: cut to the limit
        (0, 3, -4, -3),    # same on the short side
        (2, 3, 2, 1),      # 2 -> 4: only 1 more
        (2, 3, -6, -5),    # through zero to -4: cut to -3
        (5, 3, 2, 0),      # already over, buying more: nothing (never reversed to a sell)
        (5, 3, -1, -1),    # already over, reducing but still over: as asked
        (5, 3, -9, -8),    # already over, selling through to -4: cut to -3
        (-5, 3, -2, 0),    # short over, selling more: nothing
        (-5, 3, 9, 8),     # short over, buying through to 4: cut to 3
        (1, 0, 1, 0),      # limit 0: no new position
        (1, 0, -1, -1),    # limit 0: closing allowed
    ],
)
def test_limit_trade(position, limit, trade, expected):
    assert limit_trade(position, trade, limit) == expected


def test_instrument_and_strategy_limits_both_apply_with_reasons():
    checks = [
        LimitCheck("instrument US10", position=6, limit=10),       # allows +4
        LimitCheck("strategy classic / instrument US10", position=2, limit=4),  # allows +2
    ]
    trade, reason = apply_position_limits(7, checks)
    assert trade == 2
    assert reason == (
        "position limit 10 for instrument US10 (position 6): trade +7 -> +4; "
        "position limit 4 for strategy classic / instrument US10 (position 2): trade +4 -> +2"
    )


def test_no_limit_breached_no_reason():
    assert apply_position_limits(-2, [LimitCheck("instrument US10", 0, 5)]) == (-2, "")


@pytest.mark.parametrize("value", ["-1", "2.5", "lots", None])
def test_bad_limits_are_one_line_errors(value):
    with pytest.raises(DataValidationError) as caught:
        check_limit_value(value)
    assert "\n" not in str(caught.value)


def test_limit_values():
    assert check_limit_value("7") == 7
    assert check_limit_value(0) == 0
