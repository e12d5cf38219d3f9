"""Backtest config: validate a config in pysystemtrade's shape completely (the YAML file is read
by the loader, `systems.data.load_backtest_config`).

Everything that can be wrong with a config (an unknown key, a wrong type, a rule whose function
does not import, a weight for a rule that is not defined) is found here, before any data is read
or computed, and reported as one `BacktestConfigError` line naming the file, the key and the fix.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syscore.exceptions import BacktestConfigError
from systems.accounts import CostSettings
from systems.buffering import BUFFER_METHODS
from systems.estimation.settings import SECTIONS as ESTIMATION_SECTIONS
from systems.estimation.settings import SWITCHES as ESTIMATION_SWITCHES
from systems.estimation.settings import EstimationSettings, parse_estimation
from systems.rawdata import RawData, VolSettings

MODES = ("compatible", "corrected")
DEFAULT_DATA = ("rawdata.get_daily_prices",)

# key -> one-line description (also the list of accepted keys).
TOP_LEVEL_KEYS: dict[str, str] = {
    "trading_rules": "rule name -> {function, data, other_args, forecast_scalar}",
    "forecast_cap": "cap on scaled and combined forecasts (default 20)",
    "forecast_weights": "rule -> weight, or instrument -> {rule -> weight}",
    "forecast_div_multiplier": "FDM: a number, or instrument -> number (default 1)",
    "forecast_weight_ewma_span": "smoothing span of forecast weights in days (default 125)",
    "instrument_weights": "instrument -> weight (the instrument list)",
    "instrument_div_multiplier": "IDM (default 1)",
    "instrument_weight_ewma_span": "smoothing span of instrument weights in days (default 125)",
    "percentage_vol_target": "annual % vol target (default 16)",
    "notional_trading_capital": "fixed capital in base currency (default 1000000)",
    "base_currency": "currency of capital and P&L (default USD)",
    "buffer_method": "forecast, position or none (default position)",
    "buffer_size": "buffer as a share of the reference position (default 0.10)",
    "buffer_trade_to_edge": "trade to the buffer edge rather than the optimal (default true)",
    "volatility_calculation": "mixed_vol_calc settings",
    "use_SR_costs": "must be false: costs are cash costs",
    "vol_normalise_currency_costs": "deflate costs by vol relative to the last day (default true)",
    "multiply_roll_costs_by": "share of the average position rolled at each roll (default 0.5)",
    "mode": "compatible (default, the reference numbers) or corrected",
    "rule_variations": "rules each instrument combines when weights are estimated (default: all)",
}
TOP_LEVEL_KEYS.update({k: "estimate this parameter (default false)" for k in ESTIMATION_SWITCHES})
TOP_LEVEL_KEYS.update({k: "how to estimate it (pysystemtrade's keys)" for k in ESTIMATION_SECTIONS})
RULE_KEYS = ("function", "data", "other_args", "forecast_scalar")
VOL_KEYS = (
    "func", "days", "min_periods", "slow_vol_years", "proportion_of_slow_vol", "vol_abs_min",
    "multiplier_to_get_daily_vol", "backfill", "vol_floor",
)
VOL_FUNCS = ("mixed_vol_calc", "sysquant.estimators.vol.mixed_vol_calc")


@dataclass(frozen=True)
class TradingRule:
    name: str
    function: Callable[..., Any]
    function_path: str
    data: tuple[str, ...]
    other_args: dict[str, Any]
    forecast_scalar: float


@dataclass(frozen=True)
class BacktestConfig:
    """A validated backtest config. Instruments are the sorted keys of the instrument weights."""

    rules: dict[str, TradingRule]
    forecast_weights: dict[str, dict[str, float]]  # instrument -> rule -> weight
    fdm: dict[str, float]  # instrument -> FDM
    instrument_weights: dict[str, float]
    idm: float = 1.0
    forecast_cap: float = 20.0
    forecast_weight_span: float = 125.0
    instrument_weight_span: float = 125.0
    percentage_vol_target: float = 16.0
    capital: float = 1_000_000.0
    base_currency: str = "USD"
    buffer_method: str = "position"
    buffer_size: float = 0.10
    buffer_trade_to_edge: bool = True
    vol: VolSettings = field(default_factory=VolSettings)
    costs: CostSettings = field(default_factory=CostSettings)
    mode: str = "compatible"
    source: str = "<config>"
    estimation: EstimationSettings = field(default_factory=EstimationSettings)

    @property
    def instruments(self) -> list[str]:
        return sorted(self.instrument_weights)

    def rules_for(self, instrument: str) -> list[str]:
        """Weighted rules of an instrument, sorted (their output columns, in this order)."""
        return sorted(self.forecast_weights[instrument])

    def with_instruments(self, instruments: list[str]) -> BacktestConfig:
        """The same config restricted to some instruments (their raw weights kept)."""
        from dataclasses import replace

        missing = [i for i in instruments if i not in self.instrument_weights]
        if missing:
            raise BacktestConfigError(
                f"{self.source}: instrument(s) {', '.join(missing)} not in instrument_weights; "
                "pick from " + ", ".join(self.instruments)
            )
        keep = set(instruments)
        return replace(
            self,
            instrument_weights={k: v for k, v in self.instrument_weights.items() if k in keep},
            forecast_weights={k: v for k, v in self.forecast_weights.items() if k in keep},
            fdm={k: v for k, v in self.fdm.items() if k in keep},
        )


def provided_config_path(name: str = "futures_chapter15") -> Path:
    return Path(__file__).resolve().parent / "provided" / f"{name}.yaml"


def parse_backtest_config(
    raw: Any, source: str = "<config>", base_dir: Path | None = None, mode: str | None = None
) -> BacktestConfig:
    """Validate a config mapping (as loaded from YAML) into a `BacktestConfig`."""
    v = _Validator(source)
    if not isinstance(raw, Mapping):
        v.fail("the config must be a mapping of keys (trading_rules, instrument_weights, ...)")
    unknown = sorted(set(raw) - set(TOP_LEVEL_KEYS))
    if unknown:
        import difflib

        close = difflib.get_close_matches(str(unknown[0]), TOP_LEVEL_KEYS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        v.fail(
            f"unknown key '{unknown[0]}'{hint}; accepted keys are: " + ", ".join(sorted(TOP_LEVEL_KEYS))
        )
    rules = _parse_rules(v, v.mapping(raw, "trading_rules", required=True), base_dir)
    instrument_weights = {
        str(k): v.number(w, f"instrument_weights.{k}", minimum=0.0)
        for k, w in v.mapping(raw, "instrument_weights", required=True).items()
    }
    if not instrument_weights:
        v.fail("instrument_weights is empty; list at least one instrument with its weight")
    instruments = sorted(instrument_weights)
    forecast_weights = _parse_forecast_weights(v, raw, rules, instruments)
    fdm = _per_instrument_number(v, raw, "forecast_div_multiplier", instruments, 1.0)
    chosen_mode = mode or raw.get("mode", "compatible")
    if chosen_mode not in MODES:
        v.fail(f"mode: '{chosen_mode}' is not one of {', '.join(MODES)}")
    buffer_method = str(raw.get("buffer_method", "position"))
    if buffer_method not in BUFFER_METHODS:
        v.fail(f"buffer_method: '{buffer_method}' is not one of {', '.join(BUFFER_METHODS)}")
    if raw.get("use_SR_costs", False) is not False:
        v.fail("use_SR_costs: only cash costs are supported; set use_SR_costs: false")
    corrected = chosen_mode == "corrected"
    estimation = parse_estimation(raw, v.fail)
    costs = CostSettings(
        vol_normalise=v.boolean(raw.get("vol_normalise_currency_costs", True), "vol_normalise_currency_costs")
        and not corrected,
        roll_cost_multiplier=v.number(raw.get("multiply_roll_costs_by", 0.5), "multiply_roll_costs_by", minimum=0.0),
        business_day_rolls=corrected,
    )
    return BacktestConfig(
        rules=rules,
        forecast_weights=forecast_weights,
        fdm=fdm,
        instrument_weights=instrument_weights,
        idm=v.number(raw.get("instrument_div_multiplier", 1.0), "instrument_div_multiplier", minimum=0.0),
        forecast_cap=v.number(raw.get("forecast_cap", 20.0), "forecast_cap", positive=True),
        forecast_weight_span=v.number(raw.get("forecast_weight_ewma_span", 125), "forecast_weight_ewma_span", minimum=1.0),
        instrument_weight_span=v.number(raw.get("instrument_weight_ewma_span", 125), "instrument_weight_ewma_span", minimum=1.0),
        percentage_vol_target=v.number(raw.get("percentage_vol_target", 16.0), "percentage_vol_target", positive=True),
        capital=v.number(raw.get("notional_trading_capital", 1_000_000.0), "notional_trading_capital", positive=True),
        base_currency=v.currency(raw.get("base_currency", "USD")),
        buffer_method=buffer_method,
        buffer_size=v.number(raw.get("buffer_size", 0.10), "buffer_size", minimum=0.0),
        buffer_trade_to_edge=v.boolean(raw.get("buffer_trade_to_edge", True), "buffer_trade_to_edge"),
        vol=_parse_vol(v, raw.get("volatility_calculation", {})),
        costs=costs,
        mode=chosen_mode,
        source=source,
        estimation=estimation,
    )


class _Validator:
    def __init__(self, source: str):
        self.source = source

    def fail(self, message: str) -> None:
        raise BacktestConfigError(f"{self.source}: {message}")

    def mapping(self, raw: Mapping, key: str, required: bool = False) -> Mapping:
        if key not in raw:
            if required:
                self.fail(f"missing key '{key}'; add it (see systems/provided/futures_chapter15.yaml)")
            return {}
        value = raw[key]
        if not isinstance(value, Mapping):
            self.fail(f"{key} must be a mapping, not {type(value).__name__}")
        return value

    def number(self, value: Any, key: str, minimum: float | None = None, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(f"{key} must be a number, not {value!r}")
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            self.fail(f"{key} must be a finite number, not {value!r}")
        if positive and value <= 0:
            self.fail(f"{key} must be greater than 0, not {value!r}")
        if minimum is not None and value < minimum:
            self.fail(f"{key} must be at least {minimum:g}, not {value!r}")
        return value

    def integer(self, value: Any, key: str, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(f"{key} must be a whole number of at least {minimum}, not {value!r}")
        return int(value)

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(f"{key} must be true or false, not {value!r}")
        return value

    def currency(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
            self.fail(f"base_currency must be a 3-letter currency code like USD, not {value!r}")
        return value.upper()


def _resolve_function(v: _Validator, path: Any, rule: str, base_dir: Path | None) -> Callable[..., Any]:
    where = f"trading_rules.{rule}.function"
    if not isinstance(path, str) or "." not in path:
        v.fail(f"{where} must be a dotted path like systems.provided.rules.ewmac.ewmac, not {path!r}")
    module_name, _, attr = path.rpartition(".")
    added = base_dir is not None and str(base_dir.resolve()) not in sys.path
    if added:
        sys.path.insert(0, str(base_dir.resolve()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        v.fail(f"{where}: cannot import module '{module_name}' ({exc}); check the dotted path")
    except Exception as exc:  # a user's module that fails on import  # noqa: BLE001
        v.fail(f"{where}: importing '{module_name}' failed ({type(exc).__name__}: {exc})")
    finally:
        if added:
            sys.path.remove(str(base_dir.resolve()))
    function = getattr(module, attr, None)
    if not callable(function):
        v.fail(f"{where}: module '{module_name}' has no function '{attr}'")
    return function


def _parse_rules(v: _Validator, raw_rules: Mapping, base_dir: Path | None) -> dict[str, TradingRule]:
    if not raw_rules:
        v.fail("trading_rules is empty; define at least one rule")
    rules: dict[str, TradingRule] = {}
    for name, spec in raw_rules.items():
        name = str(name)
        if isinstance(spec, str):
            spec = {"function": spec}
        if not isinstance(spec, Mapping):
            v.fail(f"trading_rules.{name} must be a mapping with {', '.join(RULE_KEYS)}")
        unknown = sorted(set(spec) - set(RULE_KEYS))
        if unknown:
            v.fail(f"trading_rules.{name}: unknown key '{unknown[0]}'; accepted: {', '.join(RULE_KEYS)}")
        if "function" not in spec:
            v.fail(f"trading_rules.{name}: missing 'function' (a dotted path)")
        function = _resolve_function(v, spec["function"], name, base_dir)
        data = spec.get("data", list(DEFAULT_DATA))
        if isinstance(data, str):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(d, str) for d in data):
            v.fail(f"trading_rules.{name}.data must be a list of data input names")
        for item in data:
            if RawData.canonical(item) is None:
                v.fail(
                    f"trading_rules.{name}.data: unknown data input '{item}'; use one of "
                    + ", ".join(f"rawdata.{k}" for k in sorted(RawData.INPUTS))
                )
        other_args = spec.get("other_args", {}) or {}
        if not isinstance(other_args, Mapping):
            v.fail(f"trading_rules.{name}.other_args must be a mapping of keyword arguments")
        try:
            inspect.signature(function).bind(*data, **other_args)
        except TypeError as exc:
            v.fail(
                f"trading_rules.{name}: {spec['function']} cannot take data {data} and "
                f"other_args {dict(other_args)} ({exc})"
            )
        except ValueError:
            pass  # no signature available (builtins): checked when called
        scalar = v.number(spec.get("forecast_scalar", 1.0), f"trading_rules.{name}.forecast_scalar", positive=True)
        rules[name] = TradingRule(name, function, spec["function"], tuple(data), dict(other_args), scalar)
    return rules


def _parse_forecast_weights(
    v: _Validator, raw: Mapping, rules: dict[str, TradingRule], instruments: list[str]
) -> dict[str, dict[str, float]]:
    given = v.mapping(raw, "forecast_weights")
    if not given:
        variations = _rule_variations(v, raw, rules, instruments)
        return {i: {r: 1.0 / len(names) for r in names} for i, names in variations.items()}
    nested = [isinstance(w, Mapping) for w in given.values()]
    if all(nested):
        missing = [i for i in instruments if i not in given]
        if missing:
            v.fail(f"forecast_weights has no weights for instrument {missing[0]}; add it or use one global mapping")
        per = {i: given[i] for i in instruments}
    elif not any(nested):
        per = {i: given for i in instruments}
    else:
        v.fail("forecast_weights mixes rule weights and per-instrument mappings; use one shape")
    out: dict[str, dict[str, float]] = {}
    for instrument, weights in per.items():
        if not weights:
            v.fail(f"forecast_weights for {instrument} is empty; weight at least one rule")
        for rule in weights:
            if rule not in rules:
                v.fail(
                    f"forecast_weights names rule '{rule}' which is not in trading_rules; "
                    "define it or remove its weight"
                )
        out[instrument] = {
            str(r): v.number(w, f"forecast_weights.{r}", minimum=0.0) for r, w in weights.items()
        }
    return out


def _rule_variations(
    v: _Validator, raw: Mapping, rules: dict[str, TradingRule], instruments: list[str]
) -> dict[str, list[str]]:
    """`rule_variations`: a list of rules for every instrument, or instrument -> list (default:
    every rule). Without forecast_weights these rules are combined (equally, unless estimated)."""
    given = raw.get("rule_variations")
    if given is None:
        return {i: sorted(rules) for i in instruments}
    if isinstance(given, Mapping):
        missing = [i for i in instruments if i not in given]
        if missing:
            v.fail(f"rule_variations has no rules for instrument {missing[0]}; add it or give one list")
        per = {i: given[i] for i in instruments}
    else:
        per = {i: given for i in instruments}
    out = {}
    for instrument, names in per.items():
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            v.fail("rule_variations must be a non-empty list of rule names (or instrument -> list)")
        unknown = [n for n in names if n not in rules]
        if unknown:
            v.fail(f"rule_variations names rule '{unknown[0]}' which is not in trading_rules")
        out[instrument] = sorted(set(names))
    return out


def _per_instrument_number(
    v: _Validator, raw: Mapping, key: str, instruments: list[str], default: float
) -> dict[str, float]:
    value = raw.get(key, default)
    if isinstance(value, Mapping):
        missing = [i for i in instruments if i not in value]
        if missing:
            v.fail(f"{key} has no value for instrument {missing[0]}; add it or give one number")
        return {i: v.number(value[i], f"{key}.{i}", positive=True) for i in instruments}
    number = v.number(value, key, positive=True)
    return {i: number for i in instruments}


def _parse_vol(v: _Validator, raw: Any) -> VolSettings:
    if not isinstance(raw, Mapping):
        v.fail("volatility_calculation must be a mapping")
    unknown = sorted(set(raw) - set(VOL_KEYS))
    if unknown:
        v.fail(f"volatility_calculation: unknown key '{unknown[0]}'; accepted: {', '.join(VOL_KEYS)}")
    func = raw.get("func", VOL_FUNCS[1])
    if func not in VOL_FUNCS:
        v.fail(f"volatility_calculation.func: only mixed_vol_calc is available, not {func!r}")
    for flag in ("backfill", "vol_floor"):
        if raw.get(flag, False) is not False:
            v.fail(f"volatility_calculation.{flag}: not supported by mixed_vol_calc; set it to false")
    defaults = VolSettings()
    return VolSettings(
        days=v.integer(raw.get("days", defaults.days), "volatility_calculation.days"),
        min_periods=v.integer(raw.get("min_periods", defaults.min_periods), "volatility_calculation.min_periods", 0),
        slow_vol_years=v.integer(raw.get("slow_vol_years", defaults.slow_vol_years), "volatility_calculation.slow_vol_years"),
        proportion_of_slow_vol=v.number(
            raw.get("proportion_of_slow_vol", defaults.proportion_of_slow_vol),
            "volatility_calculation.proportion_of_slow_vol", minimum=0.0,
        ),
        vol_abs_min=v.number(raw.get("vol_abs_min", defaults.vol_abs_min), "volatility_calculation.vol_abs_min", minimum=0.0),
        multiplier_to_get_daily_vol=v.number(
            raw.get("multiplier_to_get_daily_vol", defaults.multiplier_to_get_daily_vol),
            "volatility_calculation.multiplier_to_get_daily_vol", positive=True,
        ),
    )
