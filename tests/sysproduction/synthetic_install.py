"""An installation on the synthetic simulated market, imported as `sysprod demo` does it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sysbrokers.factory import market_from_config
from sysbrokers.sim.history import write_market_tree
from syscore.clock import FixedClock
from sysdata.data_blob import DataBlob
from tests.sysproduction.pipeline_helpers import blob_for, import_tree

SEED = 7
HISTORY_START = "2021-01-04"
START = dt.datetime(2024, 6, 3, 23, 30)  # a Monday, after the session close


def synthetic_settings(**extra) -> dict:
    return {"sim_market": "synthetic", "sim_seed": SEED, "sim_history_start": HISTORY_START, **extra}


def build_tree(target: Path) -> Path:
    """The market's history up to START as a pysystemtrade CSV tree."""
    scratch = blob_for(target / "scratch", FixedClock(START), **synthetic_settings())
    write_market_tree(market_from_config(scratch.config), target / "tree", START)
    shutil.rmtree(target / "scratch")
    return target / "tree"


def installation(root: Path, tree: Path, **extra) -> tuple[DataBlob, FixedClock]:
    clock = FixedClock(START)
    blob = blob_for(root, clock, **synthetic_settings(**extra))
    import_tree(blob, tree)
    return blob, clock
