"""`sysprod demo`: a fresh sandbox on the simulated broker, built step by step.

The sandbox is a complete installation (its own data root, private config, Parquet + SQLite stores,
the simulated broker on a synthetic market, a simulated clock), so everything can be tried with no
broker account. The demo is an ordered list of steps; each takes the sandbox's DataBlob and
returns one line saying what it did. Later parts of the system add their step with one line
(`STEPS.append(DemoStep("...", function))`).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock, WallClock
from syscore.exceptions import SysprodError
from sysdata.data_blob import DataBlob
from sysproduction.cli.demo_trading import (
    execute_orders,
    generate_orders,
    run_backup,
    run_reports,
    run_strategy_backtest,
    strategy_settings,
    update_capital,
    write_strategy_config,
)
from sysproduction.wiring import make_blob

MARKER = ".sysprod_sandbox"
MARKET_TREE = "market_csv"  # the generated pysystemtrade CSV tree, inside the sandbox
DEFAULT_YEARS = 12


@dataclass(frozen=True)
class DemoStep:
    name: str
    run: Callable[[DataBlob], str]


def last_session_close(now: dt.datetime) -> dt.datetime:
    """The most recent weekday session close at or before `now`."""
    from sysbrokers.sim.market import SESSION_CLOSE

    candidate = dt.datetime.combine(now.date(), SESSION_CLOSE)
    if candidate > now:
        candidate -= dt.timedelta(days=1)
    while candidate.weekday() >= 5:
        candidate -= dt.timedelta(days=1)
    return candidate


def prepare_sandbox(path: Path) -> Path:
    """An empty directory for the sandbox: created, or emptied when it is a previous sandbox.

    Anything else that already holds files is refused, so the demo never deletes a user's data.
    """
    from sysdata.installation import check_placeable

    path = Path(path).expanduser().resolve()
    check_placeable(path)
    if path.exists() and not path.is_dir():
        raise SysprodError(f"sandbox {path} is a file; choose another --sandbox directory")
    if path.is_dir() and any(path.iterdir()):
        if not (path / MARKER).is_file():
            raise SysprodError(
                f"{path} exists and is not a sysprod sandbox (no {MARKER}); choose another --sandbox "
                "or remove it yourself"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("created by sysprod demo; the demo deletes and re-creates this directory\n")
    return path


def sandbox_config(root: Path, seed: int, history_start: dt.date) -> dict:
    return {
        "data_root": str(root),
        "timeseries_store": "parquet",
        "document_store": "sqlite",
        "fsync_writes": False,
        "broker": "sim",
        "clock": "simulated",
        "sim_market": "synthetic",
        "sim_seed": seed,
        "sim_history_start": history_start.isoformat(),
        "base_currency": "USD",
        **strategy_settings(),
    }


def create_sandbox(path: Path, seed: int, years: int, now: dt.datetime) -> DataBlob:
    """Directory, private config and simulated clock of a new sandbox; returns its DataBlob."""
    if years < 1:
        raise SysprodError(f"--years must be at least 1, got {years}")
    root = prepare_sandbox(path)
    start = dt.date(now.year - years, 1, 1)
    config_text = (
        "# Written by `sysprod demo`: a sandbox on the simulated broker (see docs/brokers.md).\n"
        + yaml.safe_dump(sandbox_config(root, seed, start), sort_keys=False)
    )
    (root / "private_config.yaml").write_text(config_text)
    write_strategy_config(root)
    SharedSimClock(root / SIM_CLOCK_FILE).set(now)
    return make_blob(root)


# --- steps ------------------------------------------------------------------------------------
def write_market_history(data: DataBlob) -> str:
    from sysbrokers.factory import market_from_config
    from sysbrokers.sim.history import write_market_tree

    summary = write_market_tree(market_from_config(data.config), data.data_root / MARKET_TREE, data.clock.now())
    return (
        f"wrote {summary.instruments} instruments ({summary.contracts:,} contracts, "
        f"{summary.multiple_rows:,} multiple-price rows, {summary.first:%Y-%m-%d} to {summary.last:%Y-%m-%d}) "
        f"and {summary.fx_pairs} FX pairs to {MARKET_TREE}/"
    )


def import_market_history(data: DataBlob) -> str:
    from sysbrokers.factory import market_identity
    from sysdata.csv_io.importer import import_csv_tree
    from sysdata.installation import update_record

    report = import_csv_tree(data, data.data_root / MARKET_TREE)
    if not report.ok:
        raise SysprodError("import of the generated tree rejected: " + "; ".join(r.message for r in report.rejected))
    # The tree was generated from the synthetic market, so the prices are that market's.
    update_record(data.data_root, prices_source=market_identity(data.config))
    rows = sum(r.rows for r in report.results)
    return f"imported {len(report.results)} files, {rows:,} rows, {report.contracts_written:,} contract price series"


def check_broker(data: DataBlob) -> str:
    broker = data.broker
    health = broker.health()
    if not health.connected:
        raise SysprodError(f"simulated broker not connected: {health.detail}")
    value = broker.account_value(data.config["base_currency"])
    instruments = data.instruments.list()
    trading = sum(1 for code in instruments if broker.trading_contracts(code))
    return (
        f"{health.detail}; {trading} of {len(instruments)} instruments trading; "
        f"account value {value:,.0f} {data.config['base_currency']}"
    )


def next_session_close(now: dt.datetime) -> dt.datetime:
    """The first weekday session close after `now`."""
    from sysbrokers.sim.market import SESSION_CLOSE

    candidate = dt.datetime.combine(now.date() + dt.timedelta(days=1), SESSION_CLOSE)
    while candidate.weekday() >= 5:
        candidate += dt.timedelta(days=1)
    return candidate


PRICE_JOB_DELAY = dt.timedelta(minutes=30)  # the price jobs run this long after the close


def update_prices(data: DataBlob) -> str:
    """The next session's price jobs, in the nightly order, on the simulated clock."""
    from sysproduction.jobs.prices.auto_update_roll_status import auto_update_roll_status
    from sysproduction.jobs.prices.update_fx_prices import update_fx_prices
    from sysproduction.jobs.prices.update_historical_prices import update_historical_prices
    from sysproduction.jobs.prices.update_multiple_adjusted_prices import (
        update_multiple_adjusted_prices,
    )
    from sysproduction.jobs.prices.update_sampled_contracts import update_sampled_contracts

    data.clock.set(next_session_close(data.clock.now()) + PRICE_JOB_DELAY)
    fx, sampled, prices, rolls, multiple = (
        job(data) for job in (update_fx_prices, update_sampled_contracts, update_historical_prices,
                              auto_update_roll_status, update_multiple_adjusted_prices)
    )
    summaries = (fx, sampled, prices, rolls, multiple)
    rolled = sorted(code for code, what in multiple.updated.items() if "rolled from" in what)
    return (
        f"{data.clock.now():%Y-%m-%d}: {len(fx.updated)} FX pairs, {len(prices.updated)} contract "
        f"series and {len(multiple.updated)} instruments' multiple/adjusted prices updated; "
        f"rolled {', '.join(rolled) if rolled else 'nothing'}; "
        f"{sum(len(s.spiked) for s in summaries)} spikes, {sum(len(s.failed) for s in summaries)} failures"
    )


BACKTEST_OUT = "backtest"  # the demo backtest's output, inside the sandbox


def run_backtest(data: DataBlob) -> str:
    """The provided trend + carry system on the sandbox's instruments that it trades."""
    from sysproduction.backtests.run import run_to_directory
    from systems.data import load_backtest_config, load_blob_inputs

    config = Path(__file__).resolve().parents[2] / "systems" / "provided" / "futures_chapter15.yaml"

    def load(backtest_config):  # noqa: ANN001, ANN202
        inputs = load_blob_inputs(data, backtest_config.instruments, backtest_config.base_currency)
        return inputs.fx_usd, inputs.instruments.values()

    traded = [code for code in load_backtest_config(config).instruments if code in data.instruments.list()]
    _, summary = run_to_directory(config, load, data.data_root / BACKTEST_OUT, data.clock, instruments=traded)
    return (
        f"{', '.join(summary['instruments'])}: Sharpe {summary['sharpe']:.2f} "
        f"(see: sysprod backtest show {data.data_root / BACKTEST_OUT})"
    )


STEPS: list[DemoStep] = [
    DemoStep("market history", write_market_history),
    DemoStep("import", import_market_history),
    DemoStep("broker", check_broker),
    DemoStep("daily prices", update_prices),
    DemoStep("backtest", run_backtest),
    DemoStep("capital", update_capital),
    DemoStep("nightly strategy backtest", run_strategy_backtest),
    DemoStep("orders", generate_orders),
    DemoStep("stack handler", execute_orders),
    DemoStep("reports", run_reports),
    DemoStep("backup", run_backup),
]


def run_demo(
    sandbox: Path, seed: int, years: int, now: dt.datetime | None = None,
    report: Callable[[str], None] = print,
) -> DataBlob:
    """Create the sandbox and run every step, reporting one line each."""
    now = last_session_close(now or WallClock().now())
    data = create_sandbox(sandbox, seed, years, now)
    report(f"sandbox {data.data_root} (seed {seed}, history from {data.config['sim_history_start']}, clock {now:%Y-%m-%d %H:%M})")
    for number, step in enumerate(STEPS, start=1):
        report(f"[{number}/{len(STEPS)}] {step.name}: {step.run(data)}")
    return data
