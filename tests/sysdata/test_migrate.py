"""`sysprod data migrate`: SQLite+Parquet -> MongoDB (jongodb over TCP) + ArcticDB/Parquet ->
SQLite+Parquet gives back equal data; counts and checksums are verified; a non-empty target is
refused without --force."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from syscore.exceptions import DataValidationError
from sysdata.migrate import SQLITE_FILE, document_counters, migrate, open_backend, verify
from sysdata.stores.documents import SqliteDocumentStore
from sysdata.stores.timeseries import ParquetTimeSeriesStore
from tests.servers import fresh_db_name

SYSPROD = str(Path(sys.executable).parent / "sysprod")


def fill_source(root: Path) -> None:
    docs = SqliteDocumentStore(root / SQLITE_FILE)
    docs.put("contracts", "US10/20230900", {"instrument_code": "US10", "sampling": True, "expiry": None})
    docs.put("roll_state", "US10", {"state": "passive", "history": [{"when": "2024-01-02", "n": 1.5}]})
    for trade in (1, -2, 3):
        docs.insert_with_id("instrument_orders", {"trade": trade, "price": 101.25})
    docs.next_id("broker_order_ids")
    series = ParquetTimeSeriesStore(root)
    index = pd.date_range("2024-01-01 23:00", periods=4, freq="D", name="DATETIME")
    multiple = pd.DataFrame({"PRICE": [1.5, np.nan, 2.0, 2.5], "PRICE_CONTRACT": ["20240300", None, "20240300", "20240600"]}, index=index)
    series.write("multiple_prices", "US10", multiple)
    series.write("contract_prices", "US10/20240300", pd.DataFrame({"FINAL": [1.0, 2.0, 3.0, 4.0], "VOLUME": [10, 0, 5, 7]}, index=index))
    series.write("fx_prices", "GBPUSD", pd.DataFrame({"PRICE": [1.25, 1.26, 1.27, 1.28]}, index=index))


def snapshot(root: Path) -> tuple[dict, dict, dict]:
    docs = SqliteDocumentStore(root / SQLITE_FILE)
    series = ParquetTimeSeriesStore(root)
    documents = {c: docs.items(c) for c in ("contracts", "roll_state", "instrument_orders")}
    frames = {f"{k}/{key}": series.read(k, key) for k in ("multiple_prices", "contract_prices", "fx_prices")
              for key in series.keys(k)}
    return documents, frames, document_counters(docs)


@pytest.mark.parametrize("middle_series", ["parquet", "lmdb"])
def test_sqlite_parquet_to_mongo_and_back_gives_equal_data(tmp_path, jongodb_url, middle_series):
    if middle_series == "lmdb" and importlib.util.find_spec("arcticdb") is None:
        pytest.skip("ArcticDB not importable here (needs pandas < 3; .ci/run tests it in its own venv)")
    fill_source(tmp_path / "a")
    mongo = jongodb_url + fresh_db_name()
    middle = f"{mongo},{middle_series}:///{tmp_path / 'b'}"
    there = migrate(open_backend(f"sqlite+parquet:///{tmp_path / 'a'}"), open_backend(middle))
    assert there.documents == {"contracts": 1, "instrument_orders": 3, "roll_state": 1}
    assert there.series == {"contract_prices": 1, "fx_prices": 1, "multiple_prices": 1}
    assert there.rows == 12
    back = migrate(open_backend(middle), open_backend(f"sqlite+parquet:///{tmp_path / 'c'}"))
    assert (back.documents_sha256, back.series_sha256) == (there.documents_sha256, there.series_sha256)

    documents_a, frames_a, counters_a = snapshot(tmp_path / "a")
    documents_c, frames_c, counters_c = snapshot(tmp_path / "c")
    assert documents_c == documents_a
    assert counters_c == counters_a == {"instrument_orders": 3, "broker_order_ids": 1}
    assert frames_c.keys() == frames_a.keys()
    for name, frame in frames_a.items():
        pd.testing.assert_frame_equal(frames_c[name], frame, check_freq=False)
    # ids keep increasing after the move
    assert SqliteDocumentStore(tmp_path / "c" / SQLITE_FILE).insert_with_id("instrument_orders", {}) == 4


def test_a_tampered_target_fails_the_check(tmp_path):
    fill_source(tmp_path / "a")
    source, target = open_backend(f"sqlite+parquet:///{tmp_path / 'a'}"), open_backend(f"sqlite+parquet:///{tmp_path / 'b'}")
    migrate(source, target)
    target.documents.put("roll_state", "US10", {"state": "force"})
    with pytest.raises(DataValidationError, match="documents checksum differ"):
        verify(source, target, ["roll_state"], [])
    frame = target.timeseries.read("fx_prices", "GBPUSD")
    frame.iloc[2, 0] = 1.2701
    target.timeseries.write("fx_prices", "GBPUSD", frame)
    with pytest.raises(DataValidationError, match="series checksum differ"):
        verify(source, target, [], ["fx_prices"])


def _sysprod(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([SYSPROD, *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_refuses_a_non_empty_target_without_force(tmp_path):
    fill_source(tmp_path / "a")
    fill_source(tmp_path / "b")
    SqliteDocumentStore(tmp_path / "b" / SQLITE_FILE).put("extra", "x", {"only": "in b"})
    args = ["data", "migrate", "--from", f"sqlite+parquet:///{tmp_path / 'a'}",
            "--to", f"sqlite+parquet:///{tmp_path / 'b'}"]
    refused = _sysprod(*args)
    assert refused.returncode != 0
    assert "already holds data" in refused.stderr and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert SqliteDocumentStore(tmp_path / "b" / SQLITE_FILE).get("extra", "x") == {"only": "in b"}

    forced = _sysprod(*args, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "copied 5 document(s) in 3 collection(s) and 3 series (12 rows) in 3 kind(s)" in forced.stdout
    assert "verified: counts equal" in forced.stdout
    assert SqliteDocumentStore(tmp_path / "b" / SQLITE_FILE).get("extra", "x") is None


def test_a_bad_url_is_one_line_naming_the_forms(tmp_path):
    bad = _sysprod("data", "migrate", "--from", "ftp://x", "--to", f"sqlite+parquet:///{tmp_path}")
    assert bad.returncode != 0
    assert "not a backend" in bad.stderr and "sqlite+parquet" in bad.stderr
    assert json.dumps(bad.stderr).count("\\n") <= 1
