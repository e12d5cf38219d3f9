"""The whole system, stage by stage, for a validated config and its inputs (no I/O).

Each instrument's forecasts and subsystem position depend only on its own data; the instrument
weights are the one cross-instrument step; then each instrument's notional and buffered positions
and its P&L are computed; the portfolio account sums them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from syscore.ewm import pandas_arithmetic
from syscore.exceptions import SysprodError
from syscore.parallel import import_in_background, worker_pool
from systems.accounts import (
    AccountCurve,
    CostParameters,
    InstrumentPnl,
    Statistics,
    account_curve,
    instrument_pnl,
    statistics,
)
from systems.buffering import buffer_edges, buffer_width, buffered_position
from systems.config import BacktestConfig, TradingRule
from systems.daily import Daily, ffill
from systems.degenerate import pnl_reason, subsystem_reason
from systems.estimation.forecast_weights import smoothed_daily_weights
from systems.estimation.instrument_weights import SubsystemInputs, estimate_instrument_weights
from systems.estimation.scalars import estimate_scalars, scalar_for
from systems.estimation.system import (
    combined_forecast,
    estimate_fdm,
    estimate_forecast_weight_tables,
    forecast_frame,
)
from systems.forecasts import combine_forecasts, scale_and_cap, smoothed_weights
from systems.fx import FxRates
from systems.inputs import BacktestInputs, FxInputs, InstrumentInputs
from systems.portfolio import instrument_weights, notional_position
from systems.positions import daily_cash_vol_target, subsystem_position, volatility_scalar
from systems.rawdata import RawData

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())  # a library: the caller's logging (or the CLI) reports


@dataclass(frozen=True)
class InstrumentResult:
    """Daily series of one instrument, all on the grid [start, start + len)."""

    code: str
    start: int
    price: np.ndarray
    volatility: np.ndarray
    forecasts: dict[str, np.ndarray]  # capped scaled forecast per weighted rule
    combined_forecast: np.ndarray
    subsystem_position: np.ndarray
    notional_position: np.ndarray
    buffer_lower: np.ndarray
    buffer_upper: np.ndarray
    buffered_position: np.ndarray
    final_weight: float
    pnl: InstrumentPnl

    def __len__(self) -> int:
        return len(self.combined_forecast)


@dataclass(frozen=True)
class BacktestResult:
    instruments: dict[str, InstrumentResult]
    curve: AccountCurve
    net: Statistics
    gross: Statistics
    instrument_net: dict[str, Statistics]
    # Estimated parameters as series (see systems.estimation); empty when all are fixed.
    estimates: dict = field(default_factory=dict)
    # Instruments left out of the weights and the account, with the reason (systems.degenerate).
    flagged: dict[str, str] = field(default_factory=dict)


def rule_forecast(rule: TradingRule, raw: RawData) -> Daily:
    """Call a rule on its named data inputs; accept a `Daily` or a pandas Series back."""
    try:
        result = rule.function(*(raw.get(name) for name in rule.data), **rule.other_args)
    except SysprodError:
        raise
    except Exception as exc:
        raise SysprodError(
            f"trading rule {rule.name} ({rule.function_path}) failed on {raw.instrument.code}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return as_daily(result, f"trading rule {rule.name} ({rule.function_path})")


def as_daily(result: object, what: str) -> Daily:
    if isinstance(result, Daily):
        return Daily(result.start, np.asarray(result.values, dtype=float))
    index = getattr(result, "index", None)
    if index is not None and hasattr(index, "normalize"):
        from systems.daily import bin_of_day

        days = index.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)
        bins = bin_of_day(days)
        if len(bins) == 0:
            return Daily(0, np.empty(0))
        if np.any(((days + 3) % 7) >= 5) or np.any(np.diff(bins) <= 0):
            raise SysprodError(f"{what} returned a series not on increasing weekdays; return a Daily")
        values = np.full(int(bins[-1] - bins[0]) + 1, np.nan)
        values[bins - bins[0]] = np.asarray(result, dtype=float)
        return Daily(int(bins[0]), values)
    raise SysprodError(f"{what} returned {type(result).__name__}; return a systems.daily.Daily")


@dataclass
class _Subsystem:
    """What later stages need of one instrument (its raw rows are not kept)."""

    code: str
    currency: str
    costs: CostParameters
    daily_prices: Daily
    volatility: Daily
    forecasts: dict[str, Daily]
    combined: Daily
    vol_scalar: Daily
    position: Daily


def _raw_forecasts(config: BacktestConfig, raw: RawData) -> dict[str, Daily]:
    return {name: rule_forecast(config.rules[name], raw) for name in config.rules_for(raw.instrument.code)}


def _scalar(config: BacktestConfig, name: str, raw_forecast: Daily, scalars: dict | None) -> float | np.ndarray:
    """The fixed scalar of a rule, or the estimated series on the raw forecast's grid (ASOF)."""
    if scalars is None:
        return config.rules[name].forecast_scalar
    return scalars[name].asof(raw_forecast.start, len(raw_forecast))


def _subsystem(
    config: BacktestConfig,
    instrument: InstrumentInputs,
    fx: FxRates,
    raw: RawData | None = None,
    raw_forecasts: dict[str, Daily] | None = None,
    scalars: dict[str, Daily] | None = None,
    combined: Daily | None = None,
) -> _Subsystem:
    raw = raw or RawData(instrument, config.vol)
    raw_forecasts = raw_forecasts or _raw_forecasts(config, raw)
    weights = config.forecast_weights[instrument.code]
    names = config.rules_for(instrument.code)
    forecasts = {
        name: scale_and_cap(
            raw_forecasts[name], _scalar(config, name, raw_forecasts[name], scalars), config.forecast_cap
        )
        for name in names
    }
    if combined is None:
        start, _, values = combine_forecasts(
            [forecasts[n] for n in names],
            [weights[n] for n in names],
            config.fdm[instrument.code],
            config.forecast_cap,
            config.forecast_weight_span,
        )
        combined = Daily(start, values)
    combined_series = combined
    vol_scalar = volatility_scalar(
        raw.daily_returns_volatility,
        raw.daily_denominator_price,
        instrument.pointsize,
        lambda labels: fx.asof(instrument.currency, labels),
        daily_cash_vol_target(config.capital, config.percentage_vol_target),
    )
    position = subsystem_position(vol_scalar, combined_series)
    costs = CostParameters(
        spread=instrument.spread_cost,
        pointsize=instrument.pointsize,
        per_block=instrument.per_block,
        percentage=instrument.percentage,
        per_trade=instrument.per_trade,
        rolls_per_year=instrument.rolls_per_year,
    )
    return _Subsystem(
        instrument.code, instrument.currency, costs, raw.daily_prices,
        raw.daily_returns_volatility, forecasts, combined_series, vol_scalar, position,
    )


def _estimated_subsystems(
    config: BacktestConfig, fx: FxRates, instruments: Iterable[InstrumentInputs], estimates: dict
) -> dict[str, _Subsystem]:
    """Subsystems with estimated forecast scalars, forecast weights and/or FDM: these pool
    across instruments, so every instrument's raw forecasts come first. `estimates` receives
    each estimated parameter as a series (and intermediate values under `details`)."""
    raws = {data.code: RawData(data, config.vol) for data in instruments}
    raw_forecasts = {code: _raw_forecasts(config, raw) for code, raw in raws.items()}
    rules_of = {code: config.rules_for(code) for code in raws}
    scalars = None
    per_rule: dict[str, dict[str, Daily] | None] = {code: None for code in raws}
    if config.estimation.forecast_scalars:
        scalars = estimate_scalars(raw_forecasts, rules_of, config.estimation.scalar)
        estimates["forecast_scalars"] = scalars
        per_rule = {code: {r: scalar_for(scalars, r, code) for r in rules_of[code]} for code in raws}
    combined = _estimated_combination(config, fx, raws, raw_forecasts, per_rule, estimates)
    out = {}
    for code in sorted(raws):
        out[code] = _subsystem(
            config, raws[code].instrument, fx, raws[code], raw_forecasts[code], per_rule[code], combined[code]
        )
    return out


def _estimated_combination(
    config: BacktestConfig,
    fx: FxRates,
    raws: dict[str, RawData],
    raw_forecasts: dict[str, dict[str, Daily]],
    per_rule: dict[str, dict[str, Daily] | None],
    estimates: dict,
) -> dict[str, Daily]:
    """Combined forecasts with estimated forecast weights and/or FDM (fixed ones otherwise)."""
    capped = {
        code: {r: scale_and_cap(f, _scalar(config, r, f, per_rule[code]), config.forecast_cap) for r, f in fc.items()}
        for code, fc in raw_forecasts.items()
    }
    rules_of = {code: config.rules_for(code) for code in capped}
    weights: dict[str, np.ndarray] = {}
    if config.estimation.forecast_weights:
        details = estimates.setdefault("details", {})
        tables, rules_of = estimate_forecast_weight_tables(config, fx, raws, capped, details)
        details["forecast_weight_tables"] = tables
        for code, left_out in sorted(details["expensive_rules"].items()):
            _log.warning("%s: %s left out of its forecast weights (SR cost above ceiling_cost_SR)",
                         code, ", ".join(left_out))
    frames = {code: forecast_frame([capped[code][r] for r in rules_of[code]]) for code in capped}
    if config.estimation.forecast_weights:
        for code, (start, filled) in frames.items():
            weights[code] = smoothed_daily_weights(
                tables[code][0], tables[code][1], filled, start, config.forecast_weight_span
            )
        estimates["forecast_weights"] = {code: (frames[code][0], w, rules_of[code]) for code, w in weights.items()}
    else:
        for code, (_, filled) in frames.items():
            raw_w = np.array([config.forecast_weights[code][r] for r in rules_of[code]])
            weights[code] = smoothed_weights(~np.isnan(filled), raw_w, config.forecast_weight_span)
    if config.estimation.forecast_div_mult:
        fdm = estimate_fdm(config, frames, weights, rules_of)
        estimates["forecast_div_multiplier"] = {c: Daily(frames[c][0], v) for c, v in fdm.items()}
    else:
        fdm = {code: config.fdm[code] for code in frames}
    return {
        code: Daily(start, combined_forecast(filled, weights[code], fdm[code], config.forecast_cap))
        for code, (start, filled) in frames.items()
    }


def _estimated_portfolio(
    config: BacktestConfig,
    fx: FxRates,
    subsystems: dict[str, _Subsystem],
    fixed: tuple[int, np.ndarray],
    estimates: dict,
) -> tuple[int, np.ndarray, Daily | None]:
    """Instrument weights and/or IDM estimated from the subsystems' P&L (spec 4 and 5)."""
    codes = sorted(subsystems)
    inputs = [
        SubsystemInputs(
            subsystems[c].position, subsystems[c].vol_scalar, subsystems[c].daily_prices, subsystems[c].costs,
            lambda labels, ccy=subsystems[c].currency: fx.asof(ccy, labels),
        )
        for c in codes
    ]
    sections = config.estimation.sections
    found = estimate_instrument_weights(
        inputs,
        sections["instrument_weight_estimate"],
        sections["instrument_correlation_estimate"],
        sections["instrument_div_mult_estimate"],
        config.instrument_weight_span,
        (config.buffer_method, config.buffer_size, config.buffer_trade_to_edge),
        config.costs,
        config.estimation.instrument_div_mult,
        None if config.estimation.instrument_weights else fixed,
    )
    estimates.setdefault("details", {})["instrument_weights"] = found
    idle = [code for code, cost in zip(codes, found["cost_sr"], strict=True) if np.isnan(cost)]
    if idle:
        estimates["details"]["never_trading"] = idle
        _log.warning(
            "%s: the subsystem never trades (its rounded position never changes at this capital), "
            "so the instrument-weight fit has no returns for it", ", ".join(idle)
        )
    if config.estimation.instrument_weights:
        estimates["instrument_weights"] = (found["start"], found["weights"], codes)
    idm = None
    if config.estimation.instrument_div_mult:
        idm = Daily(found["start"], found["idm"])
        estimates["instrument_div_multiplier"] = idm
    return found["start"], found["weights"], idm


def run_backtest(config: BacktestConfig, inputs: BacktestInputs, today_seconds: int) -> BacktestResult:
    """Run the system on every instrument of the config (inputs must hold each of them)."""
    return run_backtest_streaming(
        config, inputs.fx_usd, (inputs.instruments[c] for c in config.instruments), today_seconds
    )


def run_backtest_streaming(
    config: BacktestConfig,
    fx_usd: dict[str, FxInputs],
    instruments: Iterable[InstrumentInputs],
    today_seconds: int,
    on_instrument: Callable[[InstrumentResult], None] | None = None,
) -> BacktestResult:
    """Same as `run_backtest`, taking instruments in any order as they become available.

    Each instrument's subsystem is computed as soon as it arrives (a loader can still be reading
    the others); results never depend on the arrival order. `on_instrument` is called with each
    finished instrument (a writer can start on it while the rest are computed). Estimated
    parameters are fitted on worker processes (syscore.parallel; the same numbers on any count).
    """
    if config.estimation.any:
        import_in_background("pandas")  # the estimation's exact EWMs need it: overlap its import with reading
        with worker_pool():
            return _run_streaming(config, fx_usd, instruments, today_seconds, on_instrument)
    return _run_streaming(config, fx_usd, instruments, today_seconds, on_instrument)


def _run_streaming(
    config: BacktestConfig,
    fx_usd: dict[str, FxInputs],
    instruments: Iterable[InstrumentInputs],
    today_seconds: int,
    on_instrument: Callable[[InstrumentResult], None] | None,
) -> BacktestResult:
    fx = FxRates(fx_usd, config.base_currency, today_seconds)
    estimates: dict = {}
    if config.estimation.any:
        with pandas_arithmetic():  # the fits amplify last-bit differences: pandas' exact EWMs
            subsystems = _estimated_subsystems(config, fx, instruments, estimates)
    else:
        subsystems = {data.code: _subsystem(config, data, fx) for data in instruments}
    missing = [c for c in config.instruments if c not in subsystems]
    if missing:
        raise SysprodError(f"no input data for instrument(s) {', '.join(missing)}")
    flagged = {
        code: reason
        for code in config.instruments
        if (reason := subsystem_reason(
            subsystems[code].position, subsystems[code].volatility, config.vol.vol_abs_min,
            subsystems[code].daily_prices if config.costs.vol_normalise else None,
        )) is not None
    }
    codes = [c for c in config.instruments if c not in flagged]
    if not codes:
        raise SysprodError(
            "every instrument is degenerate: " + "; ".join(f"{c}: {r}" for c, r in sorted(flagged.items()))
        )
    for code, reason in sorted(flagged.items()):
        _log.warning("%s left out of weights and account: %s", code, reason)
    w_start, weights = instrument_weights(
        [subsystems[c].position for c in codes],
        [config.instrument_weights[c] for c in codes],
        config.instrument_weight_span,
    )
    idm_series: Daily | None = None
    if config.estimation.portfolio:
        kept = {c: subsystems[c] for c in codes}
        w_start, weights, idm_series = _estimated_portfolio(config, fx, kept, (w_start, weights), estimates)
    results: dict[str, InstrumentResult] = {}
    for column, code in enumerate(codes):
        sub = subsystems[code]
        weight = Daily(w_start, weights[:, column])
        idm = config.idm
        if idm_series is not None:  # ffill(REIDX(IDM, S's grid))
            idm = ffill(idm_series.reindex(sub.position.start, len(sub.position)))
        notional = notional_position(sub.position, weight, idm)
        width = buffer_width(
            config.buffer_method, config.buffer_size, notional, sub.vol_scalar, weight, idm
        )
        lower, upper = buffer_edges(notional, width)
        buffered = buffered_position(notional, lower, upper, config.buffer_trade_to_edge)
        pnl = instrument_pnl(
            Daily(notional.start, buffered),
            sub.daily_prices,
            sub.costs,
            lambda labels, ccy=sub.currency: fx.asof(ccy, labels),
            config.costs,
        )
        start, length = notional.start, len(notional)
        results[code] = InstrumentResult(
            code=code,
            start=start,
            price=sub.daily_prices.reindex(start, length),
            volatility=sub.volatility.reindex(start, length),
            forecasts={n: f.reindex(start, length) for n, f in sub.forecasts.items()},
            combined_forecast=sub.combined.values,
            subsystem_position=sub.position.values,
            notional_position=notional.values,
            buffer_lower=lower,
            buffer_upper=upper,
            buffered_position=buffered,
            final_weight=float(weights[-1, column]) if len(weights) else float("nan"),
            pnl=pnl,
        )
        reason = pnl_reason(pnl.gross.values, pnl.costs)
        if reason is not None:  # weights are already set: it is left out of the account only
            flagged[code] = reason
            _log.warning("%s left out of the account: %s", code, reason)
            del results[code]
            continue
        if on_instrument is not None:
            on_instrument(results[code])
    curve = account_curve([r.pnl for r in results.values()], config.capital)
    per_instrument = {
        code: statistics(account_curve([r.pnl], config.capital).net_pct) for code, r in results.items()
    }
    return BacktestResult(
        instruments=results,
        curve=curve,
        net=statistics(curve.net_pct),
        gross=statistics(curve.gross_pct),
        instrument_net=per_instrument,
        estimates=estimates,
        flagged=flagged,
    )
