"""`sysprod data import-csv` never destroys stored data silently, and repairs pysystemtrade's
messy roll calendars only when asked (--repair), listing each repair."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sysdata.data_blob import DataBlob
from tests.sysdata.csv_tree import write_tree


def _import(root: Path, tree: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # a new data root's broker is chosen, never defaulted
        [sys.executable, "-m", "sysproduction", "--data-root", str(root), "data", "import-csv", str(tree),
         "--quiet", "--broker", "sim", *flags],
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture()
def imported(tmp_path):
    tree = write_tree(tmp_path / "tree")
    root = tmp_path / "root"
    result = _import(root, tree)
    assert result.returncode == 0, result.stderr
    return tree, root


def _rejected(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("rejected:")]


def _import_is_rejected(root: Path, tree: Path, line: str, *flags: str) -> None:
    """Import the tree and require it to fail with exactly this one `rejected:` line."""
    result = _import(root, tree, *flags)
    assert result.returncode == 1
    assert _rejected(result) == [line]


HEADER_ONLY = {
    "multiple header only": ("multiple_prices_csv/AAA.csv",
                             "DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT,FORWARD,FORWARD_CONTRACT\n",
                             "header only, no rows"),
    "multiple empty": ("multiple_prices_csv/AAA.csv", "", "empty file (no header, no rows)"),
    "adjusted header only": ("adjusted_prices_csv/AAA.csv", "DATETIME,price\n", "header only, no rows"),
    "fx header only": ("fx_prices_csv/EURUSD.csv", "DATETIME,PRICE\n", "header only, no rows"),
    "calendar header only": ("roll_calendars_csv/AAA.csv",
                             "DATE_TIME,current_contract,next_contract,carry_contract\n", "header only, no rows"),
}


@pytest.mark.parametrize("case", sorted(HEADER_ONLY))
def test_empty_or_header_only_file_is_rejected_and_the_stored_series_kept(imported, case):
    tree, root = imported
    before = DataBlob.from_data_root(root)
    kept = (before.multiple_prices.get("AAA"), before.adjusted_prices.get("AAA"),
            before.fx_prices.get("EURUSD"), before.roll_calendars.get("AAA"))
    relative, text, expected = HEADER_ONLY[case]
    (tree / relative).write_text(text)
    _import_is_rejected(root, tree, (
        f"rejected: {tree / relative}: {expected}; an import never replaces stored data with nothing; "
        "fix the file or leave it out of the tree"
    ))
    after = DataBlob.from_data_root(root)
    pd.testing.assert_frame_equal(after.multiple_prices.get("AAA"), kept[0])
    pd.testing.assert_series_equal(after.adjusted_prices.get("AAA"), kept[1])
    pd.testing.assert_series_equal(after.fx_prices.get("EURUSD"), kept[2])
    pd.testing.assert_frame_equal(after.roll_calendars.get("AAA"), kept[3])


def _keep_lines(path: Path, keep: slice) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([lines[0], *lines[1:][keep]]))


def test_file_starting_later_is_rejected_unless_replace(imported):
    tree, root = imported
    path = tree / "multiple_prices_csv" / "AAA.csv"
    _keep_lines(path, slice(10, None))  # drops the first 10 of 60 rows
    before = DataBlob.from_data_root(root).multiple_prices.get("AAA")
    _import_is_rejected(root, tree, (
        f"rejected: {path}: multiple prices AAA would remove 10 stored rows: 10 from 2024-01-01 23:00:00 "
        "to 2024-01-12 23:00:00 (the file starts 2024-01-15 23:00:00); "
        "re-run with --replace to replace the stored series anyway"
    ))
    pd.testing.assert_frame_equal(DataBlob.from_data_root(root).multiple_prices.get("AAA"), before)

    replaced = _import(root, tree, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    stored = DataBlob.from_data_root(root).multiple_prices.get("AAA")
    pd.testing.assert_frame_equal(stored, before.iloc[10:])


def test_file_ending_earlier_is_rejected_with_both_sides_counted(imported):
    tree, root = imported
    path = tree / "adjusted_prices_csv" / "BBB.csv"
    _keep_lines(path, slice(2, 55))
    _import_is_rejected(root, tree, (
        f"rejected: {path}: adjusted prices BBB would remove 7 stored rows: 2 from 2024-01-01 23:00:00 to "
        "2024-01-02 23:00:00 (the file starts 2024-01-03 23:00:00) and 5 from 2024-03-18 23:00:00 to "
        "2024-03-22 23:00:00 (the file ends 2024-03-15 23:00:00); "
        "re-run with --replace to replace the stored series anyway"
    ))
    assert len(DataBlob.from_data_root(root).adjusted_prices.get("BBB")) == 60


def test_contract_prices_collected_since_are_not_overwritten(imported):
    tree, root = imported
    blob = DataBlob.from_data_root(root)
    newer = blob.contract_prices.get("AAA", "20240900").iloc[-1:].copy()
    newer.index = newer.index + pd.Timedelta(days=3)
    assert blob.contract_prices.append_newer("AAA", "20240900", newer) == 1  # as a price job would
    result = _import(root, tree)
    assert result.returncode == 1
    assert len(_rejected(result)) == 1
    assert "the prices of contract AAA/20240900 derived from it would remove 1 stored rows" in result.stderr
    assert len(DataBlob.from_data_root(root).contract_prices.get("AAA", "20240900")) == 31


MESSY = (
    "DATE_TIME,current_contract,next_contract,carry_contract\n"
    "2023-02-10 23:00:00,20230300,20230600,20230600\n"
    "2023-08-10 23:00:00,20230900,20231200,20231200\n"
    "2023-05-10 23:00:00,20230600,20230900,20230900\n"
    "2023-11-10 23:00:00,20231200,20240300,20240300\n"
    "2023-11-10 23:00:00,20231200,20240300,20240600\n"
)


def test_messy_roll_calendars_are_rejected_naming_repair_and_repaired_when_asked(tmp_path):
    tree = write_tree(tmp_path / "tree")
    path = tree / "roll_calendars_csv" / "AAA.csv"
    path.write_text(MESSY)
    root = tmp_path / "root"
    _import_is_rejected(root, tree, (
        f"rejected: {path}: row 3 (2023-05-10 23:00:00) is earlier than the row before; sort the rows by "
        "time, or re-run with --repair (sorts a roll calendar, keeps the last row of a repeated timestamp)"
    ))
    assert DataBlob.from_data_root(root).roll_calendars.list() == ["BBB"]

    repaired = _import(root, tree, "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert [line for line in repaired.stdout.splitlines() if line.startswith("repaired:")] == [
        f"repaired: {path}: row 3 (2023-05-10 23:00:00) is earlier than the row before; moved it into time order",
        f"repaired: {path}: row 4 (2023-11-10 23:00:00) is duplicated by row 5; dropped row 4, kept row 5",
    ]
    stored = DataBlob.from_data_root(root).roll_calendars.get("AAA")
    assert [str(t) for t in stored.index] == [
        "2023-02-10 23:00:00", "2023-05-10 23:00:00", "2023-08-10 23:00:00", "2023-11-10 23:00:00"
    ]
    assert list(stored["current_contract"]) == ["20230300", "20230600", "20230900", "20231200"]
    assert stored["carry_contract"].iloc[-1] == "20240600"  # the last of the repeated rows


def test_messy_price_file_is_not_repaired(imported):
    tree, root = imported
    path = tree / "multiple_prices_csv" / "AAA.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[5], lines[6] = lines[6], lines[5]
    path.write_text("".join(lines))
    _import_is_rejected(root, tree, (
        f"rejected: {path}: timestamp 2024-01-05 23:00:00 (row 6) is earlier than the row before; "
        "sort the rows by time"
    ), "--repair")


def test_import_stores_the_doubles_pysystemtrade_reads(tmp_path):
    tree = write_tree(tmp_path / "tree")
    path = tree / "multiple_prices_csv" / "AAA.csv"
    lines = path.read_text().splitlines(keepends=True)
    cells = lines[1].split(",")  # DATETIME,CARRY,CARRY_CONTRACT,PRICE,...
    cells[1], cells[3] = "2.6310000000000002", "2.631"
    lines[1] = ",".join(cells)
    path.write_text("".join(lines))
    fx = tree / "fx_prices_csv" / "EURUSD.csv"
    fx.write_text(fx.read_text().replace("1.101", "1.0999999999999999e0", 1))
    root = tmp_path / "root"
    assert _import(root, tree).returncode == 0
    blob = DataBlob.from_data_root(root)
    first = blob.multiple_prices.get("AAA").iloc[0]
    assert first["CARRY"] == first["PRICE"] == 2.631  # pandas 2.x reads 2.6310000000000002 as 2.631
    # pandas 2.1.4 reads it as 1.1 (0x1.199999999999ap+0), a correct parser as 0x1.1999999999999p+0
    assert blob.fx_prices.get("EURUSD").iloc[0] == float.fromhex("0x1.199999999999ap+0")
