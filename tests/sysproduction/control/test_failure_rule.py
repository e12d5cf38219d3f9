"""The failure rule, with real subprocesses on a real SQLite store: a method whose job raised or
whose summary lists failed items has failed; its process exits non-zero, is recorded "completed
with failures", and the process waiting for it does not start until the user accepts."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.exceptions import DataValidationError
from sysproduction.control.control_state import accept_failures
from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import job, make_installation, sysprod
from tests.sysproduction.control.jobs_for_tests import read_calls

NOW = dt.datetime(2026, 11, 25, 20, 0)  # a Wednesday evening


def _state(root, name):
    return make_blob(root).process_control.get(name)


def _installation(tmp_path, **after):
    return make_installation(tmp_path / "inst", {
        "run_prices": {"methods": {
            "partial_failure": job("partial_failure"), "spiky": job("spiky"), "job_a": job("job_a"),
        }},
        "run_after": {"previous": "run_prices", "methods": {"job_b": job("job_b")}, **after},
    }, now=NOW)


def test_failed_items_fail_the_process_and_block_the_next_until_accepted(tmp_path):
    root = _installation(tmp_path)

    prices = sysprod(root, "run", "prices")

    assert prices.returncode == 1, prices.stdout + prices.stderr  # cron sees the failure
    lines = prices.stdout.splitlines()
    assert lines[0] == "run_prices: completed with failures (all methods done; failed: partial_failure)"
    assert ("  partial_failure: ran 1, failed 1 (last error: 1 item(s) failed: US10); "
            "partial_failure: 1 updated, 0 unchanged, 0 spiked, 1 failed") in lines
    assert "    FAILED  US10: broker timed out" in lines
    # a spike held back for a manual check is shown, and is not a failure
    assert "  spiky: ran 1, ok; spiky: 1 updated, 0 unchanged, 1 spiked, 0 failed" in lines
    assert ("    SPIKE   GOLD: 2026-11-25 close 9999.0 is a spike of 12.0 "
            "(held back for a manual check)") in lines
    assert [name for name, _, _ in read_calls(root)] == ["job_a", "partial_failure", "spiky"]
    assert _state(root, "run_prices").last_outcome == "completed with failures"
    status = sysprod(root, "control", "status").stdout
    row = next(line for line in status.splitlines() if line.startswith("run_prices "))
    assert row.endswith("completed with failures")

    blocked = sysprod(root, "run", "after")
    assert blocked.returncode == 1
    assert blocked.stdout.strip() == (
        "run_after: waits for run_prices, which completed with failures today (at 2026-11-25 "
        "20:00); check them, then `sysprod control accept run_prices` lets run_after start; "
        "not started")
    assert "job_b" not in [name for name, _, _ in read_calls(root)]

    accepted = sysprod(root, "control", "accept", "prices")
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == (
        "run_prices: completed with failures, accepted (run ended 2026-11-25 20:00:00)")
    again = sysprod(root, "control", "accept", "prices")
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    assert "nothing to accept" in again.stderr

    after = sysprod(root, "run", "after")
    assert after.returncode == 0, after.stdout + after.stderr
    assert read_calls(root)[-1][0] == "job_b"


def test_a_waiting_process_gives_up_at_its_stop_time_when_the_previous_one_failed(tmp_path):
    root = _installation(tmp_path, stop="21:00")
    assert sysprod(root, "run", "prices").returncode == 1

    waited = sysprod(root, "run", "after")

    assert waited.returncode == 1
    assert waited.stdout.startswith(
        "run_after: gave up (run_after: waits for run_prices, which completed with failures today")
    assert "by stop time 21:00 reached; nothing run)" in waited.stdout
    assert _state(root, "run_after").last_outcome == "gave up"
    assert "job_b" not in [name for name, _, _ in read_calls(root)]


def test_spikes_alone_are_not_a_failure(tmp_path):
    root = make_installation(tmp_path / "inst", {
        "run_prices": {"methods": {"spiky": job("spiky")}},
        "run_after": {"previous": "run_prices", "methods": {"job_b": job("job_b")}},
    }, now=NOW)

    prices = sysprod(root, "run", "prices")

    assert prices.returncode == 0, prices.stdout + prices.stderr
    assert prices.stdout.splitlines()[0] == "run_prices: completed (all methods done)"
    assert "SPIKE   GOLD" in prices.stdout
    assert sysprod(root, "run", "after").returncode == 0
    assert read_calls(root)[-1][0] == "job_b"


def test_accept_refuses_a_process_without_failures(tmp_path):
    root = _installation(tmp_path)
    control = make_blob(root).process_control
    with pytest.raises(DataValidationError) as never:
        accept_failures(control, "run_prices", NOW)
    assert str(never.value) == (
        "run_prices: last run ended 'no run', not 'completed with failures'; there is nothing to accept")
    control.update("run_prices", lambda s: s.__class__(s.process_name, last_outcome="completed",
                                                       end_time=NOW))
    with pytest.raises(DataValidationError, match="last run ended 'completed'"):
        accept_failures(control, "run_prices", NOW)
    assert control.get("run_prices").last_outcome == "completed"
