"""Exponentially weighted statistics with pandas' `adjust=True, ignore_na=False` semantics: the
one home of the EWMA (the backtest's rules and volatility, the spike check's average move).

The weights of observation i at row t are (1-alpha)^(t-i), where i and t are row positions, so a
NaN row still ages the weights. Each statistic is a ratio of two sums of the form
y_t = a*y_{t-1} + x_t; that first-order recursion is solved in blocks with scaled cumulative
sums (exact algebra, vectorised; a handful of blocks carry their end value forward) instead of a
Python loop over rows. Works on 1-D arrays or 2-D arrays whose rows are time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Scaled terms stay below 1e100 inside one block: plenty of headroom in float64.
_LOG_LIMIT = math.log(1e100)
_MAX_BLOCK = 1 << 15


class _Alpha(float):
    """alpha, remembering the pandas keyword it came from (pandas derives its own alpha from the
    span or centre of mass, which can differ from 2/(span+1) in the last bit)."""

    pandas: dict


def _alpha(value: float, keyword: str, parameter: float) -> _Alpha:
    alpha = _Alpha(value)
    alpha.pandas = {keyword: parameter}
    return alpha


def alpha_from_span(span: float) -> float:
    return _alpha(2.0 / (span + 1.0), "span", span)


def alpha_from_com(com: float) -> float:
    return _alpha(1.0 / (1.0 + com), "com", com)


_PANDAS_ARITHMETIC: ContextVar[bool] = ContextVar("pandas_arithmetic", default=False)


@contextmanager
def pandas_arithmetic() -> Iterator[None]:
    """Within this block `ewma` and `ewmstd` run pandas' own recursion, bit for bit.

    The vectorised sums here equal pandas to ~1e-15, not in every last bit; parameter estimation
    feeds these values to an optimiser that stops early (SLSQP, tol 1e-5) and turns last-bit
    differences into 1e-8 weight differences, so the estimated system asks for pandas' exact
    arithmetic. The fixed-parameter engine keeps the faster path.
    """
    token = _PANDAS_ARITHMETIC.set(True)
    try:
        yield
    finally:
        _PANDAS_ARITHMETIC.reset(token)


def _pandas_ewm(x: np.ndarray, alpha: float, min_periods: int):  # noqa: ANN202 - pandas ExponentialMovingWindow
    import pandas as pd

    keyword = getattr(alpha, "pandas", None) or {"alpha": float(alpha)}
    frame = pd.DataFrame(x) if x.ndim == 2 else pd.Series(x)
    return frame.ewm(**keyword, min_periods=min_periods)


def _use_pandas(x: np.ndarray) -> bool:
    return _PANDAS_ARITHMETIC.get() and x.ndim in (1, 2) and x.shape[0] > 0


def decayed_sum(x: np.ndarray, decay: float) -> np.ndarray:
    """y_t = decay * y_{t-1} + x_t with y_{-1} = 0, along the first axis. `x` has no NaN."""
    n = x.shape[0]
    if n == 0 or decay == 0.0:
        return np.array(x, dtype=float, copy=True)
    if decay == 1.0:
        return np.cumsum(x, axis=0)
    block = max(1, min(_MAX_BLOCK, int(_LOG_LIMIT / -math.log(decay))))
    up, down, carry_in = _powers(decay, block)
    shape = (-1,) + (1,) * (x.ndim - 1)
    up, down, carry_in = up.reshape(shape), down.reshape(shape), carry_in.reshape(shape)
    # Columns contiguous in memory: the cumulative sums then run along contiguous data.
    x = np.asfortranarray(x)
    out = np.empty(x.shape, dtype=float, order="F")
    carry = None
    for begin in range(0, n, block):
        stop = min(begin + block, n)
        m = stop - begin
        part = np.cumsum(x[begin:stop] * up[:m], axis=0) * down[:m]
        if carry is not None:
            part += carry_in[:m] * carry
        out[begin:stop] = part
        carry = part[-1]
    return out


@lru_cache(maxsize=64)
def _powers(decay: float, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """decay^-k, decay^k and decay^(k+1) for k < block (shared by every call with this decay)."""
    steps = np.arange(block, dtype=float)
    return decay**-steps, decay**steps, decay ** (steps + 1)


def _constant_prefix(x: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows where every valid value so far equals the first one, and that first value.

    pandas keeps the mean of a constant history exactly equal to the constant; ratios of sums
    can be an ulp off, which matters where the method tests for an exact 0.
    """
    first_row = np.argmax(valid, axis=0)
    first = np.take_along_axis(x, np.expand_dims(first_row, 0), axis=0)
    same = np.where(valid, x == first, True)
    return np.logical_and.accumulate(same, axis=0), np.broadcast_to(first, x.shape)


def ewma(x: np.ndarray, alpha: float, min_periods: int = 0) -> np.ndarray:
    """EWMA(x; alpha, min_p): NaN until max(min_p, 1) valid values have been seen."""
    x = np.asarray(x, dtype=float)
    if x.shape[0] == 0:
        return x.copy()
    if _use_pandas(x):
        return _pandas_ewm(x, alpha, min_periods).mean().to_numpy()
    valid = ~np.isnan(x)
    decay = 1.0 - alpha
    sums = decayed_sum(np.where(valid, x, 0.0), decay)
    weights = decayed_sum(valid.astype(float), decay)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / weights
    constant, first = _constant_prefix(x, valid)
    mean = np.where(constant, first, mean)
    seen = np.cumsum(valid, axis=0)
    return np.where(seen >= max(min_periods, 1), mean, np.nan)


def ewmstd(x: np.ndarray, alpha: float, min_periods: int = 0) -> np.ndarray:
    """Bias-corrected exponentially weighted standard deviation (pandas `ewm(...).std()`).

    var = [sum w (x-m)^2 / sum w] * (sum w)^2 / ((sum w)^2 - sum w^2). Values are shifted by
    their overall mean first (variance does not change) so the moment difference loses nothing.
    """
    x = np.asarray(x, dtype=float)
    if _use_pandas(x):
        return _pandas_ewm(x, alpha, min_periods).std().to_numpy()
    valid = ~np.isnan(x)
    if not valid.any():
        return np.full(x.shape, np.nan)
    centred = np.where(valid, x - np.nanmean(x, axis=0), 0.0)
    decay = 1.0 - alpha
    w1 = decayed_sum(valid.astype(float), decay)
    w2 = decayed_sum(valid.astype(float), decay * decay)
    s1 = decayed_sum(centred, decay)
    s2 = decayed_sum(centred * centred, decay)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / w1
        biased = np.maximum(s2 / w1 - mean * mean, 0.0)
        numerator = w1 * w1
        denominator = numerator - w2
        var = np.where(denominator > 0, biased * numerator / denominator, np.nan)
    constant, _ = _constant_prefix(x, valid)
    var = np.where(constant & ~np.isnan(var), 0.0, var)
    seen = np.cumsum(valid, axis=0)
    return np.where(seen >= max(min_periods, 1), np.sqrt(var), np.nan)


@dataclass(frozen=True)
class EwmaState:
    """An EWMA carried forward one value at a time: the decayed sum of values and of weights
    (pandas' adjusted EWMA, no NaN), so a check can judge each new value against the average of
    the values before it and then add it."""

    alpha: float
    total: float = 0.0
    weight: float = 0.0

    @classmethod
    def of(cls, values: np.ndarray, alpha: float) -> EwmaState:
        """The state after `values` (no NaN), oldest first."""
        values = np.asarray(values, dtype=float)
        if len(values) == 0:
            return cls(alpha)
        decay = 1.0 - alpha
        total = decayed_sum(values, decay)[-1]
        weight = decayed_sum(np.ones(len(values)), decay)[-1]
        return cls(alpha, float(total), float(weight))

    def add(self, value: float) -> EwmaState:
        decay = 1.0 - self.alpha
        return EwmaState(self.alpha, decay * self.total + value, decay * self.weight + 1.0)

    @property
    def mean(self) -> float:
        """The EWMA of the values so far (NaN before any)."""
        return self.total / self.weight if self.weight else float("nan")


def rolling_std(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """Rolling sample standard deviation (ddof 1) over `window` rows, NaNs skipped (1-D)."""
    x = np.asarray(x, dtype=float)
    valid = ~np.isnan(x)
    n = len(x)
    if not valid.any():
        return np.full(n, np.nan)
    centred = np.where(valid, x - np.nanmean(x), 0.0)
    zero = np.zeros(1)
    c1 = np.concatenate((zero, np.cumsum(centred)))
    c2 = np.concatenate((zero, np.cumsum(centred * centred)))
    cn = np.concatenate((zero, np.cumsum(valid.astype(float))))
    hi = np.arange(1, n + 1)
    lo = np.maximum(hi - window, 0)
    count = cn[hi] - cn[lo]
    total = c1[hi] - c1[lo]
    squares = c2[hi] - c2[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.maximum(squares - total * total / count, 0.0) / (count - 1)
    ok = (count >= max(min_periods, 1)) & (count >= 2)
    return np.where(ok, np.sqrt(var), np.nan)
