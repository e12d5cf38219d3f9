"""The parameters a backtest ran with, and a config with every one of them fixed (pure dicts).

Production must not re-estimate anything overnight: `sysprod backtest export-fixed-config` takes
a run's config and the values it used (recorded in its summary.json under `parameters`) and
writes a config where each is given explicitly: the forecast scalar of every rule, per
instrument its forecast weights and FDM, the instrument weights and the IDM. Running that config
gives the same positions. (Estimated values will be among the used values once the engine
estimates; `fixed_config` stays the one place that writes them back.)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from systems.config import BacktestConfig
from systems.estimation.settings import SWITCHES as ESTIMATION_SWITCHES

PARAMETERS = "parameters"  # the key of the used values in summary.json


class NotFixable(ValueError):
    """The used values cannot be written as one fixed config."""


USED_KEYS = (
    "forecast_scalars", "forecast_weights", "forecast_div_multiplier", "instrument_weights",
    "instrument_div_multiplier", "notional_trading_capital",
)


def used_parameters(config: BacktestConfig, estimates: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The values a run of `config` used, as plain JSON-able values. Parameters the run
    estimated (`BacktestResult.estimates`) are listed under `estimated`: their values vary over
    time, and `fixed_config` refuses to pick one until it is taught how."""
    used = {
        "forecast_scalars": {name: rule.forecast_scalar for name, rule in sorted(config.rules.items())},
        "forecast_weights": {i: dict(sorted(w.items())) for i, w in sorted(config.forecast_weights.items())},
        "forecast_div_multiplier": dict(sorted(config.fdm.items())),
        "instrument_weights": dict(sorted(config.instrument_weights.items())),
        "instrument_div_multiplier": config.idm,
        "notional_trading_capital": config.capital,
    }
    if estimates:
        remaining = dict(estimates)
        scalars = remaining.pop("forecast_scalars", None)
        if scalars is not None:
            # estimated scalars are recorded at their last value (what production fixes)
            used["forecast_scalars"].update(_last_scalars(scalars))
            used["estimated_last_value"] = ["forecast_scalars"]
        remaining.pop("details", None)
        last = _last_values(remaining)
        for key, value in last.items():
            if isinstance(used[key], dict):
                used[key].update(value)
            else:
                used[key] = value
        used["estimated_last_value"] = sorted(used.get("estimated_last_value", []) + list(last))
        remaining = {k: v for k, v in remaining.items() if k not in last}
        if remaining:
            used["estimated"] = sorted(remaining)
    return used


def _last_values(estimates: Mapping[str, Any]) -> dict[str, Any]:
    """The last value of each estimated weight and multiplier series (what production fixes)."""
    out: dict[str, Any] = {}
    if "forecast_weights" in estimates:  # instrument -> (start, days x rules, rules)
        out["forecast_weights"] = {
            code: {rule: float(w) for rule, w in zip(rules, matrix[-1], strict=True)}
            for code, (_, matrix, rules) in sorted(estimates["forecast_weights"].items())
        }
    if "forecast_div_multiplier" in estimates:  # instrument -> Daily
        out["forecast_div_multiplier"] = {
            code: series.last_valid() for code, series in sorted(estimates["forecast_div_multiplier"].items())
        }
    if "instrument_weights" in estimates:  # (start, days x instruments, instruments)
        _, matrix, codes = estimates["instrument_weights"]
        out["instrument_weights"] = {code: float(w) for code, w in zip(codes, matrix[-1], strict=True)}
    if "instrument_div_multiplier" in estimates:
        out["instrument_div_multiplier"] = estimates["instrument_div_multiplier"].last_valid()
    return out


def _last_scalars(scalars: Mapping[str, Any]) -> dict[str, float]:
    """The last value of each rule's estimated scalar series (pooled: one per rule)."""
    out = {}
    for rule, series in sorted(scalars.items()):
        if isinstance(series, Mapping):
            raise NotFixable(
                f"forecast scalars of {rule} were estimated per instrument (pool_instruments: false); "
                "a fixed config has one scalar per rule"
            )
        out[rule] = series.last_valid()
    return out


def config_as_run(raw: Mapping[str, Any], config: BacktestConfig) -> dict[str, Any]:
    """The raw config (as read from YAML) as this run used it: its instruments only, the mode
    and the capital it ran with. Rerunning it gives the same results."""
    out = copy.deepcopy(dict(raw))
    keep = set(config.instruments)
    out["instrument_weights"] = {k: v for k, v in out["instrument_weights"].items() if str(k) in keep}
    weights = out.get("forecast_weights")
    if isinstance(weights, Mapping) and weights and all(isinstance(w, Mapping) for w in weights.values()):
        out["forecast_weights"] = {k: w for k, w in weights.items() if str(k) in keep}
    fdm = out.get("forecast_div_multiplier")
    if isinstance(fdm, Mapping):
        out["forecast_div_multiplier"] = {k: v for k, v in fdm.items() if str(k) in keep}
    out["notional_trading_capital"] = config.capital
    out["mode"] = config.mode
    return out


def fixed_config(raw: Mapping[str, Any], used: Mapping[str, Any]) -> dict[str, Any]:
    """`raw` (a config as read from YAML) with every parameter set to the value the run used:
    forecast scalars per rule, forecast weights and FDM per instrument, instrument weights, IDM.
    Everything else (rules, vol, costs, buffering, capital, mode) is kept as it is."""
    missing = [key for key in USED_KEYS if key not in used]
    if missing:
        raise KeyError(", ".join(missing))
    if used.get("estimated"):
        raise NotFixable(
            f"the run estimated {', '.join(used['estimated'])}; this version writes fixed values only "
            "for runs whose parameters were all given"
        )
    out = copy.deepcopy(dict(raw))
    for switch in ESTIMATION_SWITCHES:  # every parameter is given: nothing is estimated
        if switch in out:
            out[switch] = False
    rules = {}
    for name, spec in (out.get("trading_rules") or {}).items():
        spec = {"function": spec} if isinstance(spec, str) else dict(spec)
        if str(name) in used["forecast_scalars"]:
            spec["forecast_scalar"] = float(used["forecast_scalars"][str(name)])
        rules[name] = spec
    out["trading_rules"] = rules
    out["forecast_weights"] = {i: {r: float(w) for r, w in ws.items()} for i, ws in used["forecast_weights"].items()}
    out["forecast_div_multiplier"] = {i: float(v) for i, v in used["forecast_div_multiplier"].items()}
    out["instrument_weights"] = {i: float(v) for i, v in used["instrument_weights"].items()}
    out["instrument_div_multiplier"] = float(used["instrument_div_multiplier"])
    out["notional_trading_capital"] = float(used["notional_trading_capital"])
    return out
