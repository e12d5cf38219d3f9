"""Handcrafted weights (ESTIMATION_SPEC section 2.5): split into two clusters recursively, half
the risk to each scaled by its diversification multiplier, then (forecast weights) adjust for
Sharpe ratio differences with the reference's small parametric bootstrap.

The bootstrap's two-asset maximum-Sharpe step is scipy's SLSQP called exactly as the reference
does (start 1/2 each, bounds [0, 1], weights adding to 1, tol 1e-5): it stops early, and the
closed-form optimum differs by up to 3e-3, so the call itself is part of the method.
"""

from __future__ import annotations

import numpy as np

SR_STD = 0.15
SR_AVERAGE = 0.5
DM_FLOOR = 1e-7


def div_mult(weights: np.ndarray, corr: np.ndarray, cap: float = 2.5) -> float:
    """min(1/sqrt(w'Cw), cap); 1.0 if the root is NaN or below 1e-7. NaN weights, and assets
    whose correlation row has fewer than 2 values, are left out."""
    weights = np.asarray(weights, dtype=float)
    keep = ~np.isnan(weights) & ((~np.isnan(corr)).sum(axis=1) >= 2)
    w = weights[keep]
    c = corr[np.ix_(keep, keep)]
    root = float(np.sqrt(w.dot(c).dot(w)))
    if np.isnan(root) or root < DM_FLOOR:
        return 1.0
    return min(1.0 / root, cap)


def _dm_plain(weights: np.ndarray, corr: np.ndarray) -> float:
    root = float(np.sqrt(weights.dot(corr).dot(weights)))
    if np.isnan(root) or root < DM_FLOOR:
        return 1.0
    return min(1.0 / root, 2.5)


def _two_clusters(corr: np.ndarray) -> np.ndarray:
    """Labels 1/2 of a complete-linkage split of the rows of `corr` (alternate if it fails)."""
    from scipy.cluster import hierarchy

    n = len(corr)
    try:
        linkage = hierarchy.linkage(hierarchy.distance.pdist(corr), method="complete")
        labels = hierarchy.fcluster(linkage, linkage[n - 2][2] - 0.000001, "distance")
        if max(labels) > 2:
            raise ValueError("more than two clusters")
        return np.asarray(labels)
    except Exception:  # noqa: BLE001 - the reference falls back on any failure
        return np.arange(n) % 2 + 1


def handcraft(corr: np.ndarray) -> np.ndarray:
    """Risk weights HC(V) of the assets of `corr` (not normalised)."""
    n = len(corr)
    if n <= 2:
        return np.full(n, 1.0 / n)
    labels = _two_clusters(corr)
    weights = np.empty(n)
    for label in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == label)
        sub_corr = corr[np.ix_(members, members)]
        sub = handcraft(sub_corr)
        weights[members] = 0.5 * _dm_plain(sub, sub_corr) * sub
    return weights


def _neg_sharpe(weights: np.ndarray, sigma: np.ndarray, mus: np.ndarray) -> float:
    w = np.array(weights, ndmin=2)
    ret = w.dot(mus)[0, 0]
    return -ret / w.dot(sigma).dot(w.transpose()) ** 0.5


def _adds_to_one(weights: np.ndarray) -> float:
    return 1.0 - sum(weights)


def _two_asset_max_sharpe(mean_first: float, mean_other: float, corr: float) -> np.ndarray:
    from scipy.optimize import minimize

    stdev = np.full(2, SR_STD)
    corr_matrix = np.array([[1.0, corr], [corr, 1.0]])
    sigma = np.diag(stdev).dot(corr_matrix).dot(np.diag(stdev))
    mus = np.array([mean_first, mean_other], ndmin=2).transpose()
    result = minimize(
        _neg_sharpe, [0.5, 0.5], (sigma, mus), method="SLSQP",
        bounds=[(0.0, 1.0)] * 2, constraints=[{"type": "eq", "fun": _adds_to_one}], tol=0.00001,
    )
    return result["x"]


def sr_multiplier(sr_diff: float, avg_corr: float, years: float) -> float:
    """Weight ratio to 1/2 of an asset whose Sharpe ratio beats the others' by `sr_diff`."""
    from scipy import special

    average_mean = SR_AVERAGE * SR_STD
    first_mean = (sr_diff + SR_AVERAGE) * SR_STD
    difference = first_mean - average_mean
    omega = (2 * ((SR_STD / years**0.5) ** 2) * (1 - avg_corr)) ** 0.5
    weights = []
    for p in np.arange(0.2, (1 - 0.2) + 0.00000001, 0.2):
        # scipy.stats.norm(difference, omega).ppf(p), bit for bit, without building a frozen
        # distribution each time (the slow part)
        confident = special.ndtri(p) * omega + difference
        weights.append(list(_two_asset_max_sharpe(confident + average_mean, average_mean, avg_corr)))
    average = np.nanmean(np.array(weights), axis=0)
    ratio = average[0] / (1.0 / len(average))
    if np.sign(ratio - 1.0) != np.sign(sr_diff):
        return 1.0
    return float(ratio)


def sr_adjusted(weights: np.ndarray, sharpe: np.ndarray, avg_corr: float, years: float) -> np.ndarray:
    """Weights scaled by each asset's multiplier for its Sharpe ratio above the average, summing
    to 1 (unchanged for a single asset)."""
    if len(weights) == 1:
        return weights
    average = np.nanmean(sharpe)
    multipliers = np.array([sr_multiplier(float(s - average), avg_corr, years) for s in sharpe])
    adjusted = np.array(weights) * multipliers
    return adjusted / np.sum(adjusted)


def average_off_diagonal(corr: np.ndarray) -> float:
    """nanmean of the off-diagonal entries (over the matrix with a NaN diagonal, as the
    reference sums them); NaN when there are none."""
    values = np.array(corr, dtype=float, copy=True)
    np.fill_diagonal(values, np.nan)
    if np.all(np.isnan(values)):
        return float("nan")
    return float(np.nanmean(values))
