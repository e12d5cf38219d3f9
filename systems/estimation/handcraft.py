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


_STEP = float(np.sqrt(np.finfo(np.float64).eps))  # scipy's SLSQP finite-difference step


def _forward_step(x: float) -> float:
    """The forward-difference step scipy takes for one coordinate inside the bounds [0, 1]
    (its `approx_derivative`, element by element in plain floats, same IEEE operations): +step,
    or -step where +step would leave the box and -step fits."""
    h = _STEP
    if (x + h) - x == 0:
        h = _STEP * (1.0 if x >= 0 else -1.0) * (1.0 if 1.0 >= abs(x) else abs(x))
    lower, upper = x - 0.0, 1.0 - x
    ahead = x + h
    violated = ahead < 0.0 or ahead > 1.0
    fitting = abs(h) <= (lower if lower >= upper else upper)
    if violated and fitting:
        return -h
    if not fitting and upper >= lower:
        return upper
    if not fitting and upper < lower:
        return -lower
    return h


def _forward_gradient(fun, x: np.ndarray, f0: float) -> np.ndarray:  # noqa: ANN001 - x -> float
    out = np.empty(len(x))
    for i, xi in enumerate(x.tolist()):
        h = _forward_step(xi)
        moved = x.copy()
        moved[i] = xi + h
        out[i] = (fun(moved) - f0) / ((xi + h) - xi)
    return out


def _two_asset_max_sharpe(mean_first: float, mean_other: float, corr: float) -> np.ndarray:
    """scipy's SLSQP (`minimize(method="SLSQP", tol=1e-5)` with bounds [0, 1], weights adding
    to 1, start 1/2 each) driven directly through its core routine: the same evaluations of the
    objective, the same forward-difference gradients and the same iterates, bit for bit, without
    `minimize`'s per-call set-up, which dominated thousands of two-asset problems."""
    from scipy.optimize._slsqplib import slsqp

    stdev = np.full(2, SR_STD)
    corr_matrix = np.array([[1.0, corr], [corr, 1.0]])
    sigma = np.diag(stdev).dot(corr_matrix).dot(np.diag(stdev))
    mus = np.array([mean_first, mean_other], ndmin=2).transpose()

    def objective(x: np.ndarray) -> float:
        return np.asarray(_neg_sharpe(x, sigma, mus)).item()

    def constraint(x: np.ndarray) -> float:
        return float(_adds_to_one(x))

    x = np.array([0.5, 0.5])
    acc = 0.00001
    state = {
        "acc": acc, "alpha": 0.0, "f0": 0.0, "gs": 0.0, "h1": 0.0, "h2": 0.0, "h3": 0.0, "h4": 0.0,
        "t": 0.0, "t0": 0.0, "tol": 10.0 * acc, "exact": 0, "inconsistent": 0, "reset": 0, "iter": 0,
        "itermax": 100, "line": 0, "m": 1, "meq": 1, "mode": 0, "n": 2,
    }
    n, m, meq = 2, 1, 1
    indices = np.zeros([max(m + 2 * n + 2, 1)], dtype=np.int32)
    size = n * (n + 1) // 2 + 3 * m * n - (m + 5 * n + 7) * meq + 9 * m + 8 * n * n + 35 * n + meq * meq + 28
    size += 2 * n * (n + 1)  # no inequality constraints
    buffer = np.zeros(max(size, 1), dtype=np.float64)
    lower, upper = np.zeros(n), np.ones(n)
    fx = objective(x)
    evaluated, f_last = x.copy(), fx  # where the objective was last evaluated (scipy memoises)
    g = _forward_gradient(objective, x, fx)
    mult = np.zeros([max(1, m + 2 * n + 2)], dtype=np.float64)
    jac = np.zeros([max(1, m), n], dtype=np.float64, order="F")
    d = np.zeros([max(1, m)], dtype=np.float64)

    def constraint_normals(at: np.ndarray) -> None:
        # forward differences of 1 - (w0 + w1), in plain floats (the same IEEE operations)
        a0, a1 = (min(max(v, 0.0), 1.0) for v in at.tolist())
        c0 = 1.0 - (a0 + a1)
        h0, h1 = _forward_step(a0), _forward_step(a1)
        jac[0, 0] = ((1.0 - ((a0 + h0) + a1)) - c0) / ((a0 + h0) - a0)
        jac[0, 1] = ((1.0 - (a0 + (a1 + h1))) - c0) / ((a1 + h1) - a1)

    constraint_normals(x)
    d[0] = constraint(x)
    while True:
        slsqp(state, fx, g, jac, d, x, mult, lower, upper, buffer, indices)
        if state["mode"] == 1:
            if not np.array_equal(x, evaluated):
                evaluated, f_last = x.copy(), objective(x)
            fx = f_last
            d[0] = constraint(x)
        if state["mode"] == -1:
            if not np.array_equal(x, evaluated):
                evaluated, f_last = x.copy(), objective(x)
            g = _forward_gradient(objective, x, f_last)
            constraint_normals(x)
        if abs(state["mode"]) != 1:
            break
    return x


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
