"""The strategy order generator on a real SQLite store: buffers, overrides, limits, locks,
stale positions, and that orders already on the stack are never asked for twice."""

from __future__ import annotations

import datetime as dt

import pytest

from sysobjects.orders import InstrumentOrder
from sysobjects.overrides import Override
from sysproduction.jobs.strategies.generate_strategy_orders import generate_strategy_orders
from sysproduction.jobs.strategies.strategy_config import strategy_settings
from tests.sysproduction.jobs.strategies.order_helpers import (
    NOW,
    REFERENCE_TIME,
    RUN_TIME,
    STRATEGY,
    hold,
    optimal,
    seeded_blob,
    set_last_price,
    store_optimal,
    strategy_orders,
)


@pytest.fixture
def blob(tmp_path):
    return seeded_blob(tmp_path / "root", strategies=(STRATEGY, "other"))


def generate(blob, strategy=STRATEGY):
    return generate_strategy_orders(blob, strategy, strategy_settings(blob.config, strategy))


def test_inside_the_buffer_no_order_outside_trade_to_the_rounded_edge(blob):
    hold(blob, "US10", 5)
    hold(blob, "GOLD", 1)
    hold(blob, "BUND", 9)
    store_optimal(blob,
                  optimal("US10", 3.2, 7.9),    # 5 inside: nothing
                  optimal("GOLD", 3.6, 7.9),    # 1 below: to round(3.6) = 4, buy 3
                  optimal("BUND", 3.6, 7.4),    # 9 above: to round(7.4) = 7, sell 2
                  optimal("SP500", -2.5, 1.0))  # 0 inside
    summary = generate(blob)

    assert strategy_orders(blob) == {"GOLD": [3], "BUND": [-2]}
    assert sorted(summary.updated) == ["BUND", "GOLD"] and sorted(summary.unchanged) == ["SP500", "US10"]
    assert summary.ok
    [order] = [o for o in blob.instrument_orders.active(STRATEGY, "GOLD") if o.order_type == "best"]
    assert (order.order_type, order.reference_price, order.reference_datetime, order.reference_contract) == (
        "best", 101.0, REFERENCE_TIME, "20261200")
    assert order.reason == "position 1 below buffer [3.60, 7.90]: trade to lower edge 4"
    assert summary.updated["GOLD"] == f"order {order.order_id}: +3 ({order.reason})"


def test_a_second_run_with_nothing_changed_creates_no_order(blob):
    store_optimal(blob, optimal("GOLD", 3.6, 7.9), optimal("BUND", -6.4, -3.0))
    first = generate(blob)
    assert len(first.updated) == 2
    second = generate(blob)
    assert second.updated == {} and sorted(second.unchanged) == ["BUND", "GOLD"]
    assert strategy_orders(blob) == {"GOLD": [4], "BUND": [-3]}


def test_orders_on_the_stack_count_including_a_partial_fill(blob):
    hold(blob, "GOLD", 1)
    # an order of +2 of which 1 has filled is still on the stack: position 1 + 1 to come = 2
    partial = InstrumentOrder(STRATEGY, "GOLD", 2, "best", 100.0, REFERENCE_TIME, filled_trade=1)
    blob.instrument_orders.add(partial)
    store_optimal(blob, optimal("GOLD", 5.2, 9.0))  # to 5: 5 - (1 + 1) = 3
    generate(blob)
    assert strategy_orders(blob) == {"GOLD": [2, 3]}


@pytest.mark.parametrize(
    "override, expected",
    [
        # holding 2, buffer [7.6, 9] says +6 (to 8)
        (Override(multiplier=0.5), {"GOLD": [2]}),       # 8 x 0.5 = 4: +2
        (Override(multiplier=0.0), {"GOLD": [-2]}),      # close: to 0
        (Override(reduce_only=True), {}),                # +6 grows the position: nothing
        (Override(no_trading=True), {}),
    ],
)
def test_each_kind_of_override(blob, override, expected):
    hold(blob, "GOLD", 2)
    store_optimal(blob, optimal("GOLD", 7.6, 9.0))
    blob.overrides.set(STRATEGY, "GOLD", override, NOW)
    summary = generate(blob)
    assert strategy_orders(blob) == expected
    if expected:
        assert f"override {override.describe()}" in summary.updated["GOLD"]


def test_overrides_of_strategy_instrument_and_pair_combine(blob):
    hold(blob, "GOLD", 2)
    hold(blob, "BUND", 10)
    store_optimal(blob, optimal("GOLD", 7.6, 9.0), optimal("BUND", 11.6, 14.0))
    blob.overrides.set(STRATEGY, None, Override(multiplier=0.5), NOW)
    blob.overrides.set(None, "BUND", Override(multiplier=0.5), NOW)
    blob.overrides.set(STRATEGY, "BUND", Override(reduce_only=True), NOW)
    blob.overrides.set("other", None, Override(no_trading=True), NOW)  # another strategy's: no effect
    generate(blob)
    # GOLD: strategy x0.5 only: 8 x 0.5 = 4, +2
    # BUND: x0.5 x0.5 = x0.25 and reduce-only: 12 x 0.25 = 3, a reduction of 10: -7
    assert strategy_orders(blob) == {"GOLD": [2], "BUND": [-7]}


def test_position_limits_per_instrument_count_every_strategy(blob):
    hold(blob, "GOLD", 4, strategy="other")
    store_optimal(blob, optimal("GOLD", 5.6, 9.0))  # wants +6
    blob.position_limits.set("GOLD", 8, NOW)  # 4 held by "other": 4 left
    summary = generate(blob)
    assert strategy_orders(blob) == {"GOLD": [4]}
    assert "position limit 8 for instrument GOLD (position 4): trade +6 -> +4" in summary.updated["GOLD"]
    # the order on the stack counts against the limit: a re-run asks for nothing more
    assert generate(blob).updated == {}


def test_position_limit_per_strategy_and_instrument_and_never_reversed(blob):
    hold(blob, "GOLD", 1)
    hold(blob, "BUND", 6)
    store_optimal(blob, optimal("GOLD", 5.6, 9.0), optimal("BUND", 7.6, 9.0))
    blob.position_limits.set("GOLD", 3, NOW, strategy=STRATEGY)
    blob.position_limits.set("BUND", 4, NOW, strategy=STRATEGY)  # already over: a buy becomes 0, not a sell
    blob.position_limits.set("BUND", 100, NOW, strategy="other")  # another strategy's: no effect
    summary = generate(blob)
    assert strategy_orders(blob) == {"GOLD": [2]}
    assert "BUND" in summary.unchanged


def test_a_locked_instrument_gets_no_order_until_unlocked(blob):
    store_optimal(blob, optimal("GOLD", 3.6, 9.0), optimal("BUND", 2.0, 3.0))
    blob.instrument_locks.lock("GOLD", "position break: broker 5, book 4", NOW)
    summary = generate(blob)
    assert strategy_orders(blob) == {"BUND": [2]}
    assert summary.note == "GOLD +4 not ordered, locked (position break: broker 5, book 4)"
    assert summary.ok
    blob.instrument_locks.unlock("GOLD")
    generate(blob)
    assert strategy_orders(blob) == {"BUND": [2], "GOLD": [4]}


def test_a_stale_optimal_position_is_refused_and_fails_the_run(blob):
    set_last_price(blob, "GOLD", dt.datetime(2026, 11, 30, 19, 0))  # Monday's prices are in
    store_optimal(blob, optimal("GOLD", 3.6, 9.0), optimal("BUND", 2.0, 3.0))  # run on Friday
    summary = generate(blob)
    assert strategy_orders(blob) == {"BUND": [2]}
    assert summary.failed == {"GOLD": (
        "stale optimal position: computed 2026-11-27 20:00, before the latest prices of "
        "2026-11-30; not traded (run run_systems, then this again)")}
    assert not summary.ok


def test_positions_computed_the_same_day_as_the_latest_prices_are_current(blob):
    early = RUN_TIME.replace(hour=0, minute=5)  # a run just after midnight on the prices' day
    store_optimal(blob, optimal("GOLD", 3.6, 9.0, run_time=early))
    assert generate(blob).ok
    assert strategy_orders(blob) == {"GOLD": [4]}


def test_no_optimal_positions_is_a_failure_naming_the_fix(blob):
    summary = generate(blob)
    assert summary.failed == {STRATEGY: (
        "no optimal positions stored for strategy classic; run run_systems first")}


def test_a_position_without_an_optimal_position_is_left_alone_and_said(blob):
    hold(blob, "SP500", 2)  # SP500 is no longer in the strategy's backtest
    store_optimal(blob, optimal("GOLD", 0.0, 1.0))
    summary = generate(blob)
    assert strategy_orders(blob) == {}
    assert summary.note == "SP500 position 2 has no optimal position"
