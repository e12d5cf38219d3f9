"""The estimation's long sums equal numpy 1.x's (the reference's numpy 1.26): blocks of 8192
values summed pairwise, the block sums added in order; pandas' NaN-skipping mean and std on top."""

from __future__ import annotations

import math

import numpy as np

from systems.estimation.reference_sums import NUMPY1_BLOCK, nanmean, nanstd, numpy1_sum


def test_a_long_sum_is_added_block_by_block():
    # 10,200 values: numpy 1.26 gives 5020.0 (8192 + 2008 values); one pairwise sum over the
    # whole array (numpy 2) gives 5020.000000000001
    values = np.array([1.0, 1e-16] * 5000 + [0.1] * 200)
    assert numpy1_sum(values) == 5020.0
    assert numpy1_sum(values) == np.sum(values[:NUMPY1_BLOCK]) + np.sum(values[NUMPY1_BLOCK:])


def test_up_to_one_block_it_is_numpys_sum():
    values = np.random.default_rng(3).standard_normal(NUMPY1_BLOCK)
    assert numpy1_sum(values) == np.sum(values)
    assert numpy1_sum(np.empty(0)) == 0.0


def test_mean_and_std_skip_nan_as_pandas_does():
    values = np.array([1.0, math.nan, 2.0, 4.0])
    assert nanmean(values) == 7.0 / 3.0
    mean = 7.0 / 3.0
    assert nanstd(values) == math.sqrt(((1.0 - mean) ** 2 + (2.0 - mean) ** 2 + (4.0 - mean) ** 2) / 2)
    assert math.isnan(nanmean(np.array([math.nan])))
    assert math.isnan(nanstd(np.array([5.0])))  # one value, ddof 1


def test_long_mean_and_std_use_the_block_sums():
    values = np.array([1.0, 1e-16] * 5000 + [0.1] * 200 + [math.nan] * 7)
    filled = np.where(np.isnan(values), 0.0, values)
    assert nanmean(values) == numpy1_sum(filled) / 10200
    mean = numpy1_sum(filled) / 10200
    squares = np.where(np.isnan(values), 0.0, (values - mean) ** 2)
    assert nanstd(values) == math.sqrt(numpy1_sum(squares) / 10199)
