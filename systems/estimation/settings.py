"""Estimation settings of a backtest config (pysystemtrade's keys, shapes and defaults).

`parse_estimation` validates the `use_*_estimates` switches and their `*_estimate` sections;
every problem is one `BacktestConfigError` line naming the key and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SWITCHES = (
    "use_forecast_scale_estimates",
    "use_forecast_weight_estimates",
    "use_forecast_div_mult_estimates",
    "use_instrument_weight_estimates",
    "use_instrument_div_mult_estimates",
)

# section -> {key: default}; the defaults are pysystemtrade's (defaults.yaml, as the spec quotes).
SECTIONS: dict[str, dict[str, Any]] = {
    "forecast_scalar_estimate": {
        "func": "sysquant.estimators.forecast_scalar.forecast_scalar",
        "pool_instruments": True,
        "window": 250000,
        "min_periods": 500,
        "backfill": True,
        "target_abs_forecast": 10.0,
    },
    "forecast_weight_estimate": {
        "func": "sysquant.optimisation.generic_optimiser.genericOptimiser",
        "method": "handcraft",
        "pool_gross_returns": True,
        "equalise_gross": False,
        "cost_multiplier": 2.0,
        "apply_cost_weight": False,
        "ceiling_cost_SR": 0.13,
        "frequency": "W",
        "date_method": "expanding",
        "rollyears": 20,
        "cleaning": True,
        "equalise_SR": False,
        "ann_target_SR": 0.5,
        "equalise_vols": True,
        "shrinkage_SR": 0.9,
        "shrinkage_corr": 0.5,
        "correlation_estimate": {},
        "mean_estimate": {},
        "vol_estimate": {},
    },
    "forecast_correlation_estimate": {
        "func": "sysquant.estimators.pooled_correlation.pooled_correlation_estimator",
        "pool_instruments": True,
        "frequency": "W",
        "date_method": "expanding",
        "using_exponent": True,
        "ew_lookback": 250,
        "min_periods": 20,
        "cleaning": True,
        "floor_at_zero": True,
        "forward_fill_data": True,
    },
    "forecast_div_mult_estimate": {
        "func": "sysquant.estimators.diversification_multipliers.diversification_multiplier_from_list",
        "ewma_span": 125,
        "dm_max": 2.5,
    },
    "instrument_weight_estimate": {
        "func": "sysquant.optimisation.generic_optimiser.genericOptimiser",
        "method": "handcraft",
        "frequency": "W",
        "date_method": "expanding",
        "rollyears": 20,
        "cleaning": True,
        "equalise_SR": True,
        "ann_target_SR": 0.5,
        "equalise_vols": True,
        "cost_multiplier": 1.0,
        "apply_cost_weight": False,
        "shrinkage_SR": 0.9,
        "shrinkage_corr": 0.5,
        "shrinkage_mean": 1.0,
        "monte_runs": 100,
        "correlation_estimate": {},
        "mean_estimate": {},
        "vol_estimate": {},
    },
    "instrument_correlation_estimate": {
        "func": "sysquant.estimators.correlation_over_time.correlation_over_time_for_returns",
        "frequency": "W",
        "date_method": "expanding",
        "using_exponent": True,
        "ew_lookback": 25,
        "min_periods": 20,
        "cleaning": True,
        "floor_at_zero": True,
        "forward_fill_price_index": True,
    },
    "instrument_div_mult_estimate": {
        "func": "sysquant.estimators.diversification_multipliers.diversification_multiplier_from_list",
        "ewma_span": 125,
        "dm_max": 2.5,
    },
}


@dataclass(frozen=True)
class ScalarSettings:
    """`forecast_scalar_estimate`: a pooled (or per instrument) running mean of |forecast|."""

    pool_instruments: bool = True
    window: int = 250000
    min_periods: int = 500
    backfill: bool = True
    target_abs_forecast: float = 10.0


@dataclass(frozen=True)
class EstimationSettings:
    """Which parameters are estimated, and how."""

    forecast_scalars: bool = False
    forecast_weights: bool = False
    forecast_div_mult: bool = False
    instrument_weights: bool = False
    instrument_div_mult: bool = False
    scalar: ScalarSettings = field(default_factory=ScalarSettings)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return self.forecast_scalars or self.forecast_weights or self.forecast_div_mult or self.portfolio

    @property
    def portfolio(self) -> bool:
        return self.instrument_weights or self.instrument_div_mult


def parse_estimation(raw: Mapping[str, Any], fail: Callable[[str], None]) -> EstimationSettings:
    """Validate the switches and sections of a raw config mapping."""
    switches = {}
    for key in SWITCHES:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            fail(f"{key} must be true or false, not {value!r}")
        switches[key] = value
    sections: dict[str, dict[str, Any]] = {}
    for name, defaults in SECTIONS.items():
        given = raw.get(name, {}) or {}
        if not isinstance(given, Mapping):
            fail(f"{name} must be a mapping of settings")
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            fail(f"{name}: unknown key '{unknown[0]}'; accepted: {', '.join(sorted(defaults))}")
        merged = dict(defaults)
        for key, value in given.items():
            default = defaults[key]
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    fail(f"{name}.{key} must be true or false, not {value!r}")
            elif isinstance(default, int | float):
                if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                    fail(f"{name}.{key} must be a number, not {value!r}")
                if value < 0:
                    fail(f"{name}.{key} must not be negative, not {value!r}")
            elif isinstance(default, str):
                if not isinstance(value, str):
                    fail(f"{name}.{key} must be a string, not {value!r}")
            elif isinstance(default, dict) and not isinstance(value, Mapping):
                fail(f"{name}.{key} must be a mapping")
            merged[key] = value
        sections[name] = merged
    for key in ("equalise_gross", "apply_cost_weight"):
        if sections["forecast_weight_estimate"][key]:
            fail(f"forecast_weight_estimate.{key}: only false is supported")
    for name in ("forecast_weight_estimate", "instrument_weight_estimate"):
        if sections[name]["method"] not in ("handcraft", "equal_weight"):
            fail(f"{name}.method: '{sections[name]['method']}' is not supported; use handcraft or equal_weight")
    for name, section in sections.items():
        if "frequency" in section and section["frequency"] != "W":
            fail(f"{name}.frequency: only W (weekly) is supported, not {section['frequency']!r}")
        if "date_method" in section and section["date_method"] != "expanding":
            fail(f"{name}.date_method: only expanding is supported, not {section['date_method']!r}")
    s = sections["forecast_scalar_estimate"]
    for key in ("window", "min_periods"):
        if int(s[key]) != s[key] or s[key] < 1:
            fail(f"forecast_scalar_estimate.{key} must be a whole number of at least 1, not {s[key]!r}")
    if s["target_abs_forecast"] <= 0:
        fail("forecast_scalar_estimate.target_abs_forecast must be greater than 0")
    scalar = ScalarSettings(
        pool_instruments=s["pool_instruments"],
        window=int(s["window"]),
        min_periods=int(s["min_periods"]),
        backfill=s["backfill"],
        target_abs_forecast=float(s["target_abs_forecast"]),
    )
    return EstimationSettings(
        forecast_scalars=switches["use_forecast_scale_estimates"],
        forecast_weights=switches["use_forecast_weight_estimates"],
        forecast_div_mult=switches["use_forecast_div_mult_estimates"],
        instrument_weights=switches["use_instrument_weight_estimates"],
        instrument_div_mult=switches["use_instrument_div_mult_estimates"],
        scalar=scalar,
        sections=sections,
    )
