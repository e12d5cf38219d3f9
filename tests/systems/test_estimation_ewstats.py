"""The exponentially weighted statistics equal pandas' public API bit for bit (NaN payloads,
signed zeros and all), on the awkward inputs a backtest meets, without going through pandas'
pairwise frame; and with pandas' private routines missing or changed, the public API is used."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
from pandas.core.window.ewm import ExponentialMovingWindow

from systems.estimation import ewstats
from systems.estimation.ewstats import ew_corr_at, ew_mean_std


def pandas_corr_at(
    values: np.ndarray, span: float, min_periods: int, rows: np.ndarray
) -> np.ndarray:
    """The reference: every row's pairwise EWCORR by the public API, read at `rows`."""
    n, width = values.shape
    out = np.full((len(rows), width, width), np.nan)
    rows = np.asarray(rows)
    if n == 0 or width == 0 or not (rows >= 0).any():
        return out
    corr = (
        pd.DataFrame(values)
        .ewm(span=span, min_periods=min_periods, ignore_na=True)
        .corr(pairwise=True)
    )
    blocks = corr.to_numpy().reshape(n, width, width)
    ok = rows >= 0
    out[ok] = blocks[rows[ok]]
    return out


def pandas_mean_std(
    values: np.ndarray, span: float, min_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    ew = pd.DataFrame(values).ewm(span=span, min_periods=min_periods)
    return ew.mean().to_numpy(), ew.std().to_numpy()


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def awkward(seed: int, n: int = 600, width: int = 7) -> np.ndarray:
    """Random returns with NaN runs, late starts, an all-NaN, a constant and a zero column,
    signed zeros and infinities."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((n, width)) * rng.uniform(0.1, 3.0, width)
    for col in range(width):
        for _ in range(rng.integers(0, 6)):
            start = rng.integers(0, n)
            values[start : start + rng.integers(1, 40), col] = np.nan
    values[: n // 4, 0] = np.nan  # starts late
    if width > 2:
        values[: n // 2, 2] = np.nan  # starts later
    if width > 3:
        values[:, 3] = np.nan  # never has data
    if width > 4:
        values[:, 4] = 0.25  # constant: zero variance
    if width > 5:
        values[::2, 5] = -0.0
        values[1::2, 5] = 0.0
    if width > 6:
        values[rng.integers(0, n, 5), 6] = np.inf
        values[rng.integers(0, n, 5), 6] = -np.inf
    return values


CASES = [
    pytest.param(awkward(1), 30.0, 10, id="awkward"),
    pytest.param(awkward(2), 500000.0, 10, id="awkward-long-span"),
    pytest.param(awkward(3, n=8), 25.0, 20, id="fewer-rows-than-min-periods"),
    pytest.param(awkward(4, width=1), 40.0, 5, id="single-column"),
    pytest.param(awkward(5, n=300, width=40), 25.0, 20, id="40-columns"),
    pytest.param(
        np.random.default_rng(6).integers(-3, 4, (200, 3)).astype(float),
        10.0,
        0,
        id="ties-min-periods-0",
    ),
]


@pytest.mark.parametrize(("values", "span", "min_periods"), CASES)
def test_corr_equals_pandas_bit_for_bit(values: np.ndarray, span: float, min_periods: int) -> None:
    n = len(values)
    rows = np.array([-1, -1, 0, 1, n // 7, n // 3, n // 3, n // 2 + 1, n - 2, n - 1])
    rows = rows[rows < n]
    got = ew_corr_at(values, span, min_periods, rows)
    assert same_bits(got, pandas_corr_at(values, span, min_periods, rows))
    # only the rows asked for are computed, yet each equals the full history's value
    assert same_bits(ew_corr_at(values, span, min_periods, rows[-1:]), got[-1:])


def test_corr_nan_until_min_periods_and_at_row_minus_one() -> None:
    values = awkward(7)
    got = ew_corr_at(values, 30.0, 10, np.array([-1, 5, 599]))
    assert np.isnan(got[0]).all() and np.isnan(got[1]).all()  # no row yet; 6 rows < 10
    assert np.isnan(got[2][3]).all() and np.isnan(got[2][:, 4]).all()  # all-NaN; constant column
    assert got[2][0, 0] == pytest.approx(1.0) and got[2][0, 1] == got[2][1, 0]
    assert np.isnan(ew_corr_at(values, 30.0, 10, np.array([-1, -1]))).all()
    assert ew_corr_at(values[:0], 30.0, 10, np.array([-1])).shape == (1, 7, 7)


@pytest.mark.parametrize(("values", "span", "min_periods"), CASES)
def test_mean_std_equal_pandas_bit_for_bit(
    values: np.ndarray, span: float, min_periods: int
) -> None:
    mean, std = ew_mean_std(values, span, min_periods)
    want_mean, want_std = pandas_mean_std(values, span, min_periods)
    assert same_bits(np.ascontiguousarray(mean), np.ascontiguousarray(want_mean))
    assert same_bits(np.ascontiguousarray(std), np.ascontiguousarray(want_std))


def test_worked_values() -> None:
    """Two rows, span 3 (alpha 1/2, adjusted weights 1/2 and 1): mean of (1, 3) is
    (0.5 * 1 + 3) / 1.5 = 7/3; perfectly anti-correlated columns give -1."""
    values = np.array([[1.0, 2.0], [3.0, -2.0]])
    mean, std = ew_mean_std(values, 3.0, 1)
    assert mean[1, 0] == pytest.approx(7.0 / 3.0) and np.isnan(std[0, 0])
    corr = ew_corr_at(values, 3.0, 2, np.array([0, 1]))
    assert np.isnan(corr[0]).all()
    assert corr[1] == pytest.approx(np.array([[1.0, -1.0], [-1.0, 1.0]]))


def test_no_pairwise_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed: pandas' pairwise corr (a Python loop over pairs, then a sorted MultiIndex frame
    of every row) and the frame ewm mean/std are not used while the compiled routines exist."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("went through pandas' frame API")

    values = awkward(8, n=200)
    want = pandas_corr_at(values, 30.0, 10, np.array([150, 199]))
    want_mean, want_std = pandas_mean_std(values, 30.0, 10)
    for name in ("corr", "mean", "std", "var"):
        monkeypatch.setattr(ExponentialMovingWindow, name, refuse)
    assert same_bits(ew_corr_at(values, 30.0, 10, np.array([150, 199])), want)
    mean, std = ew_mean_std(values, 30.0, 10)
    assert same_bits(mean, np.ascontiguousarray(want_mean)) and same_bits(
        std, np.ascontiguousarray(want_std)
    )


def _changed_ewmcov(input_x, start, end, minp, input_y, com, adjust, ignore_na, bias, extra=None):  # noqa: ANN001, ANN202
    raise AssertionError("a routine whose signature changed must not be called")


@pytest.mark.parametrize(
    "stand_in",
    [
        pytest.param({"ewm": "real"}, id="ewmcov-missing"),
        pytest.param({"ewm": "real", "ewmcov": _changed_ewmcov}, id="ewmcov-signature-changed"),
    ],
)
def test_falls_back_to_public_api_when_routines_change(
    monkeypatch: pytest.MonkeyPatch, stand_in: dict
) -> None:
    """pandas' own modules keep their reference to the real routines, so the public API still
    works; ewstats sees the stand-in module and must not use it."""
    import pandas._libs.window as window_package

    real = window_package.aggregations
    fake = types.SimpleNamespace(
        **{k: (real.ewm if v == "real" else v) for k, v in stand_in.items()}
    )
    values = awkward(9, n=200)
    rows = np.array([-1, 120, 199])
    want = pandas_corr_at(values, 30.0, 10, rows)
    want_mean, want_std = pandas_mean_std(values, 30.0, 10)
    monkeypatch.setattr(window_package, "aggregations", fake)
    ewstats._routines.cache_clear()
    try:
        assert ewstats._routines() is None
        assert same_bits(ew_corr_at(values, 30.0, 10, rows), want)
        mean, std = ew_mean_std(values, 30.0, 10)
        assert same_bits(mean, want_mean) and same_bits(std, want_std)
    finally:
        monkeypatch.undo()
        ewstats._routines.cache_clear()
    assert ewstats._routines() is not None
