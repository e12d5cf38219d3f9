"""The price jobs and the roll report through the real `sysprod` command and the shell wrappers."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys

import pandas as pd
import pytest

from syscore.clock import SIM_CLOCK_FILE, FixedClock, SharedSimClock
from sysdata.repos.contracts import ContractRecord
from tests.conftest import REPO_ROOT
from tests.sysproduction.pipeline_helpers import blob_for
from tests.sysproduction.synthetic_install import START, installation, synthetic_settings


@pytest.fixture
def root(tmp_path, tree):
    blob, clock = installation(tmp_path / "root", tree, clock="simulated")
    SharedSimClock(blob.data_root / SIM_CLOCK_FILE).set(clock.now() + dt.timedelta(days=1))
    return blob.data_root


def sysprod(root, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_") and k not in ("COLUMNS", "LINES")}
    return subprocess.run(
        [sys.executable, "-m", "sysproduction", "--data-root", str(root), *args],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120,
    )


def test_jobs_run_from_the_command_line_and_print_their_summary(root):
    sampled = sysprod(root, "run", "update_sampled_contracts")
    assert sampled.returncode == 0, sampled.stderr
    assert sampled.stdout.startswith("update_sampled_contracts: 12 updated, 0 unchanged")
    prices = sysprod(root, "run", "update_historical_prices")
    assert prices.returncode == 0, prices.stderr
    assert "0 spiked, 0 failed" in prices.stdout
    multiple = sysprod(root, "run", "update_multiple_adjusted_prices")
    assert multiple.returncode == 0 and "12 updated" in multiple.stdout
    shown = sysprod(root, "data", "show", "multiple", "US10", "--tail", "1", "--csv")
    last = pd.read_csv(io.StringIO(shown.stdout), index_col=0)
    assert last.index[-1].startswith("2024-06-04")


def test_the_roll_report_as_csv_and_its_errors(root):
    result = sysprod(root, "report", "roll", "--csv")
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout), index_col=0, dtype={"priced_contract": str})
    assert len(frame) == 12 and set(frame["state"]) == {"No_Roll"}
    assert frame["days_to_roll"].is_monotonic_increasing
    row = frame.loc["US10"]
    assert row["days_to_roll"] == (pd.Timestamp(row["roll_date"]) - pd.Timestamp("2024-06-04")).days
    missing = sysprod(root, "report", "roll", "NOPE")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no multiple prices for 'NOPE'; see sysprod data list instruments"
    unknown = sysprod(root, "run", "update_everything")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: 'update_everything' is not a process, job or tool")
    assert "Traceback" not in missing.stderr + unknown.stderr


def test_a_job_wrapper_appends_to_its_echo_file(root, tmp_path):
    echo = tmp_path / "echos"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_")},
           "SYSPROD_DATA_ROOT": str(root), "ECHO_PATH": str(echo), "SYSPROD_PYTHON": sys.executable}
    done = subprocess.run([str(REPO_ROOT / "scripts" / "update_fx_prices")], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = (echo / "update_fx_prices.txt").read_text()
    assert "update_fx_prices: 3 updated, 0 unchanged, 0 spiked, 0 failed" in text
    assert text.rstrip().endswith("=== update_fx_prices ended with exit code 0 ===")


def test_an_empty_installation_says_what_to_do_first(tmp_path):
    empty = tmp_path / "empty"
    assert sysprod(empty, "init", "--broker", "sim").returncode == 0
    for args in (("run", "update_historical_prices"), ("report", "roll")):
        result = sysprod(empty, *args)
        assert result.returncode == 0, result.stderr
        assert "no instruments with multiple prices in this data root; import some first" in result.stdout


def test_a_contract_the_broker_has_no_data_for_is_one_log_line_without_a_traceback(root):
    blob = blob_for(root, FixedClock(START), **synthetic_settings(clock="simulated"))
    blob.contracts.put(ContractRecord("AUD", "20240600", sampling=True))  # not traded by the market
    blob.contracts.put(ContractRecord("US10", "20240700", sampling=True))  # US10 lists HMUZ only
    result = sysprod(root, "run", "update_historical_prices")
    assert result.returncode == 1  # failed items: cron must notice
    output = result.stdout + result.stderr
    assert "Traceback" not in output  # 31 tracebacks on a live root, one per such instrument
    logged = [line for line in output.splitlines() if " ERROR " in line]
    assert len(logged) == 2, output
    assert "AUD: prices not updated: instrument AUD is not traded by the simulated market" in logged[0]
    assert "US10: prices not updated: US10 has no contract 20240700: it lists months HMUZ only" in logged[1]
    assert "  FAILED  AUD: instrument AUD is not traded by the simulated market" in result.stdout


def test_tables_are_full_width_when_the_output_is_not_a_terminal(root):
    """cron's echo files, pipes and email get every column and value, not a table cut at 80."""
    from sysproduction.cli.report import TABLE_COLUMNS

    report = sysprod(root, "report", "roll")
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    assert lines[0].startswith("Roll report (2024-06-04)")
    assert lines[1].split()[:3] == ["instrument", "state", "priced"]
    assert all(heading in lines[1] for heading in TABLE_COLUMNS.values())
    assert len(lines) == 2 + 12 and "…" not in report.stdout
    as_csv = pd.read_csv(io.StringIO(sysprod(root, "report", "roll", "--csv").stdout), index_col=0)
    us10 = next(line for line in lines if line.split()[0] == "US10")
    assert as_csv.loc["US10", "roll_date"] in us10.split()
    shown = sysprod(root, "data", "show", "multiple", "US10", "--tail", "2")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[1].split() == ["DATETIME", "CARRY", "CARRY_CONTRACT", "PRICE", "PRICE_CONTRACT",
                                "FORWARD", "FORWARD_CONTRACT"]
    last = pd.read_csv(io.StringIO(sysprod(root, "data", "show", "multiple", "US10", "--tail", "2", "--csv").stdout))
    assert len(lines) == 4 and "…" not in shown.stdout
    for line, row in zip(lines[2:], last.itertuples(index=False), strict=True):
        assert line.split()[:2] == row.DATETIME.split()
        assert f"{row.PRICE:.10g}" in line.split() and str(row.PRICE_CONTRACT) in line.split()
