"""Backup generations (dated, hard-linked, retained, never lost to a failed night), restoring a
generation into a fresh data root, and the cleaners (backtest versions, killed writers' files)."""

from __future__ import annotations

import datetime as dt
import json
import os
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
from sysproduction.jobs.housekeeping.cleaners import clean_backtest_states, clean_stale_temp_files
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.control.helpers import env_for, make_installation, set_clock, sysprod

DAY1 = dt.datetime(2026, 11, 23, 21, 0)
INDEX = pd.bdate_range("2026-01-01", periods=3)


def _installation(tmp_path: Path, **config) -> DataBlob:  # noqa: ANN003
    root = make_installation(tmp_path / "inst", {}, now=DAY1, backup_path=str(tmp_path / "bk"), **config)
    data = make_blob(root)
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.0], index=INDEX))
    data.adjusted_prices.write("CORN", pd.Series([4.0, 5.0, 6.0], index=INDEX))
    data.fx_prices.write("GBPUSD", pd.Series([1.2, 1.3, 1.25], index=INDEX))
    data.documents.put("test", "k", {"value": 1})
    return data


def _next_day(data: DataBlob, days: int = 1) -> DataBlob:
    set_clock(data.data_root, DAY1 + dt.timedelta(days=days))
    return make_blob(data.data_root)


def _generations(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "bk").iterdir() if not p.name.startswith("."))


def test_each_day_is_a_generation_sharing_unchanged_files_and_keeping_deleted_ones(tmp_path):
    data = _installation(tmp_path)
    first = backup_data(data)
    assert first.ok and set(first.updated) == {"files", "csv_export"}
    data = _next_day(data)
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.5], index=INDEX))
    data.timeseries.delete("adjusted_prices", "CORN")
    second = backup_data(data)
    assert "1 file(s) copied, 1 unchanged, 1 deleted" in second.updated["files"]

    bk = tmp_path / "bk"
    assert _generations(tmp_path) == ["2026-11-23", "2026-11-24", "backup_manifest.json"]
    old, new = bk / "2026-11-23", bk / "2026-11-24"
    fx = Path("parquet/fx_prices/GBPUSD.parquet")
    assert (old / fx).stat().st_ino == (new / fx).stat().st_ino  # unchanged: one copy on disk
    us10 = Path("parquet/adjusted_prices/US10.parquet")
    assert (old / us10).stat().st_ino != (new / us10).stat().st_ino
    assert (old / "parquet/adjusted_prices/CORN.parquet").is_file()  # the older night keeps it
    assert not (new / "parquet/adjusted_prices/CORN.parquet").exists()
    assert "CORN.csv" in os.listdir(old / "csv_export/adjusted_prices_csv")
    assert os.listdir(new / "csv_export/adjusted_prices_csv") == ["US10.csv"]
    index = json.loads((bk / "backup_manifest.json").read_text())
    assert index == {"latest": "2026-11-24", "generations": ["2026-11-23", "2026-11-24"]}


def test_only_the_configured_number_of_generations_is_kept(tmp_path):
    data = _installation(tmp_path, backup_generations=3)
    for day in range(5):
        data = _next_day(data, day)
        data.fx_prices.write("GBPUSD", pd.Series([1.0 + day] * 3, index=INDEX))
        summary = backup_files(data)
        assert summary.ok
    assert _generations(tmp_path) == ["2026-11-25", "2026-11-26", "2026-11-27", "backup_manifest.json"]
    assert "removed 2026-11-24" in summary.note and "3 generation(s) kept" in summary.note


def test_a_failed_night_publishes_nothing_and_prunes_no_good_generation(tmp_path, monkeypatch):
    data = _installation(tmp_path, backup_generations=2)
    assert backup_data(data).ok
    data = _next_day(data)
    assert backup_data(data).ok
    good = (tmp_path / "bk" / "2026-11-24" / "parquet/adjusted_prices/US10.parquet").read_bytes()

    def disk_full(src: Path, dest: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backups, "backup_sqlite", disk_full)
    data.adjusted_prices.write("US10", pd.Series([9.0, 9.0, 9.0], index=INDEX))
    again = backup_files(data)  # the same day again: today's good generation must survive
    assert not again.ok and "No space left on device" in again.failed["files"]
    assert "NOT written" in again.note
    data = _next_day(data, 2)
    later = backup_data(data)  # and a new day: nothing published, nothing pruned
    assert not later.ok and "files" in later.failed
    assert _generations(tmp_path) == ["2026-11-23", "2026-11-24", "backup_manifest.json"]
    assert (tmp_path / "bk" / "2026-11-24" / "parquet/adjusted_prices/US10.parquet").read_bytes() == good
    assert not [p for p in (tmp_path / "bk").iterdir() if p.name.startswith(".")]


def test_the_three_jobs_fill_one_generation_and_a_dump_alone_keeps_it_whole(tmp_path):
    data = _installation(tmp_path)
    assert backup_files(data).ok and backup_arctic_to_csv(data).ok
    data.documents.put("test", "k", {"value": 2})
    data = _next_day(data)
    dump = backup_mongo_data_as_dump(data)
    assert dump.ok and dump.updated["sqlite_dump"].startswith("sqlite copied")
    today = tmp_path / "bk" / "2026-11-24"
    assert sorted(p.name for p in today.iterdir()) == [
        "backup_manifest.json", "csv_export", "parquet", "private_config.yaml", "sim_clock.json",
        "sysprod.sqlite"]  # carried over from the day before, so the generation is a whole root
    manifest = json.loads((today / "backup_manifest.json").read_text())
    assert manifest["parts"]["files"]["time"] == DAY1.isoformat()
    assert manifest["parts"]["sqlite_dump"]["time"] == (DAY1 + dt.timedelta(days=1)).isoformat()


def test_a_killed_backup_leaves_no_half_generation_behind(tmp_path):
    data = _installation(tmp_path)
    assert backup_data(data).ok
    bk = tmp_path / "bk"
    # killed mid-write: a partial generation; killed mid-publish: today's one renamed away
    (bk / ".partial-2026-11-24-x1").mkdir()
    (bk / ".partial-2026-11-24-x1" / "half.parquet").write_bytes(b"PAR1")
    os.replace(bk / "2026-11-23", bk / ".retired-2026-11-23.17")
    summary = clean_stale_temp_files(data)
    assert summary.updated["backups"] == "removed 1 partial generation(s) of killed backups"
    assert _generations(tmp_path) == ["2026-11-23", "backup_manifest.json"]
    assert not [p for p in bk.iterdir() if p.name.startswith(".")]


def _show(root: Path, *what: str) -> str:
    done = sysprod(root, "data", "show", *what, "--tail", "10")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_generation_restored_into_a_fresh_data_root_reads_the_same_data(tmp_path):
    data = _installation(tmp_path)
    assert backup_data(data).ok
    generation = tmp_path / "bk" / "2026-11-23"
    fresh = tmp_path / "restored"
    done = subprocess.run(
        [sys.executable, "-m", "sysproduction.control.backups", "restore", str(generation), str(fresh)],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=env_for(data.data_root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("restored parquet, private_config.yaml, sim_clock.json, sysprod.sqlite")
    for what in (("adjusted", "US10"), ("fx", "GBPUSD")):
        assert _show(fresh, *what) == _show(data.data_root, *what)
    restored = make_blob(fresh)
    assert restored.adjusted_prices.get("CORN").equals(data.adjusted_prices.get("CORN"))
    assert restored.documents.get("test", "k") == {"value": 1}


def test_restore_refuses_a_data_root_in_use_and_a_folder_that_is_no_generation(tmp_path, capsys):
    data = _installation(tmp_path)
    assert backup_data(data).ok
    assert backups.main(["restore", str(tmp_path / "bk" / "2026-11-23"), str(data.data_root)]) == 1
    assert capsys.readouterr().err.strip().endswith("restore into a new, empty data root")
    assert backups.main(["restore", str(data.data_root), str(tmp_path / "new")]) == 1
    assert "is not a backup generation" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def _version(folder: Path, number: int, age_seconds: float = 0) -> Path:
    version = folder / f"v{number:020d}"
    version.mkdir(parents=True)
    (version / "summary.json").write_text(json.dumps({"instruments": []}))
    return version


def test_clean_backtest_states_keeps_recent_versions_and_live_runs(tmp_path):
    data = _installation(tmp_path)
    folder = data.data_root / ".backtest.versions"
    versions = [_version(folder, n) for n in range(1, 6)]
    os.symlink(Path(".backtest.versions") / versions[0].name, data.data_root / "backtest")  # current
    dead, live = folder / ".staging-dead", folder / ".staging-live"
    dead.mkdir(), live.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(dead, (two_hours_ago, two_hours_ago))

    summary = clean_backtest_states(data)
    assert summary.ok and summary.updated["backtest"] == "removed 1 old version(s), 1 dead run(s)' staging"
    left = sorted(p.name for p in folder.iterdir())  # the newest 3 and the current one stay
    assert left == [".staging-live", versions[0].name, *(v.name for v in versions[2:])]
    assert json.loads((data.data_root / "backtest" / "summary.json").read_text()) == {"instruments": []}
    assert clean_backtest_states(data).unchanged[0] == "backtest"


def test_clean_stale_temp_files_spares_live_writers(tmp_path):
    data = _installation(tmp_path)
    series = data.data_root / "parquet" / "adjusted_prices" / "US10.parquet"
    stale_series_tmp = series.parent / ".US10.parquet.k1ll3d.tmp"
    stale_series_tmp.write_bytes(b"half")
    csv_dir = data.data_root / "csv"
    csv_dir.mkdir(exist_ok=True)
    old_tmp, fresh_tmp = csv_dir / ".instrumentconfig.csv.a.tmp", csv_dir / ".instrumentconfig.csv.b.tmp"
    old_tmp.write_text("x"), fresh_tmp.write_text("y")
    two_hours_ago = time.time() - 7200
    os.utime(old_tmp, (two_hours_ago, two_hours_ago))

    summary = clean_backtest_states(data)  # run_cleaners' job; clean_stale_temp_files alone too
    assert summary.ok
    assert summary.updated["time series"] == "removed 1 temp file(s) of killed writes"
    assert summary.updated["other files"] == "removed 1 temp file(s) untouched for an hour"
    assert not stale_series_tmp.exists() and not old_tmp.exists() and fresh_tmp.exists()
    assert data.adjusted_prices.get("US10").tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("inside", ["csv", "parquet"])
@pytest.mark.parametrize("job", [backup_files, backup_data])
def test_a_backup_path_inside_the_data_is_refused(tmp_path, job, inside):
    from syscore.exceptions import ConfigError

    data = _installation(tmp_path)
    data = make_blob(data.data_root, data.config.with_overrides(
        {"backup_path": str(data.data_root / inside / "bk")}), data.clock)
    with pytest.raises(ConfigError, match="inside the data it would back up"):
        job(data)


def test_a_retention_below_one_generation_is_refused_at_start(tmp_path):
    from syscore.exceptions import ConfigError

    root = make_installation(tmp_path / "inst", {}, now=DAY1, backup_generations=0)
    with pytest.raises(ConfigError, match="'backup_generations' is 0; give a number at least 1"):
        make_blob(root)
