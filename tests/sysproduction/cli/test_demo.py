"""`sysprod demo` run for real: a subprocess building a sandbox in a temp dir."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sysproduction.wiring import make_blob

SYSPROD = Path(sys.executable).parent / "sysprod"
TODAY = "2026-06-30"  # a Tuesday
INSTRUMENTS = {"US10", "BUND", "SP500", "DAX", "NIKKEI", "FTSE100", "EUR", "CRUDE_W", "GAS_US", "GOLD", "COPPER", "CORN"}


def _demo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_")}
    return subprocess.run([str(SYSPROD), "demo", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    base = tmp_path_factory.mktemp("demo")
    (base / "sandbox").mkdir()
    (base / "sandbox" / "leftover.txt").write_text("from an earlier run")
    (base / "sandbox" / ".sysprod_sandbox").write_text("")
    run = _demo("--years", "10", "--date", TODAY, "--seed", "7", cwd=base)
    return base / "sandbox", run


def test_demo_builds_a_sandbox_with_ten_years_of_a_dozen_instruments(sandbox):
    root, run = sandbox
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"sandbox {root.resolve()}")
    assert [line.split(":")[0] for line in lines[1:12]] == [
        "[1/11] market history", "[2/11] import", "[3/11] broker", "[4/11] daily prices", "[5/11] backtest",
        "[6/11] capital", "[7/11] nightly strategy backtest", "[8/11] orders", "[9/11] stack handler",
        "[10/11] reports", "[11/11] backup",
    ]
    assert "12 of 12 instruments trading" in lines[3] and "account value 1,000,000 USD" in lines[3]
    assert not (root / "leftover.txt").exists()  # a previous sandbox is re-created, not added to
    config = yaml.safe_load((root / "private_config.yaml").read_text())
    assert config["clock"] == "simulated" and config["broker"] == "sim" and config["sim_seed"] == 7
    assert config["timeseries_store"] == "parquet" and config["document_store"] == "sqlite"
    assert Path(config["data_root"]) == root.resolve()

    data = make_blob(root)
    # the demo's price step ran the next session's jobs half an hour after its close; the stack
    # handler's passes then took some simulated minutes
    assert dt.datetime(2026, 7, 1, 19, 30) < data.clock.now() < dt.datetime(2026, 7, 1, 20, 0)
    assert lines[4].startswith("[4/11] daily prices: 2026-07-01: 3 FX pairs")
    assert lines[4].endswith("0 spikes, 0 failures")
    assert "12 instruments' multiple/adjusted prices updated" in lines[4]
    assert set(data.multiple_prices.list()) == INSTRUMENTS == set(data.adjusted_prices.list())
    assert set(data.instruments.list()) == INSTRUMENTS
    assert {data.instruments.get(c).currency for c in INSTRUMENTS} == {"USD", "EUR", "GBP", "JPY"}
    assert len({data.instruments.get(c).asset_class for c in INSTRUMENTS}) >= 6
    assert set(data.fx_prices.list()) == {"EURUSD", "GBPUSD", "JPYUSD"}
    for code in INSTRUMENTS:
        multiple = data.multiple_prices.get(code)
        assert multiple.index[0] <= pd.Timestamp("2016-01-05 19:00")
        assert multiple.index[-1].floor("min") == pd.Timestamp("2026-07-01 19:00")  # (19:00:01 after a roll)
        assert data.fx_prices.get("EURUSD").index[-1] == pd.Timestamp("2026-07-01 19:00")
    assert (root / "market_csv" / "multiple_prices_csv" / "GOLD.csv").is_file()
    summary = json.loads((root / "backtest" / "summary.json").read_text())
    assert summary["instruments"] == ["CORN", "US10"]
    assert lines[5] == (f"[5/11] backtest: CORN, US10: Sharpe {summary['sharpe']:.2f} "
                        f"(see: sysprod backtest show {root.resolve() / 'backtest'})")


def test_the_demo_trades_the_strategy_to_its_buffers_and_books_what_the_broker_holds(sandbox):
    root, run = sandbox
    assert run.returncode == 0, run.stderr
    data = make_blob(root)
    # all the capital (the broker's account value on the first valuation) goes to the one strategy
    assert data.total_capital.total_capital() == 1_000_000
    assert data.strategy_capital.latest("classic") == 1_000_000
    optimal = data.optimal_positions.for_strategy("classic")
    assert sorted(optimal) == ["BUND", "CORN", "CRUDE_W", "GOLD", "SP500", "US10"]
    # every order filled: each strategy position is now inside its buffer (edges rounded), and
    # the book per contract is what the broker holds
    for code, position in optimal.items():
        held = data.strategy_positions.get("classic", code)
        assert round(position.lower) <= held <= round(position.upper), (code, held, position)
    assert not data.instrument_orders.active()
    at_broker = {(p.instrument_code, p.contract_id): p.position for p in data.broker.positions()}
    assert at_broker and data.contract_positions.all() == at_broker
    totals = {}
    for (code, _), position in at_broker.items():
        totals[code] = totals.get(code, 0) + position
    assert totals == {code: n for code, n in data.strategy_positions.for_strategy("classic").items() if n}
    line = next(line for line in run.stdout.splitlines() if line.startswith("[9/11] stack handler"))
    assert f"{len(data.historic_orders.instrument_orders())} orders filled" in line
    # the reports are stored, and the backup generation restores (its manifest lists every part)
    for report in ("status_report", "daily_pandl_report", "reconcile_report", "trade_report"):
        assert list((root / "reports" / report).glob("*.json")), report
    generations = [p for p in (root / "backups").iterdir() if (p / "backup_manifest.json").is_file()]
    assert len(generations) == 1


def test_imported_history_and_the_live_broker_agree(sandbox):
    root, _ = sandbox
    data = make_blob(root)
    for code in ("CORN", "NIKKEI"):
        priced = data.multiple_prices.get(code)["PRICE_CONTRACT"].iloc[-1]
        stored = data.contract_prices.get(code, priced)["FINAL"]
        live = data.broker.contract_bars(code, priced)["FINAL"]
        pd.testing.assert_series_equal(live.loc[stored.index], stored, check_freq=False)
        assert priced in data.broker.trading_contracts(code)
        params = data.roll_parameters.get(code)
        from sysobjects.contracts import ContractId

        assert data.broker.contract_details(code, priced).expiry == params.expected_expiry(ContractId.parse(priced))


def test_demo_refuses_a_directory_that_is_not_a_sandbox(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    run = _demo("--sandbox", str(precious), cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip().startswith("error: ") and "not a sysprod sandbox" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]
