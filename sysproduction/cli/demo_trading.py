"""The demo's second half: from the evening's prices to positions, reports and a backup.

Each step runs the jobs of one production process, in the order cron runs them, on the
sandbox's simulated clock: `run_capital_update` (account value, then the strategy's share),
`run_systems` (the nightly backtest of the strategy `classic`), `run_strategy_order_generator`,
`run_stack_handler` (passes of its steps until every order is filled and booked, then its stop
step), `run_reports` (stored in the sandbox, not emailed) and `run_backups`. Every step checks
what it claims: the execution step compares the booked positions with the broker's, and a step
whose jobs report a failure stops the demo with that failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from syscore.config import PROJECT_ROOT
from syscore.exceptions import SysprodError
from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob

STRATEGY = "classic"
STRATEGY_CONFIG = "systems/classic.yaml"  # inside the sandbox
# The provided trend + carry system on six of the synthetic market's instruments, equally weighted.
STRATEGY_INSTRUMENTS = ("BUND", "CORN", "CRUDE_W", "GOLD", "SP500", "US10")
MAX_STACK_PASSES = 30
STACK_PASS_MINUTES = 1  # simulated time between the stack handler's passes


def strategy_settings() -> dict:
    """The sandbox config's strategy part: one strategy, all the capital."""
    return {
        "strategy_list": {STRATEGY: {"overnight_launcher": {"backtest_config_filename": STRATEGY_CONFIG}}},
        "strategy_capital_allocation": {"strategy_weights": {STRATEGY: 1.0}},
    }


def write_strategy_config(root: Path) -> None:
    """The strategy's backtest config: the provided one, restricted to the sandbox's instruments."""
    provided = yaml.safe_load((PROJECT_ROOT / "systems" / "provided" / "futures_chapter15.yaml").read_text())
    provided["instrument_weights"] = {code: round(1 / len(STRATEGY_INSTRUMENTS), 6) for code in STRATEGY_INSTRUMENTS}
    target = root / STRATEGY_CONFIG
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# Written by `sysprod demo`: futures_chapter15.yaml on the sandbox's instruments.\n"
                      + yaml.safe_dump(provided, sort_keys=False))


def _checked(summaries: Iterable[JobSummary]) -> list[JobSummary]:
    """The summaries, or the first failure as the demo's error (a demo never hides one)."""
    summaries = list(summaries)
    for summary in summaries:
        if summary.failed:
            item, error = next(iter(summary.failed.items()))
            raise SysprodError(f"{summary.job} failed for {item}: {error}")
    return summaries


def _strategy_job(data: DataBlob, job: Callable[..., JobSummary]) -> JobSummary:
    from sysproduction.jobs.strategies.strategy_config import strategy_settings as settings_of

    return job(data, strategy_name=STRATEGY, settings=settings_of(data.config, STRATEGY))


def update_capital(data: DataBlob) -> str:
    from sysproduction.jobs.capital.update_strategy_capital import update_strategy_capital
    from sysproduction.jobs.capital.update_total_capital import update_total_capital

    _checked([update_total_capital(data), update_strategy_capital(data)])
    base = data.config["base_currency"]
    return (f"total capital {data.total_capital.total_capital():,.0f} {base}; "
            f"{STRATEGY} {data.strategy_capital.latest(STRATEGY):,.0f} {base}")


def run_strategy_backtest(data: DataBlob) -> str:
    from sysproduction.jobs.strategies.run_strategy_system import run_strategy_system

    _checked([_strategy_job(data, run_strategy_system)])
    positions = data.optimal_positions.for_strategy(STRATEGY)
    shown = ", ".join(f"{code} {p.optimal:+.2f} [{p.lower:+.2f}, {p.upper:+.2f}]"
                      for code, p in sorted(positions.items()))
    return f"{STRATEGY}: optimal positions and buffers of {len(positions)} instruments: {shown}"


def generate_orders(data: DataBlob) -> str:
    from sysproduction.jobs.strategies.generate_strategy_orders import generate_strategy_orders

    _checked([_strategy_job(data, generate_strategy_orders)])
    orders = data.instrument_orders.active(strategy=STRATEGY)
    shown = ", ".join(f"{o.instrument_code} {o.trade:+d}" for o in orders)
    return f"{len(orders)} instrument orders: {shown or 'none (every position inside its buffer)'}"


def execute_orders(data: DataBlob) -> str:
    """Passes of the stack handler's steps until nothing is left in flight, then its stop step.

    Between passes the simulated clock moves a minute, as time passes between the real
    handler's loops: a `best` order that rests at the near side for its passive timeout
    (`best_algo_passive_timeout_minutes`) then crosses the spread and fills."""
    import datetime as dt

    from sysexecution.stack_handler import (
        check_external_position_break,
        create_broker_orders_from_contract_orders,
        generate_force_roll_orders,
        handle_completed_orders,
        process_fills_stack,
        safe_stack_removal,
        spawn_children_from_new_instrument_orders,
    )

    started = data.clock.now()
    _checked([generate_force_roll_orders(data)])
    passes = 0
    while passes < MAX_STACK_PASSES:
        if passes:
            data.clock.set(data.clock.now() + dt.timedelta(minutes=STACK_PASS_MINUTES))
        passes += 1
        _checked(step(data) for step in (
            check_external_position_break, spawn_children_from_new_instrument_orders,
            create_broker_orders_from_contract_orders, process_fills_stack, handle_completed_orders))
        if not data.instrument_orders.active():
            break
    _checked([safe_stack_removal(data)])
    left = data.instrument_orders.active()
    if left:
        raise SysprodError(f"{len(left)} orders still open after {passes} stack handler passes")
    booked = data.contract_positions.all()
    at_broker = {(p.instrument_code, p.contract_id): p.position for p in data.broker.positions()}
    if booked != at_broker:
        raise SysprodError(f"booked positions {booked} differ from the broker's {at_broker}")
    done = data.historic_orders.instrument_orders(since=started)
    filled = [o for o in done if o.filled_trade == o.trade]
    if len(filled) != len(done):
        raise SysprodError(f"{len(done) - len(filled)} of {len(done)} orders ended unfilled")
    held = ", ".join(f"{code} {contract} {position:+d}" for (code, contract), position in sorted(booked.items()))
    minutes = (data.clock.now() - started).total_seconds() / 60
    return (f"{len(filled)} orders filled in {passes} passes ({minutes:.0f} simulated minutes); "
            f"positions (booked = broker): {held or 'none'}")


REPORTS = ("status_report", "roll_report", "daily_pandl_report", "reconcile_report",
           "trade_report", "costs_report", "liquidity_report")


def run_reports(data: DataBlob) -> str:
    import importlib

    _checked(getattr(importlib.import_module(f"sysproduction.reports.{name}"), name)(data)
             for name in REPORTS)
    return (f"{len(REPORTS)} reports stored in {data.data_root / 'reports'} "
            "(see: sysprod report list; email them by setting email_* in the private config)")


def run_backup(data: DataBlob) -> str:
    from sysproduction.jobs.housekeeping.backups import (
        backup_data,
        checked_backup_path,
        good_generations,
    )

    _checked([backup_data(data)])
    newest = good_generations(checked_backup_path(data))[-1]
    return f"time series (Parquet and CSV), documents and files in {newest} (sysprod data restore restores it)"
