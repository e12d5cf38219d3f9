"""One backtest run as the command does it: validate config, read inputs, compute, write.

The config is validated completely before any data is read, so a typo costs nothing.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from systems.config import BacktestConfig, load_backtest_config
from systems.engine import BacktestResult, run_backtest_streaming
from systems.inputs import FxInputs, InstrumentInputs
from systems.output import ResultsWriter


def _today_seconds() -> int:
    from syscore.clock import now

    return calendar.timegm(now().utctimetuple())


def run_to_directory(
    config_path: Path,
    load_inputs: Callable[[BacktestConfig], tuple[dict[str, FxInputs], Iterable[InstrumentInputs]]],
    out: Path,
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
        result = run_backtest_streaming(config, fx, instruments_stream, _today_seconds(), writer.add)
        summary = writer.commit(result, time.perf_counter() - started)
    except BaseException:
        writer.abort()
        raise
    return result, summary
