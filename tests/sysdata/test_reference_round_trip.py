"""The whole reference data: import, export, and the exported files equal the originals, as
pysystemtrade reads them (its pandas parser; see sysdata.csv_io.numbers)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sysdata.csv_io.exporter import export_csv_tree
from sysdata.csv_io.importer import import_csv_tree
from sysdata.csv_io.numbers import parse_decimal_text
from sysdata.data_blob import DataBlob

REJECTED_CALENDARS = {"WHEAT_ICE", "GAS-PEN", "EDOLLAR#1", "INR-micro"}


@pytest.fixture(scope="module")
def reference_root(reference_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("reference_root")
    blob = DataBlob.from_data_root(root)
    report = import_csv_tree(blob, reference_data)
    rejected = {r.path.stem for r in report.rejected}
    assert rejected == REJECTED_CALENDARS
    return root


def _read(path):
    return pd.read_csv(path, index_col=0, dtype=str, keep_default_na=False)


def _assert_same_values(original, exported):
    a, b = _read(original), _read(exported)
    assert list(a.index) == list(b.index), original.name
    extra = [c for c in a.columns if c.startswith("Unnamed")]  # stray trailing commas in a few files
    assert [c for c in a.columns if c not in extra] == list(b.columns), original.name
    for column in b.columns:
        left = parse_decimal_text(a[column].mask(a[column] == ""))
        right = parse_decimal_text(b[column].mask(b[column] == ""))
        np.testing.assert_array_equal(left, right, err_msg=f"{original} {column}")


def test_export_gives_back_the_reference_values(reference_data, reference_root, tmp_path):
    report = export_csv_tree(DataBlob.from_data_root(reference_root), tmp_path / "out")
    assert report.files["multiple_prices_csv"] == 41
    assert report.files["adjusted_prices_csv"] == 41
    assert report.files["fx_prices_csv"] == 12
    for folder in ("multiple_prices_csv", "adjusted_prices_csv", "fx_prices_csv", "roll_calendars_csv"):
        for original in sorted((reference_data / folder).glob("*.csv")):
            if folder == "roll_calendars_csv" and original.stem in REJECTED_CALENDARS:
                assert not (tmp_path / "out" / folder / original.name).exists()
                continue
            _assert_same_values(original, tmp_path / "out" / folder / original.name)
    for name in ("instrumentconfig", "rollconfig", "spreadcosts"):
        original = pd.read_csv(reference_data / "csvconfig" / f"{name}.csv").set_index("Instrument").sort_index()
        exported = pd.read_csv(tmp_path / "out" / "csvconfig" / f"{name}.csv").set_index("Instrument")
        pd.testing.assert_frame_equal(exported.sort_index(), original, check_dtype=False)


def test_show_commands_print_stored_values(reference_root):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "sysproduction", "--data-root", str(reference_root), "data", *args],
            capture_output=True, text=True, timeout=120,
        )

    fx = run("show", "fx", "GBPUSD", "--tail", "2", "--csv")
    assert fx.returncode == 0, fx.stderr
    assert fx.stdout.splitlines() == ["DATETIME,PRICE", "2023-08-31 23:00:00,1.2716", "2023-09-01 23:00:00,1.2663"]
    contract = run("show", "contract-prices", "US10", "20230900", "--tail", "1", "--csv")
    assert contract.stdout.splitlines()[0] == "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME"
    listed = run("list", "instruments", "--csv")
    assert len(listed.stdout.splitlines()) == 42
    table = run("show", "adjusted", "US10", "--tail", "3")
    assert "Adjusted prices US10" in table.stdout
    missing = run("show", "multiple", "NOPE")
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: no multiple_prices stored for 'NOPE'")
    assert len(missing.stderr.strip().splitlines()) == 1
    bad_contract = run("show", "contract-prices", "US10", "2023-09")
    assert bad_contract.returncode == 1 and "YYYYMMDD" in bad_contract.stderr
