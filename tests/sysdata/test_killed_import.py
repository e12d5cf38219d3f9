"""A SIGKILLed import leaves every stored series old or new, never torn; a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd

from sysdata.csv_io.numbers import parse_decimal_text
from sysdata.data_blob import DataBlob
from tests.sysdata.csv_tree import INSTRUMENTS, write_tree


def _import_cmd(root, tree):
    return [sys.executable, "-m", "sysproduction", "--data-root", str(root), "data", "import-csv", str(tree), "--quiet"]


def _big_tree(path, seed):
    """The small tree with many more instruments, so an import takes a while to kill."""
    tree = write_tree(path, seed=seed)
    config = tree / "csvconfig" / "instrumentconfig.csv"
    rolls = tree / "csvconfig" / "rollconfig.csv"
    lines, roll_lines = [config.read_text()], [rolls.read_text()]
    source = (tree / "multiple_prices_csv" / "AAA.csv").read_text()
    for number in range(150):
        name = f"X{number:03d}"
        lines.append(f"{name},Extra,10,USD,Equity,1,0,0,US\n")
        roll_lines.append(f"{name},HMUZ,-5,1,HMUZ,15\n")
        shifted = source if seed == 1 else source.replace(",1", ",2")
        (tree / "multiple_prices_csv" / f"{name}.csv").write_text(shifted)
    config.write_text("".join(lines))
    rolls.write_text("".join(roll_lines))
    return tree


def test_sigkill_mid_import_leaves_series_whole_and_rerun_completes(tmp_path):
    root = tmp_path / "root"
    old_tree = _big_tree(tmp_path / "old", seed=1)
    new_tree = _big_tree(tmp_path / "new", seed=2)
    assert subprocess.run(_import_cmd(root, old_tree), capture_output=True).returncode == 0
    blob = DataBlob.from_data_root(root)
    names = blob.multiple_prices.list()
    old = {name: blob.multiple_prices.get(name) for name in names}

    marker = root / "parquet" / "multiple_prices"
    start_mtimes = {p: p.stat().st_mtime_ns for p in marker.glob("*.parquet")}
    process = subprocess.Popen(_import_cmd(root, new_tree), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:  # kill once the new import has replaced some series
        changed = sum(p.stat().st_mtime_ns != m for p, m in start_mtimes.items())
        if changed >= 3:
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    new_blob = DataBlob.from_data_root(root)
    expected_new = {}
    for name in names:
        source = new_tree / "multiple_prices_csv" / f"{name}.csv"
        # read as the import reads it: pysystemtrade's pandas parser (sysdata.csv_io.numbers)
        expected_new[name] = parse_decimal_text(pd.read_csv(source, dtype=str)["PRICE"])
    states = []
    for name in names:
        stored = new_blob.multiple_prices.get(name)  # readable: never torn
        if stored["PRICE"].equals(old[name]["PRICE"]):
            states.append("old")
        else:
            assert stored["PRICE"].to_numpy().tolist() == expected_new[name].tolist(), name
            states.append("new")
    assert "new" in states
    leftovers = [p for p in root.rglob("*.tmp")]
    assert len(leftovers) <= 1  # at most the one file being written at the kill

    rerun = subprocess.run(_import_cmd(root, new_tree), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    final = DataBlob.from_data_root(root)
    for name in (*INSTRUMENTS, "X000", "X149"):
        assert final.multiple_prices.get(name)["PRICE"].to_numpy().tolist() == expected_new[name].tolist()
