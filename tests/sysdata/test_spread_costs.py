"""Spread costs in the document store: imported from spreadcosts.csv and exported back by the real
command, every change recorded with who, when and why, the CSV table of an older installation
migrated on first read without overwriting a newer change, and the backtest loader reading them."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from syscore.exceptions import DataValidationError, MissingData
from sysdata.data_blob import DataBlob
from sysdata.repos.spread_costs import COLLECTION, META, MIGRATION_KEY
from tests.conftest import REPO_ROOT
from tests.sysdata.csv_tree import write_tree
from tests.sysproduction.control.helpers import env_for, make_installation, set_clock, sysprod

NOW = dt.datetime(2026, 11, 23, 21, 0)


def _blob(root: Path) -> DataBlob:
    return DataBlob.from_data_root(root)


@pytest.fixture()
def root(tmp_path) -> Path:
    return make_installation(tmp_path / "inst", {}, now=NOW)


def test_import_puts_spread_costs_in_the_database_and_export_writes_them_back(tmp_path, root):
    tree = write_tree(tmp_path / "tree")
    done = sysprod(root, "data", "import-csv", str(tree), "--quiet")
    assert done.returncode == 0, done.stderr
    assert not (root / "csv" / "config" / "spreadcosts.csv").exists()  # no CSV table any more
    data = _blob(root)
    assert data.documents.get(COLLECTION, "BBB")["spread_cost"] == 0.5
    assert data.spread_costs.get("AAA") == 0.01 and data.spread_costs.list() == ["AAA", "BBB"]
    first = data.spread_costs.history("AAA")
    assert list(first.index) == [NOW] and first["previous"].isna().all()
    assert first["reason"].iloc[0] == f"sysprod data import-csv {tree / 'csvconfig' / 'spreadcosts.csv'}"

    # a re-import changing one value records the change; the unchanged one records nothing
    set_clock(root, NOW + dt.timedelta(days=1))
    (tree / "csvconfig" / "spreadcosts.csv").write_text("Instrument,SpreadCost\nAAA,0.02\nBBB,0.5\n")
    assert sysprod(root, "data", "import-csv", str(tree), "--quiet").returncode == 0
    data = _blob(root)
    assert data.spread_costs.history("AAA")["spread_cost"].tolist() == [0.01, 0.02]
    assert data.spread_costs.history("AAA")["previous"].tolist()[1] == 0.01
    assert len(data.spread_costs.history("BBB")) == 1

    out = tmp_path / "export"
    done = sysprod(root, "data", "export-csv", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "csvconfig" / "spreadcosts.csv").read_text() == "Instrument,SpreadCost\nAAA,0.02\nBBB,0.5\n"


def test_set_records_who_when_and_why_and_refuses_a_bad_value_whole(root):
    data = _blob(root)
    assert data.spread_costs.set("GOLD", 0.1, who="anna (interactive_controls)", reason="first")
    set_clock(root, NOW + dt.timedelta(hours=2))
    assert data.spread_costs.set("GOLD", 0.15, who="anna (interactive_controls)", reason="costs report")
    assert not data.spread_costs.set("GOLD", 0.15, who="bob", reason="same again")  # no change, no record
    history = data.spread_costs.history("GOLD")
    assert list(history.index) == [NOW, NOW + dt.timedelta(hours=2)]
    assert history.fillna({"previous": -1}).to_dict("records") == [
        {"spread_cost": 0.1, "previous": -1, "who": "anna (interactive_controls)", "reason": "first"},
        {"spread_cost": 0.15, "previous": 0.1, "who": "anna (interactive_controls)", "reason": "costs report"},
    ]
    with pytest.raises(DataValidationError, match=r"spread cost of WHEAT: -1 must be a finite number >= 0"):
        data.spread_costs.set_many({"CORN": 0.25, "WHEAT": -1, "SOY": 1}, who="x")
    with pytest.raises(DataValidationError, match="'abc' is not a number"):
        data.spread_costs.set("CORN", "abc")  # type: ignore[arg-type]
    assert data.spread_costs.list() == ["GOLD"]  # nothing of the refused batch was written
    with pytest.raises(MissingData, match="CORN has no spread cost; set one with interactive_controls"):
        data.spread_costs.get("CORN")
    assert data.spread_costs.history("CORN").empty
    # a default `who` names the user and the program
    data.spread_costs.set("CORN", 0.25)
    assert "(" in data.spread_costs.history("CORN")["who"].iloc[0]


def test_an_older_installation_is_migrated_on_first_read_without_losing_a_newer_change(root):
    table = root / "csv" / "config" / "spreadcosts.csv"
    table.parent.mkdir(parents=True)
    table.write_text("Instrument,SpreadCost\nAAA,0.01\nBBB,0.5\nNA,0.3\n")
    # a migration killed half-way: BBB already moved and then changed by a person
    early = _blob(root)
    early.documents.put(COLLECTION, "BBB", {"instrument_code": "BBB", "spread_cost": 0.75, "history": []})

    data = _blob(root)
    assert data.spread_costs.get("AAA") == 0.01
    assert data.spread_costs.get("BBB") == 0.75  # the newer value stays
    assert data.spread_costs.get("NA") == 0.3  # a code pandas would read as missing stays a code
    assert data.spread_costs.history("AAA")["reason"].tolist() == [f"migrated from {table}"]
    assert not table.exists() and table.with_name("spreadcosts.csv.migrated").is_file()
    assert data.documents.get(META, MIGRATION_KEY)["instruments"] == 3
    # later reads never migrate again, even if a stray table appears
    data.spread_costs.set("AAA", 0.05, who="t")
    table.write_text("Instrument,SpreadCost\nAAA,9\n")
    assert _blob(root).spread_costs.get("AAA") == 0.05


def test_a_bad_csv_table_fails_migration_in_one_line_naming_the_file(root):
    table = root / "csv" / "config" / "spreadcosts.csv"
    table.parent.mkdir(parents=True)
    table.write_text("Instrument,SpreadCost\nAAA,cheap\n")
    with pytest.raises(DataValidationError, match=r"spreadcosts.csv: spread cost of AAA: 'cheap' is not a number"):
        _blob(root).spread_costs.get("AAA")
    assert table.is_file()


_WRITER = """
import sys
from sysdata.data_blob import DataBlob
data = DataBlob.from_data_root(sys.argv[1])
for n in range(25):
    data.spread_costs.set("GOLD", float(sys.argv[2]) + n, who=sys.argv[3], reason=str(n))
"""


def test_two_processes_changing_one_cost_lose_no_change_record(root):
    _blob(root).spread_costs.set("GOLD", 0.0, who="setup")
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(root), str(base), name],
                         cwd=REPO_ROOT, env=env_for(root))
        for base, name in ((100, "one"), (200, "two"))
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    history = _blob(root).spread_costs.history("GOLD")
    assert len(history) == 51  # setup + 25 + 25: each change stored with its record
    assert history["who"].value_counts().to_dict() == {"one": 25, "two": 25, "setup": 1}
    # every record's `previous` is the value before it: no change was written over unseen
    assert history["previous"].iloc[1:].tolist() == history["spread_cost"].iloc[:-1].tolist()


def test_the_backtest_loader_reads_spread_costs_from_the_database(tmp_path, root):
    from systems.data import load_blob_inputs

    tree = write_tree(tmp_path / "tree")
    assert sysprod(root, "data", "import-csv", str(tree), "--quiet").returncode == 0
    data = _blob(root)
    data.spread_costs.set("BBB", 0.625, who="test", reason="loader")
    inputs = load_blob_inputs(_blob(root), ["AAA", "BBB"], "USD")
    assert {code: i.spread_cost for code, i in inputs.instruments.items()} == {"AAA": 0.01, "BBB": 0.625}
    assert isinstance(data.spread_costs.table, pd.DataFrame)
    assert data.spread_costs.table.loc["BBB", "SpreadCost"] == 0.625
