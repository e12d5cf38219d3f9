"""Backup generations: the three parts (pysystemtrade's job names), incremental copies and CSV
exports, retention, a failed or killed backup publishing nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sysdata.data_blob import DataBlob
from sysproduction.jobs.housekeeping import backups
from sysproduction.jobs.housekeeping.backups import (
    backup_arctic_to_csv,
    backup_data,
    backup_files,
    backup_mongo_data_as_dump,
)
from sysproduction.jobs.housekeeping.cleaners import clean_stale_temp_files
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.control.helpers import env_for, make_installation, set_clock, sysprod

DAY1 = dt.datetime(2026, 11, 23, 21, 0)
INDEX = pd.bdate_range("2026-01-01", periods=3)


def installation(tmp_path: Path, **config) -> DataBlob:  # noqa: ANN003
    root = make_installation(tmp_path / "inst", {}, now=DAY1, backup_path=str(tmp_path / "bk"), **config)
    data = make_blob(root)
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.0], index=INDEX))
    data.adjusted_prices.write("CORN", pd.Series([4.0, 5.0, 6.0], index=INDEX))
    data.fx_prices.write("GBPUSD", pd.Series([1.2, 1.3, 1.25], index=INDEX))
    data.documents.put("test", "k", {"value": 1})
    data.spread_costs.set("US10", 0.005, who="test")
    (data.data_root / "csv" / "config").mkdir(parents=True)
    (data.data_root / "csv" / "config" / "instrumentconfig.csv").write_text(
        "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n"
        "CORN,Corn,50,USD,Ags,2.5,0,0,US\nUS10,US 10 year,1000,USD,Bond,1.5,0,0,US\n")
    calendars = data.data_root / "csv" / "roll_calendars"
    calendars.mkdir(parents=True)
    (calendars / "US10.csv").write_text(
        "DATE_TIME,current_contract,next_contract,carry_contract\n2026-02-20 23:00:00,20260300,20260600,20260600\n")
    run = data.data_root / "backtests" / "classic" / "20261120_210000"
    run.mkdir(parents=True)
    (run / "summary.json").write_text("{}")
    (data.data_root / "reports" / "status_report").mkdir(parents=True)
    (data.data_root / "reports" / "status_report" / "20261123_210000.txt").write_text("all well\n")
    return data


def next_day(data: DataBlob, days: int = 1) -> DataBlob:
    set_clock(data.data_root, DAY1 + dt.timedelta(days=days))
    return make_blob(data.data_root)


def listing(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "bk").iterdir() if not p.name.startswith("."))


def manifest(generation: Path) -> dict:
    return json.loads((generation / "backup_manifest.json").read_text())


def test_a_generation_holds_every_part_in_the_layout_restore_and_a_person_read(tmp_path):
    data = installation(tmp_path)
    summary = backup_data(data)
    assert summary.ok, summary.failed
    generation = tmp_path / "bk" / "2026-11-23"
    files = set(manifest(generation)["files"])
    assert files == {
        "parquet/adjusted_prices/US10.parquet", "parquet/adjusted_prices/CORN.parquet",
        "parquet/fx_prices/GBPUSD.parquet", "sysprod.sqlite",
        "csv_export/adjusted_prices_csv/US10.csv", "csv_export/adjusted_prices_csv/CORN.csv",
        "csv_export/fx_prices_csv/GBPUSD.csv", "csv_export/csvconfig/spreadcosts.csv",
        "csv_export/roll_calendars_csv/US10.csv", "csv_export/csvconfig/instrumentconfig.csv",
        "csv/roll_calendars/US10.csv", "csv/config/instrumentconfig.csv", "backtests/classic/20261120_210000/summary.json",
        "reports/status_report/20261123_210000.txt", "private_config.yaml", "sim_clock.json"}
    assert (generation / "csv_export/adjusted_prices_csv/US10.csv").read_text() == (
        "DATETIME,price\n2026-01-01 00:00:00,1.0\n2026-01-02 00:00:00,2.0\n2026-01-05 00:00:00,3.0\n")
    assert (generation / "csv_export/csvconfig/spreadcosts.csv").read_text() == "Instrument,SpreadCost\nUS10,0.005\n"
    parts = manifest(generation)["parts"]
    assert parts["timeseries"]["series"]["adjusted_prices/US10.parquet"]["rows"] == 3
    assert parts["documents"]["collections"] == {"spread_costs": 1, "test": 1}
    # the dump is one self-contained file (no -wal beside it) holding the documents
    assert not list(generation.glob("sysprod.sqlite-*"))
    with sqlite3.connect(generation / "sysprod.sqlite") as conn:
        assert conn.execute("SELECT body FROM documents WHERE collection='test'").fetchone() == ('{"value":1}',)
    # the CSV export is re-importable as it is
    fresh = tmp_path / "reimported"
    done = sysprod(fresh, "data", "import-csv", str(generation / "csv_export"), "--quiet", "--broker", "sim")
    assert done.returncode == 0, done.stderr
    again = make_blob(fresh)
    assert again.adjusted_prices.get("US10").equals(data.adjusted_prices.get("US10"))
    assert again.spread_costs.get("US10") == 0.005


def test_only_series_changed_since_the_last_backup_are_copied_and_exported(tmp_path):
    data = installation(tmp_path)
    assert backup_arctic_to_csv(data).ok
    data = next_day(data)
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.5], index=INDEX))
    data.timeseries.delete("adjusted_prices", "CORN")
    data.fx_prices.write("EURUSD", pd.Series([1.1, 1.1, 1.1], index=INDEX))
    second = backup_arctic_to_csv(data)
    assert second.updated["timeseries"].startswith(
        "3 series: 2 copied and exported to CSV, 1 unchanged (linked), 1 deleted")

    old, new = tmp_path / "bk" / "2026-11-23", tmp_path / "bk" / "2026-11-24"
    for unchanged in ("parquet/fx_prices/GBPUSD.parquet", "csv_export/fx_prices_csv/GBPUSD.csv"):
        assert (old / unchanged).stat().st_ino == (new / unchanged).stat().st_ino  # one copy on disk
    us10 = "csv_export/adjusted_prices_csv/US10.csv"
    assert (old / us10).read_text().endswith(",3.0\n") and (new / us10).read_text().endswith(",3.5\n")
    assert (old / "parquet/adjusted_prices/CORN.parquet").is_file()  # the older night keeps it
    assert not (new / "parquet/adjusted_prices/CORN.parquet").exists()
    assert sorted(os.listdir(new / "csv_export/fx_prices_csv")) == ["EURUSD.csv", "GBPUSD.csv"]
    index = json.loads((tmp_path / "bk" / "backup_manifest.json").read_text())
    assert index == {"latest": "2026-11-24", "generations": ["2026-11-23", "2026-11-24"]}


def test_a_series_rewritten_with_the_same_size_is_still_seen_as_changed(tmp_path):
    data = installation(tmp_path)
    assert backup_arctic_to_csv(data).ok
    before = (data.data_root / "parquet/adjusted_prices/US10.parquet").stat()
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 9.0], index=INDEX))  # same size file
    after = (data.data_root / "parquet/adjusted_prices/US10.parquet").stat()
    assert after.st_size == before.st_size
    os.utime(data.data_root / "parquet/adjusted_prices/US10.parquet", ns=(before.st_atime_ns, before.st_mtime_ns))
    summary = backup_arctic_to_csv(data)  # same day: rewrites today's generation
    assert "1 copied and exported" in summary.updated["timeseries"]  # a new file: a new inode
    assert (tmp_path / "bk/2026-11-23/csv_export/adjusted_prices_csv/US10.csv").read_text().endswith(",9.0\n")


def test_the_three_jobs_fill_one_generation_and_each_alone_keeps_it_whole(tmp_path):
    data = installation(tmp_path)
    assert backup_files(data).ok and backup_arctic_to_csv(data).ok and backup_mongo_data_as_dump(data).ok
    data.documents.put("test", "k", {"value": 2})
    data = next_day(data)
    dump = backup_mongo_data_as_dump(data)
    assert dump.ok and dump.updated["documents"].startswith("SQLite copied")
    today = tmp_path / "bk" / "2026-11-24"
    assert sorted(p.name for p in today.iterdir()) == [
        "backtests", "backup_manifest.json", "csv", "csv_export", "parquet", "private_config.yaml",
        "reports", "sim_clock.json", "sysprod.sqlite"]  # carried over: a whole data root
    parts = manifest(today)["parts"]
    assert parts["files"]["time"] == DAY1.isoformat() and parts["files"]["job"] == "backup_files"
    assert parts["documents"]["time"] == (DAY1 + dt.timedelta(days=1)).isoformat()
    old = tmp_path / "bk" / "2026-11-23"
    assert (old / "csv_export/fx_prices_csv/GBPUSD.csv").stat().st_ino == \
        (today / "csv_export/fx_prices_csv/GBPUSD.csv").stat().st_ino


def test_only_the_configured_number_of_generations_is_kept(tmp_path):
    data = installation(tmp_path, backup_generations=3)
    for day in range(5):
        data = next_day(data, day)
        data.fx_prices.write("GBPUSD", pd.Series([1.0 + day] * 3, index=INDEX))
        summary = backup_files(data)
        assert summary.ok
    assert listing(tmp_path) == ["2026-11-25", "2026-11-26", "2026-11-27", "backup_manifest.json"]
    assert "removed 2026-11-24" in summary.note and "3 generation(s) kept" in summary.note


def test_a_failed_night_publishes_nothing_and_prunes_no_good_generation(tmp_path, monkeypatch):
    data = installation(tmp_path, backup_generations=2)
    assert backup_data(data).ok
    data = next_day(data)
    assert backup_data(data).ok
    good = (tmp_path / "bk" / "2026-11-24" / "sysprod.sqlite").read_bytes()

    def disk_full(src: Path, dest: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backups, "backup_sqlite", disk_full)
    data.documents.put("test", "k", {"value": 9})
    again = backup_mongo_data_as_dump(data)  # the same day again: today's good generation must survive
    assert not again.ok and "No space left on device" in again.failed["documents"]
    assert "NOT written" in again.note
    data = next_day(data, 2)
    later = backup_data(data)  # and a new day: nothing published, nothing pruned
    assert not later.ok and "documents" in later.failed
    assert listing(tmp_path) == ["2026-11-23", "2026-11-24", "backup_manifest.json"]
    assert (tmp_path / "bk" / "2026-11-24" / "sysprod.sqlite").read_bytes() == good
    assert not [p for p in (tmp_path / "bk").iterdir() if p.name.startswith(".") and p.name != ".backup.lock"]


_KILLED_MIDWAY = """
import sys, time
from pathlib import Path
from sysproduction.jobs.housekeeping import backups
from sysproduction.wiring import make_blob

real = backups.snapshot_copy
def slow(src, dest):
    got = real(src, dest)
    Path(sys.argv[2]).write_text("copying")
    time.sleep(600)  # killed here, half-way through the series
    return got
backups.snapshot_copy = slow
backups.backup_arctic_to_csv(make_blob(Path(sys.argv[1])))
"""


def test_a_killed_backup_leaves_nothing_restore_would_take(tmp_path):
    data = installation(tmp_path)
    assert backup_data(data).ok
    data = next_day(data)
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 7.0], index=INDEX))
    flag = tmp_path / "copying"
    child = subprocess.Popen([sys.executable, "-c", _KILLED_MIDWAY, str(data.data_root), str(flag)],
                             cwd=REPO_ROOT, env=env_for(data.data_root))
    try:
        for _ in range(600):
            if flag.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert flag.exists(), "the backup never started copying"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    bk = tmp_path / "bk"
    partial = [p for p in bk.iterdir() if p.name.startswith(".partial-")]
    assert len(partial) == 1 and listing(tmp_path) == ["2026-11-23", "backup_manifest.json"]

    refused = sysprod(tmp_path, "data", "restore", str(partial[0]), "--data-root", str(tmp_path / "r1"))
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: {partial[0]} is a backup that did not finish (killed or failed while it was written); "
        "restore a complete generation: 2026-11-23"]
    taken = sysprod(tmp_path, "data", "restore", str(bk), "--data-root", str(tmp_path / "r2"))
    assert taken.returncode == 0, taken.stderr
    assert "restored backup 2026-11-23" in taken.stdout  # the last complete one
    assert make_blob(tmp_path / "r2").adjusted_prices.get("US10").tolist() == [1.0, 2.0, 3.0]

    summary = clean_stale_temp_files(data)  # the cleaner (or the next backup) removes the partial
    assert summary.updated["backups"] == "removed 1 partial generation(s) of killed backups"
    assert not [p for p in bk.iterdir() if p.name.startswith(".partial-")]


@pytest.mark.parametrize("inside", ["csv", "parquet", "reports"])
def test_a_backup_path_inside_the_data_is_refused(tmp_path, inside):
    from syscore.exceptions import ConfigError

    data = installation(tmp_path)
    data = make_blob(data.data_root, data.config.with_overrides(
        {"backup_path": str(data.data_root / inside / "bk")}), data.clock)
    with pytest.raises(ConfigError, match="inside the data it would back up"):
        backup_files(data)


def test_a_retention_below_one_generation_is_refused_at_start(tmp_path):
    from syscore.exceptions import ConfigError

    root = make_installation(tmp_path / "inst", {}, now=DAY1, backup_generations=0)
    with pytest.raises(ConfigError, match="'backup_generations' is 0; give a number at least 1"):
        make_blob(root)


class MemoryStore:
    """A time-series store that is not files (as ArcticDB is): the backup must read it through
    the store, not find Parquet files."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], pd.DataFrame] = {}

    def kinds(self) -> list[str]:
        return sorted({kind for kind, _ in self.series})

    def keys(self, kind: str) -> list[str]:
        return sorted(key for k, key in self.series if k == kind)

    def exists(self, kind: str, key: str) -> bool:
        return (kind, key) in self.series

    def read(self, kind: str, key: str) -> pd.DataFrame:
        return self.series[(kind, key)].copy()

    def write(self, kind: str, key: str, frame: pd.DataFrame) -> None:
        self.series[(kind, key)] = frame.copy()


def test_a_store_that_is_not_files_is_backed_up_through_the_store(tmp_path):
    from sysproduction.jobs.housekeeping.restore import restore_backup

    root = make_installation(tmp_path / "inst", {}, now=DAY1, backup_path=str(tmp_path / "bk"))
    data = make_blob(root)
    data.__dict__["timeseries"] = MemoryStore()
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.0], index=INDEX))
    data.fx_prices.write("GBPUSD", pd.Series([1.2, 1.3, 1.25], index=INDEX))
    assert not (root / "parquet").exists()
    summary = backup_data(data)
    assert summary.ok, summary.failed
    assert summary.updated["timeseries"].startswith(
        "2 series read from the parquet store, copied and exported to CSV (every series: not incremental")
    generation = tmp_path / "bk" / "2026-11-23"
    assert (generation / "csv_export/fx_prices_csv/GBPUSD.csv").read_text().endswith(",1.25\n")
    restore_backup(tmp_path / "bk", tmp_path / "new")
    assert make_blob(tmp_path / "new").adjusted_prices.get("US10").tolist() == [1.0, 2.0, 3.0]
