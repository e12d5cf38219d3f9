"""`sysprod data restore`: a busy installation backed up while a real process writes prices and
documents, wiped, and restored equal to what the backup saw; refusals of a missing, incomplete or
unfinished backup and of a non-empty target; the older `python -m` entry points."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sysproduction.jobs.housekeeping import backups
from sysproduction.jobs.housekeeping.backups import backup_data, backup_files
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.control.helpers import env_for, make_installation, sysprod
from tests.sysproduction.jobs.housekeeping.test_backups import DAY1 as NOW
from tests.sysproduction.jobs.housekeeping.test_backups import INDEX, installation, manifest

CODES = ("US10", "CORN", "GOLD")
OFFSET = {"US10": 100.0, "CORN": 200.0, "GOLD": 300.0}

# Appends one row to each series per step (value = offset + step), and in ONE transaction stores
# the step's document and the "latest step" document; reports its progress in a file.
_WRITER = """
import os, sys
from pathlib import Path
import pandas as pd
from sysproduction.wiring import make_blob
root, progress, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
offset = {"US10": 100.0, "CORN": 200.0, "GOLD": 300.0}
data = make_blob(root)
step = 0
while not stop.exists():
    step += 1
    stamp = pd.Timestamp("2026-01-05") + pd.Timedelta(days=step)
    for code, base in offset.items():
        data.adjusted_prices.append_newer(code, pd.Series([base + step], index=[stamp]))
    data.documents.put_many("writer", {f"{step:06d}": {"step": step}, "latest": {"step": step}})
    tmp = progress.with_suffix(".tmp")
    tmp.write_text(str(step))
    os.replace(tmp, progress)
"""


def expected_series(code: str, rows: int) -> pd.Series:
    """What the writer's series holds with `rows` rows: the three first ones, then its steps."""
    first = {"US10": [1.0, 2.0, 3.0], "CORN": [4.0, 5.0, 6.0], "GOLD": [7.0, 8.0, 9.0]}[code]
    steps = range(1, rows - 2)
    index = INDEX.append(pd.DatetimeIndex([pd.Timestamp("2026-01-05") + pd.Timedelta(days=s) for s in steps]))
    return pd.Series(first + [OFFSET[code] + s for s in steps], index=index)


class Writer:
    def __init__(self, root: Path, folder: Path):
        self.progress, self.stop = folder / "progress", folder / "stop"
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(root), str(self.progress), str(self.stop)],
            cwd=REPO_ROOT, env=env_for(root))

    def step(self) -> int:
        try:
            return int(self.progress.read_text())
        except FileNotFoundError:
            return 0

    def wait_beyond(self, step: int) -> None:
        """Block until the writer has finished a step after `step` (so it wrote meanwhile)."""
        for _ in range(1200):
            if self.step() > step:
                return
            assert self.process.poll() is None, "the writer died"
            time.sleep(0.05)
        raise AssertionError("the writer made no progress in 60 s")

    def finish(self) -> None:
        self.stop.write_text("stop")
        assert self.process.wait(timeout=60) == 0


def test_a_busy_installation_backed_up_wiped_and_restored_is_what_the_backup_saw(tmp_path, monkeypatch):
    data = installation(tmp_path)
    data.adjusted_prices.write("GOLD", pd.Series([7.0, 8.0, 9.0], index=INDEX))
    static_docs = dict(data.documents.items("test"))
    history = data.spread_costs.history("US10")
    writer = Writer(data.data_root, tmp_path)
    writer.wait_beyond(0)

    # the writer provably writes while the series are copied and while the documents are dumped
    real_copy, real_dump = backups.snapshot_copy, backups.backup_sqlite

    def copy_while_writing(src: Path, dest: Path) -> list[int] | None:
        if src.suffix == ".parquet":  # each series (the other files are not the writer's)
            writer.wait_beyond(writer.step())
        return real_copy(src, dest)

    def dump_while_writing(src: Path, dest: Path) -> None:
        writer.wait_beyond(writer.step())
        real_dump(src, dest)

    monkeypatch.setattr(backups, "snapshot_copy", copy_while_writing)
    monkeypatch.setattr(backups, "backup_sqlite", dump_while_writing)
    summary = backup_data(data)
    assert summary.ok, summary.failed
    assert writer.process.poll() is None  # still writing when the backup ended
    writer.finish()
    monkeypatch.undo()

    generation = tmp_path / "bk" / "2026-11-23"
    saw = manifest(generation)["parts"]
    shutil.rmtree(data.data_root)  # the disk died
    done = sysprod(tmp_path, "data", "restore", str(tmp_path / "bk"), "--data-root", str(data.data_root))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"restored backup 2026-11-23 ({generation}) into {data.data_root}"
    assert lines[1].startswith("  timeseries  taken 2026-11-23T21:00:00 by backup_arctic_to_csv: 4 series")

    restored = make_blob(data.data_root)
    rows_seen = set()
    for code in CODES:
        entry = saw["timeseries"]["series"][f"adjusted_prices/{code}.parquet"]
        series = restored.adjusted_prices.get(code)
        # each series is one version the writer left: its first rows, exactly as the backup counted
        pd.testing.assert_series_equal(series, expected_series(code, entry["rows"]), check_names=False,
                                       check_index_type=False, check_freq=False)
        assert series.index[-1].isoformat() == entry["last"]
        csv = pd.read_csv(generation / "csv_export" / entry["csv"], index_col=0, parse_dates=True)["price"]
        assert csv.tolist() == series.tolist() and list(csv.index) == list(series.index)
        rows_seen.add(entry["rows"])
    assert max(rows_seen) > 3  # the writer's rows are in

    # the documents are one instant: every step up to the latest, and nothing after it
    writer_docs = dict(restored.documents.items("writer"))
    latest = writer_docs.pop("latest")["step"]
    assert sorted(writer_docs) == [f"{s:06d}" for s in range(1, latest + 1)]
    assert saw["documents"]["collections"]["writer"] == latest + 1
    assert dict(restored.documents.items("test")) == static_docs
    pd.testing.assert_frame_equal(restored.spread_costs.history("US10"), history)
    for name in ("backtests/classic/20261120_210000/summary.json", "reports/status_report/20261123_210000.txt",
                 "csv/roll_calendars/US10.csv", "private_config.yaml"):
        assert (data.data_root / name).read_bytes() == (generation / name).read_bytes()
    assert not (data.data_root / "csv_export").exists()
    shown = sysprod(data.data_root, "data", "show", "adjusted", "CORN", "--tail", "2")
    assert shown.returncode == 0 and shown.stdout.split()[-1] == f"{200.0 + saw_rows(saw, 'CORN') - 3:g}"


def saw_rows(saw: dict, code: str) -> int:
    return saw["timeseries"]["series"][f"adjusted_prices/{code}.parquet"]["rows"]


def test_restore_refuses_a_missing_or_incomplete_backup_and_a_non_empty_target(tmp_path):
    data = installation(tmp_path)
    assert backup_data(data).ok
    bk = tmp_path / "bk"
    generation = bk / "2026-11-23"

    def restore(*args: str) -> subprocess.CompletedProcess:
        return sysprod(tmp_path, "data", "restore", *args)

    def one_line(done: subprocess.CompletedProcess) -> str:
        assert done.returncode == 1 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        return done.stderr.strip()

    assert one_line(restore(str(tmp_path / "nope"), "--data-root", str(tmp_path / "n1"))) == (
        f"error: backup {tmp_path / 'nope'} does not exist; give a generation folder "
        "(backup_path/YYYY-MM-DD) or backup_path itself for its newest")
    assert one_line(restore(str(generation), "--data-root", str(data.data_root))).startswith(
        f"error: {data.data_root} is not empty (backtests, csv, parquet...); restore into a new, "
        "empty data root, or give --force")
    assert "is not a complete backup generation" in one_line(
        restore(str(data.data_root), "--data-root", str(tmp_path / "n2")))

    broken = tmp_path / "broken"
    shutil.copytree(generation, broken)
    (broken / "parquet/adjusted_prices/CORN.parquet").unlink()
    assert one_line(restore(str(broken), "--data-root", str(tmp_path / "n3"))) == (
        f"error: backup {broken} is incomplete: 1 of 16 file(s) missing or changed "
        "(first: parquet/adjusted_prices/CORN.parquet); restore another generation: none")
    assert not (tmp_path / "n3").exists()

    only_files = tmp_path / "other_bk"
    data = make_blob(data.data_root, data.config.with_overrides({"backup_path": str(only_files)}), data.clock)
    assert backup_files(data).ok
    assert one_line(restore(str(only_files), "--data-root", str(tmp_path / "n4"))) == (
        f"error: backup {only_files / '2026-11-23'} is incomplete: it holds no timeseries "
        "(backup_arctic_to_csv), documents (backup_mongo_data_as_dump); run run_backups to complete "
        "it, or restore another generation: 2026-11-23")


def test_force_restores_over_an_installation_and_keeps_what_it_replaced(tmp_path):
    data = installation(tmp_path)
    assert backup_data(data).ok
    data.adjusted_prices.write("US10", pd.Series([9.0, 9.0, 9.0], index=INDEX))
    data.documents.put("test", "k", {"value": 99})
    (data.data_root / "echos").mkdir()
    (data.data_root / "echos" / "run_backups.txt").write_text("echo\n")
    with sqlite3.connect(data.data_root / "sysprod.sqlite"):
        pass
    done = sysprod(tmp_path, "data", "restore", str(tmp_path / "bk"), "--data-root", str(data.data_root), "--force")
    assert done.returncode == 0, done.stderr
    aside = next(data.data_root.glob(".before-restore-*"))
    assert done.stdout.splitlines()[-1] == f"what the backup replaced was moved to {aside}"
    restored = make_blob(data.data_root)
    assert restored.adjusted_prices.get("US10").tolist() == [1.0, 2.0, 3.0]
    assert restored.documents.get("test", "k") == {"value": 1}
    assert (data.data_root / "echos" / "run_backups.txt").read_text() == "echo\n"  # not in a backup: stays
    kept = make_blob(aside)  # the replaced installation, whole, with its own -wal
    assert kept.documents.get("test", "k") == {"value": 99}
    assert kept.adjusted_prices.get("US10").tolist() == [9.0, 9.0, 9.0]


@pytest.mark.parametrize("module", ["sysproduction.jobs.housekeeping.backups", "sysproduction.control.backups"])
def test_the_older_python_m_restore_runs_the_same_restore(tmp_path, module):
    data = installation(tmp_path)
    assert backup_data(data).ok
    fresh = tmp_path / "restored"
    done = subprocess.run(
        [sys.executable, "-m", module, "restore", str(tmp_path / "bk" / "2026-11-23"), str(fresh)],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=env_for(data.data_root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"restored backup 2026-11-23 ({tmp_path / 'bk' / '2026-11-23'}) into {fresh}")
    assert make_blob(fresh).adjusted_prices.get("CORN").equals(data.adjusted_prices.get("CORN"))
    again = subprocess.run(
        [sys.executable, "-m", module, "restore", str(tmp_path / "bk" / "2026-11-23"), str(fresh)],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=env_for(data.data_root))
    assert again.returncode == 1 and f"{fresh} is not empty" in again.stderr
    assert json.loads((tmp_path / "bk" / "backup_manifest.json").read_text())["latest"] == "2026-11-23"


def test_every_entry_of_the_data_root_comes_back_but_echo_files_and_the_backups(tmp_path):
    store = tmp_path / "elsewhere"  # backtest_store_path outside the data root
    root = make_installation(tmp_path / "inst", {}, now=NOW, backtest_store_path=str(store))
    data = make_blob(root)  # backups in <data root>/backups, echo files in <data root>/echos
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.0], index=INDEX))
    (root / "echos").mkdir()
    (root / "echos" / "run_backups.txt").write_text("echo\n")
    (root / "market_csv" / "csvconfig").mkdir(parents=True)
    (root / "market_csv" / "csvconfig" / "rollconfig.csv").write_text("Instrument\n")
    version = root / ".backtest.versions" / "v00000000000000000001"
    version.mkdir(parents=True)
    (version / "summary.json").write_text("{}")
    (root / "backtest").symlink_to(Path(".backtest.versions") / version.name)
    (store / "classic" / "20261120_210000").mkdir(parents=True)
    (store / "classic" / "20261120_210000" / "summary.json").write_text('{"run": 1}')
    summary = backup_data(data)
    assert summary.ok, summary.failed
    generation = root / "backups" / "2026-11-23"
    assert manifest(generation)["parts"]["files"]["entries"] == [
        ".backtest.versions", "backtest", "backtest_store", "market_csv", "private_config.yaml", "sim_clock.json"]

    done = sysprod(tmp_path, "data", "restore", str(root / "backups"), "--data-root", str(tmp_path / "new"))
    assert done.returncode == 0, done.stderr
    new = tmp_path / "new"
    assert sorted(p.name for p in new.iterdir()) == [
        ".backtest.versions", "backtest", "backtest_store", "market_csv", "parquet", "private_config.yaml",
        "sim_clock.json", "sysprod.sqlite"]
    assert (new / "backtest").is_symlink() and json.loads((new / "backtest" / "summary.json").read_text()) == {}
    assert (new / "backtest_store/classic/20261120_210000/summary.json").read_text() == '{"run": 1}'
    assert done.stdout.splitlines()[-1] == (
        f"note: the backtest states of backtest_store_path {store} were restored to "
        f"{new / 'backtest_store'}: move them there, or set backtest_store_path to where they are now")
