"""Estimated parameters: config validation, order independence, and the fixed config that
production runs on (every estimate fixed at its last value gives the last day's positions)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from syscore.exceptions import BacktestConfigError
from systems.config import parse_backtest_config, provided_config_path
from systems.engine import run_backtest, run_backtest_streaming
from systems.fixed_config import fixed_config, used_parameters
from tests.systems.estimated_run import estimated_run

TODAY = 1_700_000_000


def _raw() -> dict:
    return yaml.safe_load(provided_config_path("futures_chapter15_estimated").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"use_forecast_scale_estimates": "yes"}, "use_forecast_scale_estimates must be true or false"),
        ({"forecast_scalar_estimate": {"windows": 5}}, "forecast_scalar_estimate: unknown key 'windows'"),
        ({"forecast_scalar_estimate": {"min_periods": 0}}, "min_periods must be a whole number"),
        ({"instrument_div_mult_estimate": {"dm_max": "high"}}, "instrument_div_mult_estimate.dm_max must be a number"),
        ({"rule_variations": ["carry", "nope"]}, "rule_variations names rule 'nope'"),
        ({"forecast_weight_estimate": {"method": "shrinkage"}}, "method: 'shrinkage' is not supported"),
        ({"forecast_correlation_estimate": {"date_method": "rolling"}}, "only expanding is supported"),
        ({"forecast_weight_estimate": {"equalise_gross": True}}, "equalise_gross: only false is supported"),
    ],
)
def test_bad_estimation_settings_are_one_line_errors(change, message):
    raw = _raw()
    raw.update(change)
    with pytest.raises(BacktestConfigError) as caught:
        parse_backtest_config(raw, "est.yaml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_rule_variations_give_equal_weights_to_the_listed_rules():
    config = parse_backtest_config(_raw(), "est.yaml")
    assert config.rules_for("CORN") == ["carry", "ewmac16_64", "ewmac32_128", "ewmac64_256"]
    assert config.forecast_weights["MXP"] == {r: 0.25 for r in config.rules_for("MXP")}
    assert config.estimation.forecast_scalars and config.estimation.forecast_weights
    assert config.estimation.forecast_div_mult and config.estimation.instrument_weights
    assert config.estimation.instrument_div_mult


@pytest.fixture(scope="module")
def estimated(reference_data):
    return estimated_run(reference_data)


def test_estimates_do_not_depend_on_instrument_order(estimated):
    config, inputs, result = estimated
    backwards = run_backtest_streaming(
        config, inputs.fx_usd, (inputs.instruments[c] for c in reversed(config.instruments)), TODAY
    )
    for rule, series in result.estimates["forecast_scalars"].items():
        other = backwards.estimates["forecast_scalars"][rule]
        assert other.start == series.start
        np.testing.assert_array_equal(other.values, series.values)
    for code, (_, weights, _) in result.estimates["forecast_weights"].items():
        np.testing.assert_array_equal(backwards.estimates["forecast_weights"][code][1], weights)
        np.testing.assert_array_equal(
            backwards.estimates["forecast_div_multiplier"][code].values,
            result.estimates["forecast_div_multiplier"][code].values,
        )
    np.testing.assert_array_equal(
        backwards.estimates["instrument_weights"][1], result.estimates["instrument_weights"][1]
    )
    np.testing.assert_array_equal(
        backwards.estimates["instrument_div_multiplier"].values, result.estimates["instrument_div_multiplier"].values
    )
    for code, one in result.instruments.items():
        np.testing.assert_array_equal(backwards.instruments[code].notional_position, one.notional_position)
    assert backwards.net.sharpe == result.net.sharpe


def test_fixed_config_gives_the_last_days_positions(estimated):
    config, inputs, result = estimated
    used = used_parameters(config, result.estimates)
    assert used["estimated_last_value"] == [
        "forecast_div_multiplier", "forecast_scalars", "forecast_weights", "instrument_div_multiplier",
        "instrument_weights",
    ]
    assert "estimated" not in used
    assert used["forecast_scalars"]["carry"] == pytest.approx(21.84010306898143, rel=1e-9)
    fixed = fixed_config(_raw(), used)
    assert fixed["use_forecast_scale_estimates"] is False
    assert fixed["use_forecast_weight_estimates"] is False
    assert fixed["forecast_div_multiplier"]["V2X"] == result.estimates["forecast_div_multiplier"]["V2X"].values[-1]
    assert fixed["forecast_weights"]["MXP"]["carry"] == result.estimates["forecast_weights"]["MXP"][1][-1, 0]
    assert fixed["instrument_div_multiplier"] == result.estimates["instrument_div_multiplier"].values[-1]
    assert fixed["instrument_weights"]["V2X"] == result.estimates["instrument_weights"][1][-1, -1]
    fixed_run = run_backtest(parse_backtest_config(fixed, "fixed.yaml"), inputs, TODAY)
    for code, one in result.instruments.items():
        # CORN's forecasts end a day early, so its last scalar is the pooled one of a day before
        tolerance = 1e-4 if code == "CORN" else 1e-9
        assert fixed_run.instruments[code].notional_position[-1] == pytest.approx(
            one.notional_position[-1], rel=tolerance
        )
        assert fixed_run.instruments[code].buffered_position[-1] == one.buffered_position[-1]


def test_equal_weight_method_runs_on_the_synthetic_tree(synthetic_tree):
    from systems.data import load_csv_inputs
    from tests.systems.synthetic import INSTRUMENTS

    raw = _raw()
    raw["forecast_weight_estimate"] = {"method": "equal_weight", "ceiling_cost_SR": 9999}
    raw["instrument_weights"] = {code: 1.0 for code in INSTRUMENTS}
    config = parse_backtest_config(raw, "est.yaml")
    inputs = load_csv_inputs(synthetic_tree, config.instruments, config.base_currency)
    result = run_backtest(config, inputs, TODAY)
    for _, weights, _ in result.estimates["forecast_weights"].values():
        # every rule has data by the last fit: equal raw weights, smoothed and normalised
        np.testing.assert_allclose(weights[-1], 0.25, atol=1e-6)
    assert np.isfinite(result.net.sharpe)


def test_weekly_sum_is_pandas_compensated_sum():
    """WEEKLY(sum) is pandas' resample sum, compensated: four 1e-16s after a 1.0 are not lost
    (a plain running sum gives exactly 1.0); the fits amplify such last-bit differences."""
    from systems.daily import bin_of_day
    from systems.estimation.weekly import weekly

    monday = int(bin_of_day(np.datetime64("2024-01-01", "D").astype(np.int64)))
    _, sums = weekly(monday, np.array([1.0, 1e-16, 1e-16, 1e-16, 1e-16]), "sum")
    assert sums[0, 0] == 1.0000000000000004


def test_pandas_arithmetic_block_gives_pandas_ewm_bit_for_bit():
    import pandas as pd

    from syscore.ewm import alpha_from_com, alpha_from_span, ewma, ewmstd, pandas_arithmetic

    x = np.cumsum(np.random.default_rng(3).normal(size=3000)) + 100.0
    x[100:104] = np.nan
    expected = pd.Series(x).ewm(span=64, min_periods=1).mean().to_numpy()
    assert not np.array_equal(ewma(x, alpha_from_span(64), 1), expected)  # the fast path differs in ulps
    with pandas_arithmetic():
        assert np.array_equal(ewma(x, alpha_from_span(64), 1), expected, equal_nan=True)
        assert np.array_equal(
            ewmstd(x, alpha_from_span(35), 10), pd.Series(x).ewm(span=35, min_periods=10).std().to_numpy(),
            equal_nan=True,
        )
        assert np.array_equal(
            ewma(x, alpha_from_com(90), 0), pd.Series(x).ewm(com=90).mean().to_numpy(), equal_nan=True
        )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # correlation -1: zero variance at 1/2 each
def test_direct_slsqp_gives_scipy_minimize_bit_for_bit():
    """The handcrafting's two-asset step drives SLSQP's core routine directly; it must give the
    very weights `minimize(method="SLSQP")` gives as the spec calls it, on every input."""
    from scipy.optimize import minimize

    from systems.estimation.handcraft import (
        SR_STD,
        _adds_to_one,
        _neg_sharpe,
        _two_asset_max_sharpe,
    )

    rng = np.random.default_rng(19)
    cases = [(float(rng.normal(0.075, 0.2)), 0.075, float(rng.uniform(-0.9, 0.99))) for _ in range(300)]
    cases += [(0.075, 0.075, 0.5), (5.0, 0.075, 0.99), (-5.0, 0.075, 0.0), (0.0751, 0.075, -0.5)]
    cases += [(0.3, 0.075, 1.0), (0.3, 0.075, -1.0), (1e6, 0.075, 0.5)]
    for first, other, corr in cases:
        sd = np.diag(np.full(2, SR_STD))
        sigma = sd.dot(np.array([[1.0, corr], [corr, 1.0]])).dot(sd)
        mus = np.array([first, other], ndmin=2).transpose()
        expected = minimize(
            _neg_sharpe, [0.5, 0.5], (sigma, mus), method="SLSQP", bounds=[(0.0, 1.0)] * 2,
            constraints=[{"type": "eq", "fun": _adds_to_one}], tol=0.00001,
        )["x"]
        assert _two_asset_max_sharpe(first, other, corr).tobytes() == expected.tobytes()


def _reference_two_clusters(corr: np.ndarray) -> list[tuple[int, ...]]:
    """The spec's split through scipy's public API: complete linkage, fcluster at the last merge
    distance - 1e-6, alternate labels on any failure or more than two clusters."""
    from scipy.cluster import hierarchy

    n = len(corr)
    try:
        linkage = hierarchy.linkage(hierarchy.distance.pdist(corr), method="complete")
        labels = hierarchy.fcluster(linkage, linkage[n - 2][2] - 0.000001, "distance")
        if max(labels) > 2:
            raise ValueError("more than two clusters")
    except Exception:  # noqa: BLE001 - as the reference
        labels = np.arange(n) % 2 + 1
    return sorted(tuple(np.flatnonzero(labels == k).tolist()) for k in set(labels.tolist()))


def test_two_cluster_split_is_scipys_fcluster_split():
    """The split read straight from the linkage tree is the one fcluster gives, ties, floored
    correlations, NaN and all."""
    from systems.estimation.handcraft import _two_clusters

    rng = np.random.default_rng(23)
    fallbacks = 0
    for case in range(1500):
        n = int(rng.integers(3, 14))
        corr = np.corrcoef(rng.normal(size=(n, 40)))
        if case % 5 == 0:
            corr = np.where(corr < 0, 0.0, corr)
            np.fill_diagonal(corr, 1.0)
        if case % 7 == 0:
            corr = np.round(corr, 1)  # many equal distances
        if case % 11 == 0:
            corr[:] = 0.99  # the no-data fill: every distance equal
            np.fill_diagonal(corr, 1.0)
        if case % 13 == 0:
            corr[0, 1] = corr[1, 0] = np.nan
        expected = _reference_two_clusters(corr)
        labels = _two_clusters(corr)
        got = sorted(tuple(np.flatnonzero(labels == k).tolist()) for k in set(labels.tolist()))
        assert got == expected, case
        fallbacks += expected == _reference_two_clusters(np.full((n, n), np.nan))
    assert 0 < fallbacks < 1500  # both paths were exercised


def test_scipy_kernels_are_the_public_routines():
    from scipy.cluster import hierarchy
    from scipy.special import ndtri

    from systems.estimation.handcraft import BOOTSTRAP_POINTS, BOOTSTRAP_QUANTILES
    from systems.estimation.scipy_kernels import complete_linkage

    rng = np.random.default_rng(29)
    for n in (3, 5, 12, 40):
        corr = np.corrcoef(rng.normal(size=(n, 60)))
        expected = hierarchy.linkage(hierarchy.distance.pdist(corr), method="complete")
        assert complete_linkage(corr).tobytes() == expected.tobytes()
    corr[0, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        complete_linkage(corr)
    assert np.array(BOOTSTRAP_QUANTILES).tobytes() == ndtri(BOOTSTRAP_POINTS).tobytes()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # zero variance at correlation -1
def test_plain_float_objective_is_the_numpy_objective_bit_for_bit():
    from systems.estimation.handcraft import SR_STD, _covariance, _neg_sharpe, _sharpe_objective

    rng = np.random.default_rng(31)
    sd = np.diag(np.full(2, SR_STD))
    for case in range(20_000):
        corr = float(rng.uniform(-1, 1)) if case % 50 else float(rng.choice([-1.0, 1.0, 0.0, -0.0]))
        sigma = sd.dot(np.array([[1.0, corr], [corr, 1.0]])).dot(sd)
        assert np.array(_covariance(corr)).tobytes() == sigma.ravel().tobytes(), corr
        mus = np.array([rng.normal(0.075, 0.2), 0.075])
        w = rng.uniform(0, 1, 2) if case % 3 else np.array([0.5, 0.5])
        expected = np.asarray(_neg_sharpe(w, sigma, mus.reshape(2, 1))).item()
        got = _sharpe_objective(_covariance(corr), tuple(mus.tolist()))(float(w[0]), float(w[1]))
        assert np.array([got]).tobytes() == np.array([expected]).tobytes(), (case, got, expected)
    nan_sigma = sd.dot(np.array([[1.0, np.nan], [np.nan, 1.0]])).dot(sd)
    assert np.isnan(_covariance(float("nan"))).all() and np.isnan(nan_sigma).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # all-NaN columns
def test_plain_float_nanmean_and_sign_are_numpys():
    from systems.estimation.handcraft import _nanmean, _sign

    rng = np.random.default_rng(37)
    for case in range(5_000):
        column = rng.uniform(0, 1, 4)
        column[rng.uniform(size=4) < (0.2 if case % 10 else 1.0)] = np.nan
        table = np.column_stack([column, 1.0 - column])
        expected, got = np.nanmean(table, axis=0)[0], _nanmean(column.tolist())
        assert np.array([got]).tobytes() == np.array([expected]).tobytes() or (np.isnan(got) and np.isnan(expected))
    for value in (-2.0, -0.0, 0.0, 1e-300, float("nan"), float("inf")):
        assert np.array([_sign(value)]).tobytes() == np.sign(np.array([value])).tobytes() or (
            np.isnan(_sign(value)) and np.isnan(value)
        )


def test_an_old_scipy_is_a_one_line_error(monkeypatch):
    from syscore.exceptions import SysprodError
    from systems.estimation import scipy_kernels

    def missing(name: str):  # noqa: ANN202 - as an older scipy has no C SLSQP module
        raise ImportError(f"No module named {name!r}")

    scipy_kernels.slsqp_core.cache_clear()
    monkeypatch.setattr(scipy_kernels, "_extension", missing)
    try:
        with pytest.raises(SysprodError, match=r"scipy >= 1.17, found .*pip install -U 'scipy>=1.17'"):
            scipy_kernels.slsqp_core()
    finally:
        scipy_kernels.slsqp_core.cache_clear()


def _ceiling_run(tree, ceiling: float):  # noqa: ANN202 - (raw, config, inputs, result)
    from systems.data import load_csv_inputs
    from tests.systems.synthetic import INSTRUMENTS

    raw = _raw()
    raw["instrument_weights"] = {code: 1.0 for code in INSTRUMENTS}
    raw["forecast_weight_estimate"]["ceiling_cost_SR"] = ceiling
    config = parse_backtest_config(raw, "est.yaml")
    inputs = load_csv_inputs(tree, config.instruments, config.base_currency)
    return raw, config, inputs, run_backtest(config, inputs, TODAY)


def test_rules_above_the_cost_ceiling_are_left_out_of_that_instruments_weights(synthetic_tree):
    """SR costs on the synthetic tree: BBB's four rules cost 0.35-0.82, AAA's and CCC's at most
    0.35. With a ceiling of 0.4 BBB keeps carry only (its weight 1, FDM 1), AAA and CCC keep all
    four and are pooled together; the exported fixed config combines carry alone for BBB."""
    raw, config, inputs, result = _ceiling_run(synthetic_tree, 0.4)
    details = result.estimates["details"]
    assert {code: sorted(rules) for code, rules in details["expensive_rules"].items()} == {
        "BBB": ["ewmac16_64", "ewmac32_128", "ewmac64_256"]
    }
    assert all(cost > 0.4 for cost in details["expensive_rules"]["BBB"].values())
    start, weights, rules = result.estimates["forecast_weights"]["BBB"]
    assert rules == ["carry"] and weights.shape[1] == 1 and np.all(weights[~np.isnan(weights)] == 1.0)
    assert result.estimates["forecast_weights"]["AAA"][2] == result.estimates["forecast_weights"]["CCC"][2]
    assert len(result.estimates["forecast_weights"]["AAA"][2]) == 4
    assert np.all(result.estimates["forecast_div_multiplier"]["BBB"].values == 1.0)
    # AAA and CCC share a pool (their returns are stacked together), BBB is alone
    returns = details["returns"]
    assert returns["AAA"][1].shape == returns["CCC"][1].shape != returns["BBB"][1].shape
    assert returns["BBB"][1].shape[1] == 1

    fixed = fixed_config(raw, used_parameters(config, result.estimates))
    assert fixed["forecast_weights"]["BBB"] == {"carry": 1.0}
    fixed_config_parsed = parse_backtest_config(fixed, "fixed.yaml")
    assert fixed_config_parsed.rules_for("BBB") == ["carry"]
    fixed_run = run_backtest(fixed_config_parsed, inputs, TODAY)
    # BBB's last combined forecast is its carry forecast alone, in the fixed run too
    assert fixed_run.instruments["BBB"].combined_forecast[-1] == pytest.approx(
        result.instruments["BBB"].combined_forecast[-1], rel=1e-12
    )


def test_an_instrument_without_a_cheap_rule_is_a_one_line_error(synthetic_tree):
    from syscore.exceptions import SysprodError

    with pytest.raises(SysprodError, match=r"no rule is cheap enough for BBB \(the cheapest costs SR 0\.35\d* > 0\.3\)"):
        _ceiling_run(synthetic_tree, 0.3)
