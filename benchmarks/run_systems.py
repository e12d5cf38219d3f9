"""run_systems benchmark: the nightly backtest of one strategy of the 41 reference instruments.

Run with `python benchmarks/run_systems.py` (add `--runs N` for best-of-N, default 3). Setup (not
timed): the reference CSV tree is imported into a temp installation (simulated clock, broker sim)
whose strategy_list has one strategy, `classic`: the provided chapter-15 config with the 41
instruments at equal weights, capital 1,000,000. Timed: the whole `python -m
sysproduction.run_systems` process (Python start-up, config, control state, reading the stored
prices, the backtest, the run folder, storing the optimal positions); peak memory is that child's
own ru_maxrss, and its CPU time (user + system) from wait4 as well. Goal: under 3 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from bench_common import REPO, reference_path

PROVIDED = REPO / "systems" / "provided" / "futures_chapter15.yaml"
EVENING = dt.datetime(2023, 9, 1, 20, 30)  # the evening after the reference data's last day


def setup(work: Path, reference: Path) -> tuple[Path, list[str]]:
    from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
    from sysdata.csv_io.importer import import_csv_tree
    from sysproduction.wiring import make_blob

    names = sorted(p.stem for p in (reference / "adjusted_prices_csv").glob("*.csv"))
    raw = yaml.safe_load(PROVIDED.read_text())
    raw["instrument_weights"] = {code: 1.0 / len(names) for code in names}
    (work / "classic.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    root = work / "root"
    root.mkdir()
    (root / "private_config.yaml").write_text(yaml.safe_dump({
        "data_root": str(root), "broker": "sim", "clock": "simulated",
        "strategy_list": {"classic": {"overnight_launcher": {
            "function": "sysproduction.jobs.strategies.classic_launcher:run_classic_system",
            "backtest_config_filename": str(work / "classic.yaml")}}},
    }))
    SharedSimClock(root / SIM_CLOCK_FILE).set(EVENING - dt.timedelta(hours=4))
    blob = make_blob(root)
    report = import_csv_tree(blob, reference, repair=True)  # a few unsorted roll calendars
    if report.rejected:
        raise SystemExit(f"import rejected files: {report.rejected}")
    blob.strategy_capital.record(EVENING - dt.timedelta(hours=4), {"classic": 1_000_000.0})
    return root, names


def ready_for_a_run(root: Path, evening: dt.datetime) -> None:
    """The clock at `evening`, and run_daily_prices_updates completed that day (run_systems waits
    for it)."""
    from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
    from sysproduction.wiring import make_blob

    SharedSimClock(root / SIM_CLOCK_FILE).set(evening)
    make_blob(root).process_control.update("run_daily_prices_updates", lambda s: s.__class__(
        s.process_name, last_outcome="completed", end_time=evening - dt.timedelta(minutes=20)))


def timed_run(root: Path, args: list[str] | None = None) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak MB, first line of output) of one run_systems process (or
    of `args`)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_")}, "SYSPROD_DATA_ROOT": str(root)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(args or [sys.executable, "-m", "sysproduction.run_systems"], cwd=REPO, env=env,
                                 stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"run_systems failed:\n{text}\n{err.read().decode()}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    reference = reference_path()
    if not (reference / "multiple_prices_csv").is_dir():
        raise SystemExit(f"reference data not found at {reference}; set SYSPROD_REFERENCE_DATA")
    print(f"machine: {os.cpu_count()} cpus, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}; best of {args.runs}")
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        start = time.perf_counter()
        root, names = setup(work, reference)
        print(f"(setup: {len(names)} reference instruments imported in {time.perf_counter() - start:.1f} s, not timed)")
        results = []
        for run in range(args.runs):
            ready_for_a_run(root, EVENING + dt.timedelta(days=run))
            results.append(timed_run(root))
        best = min(results, key=lambda r: r[0])
        # the same backtest by `sysprod backtest run` on the reference CSV tree, for comparison
        cli = [str(Path(sys.executable).with_name("sysprod")), "backtest", "run", str(work / "classic.yaml"),
               "--csv-data", str(reference), "--out", str(work / "cli")]
        cli_best = min((timed_run(root, cli) for _ in range(args.runs)), key=lambda r: r[0])
        print(f"load average while timing: {os.getloadavg()[0]:.1f} (CPU seconds are less affected)")
        print("| case | seconds | CPU seconds | peak memory | goal | process output |")
        print("|---|---|---|---|---|---|")
        print(f"| run_systems, 1 strategy, {len(names)} instruments | {best[0]:.2f} | {best[1]:.2f} | "
              f"{max(r[2] for r in results):.0f} MB | < 3 s | {best[3]} |")
        print(f"| comparison: sysprod backtest run, same config, reference CSV tree | {cli_best[0]:.2f} | "
              f"{cli_best[1]:.2f} | {cli_best[2]:.0f} MB | | {cli_best[3]} |")


if __name__ == "__main__":
    main()
