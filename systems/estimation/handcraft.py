"""Handcrafted weights (ESTIMATION_SPEC section 2.5): split into two clusters recursively, half
the risk to each scaled by its diversification multiplier, then (forecast weights) adjust for
Sharpe ratio differences with the reference's small parametric bootstrap.

The bootstrap's two-asset maximum-Sharpe step is scipy's SLSQP called exactly as the reference
does (start 1/2 each, bounds [0, 1], weights adding to 1, tol 1e-5): it stops early, and the
closed-form optimum differs by up to 3e-3, so the call itself is part of the method.
"""

from __future__ import annotations

import math

import numpy as np

from systems.estimation.scipy_kernels import complete_linkage, slsqp_core

SR_STD = 0.15
SR_AVERAGE = 0.5
DM_FLOOR = 1e-7
BOOTSTRAP_POINTS = np.arange(0.2, (1 - 0.2) + 0.00000001, 0.2)  # the reference's p = 0.2 .. 0.8
# scipy.special.ndtri(BOOTSTRAP_POINTS) (a test checks them): the standard normal quantiles,
# written out because importing scipy.special costs 0.2 s and only these four are ever needed
BOOTSTRAP_QUANTILES = tuple(
    float.fromhex(h) for h in
    ("-0x1.aee8fa73a1333p-1", "-0x1.036d6c4a04b59p-2", "0x1.036d6c4a04b5fp-2", "0x1.aee8fa73a1334p-1")
)


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
    """Labels 1/2 of a complete-linkage split of the rows of `corr` (alternate if it fails).

    The reference cuts the tree with `fcluster(..., last merge distance - 1e-6, "distance")` and
    falls back to alternate labels if that gives more than two clusters. Complete linkage merges
    at non-decreasing distances, so that cut gives exactly the two subtrees joined by the last
    merge, unless the merge before it is within 1e-6 (three or more clusters: the fallback).
    Read from the tree directly: fcluster's validation of the tree cost ~1 ms a call."""
    n = len(corr)
    try:
        linkage = complete_linkage(corr)
    except ValueError:  # non-finite distances: the reference falls back on any failure
        return np.arange(n) % 2 + 1
    cut = linkage[n - 2][2] - 0.000001
    if not linkage[n - 2][2] > cut or (n > 2 and linkage[n - 3][2] > cut):
        return np.arange(n) % 2 + 1
    children = [int(c) for c in linkage[:, :2].ravel()]
    labels = np.empty(n, dtype=np.int64)
    for label, root in ((1, children[2 * (n - 2)]), (2, children[2 * (n - 2) + 1])):
        stack = [root]
        while stack:
            node = stack.pop()
            if node < n:
                labels[node] = label
            else:
                stack.extend(children[2 * (node - n): 2 * (node - n) + 2])
    return labels


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
    if 0.0 <= x and x + _STEP <= 1.0:  # inside the box: the plain step (the branches below agree)
        return _STEP
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


def _covariance(corr: float) -> tuple[float, float, float, float]:
    """diag(sd)·[[1, c], [c, 1]]·diag(sd) as the reference computes it with numpy, entry by entry
    (s00, s01, s10, s11): each entry adds an exact zero product (NaN with a NaN correlation, as
    numpy's), so the order of the additions cannot change a bit."""
    sd = SR_STD
    a00, a01 = sd * 1.0 + 0.0 * corr, sd * corr + 0.0 * 1.0
    a10, a11 = 0.0 * 1.0 + sd * corr, 0.0 * corr + sd * 1.0
    return a00 * sd + a01 * 0.0, a00 * 0.0 + a01 * sd, a10 * sd + a11 * 0.0, a10 * 0.0 + a11 * sd


def _sharpe_objective(sigma: tuple[float, float, float, float], mus: tuple[float, float]):  # noqa: ANN202
    """`_neg_sharpe` for two assets in plain floats, (w0, w1) -> float: the same IEEE operations
    in the same order (numpy's 1x2 products add the two terms left to right, and its `** 0.5` of
    an array is a square root), so equal to it bit for bit; numpy's arithmetic only where the
    root is 0 or NaN."""
    s00, s01, s10, s11 = sigma
    m0, m1 = mus

    def objective(w0: float, w1: float) -> float:
        ret = w0 * m0 + w1 * m1
        variance = (w0 * s00 + w1 * s10) * w0 + (w0 * s01 + w1 * s11) * w1
        if variance > 0.0:
            return -ret / math.sqrt(variance)
        with np.errstate(all="ignore"):  # zero or negative variance: numpy's inf/NaN
            return float(-np.float64(ret) / np.sqrt(np.float64(variance)))

    return objective


def _two_asset_max_sharpe(mean_first: float, mean_other: float, corr: float) -> np.ndarray:
    """scipy's SLSQP (`minimize(method="SLSQP", tol=1e-5)` with bounds [0, 1], weights adding
    to 1, start 1/2 each) driven directly through its core routine: the same evaluations of the
    objective, the same forward-difference gradients and the same iterates, bit for bit, without
    `minimize`'s per-call set-up, which dominated thousands of two-asset problems. Everything
    around the core routine is plain floats (the same IEEE operations as scipy's numpy code)."""
    slsqp = slsqp_core()
    objective = _sharpe_objective(_covariance(corr), (float(mean_first), float(mean_other)))

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
    mult = np.zeros([max(1, m + 2 * n + 2)], dtype=np.float64)
    jac = np.zeros([max(1, m), n], dtype=np.float64, order="F")
    d = np.zeros([max(1, m)], dtype=np.float64)
    g = np.zeros(n)
    x = np.array([0.5, 0.5])

    def derivatives(x0: float, x1: float, f0: float) -> None:
        # forward differences of the objective and of 1 - (w0 + w1), steps as scipy takes them
        h0, h1 = _forward_step(x0), _forward_step(x1)
        g[0] = (objective(x0 + h0, x1) - f0) / ((x0 + h0) - x0)
        g[1] = (objective(x0, x1 + h1) - f0) / ((x1 + h1) - x1)
        a0, a1 = min(max(x0, 0.0), 1.0), min(max(x1, 0.0), 1.0)
        c0 = 1.0 - (a0 + a1)
        k0, k1 = _forward_step(a0), _forward_step(a1)
        jac[0, 0] = ((1.0 - ((a0 + k0) + a1)) - c0) / ((a0 + k0) - a0)
        jac[0, 1] = ((1.0 - (a0 + (a1 + k1))) - c0) / ((a1 + k1) - a1)

    evaluated = (0.5, 0.5)  # where the objective was last evaluated (scipy memoises)
    fx = f_last = objective(0.5, 0.5)
    derivatives(0.5, 0.5, fx)
    d[0] = 1.0 - (0.5 + 0.5)
    while True:
        slsqp(state, fx, g, jac, d, x, mult, lower, upper, buffer, indices)
        mode = state["mode"]
        if mode != 1 and mode != -1:
            return x
        x0, x1 = x.tolist()
        if (x0, x1) != evaluated:
            evaluated, f_last = (x0, x1), objective(x0, x1)
        if mode == 1:
            fx = f_last
            d[0] = 1.0 - (x0 + x1)
        else:
            derivatives(x0, x1, f_last)


def sr_multiplier(sr_diff: float, avg_corr: float, years: float) -> float:
    """Weight ratio to 1/2 of an asset whose Sharpe ratio beats the others' by `sr_diff`."""
    average_mean = SR_AVERAGE * SR_STD
    first_mean = (sr_diff + SR_AVERAGE) * SR_STD
    difference = first_mean - average_mean
    omega = (2 * ((SR_STD / years**0.5) ** 2) * (1 - avg_corr)) ** 0.5
    firsts = []
    for quantile in BOOTSTRAP_QUANTILES:
        # scipy.stats.norm(difference, omega).ppf(p), bit for bit
        confident = quantile * omega + difference
        firsts.append(float(_two_asset_max_sharpe(confident + average_mean, average_mean, avg_corr)[0]))
    ratio = _nanmean(firsts) / (1.0 / 2)
    if _sign(ratio - 1.0) != _sign(sr_diff):
        return 1.0
    return ratio


def _nanmean(values: list[float]) -> float:
    """np.nanmean down a column, in plain floats: the non-NaN values added in order, divided by
    their count (NaN if there are none)."""
    kept = [v for v in values if v == v]
    if not kept:
        return float("nan")
    total = kept[0]
    for value in kept[1:]:
        total += value
    return total / len(kept)


def _sign(value: float) -> float:
    """np.sign: -1, 0 or 1, NaN for NaN (which compares unequal to everything)."""
    if value != value:
        return float("nan")
    return 1.0 if value > 0 else (-1.0 if value < 0 else 0.0)


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
