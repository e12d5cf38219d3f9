"""Menus with piped input, diagnostics views, the clock command, backups and cleaners."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace

import pandas as pd

from sysdata.data_blob import DataBlob
from sysdata.repos.prices import AdjustedPrices
from sysdata.stores.timeseries import ParquetTimeSeriesStore
from sysproduction.control.process_config import process_names
from sysproduction.jobs.housekeeping.backups import backup_data
from sysproduction.jobs.housekeeping.cleaners import clean_echo_files, clean_logs
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.control.helpers import (
    clock_now,
    env_for,
    job,
    make_installation,
    sysprod,
)

NOW = dt.datetime(2026, 11, 25, 10, 0)  # Wednesday


def _tool(root, module: str, answers: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module], input=answers, env=env_for(root),
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)


def test_interactive_controls_change_status_and_view_config(tmp_path):
    root = make_installation(tmp_path / "inst", {"run_x": {"start": "09:30", "methods": {
        "job_a": job("job_a", frequency=15, max_executions=4)}}}, now=NOW)

    out = _tool(root, "sysproduction.interactive_controls", "2\nx\n3\n4\nrun_x\n1\n")

    assert out.returncode == 0, out.stderr
    assert "run_x: GO -> PAUSE" in out.stdout
    assert make_blob(root).process_control.get("run_x").status.value == "PAUSE"
    config_line = next(line for line in out.stdout.splitlines() if " job_a " in line)
    assert config_line.split()[:6] == ["run_x", "09:30", "none", "job_a", "15", "4"]
    state_line = next(line for line in out.stdout.splitlines()
                      if line.startswith("run_x ") and " job_a " not in line)
    assert state_line.split()[1] == "PAUSE"
    # input ended after "1": the menu left cleanly, exit code 0


def test_interactive_controls_clear_client_ids_and_bad_choice(tmp_path):
    root = make_installation(tmp_path / "inst", {}, now=NOW)
    out = _tool(root, "sysproduction.interactive_controls", "9\n6\n0\n")
    assert out.returncode == 0
    assert "choose a number from 0 to 7" in out.stdout
    assert "no IB client ids recorded" in out.stdout  # sysbrokers.ib.client_ids


def test_a_process_is_chosen_the_same_way_in_every_option(tmp_path):
    """Its number in the list works in options 2 (status), 4 (config) and 5 (accept) alike."""
    root = make_installation(tmp_path / "inst", {"run_x": {"start": "09:30", "methods": {
        "job_a": job("job_a", frequency=15, max_executions=4)}}}, now=NOW)
    data = make_blob(root)
    number = process_names(data.config).index("run_x") + 1
    data.process_control.update("run_x", lambda s: replace(
        s, last_outcome="completed with failures", end_time=NOW))

    out = _tool(root, "sysproduction.interactive_controls",
                f"4\n{number}\n2\n{number}\n2\n5\n{number}\n4\nx\n0\n")

    assert out.returncode == 0, out.stderr
    assert "unknown process" not in out.stdout and "error" not in out.stdout
    config_lines = [line for line in out.stdout.splitlines() if " job_a " in line]
    assert len(config_lines) == 2  # option 4 by number, then by short name: only run_x's rows
    assert all(line.split()[:4] == ["run_x", "09:30", "none", "job_a"] for line in config_lines)
    assert "run_x: GO -> STOP" in out.stdout
    assert "run_x: completed with failures, accepted (run ended 2026-11-25 10:00:00)" in out.stdout
    after = make_blob(root).process_control.get("run_x")
    assert (after.status.value, after.last_outcome) == ("STOP", "completed with failures, accepted")


def test_diagnostics_logs_history_and_stale_data(tmp_path):
    root = make_installation(tmp_path / "inst", {"run_mixed": {"methods": {
        "failing": job("failing"), "job_a": job("job_a")}}}, now=NOW)
    assert sysprod(root, "run", "mixed").returncode == 1
    data = make_blob(root)
    fresh = pd.bdate_range(end=NOW.date(), periods=5)
    stale = pd.bdate_range(end=NOW.date() - dt.timedelta(days=14), periods=5)
    data.adjusted_prices.write("US10", pd.Series(range(5), index=fresh, dtype=float))
    data.adjusted_prices.write("CORN", pd.Series(range(5), index=stale, dtype=float))

    out = _tool(root, "sysproduction.interactive_diagnostics",
                "1\n\nUS10\nINFO\n\n10\n2\nmixed\n5\n3\n3\n0\n")

    assert out.returncode == 0, out.stderr
    log_lines = [line for line in out.stdout.splitlines() if "instrument_code=US10" in line]
    assert len(log_lines) == 1 and "suspicious bar for US10" in log_lines[0]
    history = [line for line in out.stdout.splitlines() if line.startswith("run_mixed ")]
    assert len(history) == 1 and "completed" in history[0]
    corn = next(line for line in out.stdout.splitlines() if line.startswith("adjusted  CORN"))
    us10 = next(line for line in out.stdout.splitlines() if line.startswith("adjusted  US10"))
    assert corn.split()[-1] == "STALE" and us10.split()[-1] != "STALE"
    assert "WARNING: 1 stale series: adjusted CORN" in out.stdout


def test_clock_command(tmp_path):
    root = make_installation(tmp_path / "inst", {}, now=NOW)
    assert sysprod(root, "control", "clock", "show").stdout.strip() == (
        "2026-11-25 10:00:00 (simulated clock)")
    assert sysprod(root, "control", "clock", "advance", "1d").returncode == 0
    assert sysprod(root, "control", "clock", "advance", "3h").returncode == 0
    assert sysprod(root, "control", "clock", "advance", "30m").returncode == 0
    assert clock_now(root) == NOW + dt.timedelta(days=1, hours=3, minutes=30)
    assert sysprod(root, "control", "clock", "set", "2027-01-04 07:00").returncode == 0
    assert clock_now(root) == dt.datetime(2027, 1, 4, 7, 0)

    bad = sysprod(root, "control", "clock", "advance", "2 weeks")
    assert bad.returncode == 1 and bad.stderr.startswith("error: '2 weeks' is not a step")
    bad_date = sysprod(root, "control", "clock", "set", "yesterday")
    assert bad_date.returncode == 1 and "is not a date-time" in bad_date.stderr

    wall = make_installation(tmp_path / "wall", {}, now=None, clock="wall")
    refused = sysprod(wall, "control", "clock", "advance", "1d")
    assert refused.returncode == 1 and "runs on the wall clock" in refused.stderr
    assert not (wall / "sim_clock.json").exists()


def _blob(tmp_path, **config) -> DataBlob:
    root = make_installation(tmp_path / "inst", {}, now=NOW, **config)
    return make_blob(root)


def test_backup_copies_changed_files_and_a_consistent_sqlite(tmp_path):
    data = _blob(tmp_path, backup_path=str(tmp_path / "bk"))
    index = pd.bdate_range("2026-01-01", periods=3)
    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.0], index=index))
    data.adjusted_prices.write("CORN", pd.Series([4.0, 5.0, 6.0], index=index))
    data.documents.put("test", "k", {"value": 1})

    first = str(backup_data(data))
    assert "2 series: 2 copied and exported to CSV" in first
    generation = tmp_path / "bk" / NOW.date().isoformat()  # backups are dated generations
    with sqlite3.connect(generation / "sysprod.sqlite") as conn:
        body = conn.execute("SELECT body FROM documents WHERE collection='test'").fetchone()[0]
    assert body == '{"value":1}'

    data.adjusted_prices.write("US10", pd.Series([1.0, 2.0, 3.5], index=index))
    data.timeseries.delete("adjusted_prices", "CORN")
    time.sleep(0.05)  # the change detection compares size and mtime; let the clock tick
    second = str(backup_data(data))
    assert "1 series: 1 copied and exported to CSV, 0 unchanged (linked), 1 deleted" in second
    copied = sorted(p.name for p in (generation / "parquet").rglob("*.parquet"))
    assert copied == ["US10.parquet"]
    restored = AdjustedPrices(ParquetTimeSeriesStore(generation)).get("US10")
    assert restored.tolist() == [1.0, 2.0, 3.5]
    assert not list((tmp_path / "bk").rglob("*.tmp"))


def test_cleaners_delete_old_logs_and_echo_files(tmp_path):
    data = _blob(tmp_path, log_retention_days=10, echo_retention_days=5)
    for days_ago in (11, 9):
        data.logs.add({"level": "INFO", "levelno": 20, "message": f"{days_ago}",
                       "time": (NOW - dt.timedelta(days=days_ago)).isoformat()})
    echos = data.data_root / "echos"
    echos.mkdir()
    old, recent = echos / "run_old.txt", echos / "run_new.txt"
    old.write_text("x")
    recent.write_text("y")
    six_days_ago = time.time() - 6 * 86400
    os.utime(old, (six_days_ago, six_days_ago))

    assert clean_logs(data).updated == {"log records": "deleted 1 log record(s) older than 10 days"}
    assert [r["message"] for r in data.logs.query()] == ["9"]
    assert clean_echo_files(data).updated["echo files"].startswith("deleted 1 echo file(s)")
    assert not old.exists() and recent.exists()
