"""`sysprod backtest run/show` as a user runs them: real subprocesses, real files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from systems.config import provided_config_path
from systems.data import load_backtest_config, load_csv_inputs
from systems.engine import run_backtest
from tests.systems.synthetic import INSTRUMENTS, write_config

SYSPROD = str(Path(sys.executable).with_name("sysprod"))
RULES = ["carry", "ewmac16_64", "ewmac32_128", "ewmac64_256"]
COLUMNS = ["date", "price", "volatility", *RULES, "combined_forecast", "subsystem_position",
           "notional_position", "buffer_lower", "buffer_upper", "buffered_position"]
SUMMARY_KEYS = {"sharpe", "gross_sharpe", "ann_mean_pct", "ann_std_pct", "instrument_sharpe",
                "instruments", "flagged", "seconds", "parameters"}


def sysprod(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg", **(env_extra or {})}
    return subprocess.run([SYSPROD, *map(str, args)], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory, synthetic_tree):
    work = tmp_path_factory.mktemp("cli")
    config = write_config(work / "system.yaml")
    out = work / "out"
    done = sysprod("backtest", "run", config, "--csv-data", synthetic_tree, "--out", out)
    assert done.returncode == 0, done.stderr
    return config, out, done


def test_run_writes_the_documented_files_and_columns(csv_run, synthetic_tree):
    config_path, out, done = csv_run
    assert "3 instruments, Sharpe" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{c}.csv" for c in INSTRUMENTS] + ["summary.json", "account_curve.arrow", "config.yaml"])
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == SUMMARY_KEYS
    assert summary["instruments"] == sorted(INSTRUMENTS)
    assert set(summary["instrument_sharpe"]) == set(INSTRUMENTS) and summary["seconds"] > 0

    config = load_backtest_config(config_path)
    expected = run_backtest(config, load_csv_inputs(synthetic_tree, config.instruments, "USD"), 1_700_000_000)
    assert summary["sharpe"] == expected.net.sharpe and summary["gross_sharpe"] == expected.gross.sharpe
    for code in INSTRUMENTS:
        text = (out / f"{code}.csv").read_text()
        assert text.splitlines()[0] == ",".join(COLUMNS)
        frame = pd.read_csv(out / f"{code}.csv", parse_dates=["date"])
        # one row per business day, no gaps, no weekends
        days = frame["date"].to_numpy().astype("datetime64[D]")
        assert np.array_equal(days, np.arange(days[0], days[-1] + 1)[np.is_busday(np.arange(days[0], days[-1] + 1))])
        mine = expected.instruments[code]
        # values round-trip exactly (shortest repr), NaN written as empty
        np.testing.assert_array_equal(frame["notional_position"].to_numpy(), mine.notional_position)
        np.testing.assert_array_equal(frame["carry"].to_numpy(), mine.forecasts["carry"])
        assert set(np.unique(frame["buffered_position"])) <= set(np.arange(-1000, 1001))
        assert "-0," not in text and ",-0\n" not in text


def test_show_prints_a_summary_and_saves_a_png(csv_run):
    _, out, _ = csv_run
    done = sysprod("backtest", "show", out)
    assert done.returncode == 0, done.stderr
    assert "Sharpe" in done.stdout and all(code in done.stdout for code in INSTRUMENTS)
    # piped: plain text, one line per row, nothing cut or wrapped at 80 columns
    rows = done.stdout.splitlines()
    assert rows[0].startswith(f"Backtest {out} (") and "run took" in rows[0]
    assert not any(ch in done.stdout for ch in "┃│━")
    net = next(row for row in rows if row.startswith("portfolio (net)"))
    assert len(net.split()) == 6  # label (two words) + Sharpe, mean, std, total
    as_csv = sysprod("backtest", "show", out, "--csv")
    table = pd.read_csv(io.StringIO(as_csv.stdout), index_col=0)
    assert list(table.columns) == ["Sharpe", "ann. mean %", "ann. std %", "total %"]
    summary = json.loads((out / "summary.json").read_text())
    assert table.loc["portfolio (net)", "Sharpe"] == pytest.approx(summary["sharpe"], abs=5e-5)
    png = out / "account_curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    elsewhere = out.parent / "chart.png"
    assert sysprod("backtest", "show", out, "--png", elsewhere).returncode == 0 and elsewhere.is_file()


def test_show_on_a_directory_without_results_is_one_line(tmp_path):
    done = sysprod("backtest", "show", tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error:") and len(done.stderr.strip().splitlines()) == 1
    assert "no summary.json" in done.stderr


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda raw: raw.update(forecast_cap_typo=20), "unknown key 'forecast_cap_typo'"),
        (lambda raw: raw["trading_rules"]["carry"].update(function="my_missing_rules.carry"),
         "cannot import module 'my_missing_rules'"),
    ],
)
def test_bad_config_fails_in_one_line_before_anything_is_read_or_written(tmp_path, change, words):
    raw = yaml.safe_load(provided_config_path().read_text())
    change(raw)
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    # the data directory does not even exist: the config is rejected first
    done = sysprod("backtest", "run", config, "--csv-data", tmp_path / "no-such-tree", "--out", out)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0]
    assert "Traceback" not in done.stderr and not out.exists()


def test_an_unrelated_existing_directory_is_never_replaced(tmp_path, synthetic_tree):
    config = write_config(tmp_path / "system.yaml")
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    done = sysprod("backtest", "run", config, "--csv-data", synthetic_tree, "--out", out)
    assert done.returncode == 1 and "is not a backtest output" in done.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_missing_price_file_is_one_line(tmp_path, synthetic_tree):
    config = write_config(tmp_path / "system.yaml", ["AAA", "ZZZ"])
    done = sysprod("backtest", "run", config, "--csv-data", synthetic_tree, "--out", tmp_path / "out")
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "ZZZ" in done.stderr and not (tmp_path / "out").exists()


def test_stores_and_csv_tree_give_identical_results(tmp_path, synthetic_tree, csv_run):
    config, csv_out, _ = csv_run
    root = tmp_path / "root"
    imported = sysprod("--data-root", root, "data", "import-csv", synthetic_tree, "--quiet", "--broker", "sim")
    assert imported.returncode == 0, imported.stderr
    out = tmp_path / "from_stores"
    done = sysprod("--data-root", root, "backtest", "run", config, "--out", out)
    assert done.returncode == 0, done.stderr
    for code in INSTRUMENTS:
        assert (out / f"{code}.csv").read_bytes() == (csv_out / f"{code}.csv").read_bytes()
    ours, theirs = (json.loads((d / "summary.json").read_text()) for d in (out, csv_out))
    ours.pop("seconds"), theirs.pop("seconds")
    assert ours == theirs


def test_rerun_replaces_previous_results_and_corrected_mode_changes_only_costs(tmp_path, synthetic_tree):
    both = write_config(tmp_path / "system.yaml", ["AAA", "BBB"])
    only = write_config(tmp_path / "only.yaml", ["AAA"])
    out, compatible = tmp_path / "out", tmp_path / "compatible"
    assert sysprod("backtest", "run", both, "--csv-data", synthetic_tree, "--out", out).returncode == 0
    assert sysprod("backtest", "run", only, "--csv-data", synthetic_tree, "--out", compatible).returncode == 0
    done = sysprod("backtest", "run", only, "--csv-data", synthetic_tree, "--out", out, "--mode", "corrected")
    assert done.returncode == 0, done.stderr
    # the earlier two-instrument results are gone, not mixed with the new ones
    assert sorted(p.name for p in out.iterdir()) == ["AAA.csv", "account_curve.arrow", "config.yaml", "summary.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == [".out.versions"]
    assert not list((tmp_path / ".out.versions").glob(".staging*"))  # no staging left
    corrected, plain = (json.loads((d / "summary.json").read_text()) for d in (out, compatible))
    # corrected mode changes costs, and reads numbers correctly rounded (compatible mode reads them
    # as pysystemtrade's pandas does, which differs in the last digit): same positions and gross
    # P&L to rounding, a different net
    new, old = (pd.read_csv(d / "AAA.csv") for d in (out, compatible))
    assert new["buffered_position"].equals(old["buffered_position"])
    assert corrected["gross_sharpe"] == pytest.approx(plain["gross_sharpe"], rel=1e-12)
    assert corrected["sharpe"] != pytest.approx(plain["sharpe"], rel=1e-9)


def test_reference_run_through_the_command(reference_data, tmp_path):
    out = tmp_path / "ref"
    done = sysprod("backtest", "run", provided_config_path(), "--csv-data", reference_data, "--out", out)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sharpe"] == pytest.approx(0.4750032722155327, rel=1e-9)
    assert summary["gross_sharpe"] == pytest.approx(0.4886416119627330, rel=1e-9)
    last = pd.read_csv(out / "MXP.csv").iloc[-1]
    assert (last["date"], last["combined_forecast"], last["buffered_position"]) == ("2023-08-31", 20.0, 15.0)


def test_instrument_option_runs_a_subset_and_rejects_unknown_names(tmp_path, synthetic_tree):
    config = write_config(tmp_path / "system.yaml")
    out = tmp_path / "one"
    done = sysprod("backtest", "run", config, "--csv-data", synthetic_tree, "--out", out, "--instrument", "CCC")
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "summary.json").read_text())["instruments"] == ["CCC"]
    bad = sysprod("backtest", "run", config, "--csv-data", synthetic_tree, "--out", tmp_path / "x",
                  "--instrument", "NOPE")
    assert bad.returncode == 1 and "NOPE not in instrument_weights" in bad.stderr


@pytest.mark.parametrize(
    "content, words",
    [
        ("DATETIME,price\n", "no rows"),
        ("DATETIME,price\n2015-01-05 23:00:00,100\nnot-a-date,101\n", "invalid value 'not-a-date'"),
        ("DATETIME,prize\n2015-01-05 23:00:00,100\n", "'price'"),
        ("DATETIME,price\n2015-01-05 23:00:00,abc\n", "column price row 1 holds 'abc', not a number"),
    ],
)
def test_bad_price_file_is_one_line_naming_the_file(tmp_path, synthetic_tree, content, words):
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(synthetic_tree, tree)
    (tree / "adjusted_prices_csv" / "BBB.csv").write_text(content)
    out = tmp_path / "out"
    done = sysprod("backtest", "run", write_config(tmp_path / "s.yaml"), "--csv-data", tree, "--out", out)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "adjusted_prices_csv/BBB.csv" in lines[0] and words in lines[0]
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_an_estimated_run_names_instruments_whose_subsystem_never_trades(tmp_path, synthetic_tree):
    """At a small capital AAA (1,000 a point) rounds to no contract every day: the instrument
    weights are fitted without returns for it, and the command says so, not numpy."""
    import yaml

    from systems.config import provided_config_path

    raw = yaml.safe_load(provided_config_path("futures_chapter15_estimated").read_text())
    raw["instrument_weights"] = {code: 1.0 for code in INSTRUMENTS}
    raw["forecast_weight_estimate"]["ceiling_cost_SR"] = 9999
    raw["notional_trading_capital"] = 5000
    config = tmp_path / "est.yaml"
    config.write_text(yaml.safe_dump(raw))
    done = sysprod("backtest", "run", config, "--csv-data", synthetic_tree, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["never_trading"] == ["AAA"]
    assert done.stderr.strip() == (
        "warning: AAA: the subsystem never trades (its rounded position never changes at this capital), "
        "so the instrument-weight fit has no returns for it"
    )


def test_an_estimated_run_names_rules_left_out_above_the_cost_ceiling(tmp_path, synthetic_tree):
    import yaml

    from systems.config import provided_config_path

    raw = yaml.safe_load(provided_config_path("futures_chapter15_estimated").read_text())
    raw["instrument_weights"] = {code: 1.0 for code in INSTRUMENTS}
    raw["forecast_weight_estimate"]["ceiling_cost_SR"] = 0.4  # BBB's rules cost 0.35 (carry) to 0.82
    config = tmp_path / "est.yaml"
    config.write_text(yaml.safe_dump(raw))
    done = sysprod("backtest", "run", config, "--csv-data", synthetic_tree, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert sorted(summary["expensive_rules"]) == ["BBB"]
    assert sorted(summary["expensive_rules"]["BBB"]) == ["ewmac16_64", "ewmac32_128", "ewmac64_256"]
    assert done.stderr.startswith("warning: BBB: left out of its forecast weights, above ceiling_cost_SR: ewmac16_64 (SR cost 0.8")
    assert done.stderr.count("\n") == 1
    fixed = tmp_path / "fixed.yaml"
    assert sysprod("backtest", "export-fixed-config", tmp_path / "out", fixed).returncode == 0
    assert yaml.safe_load(fixed.read_text())["forecast_weights"]["BBB"] == {"carry": 1.0}
