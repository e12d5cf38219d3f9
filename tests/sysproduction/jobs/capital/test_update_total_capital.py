"""update_total_capital on the simulated broker: initialisation, valuations, a large change held
back, and the real process run in a subprocess."""

from __future__ import annotations

import datetime as dt
import logging

from sysobjects.capital import CapitalValues
from sysproduction.jobs.capital.update_total_capital import update_total_capital
from tests.sysproduction.control.helpers import make_installation, sysprod
from tests.sysproduction.jobs.capital.conftest import START

DAY = dt.timedelta(days=1)


def rows(blob) -> list[tuple[float, float, float, float]]:
    return [tuple(row) for row in blob.total_capital.history().itertuples(index=False)]


def test_first_run_initialises_from_the_broker_and_later_runs_add_profit(sim_blob):
    blob, clock = sim_blob
    first = update_total_capital(blob)
    assert first.ok and first.updated == {"total capital": "initialised from broker account value 1,000,000.00 USD"}
    assert blob.total_capital.latest_values() == CapitalValues(1e6, 1e6, 1e6, 0.0)

    # the account gains 40,000 (4%, within max_capital_change 10%): all of it is P&L under full
    clock.advance(DAY)
    blob.broker.deposit(40_000.0)  # unrecorded, so it counts as profit
    second = update_total_capital(blob)
    assert second.ok and "profit +40,000.00" in second.updated["total capital"]
    # then loses 60,000: capital 1,040,000 - 60,000 = 980,000; P&L 40,000 - 60,000 = -20,000
    clock.advance(DAY)
    blob.broker.deposit(-60_000.0)
    assert update_total_capital(blob).ok
    assert rows(blob) == [
        (1_000_000, 1_000_000, 1_000_000, 0),
        (1_040_000, 1_040_000, 1_040_000, 40_000),
        (980_000, 980_000, 980_000, -20_000),
    ]
    assert blob.total_capital.history().index[-1] == START + 2 * DAY  # the installation's clock
    assert blob.total_capital.entries()["source"].tolist() == ["initialised", "broker", "broker"]


def test_half_keeps_capital_at_the_high_water_mark(sim_blob):
    blob, clock = sim_blob
    blob.config = blob.config.with_overrides({"production_capital_method": "half"})
    update_total_capital(blob)
    for amount in (50_000.0, -80_000.0, 60_000.0):  # +5%, -7.6%, +6.3%
        clock.advance(DAY)
        blob.broker.deposit(amount)
        assert update_total_capital(blob).ok
    # capital: min(1.05m, 1m) = 1m; 1m - 80k = 920k; min(920k + 60k, 1m) = 980k; max stays 1m
    assert rows(blob) == [
        (1_000_000, 1_000_000, 1_000_000, 0),
        (1_050_000, 1_000_000, 1_000_000, 50_000),
        (970_000, 920_000, 1_000_000, -30_000),
        (1_030_000, 980_000, 1_000_000, 30_000),
    ]


def test_a_large_change_is_held_back_with_a_critical_log_and_kept_pending(sim_blob, caplog):
    blob, clock = sim_blob
    update_total_capital(blob)
    clock.advance(DAY)
    blob.broker.deposit(-150_000.0)  # -15%, more than max_capital_change 10%
    with caplog.at_level(logging.CRITICAL):
        summary = update_total_capital(blob)
    assert not summary.failed and not summary.updated  # held back, not a failure
    assert summary.spiked["total capital"] == (
        "broker account value 850,000.00 is -15.0% from 1,000,000.00 (max_capital_change 0.1): "
        "not applied; confirm it with update_capital_manual")
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(critical) == 1 and "update_capital_manual" in critical[0].getMessage()
    assert rows(blob) == [(1_000_000, 1_000_000, 1_000_000, 0)]  # nothing applied
    pending = blob.total_capital.pending()
    assert (pending.time, pending.broker_account_value, pending.change) == (START + DAY, 850_000.0, -0.15)

    # next run, still large: held back again, the pending change is the newer one
    clock.advance(DAY)
    blob.broker.deposit(-10_000.0)
    assert "-16.0%" in update_total_capital(blob).spiked["total capital"]
    assert blob.total_capital.pending().broker_account_value == 840_000.0

    # the broker's value comes back within 10% (it was a glitch): applied, pending settled
    clock.advance(DAY)
    blob.broker.deposit(110_000.0)  # 950,000: -5%
    summary = update_total_capital(blob)
    assert summary.ok and blob.total_capital.pending() is None
    assert rows(blob)[-1] == (950_000, 950_000, 950_000, -50_000)


def test_a_clock_before_the_latest_entry_fails_the_item_and_stores_nothing(sim_blob):
    blob, clock = sim_blob
    update_total_capital(blob)
    clock.set(START - DAY)
    summary = update_total_capital(blob)
    assert "before the latest stored one" in summary.failed["total capital"]
    assert len(rows(blob)) == 1


def test_fixed_never_changes_capital(sim_blob):
    blob, clock = sim_blob
    blob.config = blob.config.with_overrides({"production_capital_method": "fixed"})
    update_total_capital(blob)
    clock.advance(DAY)
    blob.broker.deposit(70_000.0)
    update_total_capital(blob)
    assert rows(blob)[-1] == (1_070_000, 1_000_000, 1_000_000, 70_000)


def test_the_process_runs_capital_and_allocation_in_a_real_subprocess(tmp_path):
    methods = {"update_total_capital": {"max_executions": 1}, "strategy_allocation": {"max_executions": 1}}
    root = make_installation(
        tmp_path / "inst", {"run_capital_update": {"methods": methods}}, now=START,
        strategy_capital_allocation={
            # pysystemtrade's name of the provided function
            "function": "sysproduction.strategy_code.strategy_allocation.weighted_strategy_allocation",
            "strategy_weights": {"classic": 5, "fast": 3, "carry": 2},
        },
    )
    out = sysprod(root, "run", "run_capital_update", timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[0] == "run_capital_update: completed (all methods done)"
    assert "update_total_capital: 1 updated" in out.stdout

    from sysproduction.wiring import make_blob

    blob = make_blob(root)
    assert rows(blob) == [(1_000_000, 1_000_000, 1_000_000, 0)]
    # 5:3:2 of 1,000,000
    assert {s: blob.strategy_capital.latest(s) for s in blob.strategy_capital.strategies()} == {
        "carry": 200_000.0, "classic": 500_000.0, "fast": 300_000.0}

    # a withdrawal of 20% at the broker: held back, the process still completes (exit 0) and
    # its summary shows the held-back change like a price spike
    blob.broker.deposit(-200_000.0)
    out = sysprod(root, "run", "run_capital_update", timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SPIKE   total capital: broker account value 800,000.00 is -20.0%" in out.stdout
    assert "(held back for a manual check)" in out.stdout
    assert "CRITICAL" in out.stdout + out.stderr
    assert len(blob.total_capital.history()) == 1
