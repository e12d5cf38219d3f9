"""Backtest benchmark: the whole `sysprod backtest run` command, CSV reading and writing included.

Run with `python benchmarks/backtest.py` (add `--runs N` for best-of-N timing, default 3). Cases:
- the six-instrument spec config on the reference data (goal < 0.5 s),
- the 41 reference instruments with equal weights (goal < 2.5 s and < 300 MB),
- 200 synthetic random-walk instruments written to a temp CSV tree here (goal < 15 s).

Each run is a child process; wall time is measured around it and peak memory is that child's
own ru_maxrss (from wait4), so Python start-up, imports, reading and writing all count.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from bench_common import REPO, reference_path

SYSPROD = str(Path(sys.executable).with_name("sysprod"))
PROVIDED = REPO / "systems" / "provided" / "futures_chapter15.yaml"
ESTIMATED = REPO / "systems" / "provided" / "futures_chapter15_estimated.yaml"
STAMP = "%Y-%m-%d %H:%M:%S"
CURRENCIES = ("USD", "USD", "EUR", "GBP", "JPY")


def timed_run(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak MB, stdout) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    out, err = child.stdout.read().decode(), child.stderr.read().decode()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(args)}\n{err}")
    return seconds, usage.ru_maxrss / 1024, out.strip()


def write_config(path: Path, instruments: list[str], base: Path = PROVIDED) -> Path:
    raw = yaml.safe_load(base.read_text())
    raw["instrument_weights"] = {code: 1.0 / len(instruments) for code in instruments}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def write_csv(path: Path, index: pd.DatetimeIndex, columns: dict[str, np.ndarray]) -> None:
    """pysystemtrade's CSV shape (DATETIME first, 'YYYY-MM-DD HH:MM:SS'), written by pyarrow."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    stamps = pa.array(index.strftime(STAMP).to_numpy(dtype=str))
    table = pa.table({"DATETIME": stamps, **{k: pa.array(v) for k, v in columns.items()}})
    with open(path, "wb") as handle:
        handle.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, handle, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))


def write_synthetic_tree(root: Path, count: int, years: int = 40, seed: int = 7) -> list[str]:
    """`count` random-walk futures with quarterly rolls, daily 23:00 closes, and their FX."""
    rng = np.random.default_rng(seed)
    for folder in ("adjusted_prices_csv", "multiple_prices_csv", "fx_prices_csv", "csvconfig"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    end = pd.Timestamp("2023-08-31 23:00")
    codes = [f"SYN{k:03d}" for k in range(count)]
    meta, spreads, rolls = [], [], []
    for k, code in enumerate(codes):
        rows = int(years * 261 * rng.uniform(0.5, 1.0))  # instruments start at different times
        index = pd.bdate_range(end=end.normalize(), periods=rows, name="DATETIME") + pd.Timedelta(hours=23)
        level = 100.0 * rng.uniform(0.5, 20)
        price = level + np.cumsum(rng.normal(0, level * 0.01, rows))
        quarter = (index.year * 4 + (index.month - 1) // 3).to_numpy()
        contract = (quarter // 4) * 10000 + (3 * (quarter % 4) + 3) * 100
        carry_contract = np.where(contract % 10000 == 1200, contract + 10000 - 900, contract + 300)
        carry = price + rng.normal(0, level * 0.002, rows) - level * 0.001
        jump = np.concatenate(([0.0], np.diff(quarter) != 0)).cumsum() * level * 0.002
        write_csv(root / "multiple_prices_csv" / f"{code}.csv", index, {
            "CARRY": carry, "CARRY_CONTRACT": carry_contract, "PRICE": price, "PRICE_CONTRACT": contract,
            "FORWARD": carry, "FORWARD_CONTRACT": carry_contract})
        write_csv(root / "adjusted_prices_csv" / f"{code}.csv", index, {"price": price + jump})
        currency = CURRENCIES[k % len(CURRENCIES)]
        meta.append(f"{code},Synthetic {k},{rng.choice([10, 50, 100, 1000])},{currency},Test,2.0,0,0,US")
        spreads.append(f"{code},{level * 0.0002:.6f}")
        rolls.append(f"{code},HMUZ,-5,1,HMUZ,15")
    for currency in sorted(set(CURRENCIES) - {"USD"}):
        index = pd.bdate_range(end="2023-09-01", periods=years * 261, name="DATETIME")
        rate = {"EUR": 1.1, "GBP": 1.3, "JPY": 0.009}[currency] * np.exp(np.cumsum(rng.normal(0, 0.005, len(index))))
        write_csv(root / "fx_prices_csv" / f"{currency}USD.csv", index.normalize(), {"PRICE": rate})
    (root / "csvconfig" / "instrumentconfig.csv").write_text(
        "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n"
        + "\n".join(meta) + "\n")
    (root / "csvconfig" / "spreadcosts.csv").write_text("Instrument,SpreadCost\n" + "\n".join(spreads) + "\n")
    (root / "csvconfig" / "rollconfig.csv").write_text(
        "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n"
        + "\n".join(rolls) + "\n")
    return codes


def bench(name: str, config: Path, data: Path, out: Path, runs: int, goal: str) -> None:
    args = [SYSPROD, "backtest", "run", str(config), "--csv-data", str(data), "--out", str(out)]
    results = [timed_run(args) for _ in range(runs)]
    best = min(results, key=lambda r: r[0])
    peak = max(r[1] for r in results)
    print(f"| {name} | {best[0]:.2f} | {peak:.0f} MB | {goal} | {best[2]} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    print(f"machine: {os.cpu_count()} cpus, {model}, Python {platform.python_version()}; best of {args.runs}")
    print("| case | seconds | peak memory | goal | command output |")
    print("|---|---|---|---|---|")
    reference = reference_path()
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        if (reference / "multiple_prices_csv").is_dir():
            bench("6 instruments, spec config", PROVIDED, reference, work / "six", args.runs, "< 0.5 s")
            bench("6 instruments, every parameter estimated (futures_chapter15_estimated)", ESTIMATED, reference,
                  work / "six_est", args.runs, "< 2 s")
            names = sorted(p.stem for p in (reference / "adjusted_prices_csv").glob("*.csv"))
            config = write_config(work / "all.yaml", names)
            bench(f"{len(names)} reference instruments, equal weights", config, reference, work / "all",
                  args.runs, "< 2.5 s, < 300 MB")
        else:
            print(f"(reference data not found at {reference}; set SYSPROD_REFERENCE_DATA)")
        start = time.perf_counter()
        codes = write_synthetic_tree(work / "synthetic", 200)
        print(f"(synthetic tree of {len(codes)} instruments written in {time.perf_counter() - start:.1f} s, not timed)")
        config = write_config(work / "synthetic.yaml", codes)
        bench("200 synthetic instruments", config, work / "synthetic", work / "syn", args.runs, "< 15 s")
        config = write_config(work / "synthetic_est.yaml", codes[:40], ESTIMATED)
        bench("40 synthetic instruments, every parameter estimated", config, work / "synthetic", work / "syn_est",
              args.runs, "< 10 s")


if __name__ == "__main__":
    main()
