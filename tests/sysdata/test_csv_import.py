"""`sysprod data import-csv` on real files through the real command: good and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sysdata.data_blob import DataBlob
from tests.sysdata.csv_tree import write_tree


def sysprod(data_root: Path, *args: str) -> subprocess.CompletedProcess:
    if args[:2] == ("data", "import-csv"):
        args = (*args, "--broker", "sim")  # a new data root's broker is chosen, never defaulted
    return subprocess.run(
        [sys.executable, "-m", "sysproduction", "--data-root", str(data_root), *args],
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture()
def imported(tmp_path):
    """A data root holding the small tree (seed 1) imported once."""
    tree = write_tree(tmp_path / "tree")
    root = tmp_path / "root"
    result = sysprod(root, "data", "import-csv", str(tree), "--quiet")
    assert result.returncode == 0, result.stderr
    return tree, root


def test_good_tree_imports_everything_and_derives_contract_prices(imported):
    tree, root = imported
    blob = DataBlob.from_data_root(root)
    assert blob.instruments.list() == ["AAA", "BBB"]
    assert blob.multiple_prices.list() == ["AAA", "BBB"]
    assert blob.contract_prices.contracts("AAA") == ["20240300", "20240600", "20240900"]
    source = pd.read_csv(tree / "multiple_prices_csv" / "AAA.csv", index_col=0, parse_dates=True)
    june = blob.contract_prices.get("AAA", "20240600")["FINAL"]
    # June is FORWARD in the first half and PRICE in the second: each row prices it once
    expected = pd.concat([source["FORWARD"].iloc[:30], source["PRICE"].iloc[30:]])
    assert june.to_numpy().tolist() == pytest.approx(expected.to_numpy().tolist(), rel=1e-15)
    assert blob.contracts.get("AAA", "20240600").expiry_date == "2024-06-20"
    assert blob.fx_prices.get("EURUSD").iloc[0] == pytest.approx(1.101)


def _replace(tree: Path, relative: str, text: str | bytes) -> Path:
    path = tree / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


MULTI_HEAD = "DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT,FORWARD,FORWARD_CONTRACT\n"

BAD_FILES = {
    "missing column": (
        "multiple_prices_csv/AAA.csv",
        "DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT\n2024-01-01 23:00:00,1,20240600,2,20240300\n",
        "missing column(s) FORWARD",
    ),
    "non-numeric price": (
        "multiple_prices_csv/AAA.csv",
        MULTI_HEAD + "2024-01-01 23:00:00,1,20240600,2,20240300,1,20240600\n"
        "2024-01-02 23:00:00,1,20240600,abc,20240300,1,20240600\n",
        "column PRICE row 2",
    ),
    "unsorted timestamps": (
        "multiple_prices_csv/AAA.csv",
        MULTI_HEAD + "2024-01-02 23:00:00,1,20240600,2,20240300,1,20240600\n"
        "2024-01-01 23:00:00,1,20240600,2,20240300,1,20240600\n",
        "sort the rows by time",
    ),
    "duplicated timestamps": (
        "multiple_prices_csv/AAA.csv",
        MULTI_HEAD + "2024-01-02 23:00:00,1,20240600,2,20240300,1,20240600\n"
        "2024-01-02 23:00:00,1,20240600,2,20240300,1,20240600\n",
        "is duplicated",
    ),
    "bad contract id": (
        "multiple_prices_csv/AAA.csv",
        MULTI_HEAD + "2024-01-02 23:00:00,1,2024060,2,20240300,1,20240600\n",
        "not a contract id",
    ),
    "bad timestamp": (
        "multiple_prices_csv/AAA.csv",
        MULTI_HEAD + "yesterday,1,20240600,2,20240300,1,20240600\n",
        "not a timestamp",
    ),
    "unreadable file": ("multiple_prices_csv/AAA.csv", b"\xff\xfe\x00\x81garbage\x00\xff", "cannot read"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_multiple_prices_file_is_rejected_and_stored_data_unchanged(imported, case):
    tree, root = imported
    before = DataBlob.from_data_root(root).multiple_prices.get("AAA")
    before_june = DataBlob.from_data_root(root).contract_prices.get("AAA", "20240600")
    relative, text, expected = BAD_FILES[case]
    bad = _replace(tree, relative, text)
    result = sysprod(root, "data", "import-csv", str(tree), "--quiet")
    assert result.returncode == 1
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected:")]
    assert len(rejected) == 1
    assert str(bad) in rejected[0] and expected in rejected[0]
    assert "Traceback" not in result.stderr
    blob = DataBlob.from_data_root(root)
    pd.testing.assert_frame_equal(blob.multiple_prices.get("AAA"), before)
    pd.testing.assert_frame_equal(blob.contract_prices.get("AAA", "20240600"), before_june)
    assert blob.multiple_prices.list() == ["AAA", "BBB"]  # the other instrument still imported


def test_non_positive_fx_rate_is_rejected(imported):
    tree, root = imported
    bad = _replace(tree, "fx_prices_csv/EURUSD.csv", "DATETIME,PRICE\n2024-01-01 00:00:00,1.1\n2024-01-02 00:00:00,0\n")
    result = sysprod(root, "data", "import-csv", str(tree), "--quiet")
    assert result.returncode == 1
    assert f"rejected: {bad}: row 2" in result.stderr and "must be > 0" in result.stderr
    assert DataBlob.from_data_root(root).fx_prices.get("EURUSD").iloc[0] == pytest.approx(1.101)


def test_negative_futures_and_adjusted_prices_are_fine(tmp_path):
    tree = write_tree(tmp_path / "tree")
    path = tree / "adjusted_prices_csv" / "AAA.csv"
    frame = pd.read_csv(path, index_col=0)
    frame["price"] = frame["price"] - 1000.0
    frame.to_csv(path)
    result = sysprod(tmp_path / "root", "data", "import-csv", str(tree), "--quiet")
    assert result.returncode == 0, result.stderr
    assert DataBlob.from_data_root(tmp_path / "root").adjusted_prices.get("AAA").max() < 0


def test_instrument_without_config_row_is_rejected(imported):
    tree, root = imported
    source = tree / "multiple_prices_csv" / "AAA.csv"
    orphan = _replace(tree, "multiple_prices_csv/ZZZ.csv", source.read_text())
    result = sysprod(root, "data", "import-csv", str(tree), "--quiet")
    assert result.returncode == 1
    assert f"rejected: {orphan}: instrument ZZZ has no row in instrumentconfig.csv" in result.stderr
    assert "ZZZ" not in DataBlob.from_data_root(root).multiple_prices.list()


def test_file_of_unknown_kind_is_rejected_and_the_rest_imported(tmp_path):
    tree = write_tree(tmp_path / "tree")
    stray = _replace(tree, "positions_csv/AAA.csv", "a,b\n1,2\n")
    result = sysprod(tmp_path / "root", "data", "import-csv", str(tree), "--quiet")
    assert result.returncode == 1
    assert f"rejected: {stray.parent}: unknown kind of file" in result.stderr
    assert DataBlob.from_data_root(tmp_path / "root").multiple_prices.list() == ["AAA", "BBB"]


def test_bad_config_row_is_rejected_alone(tmp_path):
    tree = write_tree(tmp_path / "tree")
    path = tree / "csvconfig" / "instrumentconfig.csv"
    path.write_text(path.read_text() + "CCC,Broken,-5,USD,Bond,0,0,0,US\n")
    result = sysprod(tmp_path / "root", "data", "import-csv", str(tree), "--quiet")
    assert result.returncode == 1
    assert "instrumentconfig.csv row 4 (CCC)" in result.stderr and "Pointsize must be positive" in result.stderr
    assert DataBlob.from_data_root(tmp_path / "root").instruments.list() == ["AAA", "BBB"]


def test_source_that_is_not_a_tree_is_one_line(tmp_path):
    result = sysprod(tmp_path / "root", "data", "import-csv", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "not a directory" in result.stderr


def test_reference_files_that_real_data_gets_wrong_are_rejected_and_reported(reference_data, tmp_path):
    """WHEAT_ICE / GAS-PEN are out of order, EDOLLAR#1 / INR-micro repeat a timestamp."""
    tree = tmp_path / "tree"
    (tree / "roll_calendars_csv").mkdir(parents=True)
    names = ["WHEAT_ICE", "GAS-PEN", "EDOLLAR#1", "INR-micro", "US10", "CORN"]
    for name in names:
        source = reference_data / "roll_calendars_csv" / f"{name}.csv"
        (tree / "roll_calendars_csv" / f"{name}.csv").write_bytes(source.read_bytes())
    result = sysprod(tmp_path / "root", "data", "import-csv", str(tree), "--quiet")
    assert result.returncode == 1
    rejected = sorted(line for line in result.stderr.splitlines() if line.startswith("rejected:"))
    assert len(rejected) == 4
    assert any("WHEAT_ICE.csv" in r and "sort the rows" in r for r in rejected)
    assert any("EDOLLAR#1.csv" in r and "duplicated" in r for r in rejected)
    assert all("re-run with --repair" in r for r in rejected)
    assert DataBlob.from_data_root(tmp_path / "root").roll_calendars.list() == ["CORN", "US10"]

    repaired = sysprod(tmp_path / "root", "data", "import-csv", str(tree), "--quiet", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    lines = [line for line in repaired.stdout.splitlines() if line.startswith("repaired:")]
    assert len(lines) == 4 and any("EDOLLAR#1.csv: row 124 (2023-06-20 23:00:00)" in line for line in lines)
    assert DataBlob.from_data_root(tmp_path / "root").roll_calendars.list() == sorted(names)
