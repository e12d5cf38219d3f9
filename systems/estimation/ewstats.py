"""Exponentially weighted estimates read at fit dates (ESTIMATION_SPEC section 0).

Each statistic is computed once over the whole history by pandas' exponentially weighted
updates (the reference's own arithmetic, which the Sharpe-ratio adjustment's SLSQP step is
sensitive to at the 1e-8 level), then read at the rows the fits need: no fit recomputes history.
Correlations use `ignore_na=True`: a pair's weights age only on rows where both values exist.

Speed without changing a bit: `DataFrame.ewm(...).corr(pairwise=True)` loops over every column
pair in Python with Series arithmetic and then builds and sorts a MultiIndex frame of
rows x N x N values, most of which are never read; `.mean()`/`.std()` wrap each column in frame
machinery. Here the same compiled routines pandas calls (`ewm`, `ewmcov`) run on numpy arrays
with exactly the arguments pandas passes, on exactly the arrays pandas would build (the pair
masking `x + 0 * y`, infinities made NaN), and the final division is done elementwise only at the
rows asked for. Those routines are private to pandas, so they are looked up in one place
(`_routines`): if they are missing or their signatures differ, every function here falls back to
the public API, which gives the same numbers, only slower.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache

import numpy as np

# The argument lists of pandas._libs.window.aggregations.ewm / ewmcov this module is written for
# (pandas 2.x and 3.x); anything else means the private API moved, so use the public one.
_EWM_PARAMS = ("vals", "start", "end", "minp", "com", "adjust", "ignore_na", "deltas", "normalize")
_EWMCOV_PARAMS = (
    "input_x",
    "start",
    "end",
    "minp",
    "input_y",
    "com",
    "adjust",
    "ignore_na",
    "bias",
)


@cache
def _routines() -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]] | None:
    """pandas' compiled (ewm, ewmcov), or None if absent or not the signature relied on."""
    try:
        from pandas._libs.window import aggregations

        ewm, ewmcov = aggregations.ewm, aggregations.ewmcov
        if (
            tuple(inspect.signature(ewm).parameters) != _EWM_PARAMS
            or tuple(inspect.signature(ewmcov).parameters) != _EWMCOV_PARAMS
        ):
            return None
    except (ImportError, AttributeError, TypeError, ValueError):
        return None
    return ewm, ewmcov


def _com(span: float) -> float:
    """pandas' centre of mass for a span (ewm.get_center_of_mass)."""
    if span < 1:
        raise ValueError("span must satisfy: span >= 1")
    return float((span - 1) / 2)


def _min_periods(min_periods: int | None) -> int:
    """The min_periods pandas' ExponentialMovingWindow stores (and passes on)."""
    return 1 if min_periods is None else max(int(min_periods), 1)


def _bounds(n: int) -> tuple[np.ndarray, np.ndarray]:
    """ExponentialMovingWindowIndexer's bounds: one window over everything."""
    return np.array([0], dtype=np.int64), np.array([n], dtype=np.int64)


def _finite(x: np.ndarray) -> np.ndarray:
    """pandas' Window._prep_values for a float64 array: infinities become NaN."""
    inf = np.isinf(x)
    return np.where(inf, np.nan, x) if inf.any() else x


def _zsqrt(x: np.ndarray) -> np.ndarray:
    """pandas' window.common.zsqrt on an array: sqrt, negatives give 0."""
    with np.errstate(all="ignore"):
        result = np.sqrt(x)
        mask = x < 0
    if mask.any():
        result[mask] = 0
    return result


def _as_float(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    return values if values.dtype == np.float64 else values.astype(np.float64)


def ew_mean_std(values: np.ndarray, span: float, min_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """EWMEAN and EWSTD (NaN rows age the weights) of every column, every row.

    Equal bit for bit to `DataFrame(values).ewm(span=span, min_periods=min_periods)` `.mean()`
    and `.std()` (adjust=True, ignore_na=False, bias=False)."""
    routines = _routines()
    values = _as_float(values)
    if routines is None or values.ndim != 2 or values.size == 0:
        return _ew_mean_std_pandas(values, span, min_periods)
    ewm, ewmcov = routines
    com, minp = _com(span), _min_periods(min_periods)
    start, end = _bounds(len(values))
    columns = np.ascontiguousarray(values.T)
    mean = np.empty(columns.shape)
    std = np.empty(columns.shape)
    with np.errstate(all="ignore"):
        for i, column in enumerate(columns):
            x = _finite(column)
            mean[i] = ewm(x, start, end, minp, com, True, False, None, True)
            std[i] = _zsqrt(ewmcov(x, start, end, minp, x, com, True, False, False))
    return mean.T, std.T  # column-major, as pandas' to_numpy() gives them


def _ew_mean_std_pandas(
    values: np.ndarray, span: float, min_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    frame = pd.DataFrame(values)
    ew = frame.ewm(span=span, min_periods=min_periods)
    return ew.mean().to_numpy(), ew.std().to_numpy()


def ew_corr_at(values: np.ndarray, span: float, min_periods: int, rows: np.ndarray) -> np.ndarray:
    """EWCORR matrices (len(rows) x N x N) as of each row in `rows` (-1: no row yet, NaN).

    For each pair only the rows where both exist count; a row with no joint observation carries
    the previous value. NaN until `min_periods` joint observations. Equal bit for bit to
    `DataFrame(values).ewm(span=span, min_periods=min_periods, ignore_na=True)`
    `.corr(pairwise=True)` read at `rows`.
    """
    values = _as_float(values)
    n_rows, width = values.shape
    out = np.full((len(rows), width, width), np.nan)
    read = np.asarray(rows)
    if n_rows == 0 or width == 0 or not (read >= 0).any():
        return out
    last = int(read.max()) + 1
    ok = read >= 0
    routines = _routines()
    if routines is None:
        out[ok] = _ew_corr_pandas(values[:last], span, min_periods)[read[ok]]
        return out
    out[ok] = _ew_corr_rows(routines[1], values[:last], span, min_periods, read[ok])
    return out


def _ew_corr_rows(
    ewmcov: Callable[..., np.ndarray],
    values: np.ndarray,
    span: float,
    min_periods: int,
    read: np.ndarray,
) -> np.ndarray:
    """pandas' pairwise EWCORR at rows `read`, one pair (i <= j) at a time, as its cov_func does.

    The pair's series are masked by each other (`prep_binary`: X = x + 0 * y, Y = y + 0 * x) and
    infinities made NaN; the variances of equal masked series are computed once (the same bytes in
    give the same bytes out)."""
    n, width = values.shape
    com, minp = _com(span), _min_periods(min_periods)
    start, end = _bounds(n)
    columns = [np.ascontiguousarray(values[:, i]) for i in range(width)]
    variances: dict[bytes, np.ndarray] = {}

    def masked(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _finite(x + 0 * y)

    def variance(x: np.ndarray) -> np.ndarray:
        key = x.tobytes()
        found = variances.get(key)
        if found is None:
            found = variances[key] = ewmcov(x, start, end, minp, x, com, True, True, True)[read]
        return found

    result = np.empty((len(read), width, width))
    with np.errstate(all="ignore"):
        for i in range(width):
            for j in range(i, width):
                x = masked(columns[i], columns[j])
                y = x if i == j else masked(columns[j], columns[i])
                x_var = variance(x)
                if i == j:
                    cov, y_var = x_var, x_var
                else:
                    cov = ewmcov(x, start, end, minp, y, com, True, True, True)[read]
                    y_var = variance(y)
                corr = cov / _zsqrt(x_var * y_var)
                result[:, j, i] = corr
                result[:, i, j] = corr
    return result


def _ew_corr_pandas(values: np.ndarray, span: float, min_periods: int) -> np.ndarray:
    """Every row's EWCORR matrix by the public API (rows x N x N)."""
    import pandas as pd

    n, width = values.shape
    corr = (
        pd.DataFrame(values)
        .ewm(span=span, min_periods=min_periods, ignore_na=True)
        .corr(pairwise=True)
    )
    return corr.to_numpy().reshape(n, width, width)
