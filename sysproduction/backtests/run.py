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
from pathlib import Path

from syscore.clock import Clock
from sysproduction.backtests.results import ResultsWriter
from systems.config import BacktestConfig
from systems.data import load_backtest_config
from systems.engine import BacktestResult, run_backtest_streaming
from systems.inputs import FxInputs, InstrumentInputs


def run_to_directory(
    config_path: Path,
    load_inputs: Callable[[BacktestConfig], tuple[dict[str, FxInputs], Iterable[InstrumentInputs]]],
    out: Path,
    clock: Clock,
    mode: str | None = None,
    instruments: list[str] | None = None,
    started: float | None = None,
) -> tuple[BacktestResult, dict]:
    """Validate, load, run and write; returns the result and the summary written."""
    started = time.perf_counter() if started is None else started
    config = load_backtest_config(config_path, mode=mode)
    if instruments:
        config = config.with_instruments(instruments)
    writer = ResultsWriter(out)
    try:
        fx, instruments_stream = load_inputs(config)
        today = calendar.timegm(clock.now().utctimetuple())
        result = run_backtest_streaming(config, fx, instruments_stream, today, writer.add)
        summary = writer.commit(result, time.perf_counter() - started)
    except BaseException:
        writer.abort()
        raise
    return result, summary
