"""`sysprod backtest export-fixed-config`: the I/O around systems.fixed_config.

Reads a run's results folder (its config copy and the parameters summary.json records), builds
the fixed config and writes it atomically, after checking it validates: a file that is written
always runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from syscore.exceptions import MissingData, SysprodError
from syscore.fileio import atomic_write_text
from sysproduction.backtests.results import CONFIG_COPY, SUMMARY, results_dir
from systems.config import BacktestConfig, parse_backtest_config
from systems.fixed_config import PARAMETERS, USED_KEYS, NotFixable, fixed_config

HEADER = (
    "# Every parameter fixed to the value the run in {out} used (forecast scalars, forecast\n"
    "# weights, FDM, instrument weights, IDM): written by `sysprod backtest export-fixed-config`.\n"
)


def export_fixed_config(out: Path, target: Path) -> BacktestConfig:
    """Write `target`: the config of the run in `out` with every parameter fixed."""
    folder = results_dir(out)
    summary_path, copy_path = folder / SUMMARY, folder / CONFIG_COPY
    if not summary_path.is_file():
        raise MissingData(f"{out}: no {SUMMARY}; give the folder of a backtest run (--out of sysprod backtest run)")
    try:
        used = json.loads(summary_path.read_text()).get(PARAMETERS)
    except json.JSONDecodeError:
        raise MissingData(f"{summary_path}: not valid JSON; re-run the backtest") from None
    if not isinstance(used, dict) or any(key not in used for key in USED_KEYS) or not copy_path.is_file():
        raise MissingData(
            f"{out}: the run did not record its parameters and config ({SUMMARY} '{PARAMETERS}', "
            f"{CONFIG_COPY}); re-run it with this version of sysprod backtest run"
        )
    raw = yaml.safe_load(copy_path.read_text())
    try:
        fixed = fixed_config(raw, used)
    except NotFixable as exc:
        raise SysprodError(f"{out}: {exc}; give the values by hand in a copy of {copy_path}") from None
    config = parse_backtest_config(fixed, str(target), base_dir=Path(target).parent)
    atomic_write_text(Path(target), HEADER.format(out=out) + yaml.safe_dump(fixed, sort_keys=False))
    return config
