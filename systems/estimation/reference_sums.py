"""Sums, means and standard deviations of long columns as numpy 1.x computes them.

The reference (pysystemtrade v1.80 on numpy 1.26) sums a float array of more than 8192 values in
blocks of 8192 (numpy 1.x's buffer size): pairwise within a block, the block sums added in order.
numpy 2 sums the whole array pairwise, which differs in the last bits. Parameter estimation feeds
these sums (forecast turnovers, cost Sharpe ratios, the standard deviations behind the cost
add-on) to an SLSQP step that stops early and turns a last-bit difference into a 1e-8 weight
difference, so the estimation sums the reference's way. Up to 8192 values this is `np.sum`.
"""

from __future__ import annotations

import numpy as np

NUMPY1_BLOCK = 8192


def numpy1_sum(values: np.ndarray) -> float:
    """`np.sum` of a 1-d float array as numpy 1.x adds it (blocks of 8192, added in order)."""
    total = 0.0
    for start in range(0, len(values), NUMPY1_BLOCK):
        total += float(np.sum(values[start : start + NUMPY1_BLOCK]))
    return total


def nanmean(values: np.ndarray) -> float:
    """pandas' `Series.mean()`: the sum with NaN as 0 over the count; NaN if nothing is valid."""
    valid = ~np.isnan(values)
    count = int(valid.sum())
    if count == 0:
        return float("nan")
    return numpy1_sum(np.where(valid, values, 0.0)) / count


def nanstd(values: np.ndarray, ddof: int = 1) -> float:
    """pandas' `Series.std()` (two passes: the mean, then the squared deviations, NaN as 0)."""
    valid = ~np.isnan(values)
    count = int(valid.sum())
    if count - ddof <= 0:
        return float("nan")
    mean = numpy1_sum(np.where(valid, values, 0.0)) / count
    squares = np.where(valid, (values - mean) ** 2, 0.0)
    return float(np.sqrt(numpy1_sum(squares) / (count - ddof)))
