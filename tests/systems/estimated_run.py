"""One estimated run of the provided config on the reference data, shared by the estimation test
modules (it is the slow part: computed once per test session)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from systems.config import parse_backtest_config, provided_config_path
from systems.data import load_csv_inputs
from systems.engine import run_backtest

TODAY = 1_700_000_000


def estimated_raw() -> dict:
    return yaml.safe_load(provided_config_path("futures_chapter15_estimated").read_text())


@lru_cache(maxsize=2)
def estimated_run(reference_data: Path):  # noqa: ANN201 - (config, inputs, result)
    config = parse_backtest_config(estimated_raw(), "futures_chapter15_estimated.yaml")
    inputs = load_csv_inputs(reference_data, config.instruments, config.base_currency)
    return config, inputs, run_backtest(config, inputs, TODAY)
