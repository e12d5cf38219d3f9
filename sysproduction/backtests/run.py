"""One backtest run as `sysprod backtest run` does it: validate the config, read the inputs,
compute, write the results folder.

The config is validated completely before any data is read, so a typo costs nothing. The engine
below is pure; this module does the I/O around it, and the day FX rates stop at comes from the
clock the caller passes (the installation's, simulated or wall), never a process-wide one.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from syscore.clock import Clock
from syscore.exceptions import BacktestConfigError
from syscore.fileio import yaml_load
from sysproduction.backtests.results import CONFIG_COPY, ResultsWriter
from systems.config import BacktestConfig
from systems.data import load_backtest_config
from systems.engine import BacktestResult, run_backtest_streaming
from systems.fixed_config import config_as_run
from systems.inputs import FxInputs, InstrumentInputs

ESTIMATION_SWITCHES = (
    ("forecast_scalars", "use_forecast_scale_estimates"),
    ("forecast_weights", "use_forecast_weight_estimates"),
    ("forecast_div_mult", "use_forecast_div_mult_estimates"),
    ("instrument_weights", "use_instrument_weight_estimates"),
    ("instrument_div_mult", "use_instrument_div_mult_estimates"),
)


def refuse_estimation(config: BacktestConfig, config_path: Path) -> None:
    """Production runs fixed parameters: a config that estimates any would re-estimate every
    night (slow, and the positions would move with each new fit), so it is refused in one line
    that names the way to fix its parameters."""
    switched_on = [key for attr, key in ESTIMATION_SWITCHES if getattr(config.estimation, attr)]
    if switched_on:
        raise BacktestConfigError(
            f"{config_path}: {', '.join(switched_on)} on; production runs fixed parameters: "
            "run it once with `sysprod backtest run`, then `sysprod backtest export-fixed-config "
            "OUT FIXED.yaml`, and point backtest_config_filename at FIXED.yaml"
        )


def run_to_directory(
    config_path: Path,
    load_inputs: Callable[[BacktestConfig], tuple[dict[str, FxInputs], Iterable[InstrumentInputs]]],
    out: Path,
    clock: Clock,
    mode: str | None = None,
    instruments: list[str] | None = None,
    started: float | None = None,
    capital: float | None = None,
    fixed_parameters_only: bool = False,
) -> tuple[BacktestResult, dict]:
    """Validate, load, run and write; returns the result and the summary written. `capital`
    replaces the config's notional_trading_capital. The results hold a copy of the config as
    run (CONFIG_COPY), so the run can be repeated or its parameters fixed."""
    started = time.perf_counter() if started is None else started
    config = load_backtest_config(config_path, mode=mode)
    if fixed_parameters_only:
        refuse_estimation(config, config_path)
    if instruments:
        config = config.with_instruments(instruments)
    if capital is not None:  # production: the strategy's capital, not the config's
        config = replace(config, capital=float(capital))
    writer = ResultsWriter(out)
    try:
        writer.write_text(CONFIG_COPY, _config_copy(config_path, config))
        fx, instruments_stream = load_inputs(config)
        today = calendar.timegm(clock.now().utctimetuple())
        result = run_backtest_streaming(config, fx, instruments_stream, today, writer.add)
        summary = writer.commit(result, time.perf_counter() - started, config)
    except BaseException:
        writer.abort()
        raise
    return result, summary


def _config_copy(config_path: Path, config: BacktestConfig) -> str:
    """The YAML of the config as this run used it (validated already, so it reads)."""
    import yaml

    raw = yaml_load(Path(config_path).read_text())
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(config_as_run(raw, config), Dumper=dumper, sort_keys=False)
