"""The cleaners on prepared files: echo files cut while a real process appends to them (no line
lost, same file), old echo files, strategies' backtest runs by age (never the newest), `sysprod
backtest run` versions, log records, and the temp files of killed writers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syscore.exceptions import ConfigError
from sysdata.data_blob import DataBlob
from sysproduction.jobs.housekeeping import cleaners
from sysproduction.jobs.housekeeping.cleaners import (
    CUT_MARK,
    clean_backtest_states,
    clean_echo_files,
    clean_log_files,
    clean_stale_temp_files,
)
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.control.helpers import make_installation

NOW = dt.datetime(2026, 11, 23, 21, 0)


def blob(tmp_path: Path, **config) -> DataBlob:  # noqa: ANN003
    root = make_installation(tmp_path / "inst", {}, now=NOW, backup_path=str(tmp_path / "bk"), **config)
    return make_blob(root)


# A process printing numbered lines to stdout, which the shell appends to the echo file (`>>`,
# held open for the whole run, as scripts/_sysprod_common.sh does); 30,000 lines first, then more
# until told to stop, then the count it wrote.
_PRINTER = """
import os, sys
from pathlib import Path
ready, stop = Path(sys.argv[1]), Path(sys.argv[2])
n = 0
def line():
    global n
    os.write(1, f"line {n:07d} {'x' * (n % 37)}\\n".encode())
    n += 1
for _ in range(30000):
    line()
ready.write_text("ready")
while not stop.exists():
    line()
os.write(1, f"wrote {n}\\n".encode())
"""


def _can_cut_in_place(folder: Path) -> bool:
    probe = folder / "probe.txt"
    probe.write_text("x\n" * 100_000)
    try:
        cleaners.cut_to_last_lines(probe, 10)
        return True
    except cleaners.CannotCutInPlace:
        return False
    finally:
        probe.unlink()


def test_an_echo_file_is_cut_while_a_process_appends_to_it_losing_no_line(tmp_path):
    if not _can_cut_in_place(tmp_path):
        pytest.skip("the file system of the temp folder cannot remove a file's head in place (tmpfs?)")
    data = blob(tmp_path)
    echos = data.data_root / "echos"
    echos.mkdir()
    echo = echos / "run_stack_handler.txt"
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    writer = subprocess.Popen(
        ["sh", "-c", f'"{sys.executable}" -c "$0" "$1" "$2" >> "$3"', _PRINTER, str(ready), str(stop), str(echo)],
        cwd=REPO_ROOT)
    try:
        for _ in range(1200):
            if ready.exists():
                break
            assert writer.poll() is None
            time.sleep(0.05)
        inode = echo.stat().st_ino
        results = []
        for _ in range(3):  # cut again and again while the writer keeps appending
            size = echo.stat().st_size
            results.append(clean_echo_files(data))
            while echo.stat().st_size <= size:  # it appended since
                assert writer.poll() is None
                time.sleep(0.01)
    finally:
        stop.write_text("stop")
        assert writer.wait(timeout=60) == 0
    assert all(r.ok for r in results)
    assert results[0].updated["run_stack_handler.txt"].startswith("cut to its last 20,000 lines (")
    assert echo.stat().st_ino == inode  # the writer's file, not a copy renamed over it

    lines = echo.read_text().splitlines()
    written = int(lines.pop().split()[1])
    if not lines[0].startswith("line "):  # the bytes of cut lines short of a whole block
        assert CUT_MARK.startswith(lines.pop(0).rstrip())
    numbers = [int(line.split()[1]) for line in lines]
    assert numbers == list(range(numbers[0], written))  # every line since the cut, in order, once
    assert numbers[0] >= 10000  # at least the 10,000 oldest were cut
    for n, line in zip(numbers[:50], lines[:50], strict=True):
        assert line == f"line {n:07d} {'x' * (n % 37)}"  # lines whole, not torn


def test_short_echo_files_stay_and_old_ones_go(tmp_path):
    data = blob(tmp_path, echo_retention_days=5)
    echos = data.data_root / "echos"
    echos.mkdir()
    old, recent = echos / "run_old.txt", echos / "run_new.txt"
    old.write_text("x\n")
    recent.write_text("".join(f"{i}\n" for i in range(20000)))  # exactly 20,000 lines: kept whole
    six_days_ago = time.time() - 6 * 86400
    os.utime(old, (six_days_ago, six_days_ago))
    summary = clean_echo_files(data)
    assert summary.updated == {"echo files": f"deleted 1 echo file(s) in {echos} not written for 5 days"}
    assert summary.unchanged == ["run_new.txt"]
    assert not old.exists() and recent.read_text().splitlines()[0] == "0"


def test_where_the_file_system_cannot_cut_in_place_the_file_is_left_whole_and_said_so(tmp_path, monkeypatch):
    data = blob(tmp_path)
    echos = data.data_root / "echos"
    echos.mkdir()
    echo = echos / "run_reports.txt"
    text = "".join(f"{i}\n" for i in range(25000))
    echo.write_text(text)

    def unsupported(fd: int, length: int) -> None:
        raise cleaners.CannotCutInPlace("Operation not supported")

    monkeypatch.setattr(cleaners, "_collapse", unsupported)
    summary = clean_echo_files(data)
    assert summary.ok
    assert summary.updated["run_reports.txt"].startswith(
        "NOT cut: the file system cannot remove its head in place (Operation not supported)")
    assert echo.read_text() == text


def _run(store: Path, strategy: str, name: str) -> Path:
    run = store / strategy / name
    run.mkdir(parents=True)
    (run / "summary.json").write_text("{}")
    return run


def test_backtest_runs_older_than_the_retention_go_but_never_a_strategys_newest(tmp_path):
    store = tmp_path / "elsewhere" / "backtests"  # backtest_store_path honoured
    data = blob(tmp_path, backtest_store_path=str(store), backtest_state_retention_days=7)
    gone = [_run(store, "classic", n) for n in ("20261101_210000", "20261115_210000", "20261115_210000-2")]
    kept = [_run(store, "classic", n) for n in ("20261117_210000", "20261122_210000")]
    lonely = _run(store, "slow", "20261001_210000")  # its only run: the newest, however old
    odd = _run(store, "classic", "my_notes")  # not a run folder: not ours to remove
    dead, live = store / "classic" / ".run-20261120_210000-11", store / "classic" / ".run-20261123_205900-12"
    dead.mkdir(), live.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(dead, (two_hours_ago, two_hours_ago))
    (store / "classic" / ".removing-20261001_210000").mkdir()  # a killed cleaner's

    summary = clean_backtest_states(data)
    assert summary.ok
    assert summary.updated["classic backtests"] == (
        "removed 3 run(s) older than 7 days (20261101_210000 to 20261115_210000-2), "
        "1 dead run(s)' staging; 2 kept")
    assert "slow backtests" in summary.unchanged
    assert not any(p.exists() for p in gone) and all(p.is_dir() for p in kept)
    assert lonely.is_dir() and odd.is_dir() and live.is_dir() and not dead.exists()
    assert sorted(p.name for p in (store / "classic").iterdir()) == [
        ".run-20261123_205900-12", "20261117_210000", "20261122_210000", "my_notes"]


def test_the_retention_of_backtest_states_is_checked_at_start(tmp_path):
    root = make_installation(tmp_path / "inst", {}, now=NOW, backtest_state_retention_days=0)
    with pytest.raises(ConfigError, match="'backtest_state_retention_days' is 0; give a number at least 1"):
        make_blob(root)
    assert make_blob(make_installation(tmp_path / "other", {}, now=NOW)).config[
        "backtest_state_retention_days"] == 7


def test_clean_log_files_deletes_records_older_than_the_retention_by_the_installation_clock(tmp_path):
    data = blob(tmp_path, log_retention_days=10)
    for days_ago in (11, 9):
        data.logs.add({"level": "INFO", "levelno": 20, "message": f"{days_ago}",
                       "time": (NOW - dt.timedelta(days=days_ago)).isoformat()})
    assert clean_log_files(data).updated == {"log records": "deleted 1 log record(s) older than 10 days"}
    assert [r["message"] for r in data.logs.query()] == ["9"]


def _version(folder: Path, number: int) -> Path:
    version = folder / f"v{number:020d}"
    version.mkdir(parents=True)
    (version / "summary.json").write_text(json.dumps({"instruments": []}))
    return version


def test_backtest_results_versions_keep_the_recent_and_the_current(tmp_path):
    data = blob(tmp_path)
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
    import pandas as pd

    data = blob(tmp_path)
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.0], index=pd.bdate_range("2026-01-01", periods=3)))
    series = data.data_root / "parquet" / "adjusted_prices" / "US10.parquet"
    stale_series_tmp = series.parent / ".US10.parquet.k1ll3d.tmp"
    stale_series_tmp.write_bytes(b"half")
    csv_dir = data.data_root / "csv"
    csv_dir.mkdir(exist_ok=True)
    old_tmp, fresh_tmp = csv_dir / ".instrumentconfig.csv.a.tmp", csv_dir / ".instrumentconfig.csv.b.tmp"
    old_tmp.write_text("x"), fresh_tmp.write_text("y")
    two_hours_ago = time.time() - 7200
    os.utime(old_tmp, (two_hours_ago, two_hours_ago))

    summary = clean_stale_temp_files(data)
    assert summary.ok
    assert summary.updated["time series"] == "removed 1 temp file(s) of killed writes"
    assert summary.updated["other files"] == "removed 1 temp file(s) untouched for an hour"
    assert not stale_series_tmp.exists() and not old_tmp.exists() and fresh_tmp.exists()
    assert data.adjusted_prices.get("US10").tolist() == [1.0, 2.0, 3.0]
