"""Execution benchmark: 1,000 instrument orders across 100 instruments, from creation to completed
fills, through the stack handler's steps on the simulated broker with the SQLite store. Prints
orders per second end to end and peak memory; run with `python benchmarks/execution.py`.

Setup (generate two years of the 100-instrument synthetic market, write it as a CSV tree,
import it) is reported separately. The measured step runs in its own child process: it stores
1,000 market orders (10 per instrument, sizes 1 to 5, buys and sells) and runs passes of the
stack handler (position check, spawn, broker orders, fills, completed orders) until every order
has filled and moved to the historic store, then checks the book against the broker. The headline
is the time until every order's fills are booked (positions included); the time until the
finished families are also archived is printed after it.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from bench_common import machine_line, peak_mb, run_in_child

INSTRUMENTS = 100
ORDERS_PER_INSTRUMENT = 10
SEED = 42
HISTORY_START = dt.date(2022, 6, 6)
SETUP_TIME = dt.datetime(2024, 6, 3, 23, 30)  # a Monday evening
TRADING_TIME = dt.datetime(2024, 6, 4, 10, 0)  # the Tuesday morning after
STEPS = (
    "check_external_position_break",
    "spawn_children_from_new_instrument_orders",
    "create_broker_orders_from_contract_orders",
    "process_fills_stack",
    "handle_completed_orders",
)
MAX_PASSES = 20


def _blob(root: Path, when: dt.datetime):
    """A blob on `root` whose broker trades the 100-instrument synthetic market."""
    from sysbrokers.sim.broker import SimBroker, SimSettings
    from sysbrokers.sim.instruments import scaled_universe
    from sysbrokers.sim.synthetic import SyntheticMarket
    from syscore.clock import FixedClock
    from sysdata.data_blob import DataBlob

    market = SyntheticMarket(SEED, HISTORY_START, instruments=scaled_universe(INSTRUMENTS))
    return DataBlob.from_data_root(
        root, clock=FixedClock(when),
        broker_factory=lambda b: SimBroker(b.documents, market, b.clock, SimSettings()),
    )


def step_setup(root: str, queue) -> None:
    from sysbrokers.sim.history import write_market_tree
    from sysbrokers.sim.instruments import scaled_universe
    from sysbrokers.sim.synthetic import SyntheticMarket
    from sysdata.csv_io.importer import import_csv_tree

    start = time.perf_counter()
    blob = _blob(Path(root), SETUP_TIME)
    market = SyntheticMarket(SEED, HISTORY_START, instruments=scaled_universe(INSTRUMENTS))
    write_market_tree(market, Path(root) / "tree", SETUP_TIME)
    report = import_csv_tree(blob, Path(root) / "tree")
    assert report.ok, [r.message for r in report.rejected]
    queue.put({"step": f"setup: generate, write and import {INSTRUMENTS} instruments x 2 years",
               "seconds": time.perf_counter() - start, "peak_mb": peak_mb(), "detail": ""})


def step_execute(root: str, queue) -> None:
    from sysexecution import stack_handler
    from sysobjects.multiple_prices_update import current_contracts
    from sysobjects.orders import InstrumentOrder, OrderState

    blob = _blob(Path(root), TRADING_TIME)
    instruments = blob.instruments.list()
    assert len(instruments) == INSTRUMENTS, len(instruments)
    # Before timing: the simulated market generates each instrument's intraday price path on
    # first use (a cost of the simulation, paid once by a long-running stack handler, not of
    # execution), and the broker's account is opened.
    began = time.perf_counter()
    for code in instruments:
        blob.broker.quote(code, current_contracts(blob.multiple_prices.get(code))["PRICE"])
    blob.broker.positions()
    warm_up = time.perf_counter() - began
    timings = dict.fromkeys(STEPS, 0.0)

    start, cpu_start = time.perf_counter(), time.process_time()
    expected: dict[str, int] = {}
    for index in range(ORDERS_PER_INSTRUMENT):
        for number, code in enumerate(instruments):
            size = 1 + (index + number) % 5
            trade = size if (index + number) % 3 else -size
            expected[code] = expected.get(code, 0) + trade
            blob.instrument_orders.add(InstrumentOrder("bench", code, trade, "market", None, None), TRADING_TIME)
    created = time.perf_counter() - start
    passes, filled_at = 0, None
    while blob.instrument_orders.ids() and passes < MAX_PASSES:
        passes += 1
        for name in STEPS:
            began = time.perf_counter()
            summary = getattr(stack_handler, name)(blob)
            timings[name] += time.perf_counter() - began
            assert not summary.failed, str(summary)
            if name == "process_fills_stack" and filled_at is None and not any(
                order.remaining for order in blob.instrument_orders.active()
            ):
                filled_at, filled_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert filled_at is not None

    done = blob.historic_orders.instrument_orders()
    orders = ORDERS_PER_INSTRUMENT * INSTRUMENTS
    assert len(done) == orders and all(o.state is OrderState.COMPLETED and o.filled_trade == o.trade for o in done)
    positions = {code: blob.strategy_positions.get("bench", code) for code in instruments}
    assert positions == {code: expected[code] for code in instruments}, "strategy positions differ"
    broker = {(p.instrument_code, p.contract_id): p.position for p in blob.broker.positions()}
    assert blob.contract_positions.all() == broker, "the book differs from the broker"
    detail = f"{passes} passes; creating the orders {created:.2f} s; " + "; ".join(
        f"{name} {seconds:.2f} s" for name, seconds in timings.items())
    queue.put({"step": f"{orders:,} orders across {INSTRUMENTS} instruments, creation to completed fills",
               "seconds": filled_at, "orders_per_second": orders / filled_at, "cpu": filled_cpu,
               "archived_seconds": elapsed, "archived_cpu": cpu, "peak_mb": peak_mb(),
               "detail": detail, "warm_up": warm_up, "load": os.getloadavg()[0]})


def main() -> None:
    print(machine_line())
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "private_config.yaml").write_text(f"data_root: {root}\nfsync_writes: true\n")
        setup = run_in_child(step_setup, root)[0]
        print(f"{setup['step']}: {setup['seconds']:.2f} s, peak {setup['peak_mb']:.0f} MB")
        result = run_in_child(step_execute, root)[0]
        print(f"simulated market's price paths generated before timing: {result['warm_up']:.2f} s")
        print(f"{result['step']}: {result['seconds']:.2f} s = {result['orders_per_second']:.0f} orders/second, "
              f"peak {result['peak_mb']:.0f} MB  [{result['detail']}]")
        print(f"  ... and every family moved to the historic store: {result['archived_seconds']:.2f} s = "
              f"{1000 / result['archived_seconds']:.0f} orders/second")
        print(f"CPU time to completed fills: {result['cpu']:.2f} s ({1000 / result['cpu']:.0f} orders per CPU "
              f"second); to the historic store: {result['archived_cpu']:.2f} s; load average when it ended: "
              f"{result['load']:.2f}")


if __name__ == "__main__":
    main()
