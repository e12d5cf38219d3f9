"""The provided overnight launcher: the strategy's backtest on the installation's stored prices.

`run_classic_system(data, strategy, backtest_config_filename)` runs THE backtest engine of
`systems/` (the same path as `sysprod backtest run`: sysproduction.backtests.run) on the stored
adjusted and multiple prices and FX, up to the clock's time, with the strategy's capital as its
notional capital. It keeps the run under `<backtest_store_path>/<strategy>/<YYYYmmdd_HHMMSS>/`
(the results folder `sysprod backtest show` reads: per-instrument CSV series, summary.json with
the parameters used, the account curve, config.yaml as run, optimal_positions.json) and stores
per instrument the last optimal (notional) position, its buffer edges and the last price the
backtest used (multiple prices' PRICE, its contract and time) with `data.optimal_positions`.

The run folder appears whole or not at all (written beside it, then renamed), and the optimal
positions are stored only after it exists, so stored positions always have their backtest.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import math
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from syscore.exceptions import ConfigError, MissingData, SysprodError
from syscore.job_summary import JobSummary
from sysobjects.optimal_positions import BufferedOptimalPosition
from sysproduction.backtests.results import results_dir, versions_dir
from sysproduction.backtests.run import run_to_directory
from sysproduction.control.paths import backtest_store_path
from systems.data import stream_blob_inputs
from systems.engine import BacktestResult
from systems.inputs import FxInputs, InstrumentInputs

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)

RUN_FOLDER_FORMAT = "%Y%m%d_%H%M%S"
POSITIONS_FILE = "optimal_positions.json"


def backtest_store(data: DataBlob) -> Path:
    """`backtest_store_path` from config, else <data_root>/backtests (the one rule, shared with
    the cleaners and backups)."""
    return backtest_store_path(data)


def run_classic_system(
    data: DataBlob, strategy_name: str, backtest_config_filename: str, **kwargs: object
) -> JobSummary:
    """Backtest the strategy with its capital and store its optimal positions (see module doc).
    It takes no other arguments: one given in config is a mistake, said in one line."""
    summary = JobSummary(f"run_systems {strategy_name}")
    if kwargs:
        raise ConfigError(
            f"strategy_list.{strategy_name}.overnight_launcher: the classic launcher takes only "
            f"backtest_config_filename, not {', '.join(sorted(kwargs))}; remove it"
        )
    try:
        capital = data.strategy_capital.latest(strategy_name)
    except MissingData as exc:
        summary.failed[strategy_name] = str(exc)
        log.error("%s: %s", strategy_name, exc)
        return summary
    now = data.clock.now()
    now_seconds = calendar.timegm(now.utctimetuple())
    store = backtest_store(data) / strategy_name
    store.mkdir(parents=True, exist_ok=True)
    staging = store / f".run-{now:{RUN_FOLDER_FORMAT}}-{os.getpid()}"
    inputs: dict[str, InstrumentInputs] = {}

    def load(config):  # noqa: ANN001, ANN202 - the loader run_to_directory calls once
        fx, stream = stream_blob_inputs(data, config.instruments, config.base_currency)

        def seen(item: InstrumentInputs) -> InstrumentInputs:
            inputs[item.code] = item
            return item

        fx = {ccy: FxInputs(*_rows_until(now_seconds, f.stamps, f.values)) for ccy, f in fx.items()}
        return fx, (seen(_instrument_until(item, now_seconds)) for item in stream)

    try:
        result, _ = run_to_directory(Path(backtest_config_filename), load, staging, data.clock, capital=capital,
                                     fixed_parameters_only=True)
        positions, failed = optimal_positions(result, inputs, now)
        version = results_dir(staging)
        (version / POSITIONS_FILE).write_text(
            json.dumps({code: p.to_dict() for code, p in positions.items()}, indent=2) + "\n"
        )
        run_dir = _free_name(store / f"{now:{RUN_FOLDER_FORMAT}}")
        os.replace(version, run_dir)
    except SysprodError as exc:  # a bad config, missing prices...: one line, this strategy only
        summary.failed[strategy_name] = str(exc)
        log.error("%s: backtest not run: %s", strategy_name, exc)
        return summary
    finally:
        _remove_staging(staging)
    data.optimal_positions.put_all(strategy_name, positions)
    for code, position in positions.items():
        summary.updated[code] = (
            f"optimal {position.optimal:.3f} in [{position.lower:.3f}, {position.upper:.3f}] at "
            f"{position.reference_price:g} ({position.reference_contract})"
        )
    summary.failed.update(failed)
    summary.note = f"capital {capital:,.0f}; backtest kept in {run_dir}"
    return summary


def _free_name(path: Path) -> Path:
    """The run folder's name; a second run at the same second (a simulated clock) gets -2, -3..."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def _remove_staging(staging: Path) -> None:
    if staging.is_symlink():
        staging.unlink()
    shutil.rmtree(versions_dir(staging), ignore_errors=True)


def _rows_until(now_seconds: int, stamps: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """The rows stamped at or before the clock's time (prices a backtest could not have seen
    yet are left out; normally there are none)."""
    keep = stamps <= now_seconds
    if keep.all():
        return (stamps, *columns)
    return (stamps[keep], *(c[keep] for c in columns))


def _instrument_until(item: InstrumentInputs, now_seconds: int) -> InstrumentInputs:
    from dataclasses import replace

    a_stamps, adjusted = _rows_until(now_seconds, item.adjusted_stamps, item.adjusted)
    m_stamps, price, carry, price_contract, carry_contract = _rows_until(
        now_seconds, item.multiple_stamps, item.price, item.carry, item.price_contract, item.carry_contract)
    return replace(item, adjusted_stamps=a_stamps, adjusted=adjusted, multiple_stamps=m_stamps, price=price,
                   carry=carry, price_contract=price_contract, carry_contract=carry_contract)


def optimal_positions(
    result: BacktestResult, inputs: dict[str, InstrumentInputs], run_time: dt.datetime
) -> tuple[dict[str, BufferedOptimalPosition], dict[str, str]]:
    """Per instrument: the last notional position and buffer edges of the backtest, with the
    last multiple-prices PRICE (its contract and time). Instruments without them are failures."""
    positions: dict[str, BufferedOptimalPosition] = {}
    failed: dict[str, str] = {}
    for code, series in result.instruments.items():
        try:
            positions[code] = _position(code, series, inputs[code], run_time)
        except SysprodError as exc:
            failed[code] = str(exc)
    return positions, failed


def _position(code: str, series, item: InstrumentInputs, run_time: dt.datetime) -> BufferedOptimalPosition:  # noqa: ANN001
    if len(series) == 0:
        raise MissingData(f"{code}: the backtest has no positions (too little price history)")
    optimal = float(series.notional_position[-1])
    lower, upper = float(series.buffer_lower[-1]), float(series.buffer_upper[-1])
    if not all(math.isfinite(v) for v in (optimal, lower, upper)):
        raise MissingData(f"{code}: no optimal position on the last day of the backtest (no price or volatility)")
    order = np.argsort(item.multiple_stamps, kind="stable")
    valid = order[np.isfinite(item.price[order])]
    if len(valid) == 0:
        raise MissingData(f"{code}: no multiple prices; run update_multiple_adjusted_prices")
    last = valid[-1]
    contract = item.price_contract[last]
    return BufferedOptimalPosition(
        instrument_code=code,
        optimal=optimal,
        lower=lower,
        upper=upper,
        reference_price=float(item.price[last]),
        reference_contract=f"{int(contract):08d}" if math.isfinite(contract) else "",
        reference_time=dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(item.multiple_stamps[last])),
        run_time=run_time,
    )
