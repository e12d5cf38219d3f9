"""The stale-price rule: old stored prices are a stop sign for the auto-roller, not a roll signal."""

from __future__ import annotations

import datetime as dt

from sysobjects.auto_roll import stale_reason

TODAY = dt.date(2026, 11, 28)


def test_prices_within_the_limit_are_fresh_and_older_ones_are_stale_with_their_age():
    assert stale_reason(TODAY - dt.timedelta(days=5), TODAY, 5) is None  # a long weekend
    assert stale_reason(None, TODAY, 5) is None  # nothing stored: nothing to judge
    assert stale_reason(dt.date(2023, 8, 31), TODAY, 5) == (
        "stale prices: they end 2023-08-31, 1185 days before today (max_stale_days 5)"
    )
    assert stale_reason(TODAY - dt.timedelta(days=6), TODAY, 5).startswith("stale prices")
