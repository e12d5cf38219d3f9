"""Simulated market benchmarks: generate 200 instruments x 20 years of synthetic contract bars;
replay the reference data day by day; build the demo sandbox. Prints seconds and peak memory; run
with `python benchmarks/sim_market.py`.

Each figure runs in its own child process so peak memory (ru_maxrss) belongs to that step alone.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench_common import machine_line, peak_mb, reference_path, run_in_child


def step_generate(queue) -> None:
    import datetime as dt

    from sysbrokers.sim.instruments import scaled_universe
    from sysbrokers.sim.synthetic import SyntheticMarket

    market = SyntheticMarket(42, dt.date(2005, 1, 3), instruments=scaled_universe(200))
    now = dt.datetime(2024, 12, 31, 23, 0)
    start = time.perf_counter()
    contracts = bars = 0
    for code in market.instrument_codes():
        history = market.full_history(code, now)
        contracts += len(history)
        bars += sum(len(frame) for frame in history.values())
    for currency in market.currencies():
        market.usd_rates(currency, now)
    queue.put({"step": "generate 200 instruments x 20 years (every contract's daily bars)",
               "seconds": time.perf_counter() - start, "peak_mb": peak_mb(),
               "detail": f"{contracts:,} contracts, {bars:,} daily bars"})


def step_replay(queue) -> None:
    import datetime as dt

    import pandas as pd

    from sysbrokers.sim.replay import ReplayMarket

    market = ReplayMarket(reference_path())
    codes = market.instrument_codes()
    days = pd.bdate_range("2023-05-01", periods=60)
    start = time.perf_counter()
    for code in codes:  # first use of each instrument reads its multiple-prices file
        market.listed_contracts(code, dt.datetime(2023, 5, 1, 23))
    loaded = time.perf_counter() - start
    calls = 0
    start = time.perf_counter()
    for day in days:
        now = day.to_pydatetime().replace(hour=23)
        for code in codes:
            for contract in market.listed_contracts(code, now)[:3]:
                market.daily_bars(code, contract, now)
                calls += 1
    per_day = (time.perf_counter() - start) / len(days)
    queue.put({"step": f"replay {len(codes)} instruments: first read of each",
               "seconds": loaded, "peak_mb": peak_mb(), "detail": "multiple prices -> per-contract bars"})
    queue.put({"step": "replay: one simulated day (listings + bars of 3 contracts each)",
               "seconds": per_day, "peak_mb": peak_mb(),
               "detail": f"{calls // len(days):,} bar requests a day, mean of {len(days)} days"})


def step_demo(queue) -> None:
    import datetime as dt

    from sysproduction.cli.demo_sandbox import run_demo

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_demo(Path(tmp) / "sandbox", 42, 12, dt.datetime(2026, 6, 30, 23, 30), report=lambda _: None)
        queue.put({"step": "sysprod demo (12 instruments, 12 years: generate, write CSV, import)",
                   "seconds": time.perf_counter() - start, "peak_mb": peak_mb(), "detail": ""})


def main() -> None:
    steps = [step_generate, step_demo]
    if (reference_path() / "multiple_prices_csv").is_dir():
        steps.append(step_replay)
    else:
        print(f"reference data not found at {reference_path()}: replay step skipped")
    print(machine_line())
    print("| step | seconds | peak memory | detail |")
    print("|---|---|---|---|")
    for step in steps:
        for row in run_in_child(step):
            seconds = f"{row['seconds']:.3f}" if row["seconds"] < 1 else f"{row['seconds']:.1f}"
            print(f"| {row['step']} | {seconds} | {row['peak_mb']:.0f} MB | {row['detail']} |")


if __name__ == "__main__":
    main()
