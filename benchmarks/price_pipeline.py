"""Price pipeline benchmark: one full daily update (the four price jobs) for 100 synthetic
instruments with 10 years of history. Prints seconds and peak memory; run with
`python benchmarks/price_pipeline.py`.

Setup (generate the market's history, write it as a CSV tree, import it) happens first and is
reported separately; the daily update then runs in its own child process so its peak memory
(ru_maxrss) is its own.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from bench_common import machine_line, peak_mb, run_in_child

INSTRUMENTS = 100
SEED = 42
HISTORY_START = dt.date(2014, 1, 6)
SETUP_TIME = dt.datetime(2024, 6, 3, 23, 30)  # a Monday evening
UPDATE_TIME = dt.datetime(2024, 6, 4, 23, 30)


def _blob(root: Path, when: dt.datetime):
    """A blob on `root` whose broker trades the 100-instrument synthetic market."""
    from sysbrokers.sim.broker import SimBroker, SimSettings
    from sysbrokers.sim.instruments import scaled_universe
    from sysbrokers.sim.synthetic import SyntheticMarket
    from syscore.clock import FixedClock
    from sysdata.data_blob import DataBlob

    market = SyntheticMarket(SEED, HISTORY_START, instruments=scaled_universe(INSTRUMENTS))
    blob = DataBlob.from_data_root(
        root, clock=FixedClock(when),
        broker_factory=lambda b: SimBroker(b.documents, market, b.clock, SimSettings()),
    )
    return blob, market


def step_setup(root: str, queue) -> None:
    from sysbrokers.sim.history import write_market_tree
    from sysdata.csv_io.importer import import_csv_tree

    start = time.perf_counter()
    blob, market = _blob(Path(root), SETUP_TIME)
    write_market_tree(market, Path(root) / "tree", SETUP_TIME)
    report = import_csv_tree(blob, Path(root) / "tree")
    assert report.ok, [r.message for r in report.rejected]
    queue.put({"step": f"setup: generate, write and import {INSTRUMENTS} instruments x 10 years",
               "seconds": time.perf_counter() - start, "peak_mb": peak_mb(),
               "detail": f"{report.contracts_written:,} contract series"})


def step_daily_update(root: str, queue) -> None:
    from sysproduction.jobs.prices.update_fx_prices import update_fx_prices
    from sysproduction.jobs.prices.update_historical_prices import update_historical_prices
    from sysproduction.jobs.prices.update_multiple_adjusted_prices import (
        update_multiple_adjusted_prices,
    )
    from sysproduction.jobs.prices.update_sampled_contracts import update_sampled_contracts

    blob, _ = _blob(Path(root), UPDATE_TIME)
    timings = []
    start = time.perf_counter()
    for job in (update_fx_prices, update_sampled_contracts, update_historical_prices, update_multiple_adjusted_prices):
        began = time.perf_counter()
        summary = job(blob)
        assert not summary.failed and not summary.spiked, str(summary)
        timings.append(f"{job.__name__} {time.perf_counter() - began:.2f} s ({len(summary.updated)} updated)")
    queue.put({"step": f"one daily update, {INSTRUMENTS} instruments (4 jobs)",
               "seconds": time.perf_counter() - start, "peak_mb": peak_mb(), "detail": "; ".join(timings)})


def main() -> None:
    print(machine_line())
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "private_config.yaml").write_text(f"data_root: {root}\nfsync_writes: true\n")
        for step in (step_setup, step_daily_update):
            result = run_in_child(step, root)[0]
            print(f"{result['step']}: {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB  [{result['detail']}]")


if __name__ == "__main__":
    main()
