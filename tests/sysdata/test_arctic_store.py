"""The time-series contract on ArcticDB: `lmdb://` in a temp dir and `s3://` against a moto S3
server on loopback. ArcticDB needs pandas < 3, so these run where it imports (.ci/run builds a
small second virtualenv with `.[arctic]` for them) and skip elsewhere, saying why."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from syscore.exceptions import DataValidationError, MissingData
from tests.servers import moto_server

arcticdb = pytest.importorskip(
    "arcticdb", reason="ArcticDB not importable here (it needs pandas < 3; .ci/run tests it in its own venv)"
)

from sysdata.stores.arctic_timeseries import ArcticTimeSeriesStore, file_series_lock  # noqa: E402


def prices(start: str, values: list[float]) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="D", name="DATETIME")
    return pd.DataFrame({"PRICE": values}, index=index)


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


def s3_url(endpoint: str) -> str:
    """A fresh bucket on the moto server, as ArcticDB's s3:// URI."""
    import boto3

    bucket = "b" + uuid.uuid4().hex[:12]
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test",
                 aws_secret_access_key="test", region_name="us-east-1").create_bucket(Bucket=bucket)
    port = endpoint.rsplit(":", 1)[1]
    return f"s3://127.0.0.1:{bucket}?port={port}&access=test&secret=test&region=us-east-1"


@pytest.fixture(params=["lmdb", "s3"])
def store(request, tmp_path):
    if request.param == "lmdb":
        url = f"lmdb://{tmp_path / 'arctic'}"
    else:
        url = s3_url(request.getfixturevalue("s3_endpoint"))
    return ArcticTimeSeriesStore(url, file_series_lock(tmp_path / "locks"))


def test_write_read_round_trip_keeps_index_columns_and_strings(store):
    frame = prices("2024-01-01 23:00", [1.5, np.nan, -2.25])
    frame["CONTRACT"] = ["20240300", "20240300", "20240600"]
    store.write("multiple_prices", "US10", frame)
    back = store.read("multiple_prices", "US10")
    assert back.index.equals(frame.index) and back.index.name == "DATETIME"
    assert back["PRICE"].tolist()[0] == 1.5 and np.isnan(back["PRICE"].tolist()[1])
    assert back["CONTRACT"].tolist() == ["20240300", "20240300", "20240600"]


def test_merge_keeps_old_rows_and_appends_only_newer(store):
    store.write("fx_prices", "GBPUSD", prices("2024-01-01", [1.0, 1.1, 1.2]))
    added = store.merge("fx_prices", "GBPUSD", prices("2024-01-02", [9.9, 9.9, 1.3, 1.4]))
    assert added == 2
    assert store.read("fx_prices", "GBPUSD")["PRICE"].tolist() == [1.0, 1.1, 1.2, 1.3, 1.4]
    assert store.merge("fx_prices", "GBPUSD", prices("2024-01-01", [5.0])) == 0


def test_nested_keys_list_and_delete(store):
    for key in ("US10/20230900", "US10/20231200", "CORN/20231200"):
        store.write("contract_prices", key, prices("2024-01-01", [1.0]))
    assert store.keys("contract_prices") == ["CORN/20231200", "US10/20230900", "US10/20231200"]
    store.delete("contract_prices", "US10/20230900")
    assert not store.exists("contract_prices", "US10/20230900")
    with pytest.raises(MissingData, match="import-csv"):
        store.read("contract_prices", "US10/20230900")
    assert store.keys("never_written") == []


def test_bad_key_and_missing_index_are_refused(store):
    with pytest.raises(DataValidationError, match="characters"):
        store.write("fx_prices", "../evil", prices("2024-01-01", [1.0]))
    with pytest.raises(DataValidationError, match="DatetimeIndex"):
        store.write("fx_prices", "GBPUSD", pd.DataFrame({"PRICE": [1.0]}))
    assert not store.exists("fx_prices", "GBPUSD")


def test_update_that_returns_none_leaves_the_series(store):
    store.write("fx_prices", "EURUSD", prices("2024-01-01", [1.0]))
    assert store.update("fx_prices", "EURUSD", lambda old: None)["PRICE"].tolist() == [1.0]
    store.update("fx_prices", "EURUSD", lambda old: prices("2024-02-01", [2.0]))
    assert store.read("fx_prices", "EURUSD")["PRICE"].tolist() == [2.0]
