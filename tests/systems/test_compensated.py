"""pandas 2.x's compensated group sums in numpy (the reference ran pandas 2.1): the ragged runs of
the daily mean (intraday rows) and the weekly blocks add exactly as its groupby sum does."""

from __future__ import annotations

import numpy as np

from systems.compensated import ragged_compensated_sums
from tests.systems.helpers import kahan_group_sums


def test_ragged_runs_sum_as_pandas_2_groupby_sum():
    rng = np.random.default_rng(41)
    for case in range(300):
        lengths = rng.integers(1, 20, size=int(rng.integers(1, 60)))
        values = rng.normal(0, 10.0 ** rng.integers(-3, 6), size=int(lengths.sum()))
        if case % 3 == 0:
            values = np.round(values, 1)  # decimal steps: where compensation changes last bits
        values[rng.uniform(size=len(values)) < 0.2] = np.nan
        if case % 10 == 0:
            values[rng.integers(len(values))] = np.inf
        if case % 15 == 0:
            values[rng.integers(len(values))] = -np.inf
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        groups = np.repeat(np.arange(len(lengths)), lengths)
        with np.errstate(invalid="ignore"):
            got = ragged_compensated_sums(values, starts)
        assert got.tobytes() == kahan_group_sums(values, groups, len(lengths)).tobytes(), case


def test_compensation_gives_the_reference_sum_not_the_plain_one():
    values = np.array([0.1, 0.1, 0.1, 0.3, 0.1, 0.1, 0.1, 0.7])
    sums = ragged_compensated_sums(values, np.array([0, 4]))
    assert sums.tolist() == [0.6, 1.0]  # pandas 2.1's groupby sums (pandas 3.1: 0.6, 0.9999999999999999)
    assert ((0.1 + 0.1) + 0.1) + 0.3 == 0.6000000000000001  # a plain running sum
    assert ragged_compensated_sums(np.empty(0), np.empty(0, dtype=np.int64)).shape == (0,)
