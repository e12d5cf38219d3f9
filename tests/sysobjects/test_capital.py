"""The capital rules, worked by hand over sequences of valuations."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from syscore.exceptions import DataValidationError
from sysobjects.capital import (
    CapitalBook,
    CapitalEntry,
    CapitalValues,
    PendingChange,
    allocate_by_weights,
    apply_cash_flow,
    initial_values,
    value_capital,
)

START = initial_values(100_000.0)  # capital = max = 100k, P&L 0
# broker account values after the start: +5k, -8k, +7k, +4k
SEQUENCE = [105_000.0, 97_000.0, 104_000.0, 108_000.0]


def run(method: str, values=SEQUENCE) -> list[CapitalValues]:
    out, previous = [], START
    for broker in values:
        valuation = value_capital(previous, broker, method, max_change=0.10)
        assert not valuation.large
        out.append(valuation.values)
        previous = valuation.values
    return out


def as_tuples(rows: list[CapitalValues]) -> list[tuple[float, float, float, float]]:
    return [(r.broker_account_value, r.total_capital, r.max_capital, r.accumulated_pnl) for r in rows]


def test_first_valuation_is_capital_equal_max_equal_broker_value_and_no_pnl():
    assert START == CapitalValues(100_000.0, 100_000.0, 100_000.0, 0.0)
    chosen = initial_values(100_000.0, total_capital=80_000.0, max_capital=90_000.0, accumulated_pnl=5.0)
    assert chosen == CapitalValues(100_000.0, 80_000.0, 90_000.0, 5.0)


def test_full_adds_every_profit_and_loss_and_max_follows_capital():
    # capital: 100k +5k = 105k, -8k = 97k, +7k = 104k, +4k = 108k; P&L 5k, -3k, 4k, 8k
    assert as_tuples(run("full")) == [
        (105_000, 105_000, 105_000, 5_000),
        (97_000, 97_000, 97_000, -3_000),
        (104_000, 104_000, 104_000, 4_000),
        (108_000, 108_000, 108_000, 8_000),
    ]


def test_half_takes_losses_but_profits_only_back_up_to_max_capital():
    # max stays 100k; capital: min(100k+5k, 100k) = 100k; 100k-8k = 92k; min(92k+7k, 100k) =
    # 99k; min(99k+4k, 100k) = 100k. P&L counts everything.
    assert as_tuples(run("half")) == [
        (105_000, 100_000, 100_000, 5_000),
        (97_000, 92_000, 100_000, -3_000),
        (104_000, 99_000, 100_000, 4_000),
        (108_000, 100_000, 100_000, 8_000),
    ]


def test_half_below_max_gets_profits_back_in_steps():
    # capital 92k, max 100k: +5k -> 97k (below max), +5k -> min(102k, 100k) = 100k
    previous = CapitalValues(97_000.0, 92_000.0, 100_000.0, -3_000.0)
    first = value_capital(previous, 102_000.0, "half").values
    second = value_capital(first, 107_000.0, "half").values
    assert (first.total_capital, first.max_capital, first.accumulated_pnl) == (97_000, 100_000, 2_000)
    assert (second.total_capital, second.max_capital, second.accumulated_pnl) == (100_000, 100_000, 7_000)


def test_fixed_never_changes_capital_and_max_is_capital():
    assert as_tuples(run("fixed")) == [
        (105_000, 100_000, 100_000, 5_000),
        (97_000, 100_000, 100_000, -3_000),
        (104_000, 100_000, 100_000, 4_000),
        (108_000, 100_000, 100_000, 8_000),
    ]


def test_capital_never_goes_below_zero():
    previous = CapitalValues(100_000.0, 5_000.0, 5_000.0, 0.0)
    assert value_capital(previous, 92_000.0, "full").values.total_capital == 0.0  # 5k - 8k


def test_a_change_of_more_than_max_capital_change_is_large_both_ways():
    # 10% of 100k is 10k: exactly 10k is allowed, 10,001 is not
    assert not value_capital(START, 110_000.0, "full", 0.10).large
    up = value_capital(START, 110_001.0, "full", 0.10)
    assert up.large and up.profit == 10_001 and math.isclose(up.change, 0.10001)
    down = value_capital(START, 85_000.0, "full", 0.10)
    assert down.large and down.change == -0.15
    # the values are still worked out, for a person to confirm
    assert down.values == CapitalValues(85_000.0, 85_000.0, 85_000.0, -15_000.0)
    assert not value_capital(START, 85_000.0, "full", 0.20).large
    # from a broker value of 0 any change is large
    assert value_capital(CapitalValues(0.0, 0.0, 0.0, 0.0), 1.0, "full").large


def test_a_withdrawal_is_not_pnl():
    # 100k, withdraw 20k, then the market makes 1k: profit is 81k - 80k = 1k, not -19k
    after_flow = apply_cash_flow(START, -20_000.0, move_capital=True)
    assert after_flow == CapitalValues(80_000.0, 80_000.0, 80_000.0, 0.0)
    valuation = value_capital(after_flow, 81_000.0, "full")
    assert (valuation.profit, valuation.large) == (1_000.0, False)
    assert valuation.values == CapitalValues(81_000.0, 81_000.0, 81_000.0, 1_000.0)
    # without moving capital (pysystemtrade's way): only the broker value moves
    kept = apply_cash_flow(START, -20_000.0, move_capital=False)
    assert kept == CapitalValues(80_000.0, 100_000.0, 100_000.0, 0.0)
    assert value_capital(kept, 81_000.0, "full").values.total_capital == 101_000.0
    with pytest.raises(DataValidationError, match="non-zero amount"):
        apply_cash_flow(START, 0.0, move_capital=True)


def test_unknown_method_and_bad_values_are_one_line_errors():
    with pytest.raises(DataValidationError, match="one of full, half, fixed"):
        value_capital(START, 1.0, "double")
    with pytest.raises(DataValidationError, match="broker gave no usable value"):
        value_capital(START, math.nan, "full")
    with pytest.raises(DataValidationError, match="cannot be negative"):
        CapitalValues(1.0, -1.0, 0.0, 0.0)


def test_book_deletes_since_a_time_and_refuses_entries_out_of_order():
    t = [dt.datetime(2026, 1, d) for d in (1, 2, 3)]
    book = CapitalBook()
    for when, broker in zip(t, (100.0, 101.0, 102.0), strict=True):
        book = book.with_entry(CapitalEntry(when, initial_values(broker), "broker"))
    book = book.with_pending(PendingChange(t[2], 200.0, 102.0, 0.96))
    kept = book.without_since(t[1])
    assert [e.time for e in kept.entries] == [t[0]] and kept.pending is None
    assert book.without_since(dt.datetime(2026, 1, 4)).pending is not None
    with pytest.raises(DataValidationError, match="before the latest stored one"):
        book.with_entry(CapitalEntry(t[0], START, "broker"))
    # storing a valuation settles the pending change
    assert book.with_entry(CapitalEntry(t[2], START, "confirmed")).pending is None


def test_allocation_across_three_strategies_is_normalised_weights():
    # weights 5, 3, 2 of 10: 50%, 30%, 20% of 1,000,000
    assert allocate_by_weights(1_000_000.0, {"a": 5, "b": 3, "c": 2}) == {
        "a": 500_000.0, "b": 300_000.0, "c": 200_000.0}
    assert allocate_by_weights(900.0, {"a": 0.5, "b": 0.25, "c": 0.25}) == {"a": 450.0, "b": 225.0, "c": 225.0}
    with pytest.raises(DataValidationError, match="is empty"):
        allocate_by_weights(1.0, {})
    with pytest.raises(DataValidationError, match=r"strategy_weights\.b is -1"):
        allocate_by_weights(1.0, {"a": 1, "b": -1})
    with pytest.raises(DataValidationError, match="all 0"):
        allocate_by_weights(1.0, {"a": 0})
