"""Pooled weekly returns of the forecast-weight estimation, fast and bit for bit.

`PooledGross` prepares a pool once and gives each fitted instrument's STACK of weekly net returns
in one pass; `compensated_sums` is pandas 2.x's compensated groupby sum in numpy. Both must give
exactly the bits of the reference (`pooled_weekly_returns`, and the compensated sum as pandas 2.1,
which the check values come from, adds: `tests.systems.helpers.kahan_group_sums`): the
handcrafting's SLSQP step amplifies last-bit differences into visible weight differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from systems.compensated import compensated_sums, largest_magnitude, missing_values
from systems.daily import day_of_bin
from systems.estimation.forecast_weights import PooledGross, pooled_weekly_returns
from systems.estimation.weekly import MICROS_PER_DAY, sunday_of, weekly
from tests.systems.helpers import bin_of, kahan_group_sums


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _pandas_weekly_sum(start: int, values: np.ndarray) -> np.ndarray:
    """The weekly sum as pandas 2.x's groupby sum over week numbers adds it, value by value."""
    values = values.reshape(len(values), -1)
    sundays = sunday_of(day_of_bin(np.arange(start, start + len(values), dtype=np.int64)))
    week = (sundays - sundays[0]) // 7
    count = int(week[-1]) + 1
    return np.column_stack([kahan_group_sums(values[:, k], week, count) for k in range(values.shape[1])])


def _awkward(rng: np.random.Generator, rows: int, columns: int) -> np.ndarray:
    """Returns whose compensated and plain sums differ: mixed magnitudes, NaN runs, zeros, -0.0."""
    scale = 10.0 ** rng.integers(-17, 17, size=(rows, columns))
    values = rng.normal(size=(rows, columns)) * scale
    values[rng.random((rows, columns)) < 0.15] = np.nan
    values[rng.random((rows, columns)) < 0.05] = 0.0
    values[rng.random((rows, columns)) < 0.02] = -0.0
    values[rows // 3 : rows // 3 + 12, 0] = np.nan  # whole weeks without a value: 0.0
    return values


@pytest.mark.parametrize("seed", range(6))
def test_weekly_sum_is_pandas_groupby_sum_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    rows, columns = int(rng.integers(1, 400)), int(rng.integers(1, 7))
    start = bin_of("2001-01-01") + int(rng.integers(0, 5))  # any weekday
    values = _awkward(rng, rows, columns)
    _, sums = weekly(start, values, "sum")
    expected = _pandas_weekly_sum(start, values)
    assert _same(sums, expected)
    if rows > 100:  # the compensation matters: a plain running sum differs in the last bits
        plain = np.zeros_like(expected)
        week = (sunday_of(day_of_bin(np.arange(start, start + rows))) - sunday_of(day_of_bin(start))) // 7
        for row in range(rows):
            plain[week[row]] += np.where(np.isnan(values[row]), 0.0, values[row])
        assert not _same(plain, expected)


def test_the_weekly_sum_is_pandas_2s_not_pandas_3s():
    """The reference's pandas 2.1 sums this week to 1.0; pandas 3.1 adds its compensation back at
    the end and gets 0.9999999999999999. The engine follows the reference."""
    monday = bin_of("2024-01-01")
    _, sums = weekly(monday, np.array([0.1, 0.1, 0.1, 0.7, np.nan]), "sum")
    assert sums.tolist() == [[1.0]]


def test_weekly_sum_of_infinities_and_overflow_is_pandas_sum():
    """A compensation that is not finite is reset (an infinite value; an overflowing sum, which
    pandas 2.1 would leave NaN and pandas 3 resets);
    +inf and -inf in one week give NaN; a week of -0.0 alone gives +0.0."""
    monday = bin_of("2024-01-01")
    column = np.array(
        [
            1.0, np.inf, 2.0, np.nan, 3.0,  # inf
            np.inf, -np.inf, 1.0, 1.0, 1.0,  # NaN
            1e308, 1e308, -1e308, 5.0, 1.0,  # overflow: inf
            -0.0, np.nan, np.nan, -0.0, np.nan,  # +0.0
            1.0, 1e-16, 1e-16, 1e-16, 1e-16,  # compensated: 1 + 4e-16
            -np.inf, 1.0, np.nan, np.nan, 2.0,  # -inf
        ]
    )
    values = np.column_stack([column, column[::-1]])
    _, sums = weekly(monday, values, "sum")
    assert _same(sums, _pandas_weekly_sum(monday, values))
    assert list(sums[:, 0]) == [np.inf, pytest.approx(np.nan, nan_ok=True), np.inf, 0.0, 1.0000000000000004, -np.inf]
    assert math.copysign(1.0, sums[3, 0]) == 1.0


def test_compensated_sums_of_a_shift_are_the_sums_of_the_shifted_values():
    rng = np.random.default_rng(7)
    days = _awkward(rng, 5 * 60, 8).reshape(60, 5, 8).transpose(1, 0, 2).copy()
    shift = rng.normal(size=8) * 1e-3
    shift[3] = 0.0
    expected = compensated_sums(days + shift)
    given = compensated_sums(days, shift, largest_magnitude(days), missing_values(days))
    assert _same(given, expected)
    flat = (days + shift).transpose(1, 0, 2).reshape(300, 8)
    assert _same(given, _pandas_weekly_sum(bin_of("2024-01-01"), flat))
    shift[5] = np.nan  # a missing shift: the column has no values, every week sums to 0.0
    shift[6] = np.inf  # an infinite one: -inf + inf is a missing value, the rest are inf
    days[0, 2, 6] = -np.inf
    odd = compensated_sums(days, shift, largest_magnitude(days), missing_values(days))
    with np.errstate(invalid="ignore"):
        shifted = days + shift
    assert _same(odd, compensated_sums(shifted))
    assert _same(odd, _pandas_weekly_sum(bin_of("2024-01-01"), shifted.transpose(1, 0, 2).reshape(300, 8)))
    assert (odd[:, 5] == 0.0).all()
    assert odd[2, 6] == np.inf


def _pool(spec: dict[str, dict[str, tuple[int, np.ndarray]]]) -> dict:
    """pnls in the engine's shape: code -> rule -> (start ordinal, gross, cost parts)."""
    return {code: {rule: (start, gross, ()) for rule, (start, gross) in rules.items()} for code, rules in spec.items()}


def _check(pnls: dict, rules: list[str], costs: list[dict[str, float]]) -> None:
    prepared = PooledGross.prepare(pnls, rules)
    for cost_sr in costs:
        labels, returns = prepared.weekly_returns(cost_sr)
        expected_labels, expected = pooled_weekly_returns(pnls, rules, cost_sr)
        assert _same(labels, expected_labels)
        assert _same(returns, expected)


def test_a_hand_made_pool_worked_by_hand():
    """AAA: Mon..Fri of one week gross 1, 3, 0, NaN, 2 (0 is no trade: missing), then a Monday of
    0 (a week in its range without a value: 0.0). BBB from the second week: 2, 4. With SR cost 16,
    each value gains 1 x std: AAA std(1, 3, 2) = 1, BBB std(2, 4) = sqrt 2. Weeks outside a
    member's own rows are missing, as STACK reindexes them."""
    monday = bin_of("2024-01-01")
    pnls = _pool(
        {
            "AAA": {"r": (monday, np.array([1.0, 3.0, 0.0, np.nan, 2.0, 0.0]))},
            "BBB": {"r": (monday + 5, np.array([2.0, 4.0]))},
        }
    )
    labels, returns = PooledGross.prepare(pnls, ["r"]).weekly_returns({"r": 16.0})
    sunday = int(day_of_bin(monday)) + 6
    assert list(labels) == [
        sunday * MICROS_PER_DAY, sunday * MICROS_PER_DAY + 1,
        (sunday + 7) * MICROS_PER_DAY, (sunday + 7) * MICROS_PER_DAY + 1,
    ]
    assert returns[0, 0] == 9.0  # (1 + 1) + (3 + 1) + (2 + 1)
    assert np.isnan(returns[1, 0])  # BBB has not started
    assert returns[2, 0] == 0.0  # AAA's second week: in its range, no value
    assert returns[3, 0] == pytest.approx(6.0 + 2.0 * math.sqrt(2.0), rel=1e-15)
    _check(pnls, ["r"], [{"r": 16.0}, {"r": 0.0}, {"r": -3.5}])


def test_hand_made_pools_with_gaps_and_a_single_member():
    monday = bin_of("2010-03-01")
    rng = np.random.default_rng(11)
    one = {"a": (monday + 2, rng.normal(size=40)), "b": (monday + 9, rng.normal(size=20))}
    _check(_pool({"ONE": one}), ["a", "b"], [{"a": 0.1, "b": 0.2}, {"a": float("nan"), "b": 0.0}])
    # AAA from a Tuesday to a Thursday (weeks 0..4), BBB from week 8 to a Tuesday: weeks 5..7 are
    # in neither (no STACK row); AAA's rule a has a whole week without a value (0.0)
    gross = rng.normal(size=23)
    gross[[3, 17, 20]] = 0.0
    gross[[4, 5, 6, 7, 8]] = np.nan
    later = rng.normal(size=7) * 1e6
    pnls = _pool(
        {
            "BBB": {"a": (monday + 40, later), "b": (monday + 41, later[:4] * 1e-9)},
            "AAA": {"a": (monday + 1, gross), "b": (monday + 3, gross[::-1][:20] * 3.0)},
        }
    )
    labels, _ = PooledGross.prepare(pnls, ["a", "b"]).weekly_returns({"a": 0.0, "b": 0.0})
    first_sunday = int(day_of_bin(monday)) + 6
    assert list(np.unique(labels // MICROS_PER_DAY - first_sunday) // 7) == [0, 1, 2, 3, 4, 8, 9]  # not 5..7
    _check(pnls, ["a", "b"], [{"a": 0.3, "b": -0.01}, {"a": 1e-12, "b": 7.0}])


@pytest.mark.parametrize("seed", range(8))
def test_random_pools_match_the_reference(seed):
    """Members of 1..12 starting on any day, ending on any day, with NaN runs, zero returns,
    rules starting at different dates, values of any magnitude."""
    rng = np.random.default_rng(100 + seed)
    rules = [f"rule{k}" for k in range(int(rng.integers(1, 5)))]
    members = 1 if seed == 0 else int(rng.integers(2, 13))
    spec = {}
    for m in range(members):
        start = bin_of("1995-06-01") + int(rng.integers(0, 900))
        columns = {}
        for rule in rules:
            length = int(rng.integers(1, 700))
            gross = rng.normal(size=length) * 10.0 ** rng.integers(-6, 6)
            gross[rng.random(length) < 0.1] = 0.0
            gross[rng.random(length) < 0.05] = np.nan
            if length > 30:
                gross[10:30] = np.nan if rng.random() < 0.5 else 0.0
            columns[rule] = (start + int(rng.integers(0, 40)), gross)
        spec[f"I{m:02d}"] = columns
    pnls = _pool(spec)
    costs = [{rule: float(rng.normal()) * 0.05 for rule in rules} for _ in range(4)]
    _check(pnls, rules, costs)


def _recording(monkeypatch) -> list[tuple[int, bool]]:
    """Make the engine's pools check every fitted instrument's returns against the reference;
    returns (members, same) per fitted instrument."""
    seen: list[tuple[int, bool]] = []
    prepare, weekly_returns = PooledGross.prepare.__func__, PooledGross.weekly_returns

    def recording_prepare(cls, pnls, rules):
        prepared = prepare(cls, pnls, rules)
        prepared.reference = (pnls, list(rules))
        return prepared

    def checked(self, cost_sr):
        labels, returns = weekly_returns(self, cost_sr)
        expected_labels, expected = pooled_weekly_returns(self.reference[0], self.reference[1], cost_sr)
        seen.append((len(self.reference[0]), _same(labels, expected_labels) and _same(returns, expected)))
        return labels, returns

    monkeypatch.setattr(PooledGross, "prepare", classmethod(recording_prepare))
    monkeypatch.setattr(PooledGross, "weekly_returns", checked)
    return seen


@pytest.mark.parametrize("pooled", [True, False])
def test_the_engine_fits_on_the_reference_returns(synthetic_tree, monkeypatch, pooled):
    import yaml

    from systems.config import parse_backtest_config, provided_config_path
    from systems.data import load_csv_inputs
    from systems.engine import run_backtest
    from tests.systems.synthetic import INSTRUMENTS

    raw = yaml.safe_load(provided_config_path("futures_chapter15_estimated").read_text())
    raw["instrument_weights"] = {code: 1.0 for code in INSTRUMENTS}
    raw["forecast_weight_estimate"]["ceiling_cost_SR"] = 9999
    raw["forecast_weight_estimate"]["pool_gross_returns"] = pooled
    config = parse_backtest_config(raw, "est.yaml")
    seen = _recording(monkeypatch)
    run_backtest(config, load_csv_inputs(synthetic_tree, config.instruments, config.base_currency), 1_700_000_000)
    assert seen == [(3 if pooled else 1, True)] * 3


def test_the_reference_run_fits_on_the_reference_returns(reference_data, monkeypatch):
    from tests.systems.estimated_run import estimated_run

    seen = _recording(monkeypatch)
    estimated_run.__wrapped__(reference_data)  # a fresh run, not the session's cached one
    assert seen == [(6, True)] * 6
