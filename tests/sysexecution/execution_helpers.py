"""Helpers for the stack handler step tests: an installation of the synthetic simulated market on
a real SQLite file, at a trading time, and orders put through the steps."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml

from syscore.clock import FixedClock
from syscore.config import load_config
from sysdata.data_blob import DataBlob
from sysexecution import stack_handler
from sysobjects.orders import InstrumentOrder
from sysproduction.wiring import make_blob
from tests.sysproduction.synthetic_install import installation

# A Tuesday morning, the day after the synthetic installation's history ends.
TRADING = dt.datetime(2024, 6, 4, 10, 0)

PASS = (
    "check_external_position_break",
    "spawn_children_from_new_instrument_orders",
    "create_broker_orders_from_contract_orders",
    "process_fills_stack",
    "handle_completed_orders",
)


def trading_installation(root: Path, tree: Path, **settings) -> tuple[DataBlob, FixedClock]:
    blob, clock = installation(root, tree, **settings)
    clock.set(TRADING)
    return blob, clock


def template_installation(root: Path, tree: Path) -> Path:
    """An imported installation to copy from (importing takes seconds, copying a fraction)."""
    blob, _ = installation(root, tree)
    blob.documents.close()  # the last connection closing folds SQLite's WAL into the file
    return root


def copy_installation(template: Path, root: Path, **settings) -> tuple[DataBlob, FixedClock]:
    """A fresh installation at `root`, copied from `template`, on a fixed clock at TRADING;
    `settings` are extra private config keys."""
    shutil.copytree(template, root)
    path = root / "private_config.yaml"
    config = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**config, "data_root": str(root), **settings}))
    clock = FixedClock(TRADING)
    return make_blob(root, load_config(path), clock), clock


def add_order(blob: DataBlob, instrument: str, trade: int, order_type: str = "market",
              strategy: str = "classic", limit_price: float | None = None) -> int:
    order = InstrumentOrder(strategy, instrument, trade, order_type, None, None, limit_price=limit_price)
    return blob.instrument_orders.add(order, blob.clock.now())


def run_pass(blob: DataBlob, steps: tuple[str, ...] = PASS) -> dict:
    """One pass of the stack handler's steps (as the process runs them); name -> summary."""
    return {name: getattr(stack_handler, name)(blob) for name in steps}


def sim_orders_by_reference(blob: DataBlob) -> dict[str, int]:
    """How many orders the simulated broker holds per request reference (ours: the record id)."""
    counts: dict[str, int] = {}
    for order in blob.broker.all_orders():
        counts[order.request.reference] = counts.get(order.request.reference, 0) + 1
    return counts
