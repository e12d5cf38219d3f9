"""Store contract tests: Parquet time series, and the document store on every backend (SQLite,
MongoDB through mongomock in-process, MongoDB over TCP to a real jongodb server on loopback)."""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from syscore.exceptions import DataValidationError, MissingData
from sysdata.stores.timeseries import ParquetTimeSeriesStore
from tests.sysdata.backends import open_store


def prices(start: str, values: list[float]) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="D", name="DATETIME")
    return pd.DataFrame({"PRICE": values}, index=index)


# --- TimeSeriesStore ------------------------------------------------------------------------


def test_write_read_round_trip_keeps_index_columns_and_strings(tmp_path):
    store = ParquetTimeSeriesStore(tmp_path)
    frame = prices("2024-01-01 23:00", [1.5, np.nan, -2.25])
    frame["CONTRACT"] = ["20240300", None, "20240600"]
    store.write("multiple_prices", "US10", frame)
    back = store.read("multiple_prices", "US10")
    frame.index = frame.index.astype("datetime64[ns]")  # stored datetimes are always ns
    pd.testing.assert_frame_equal(back, frame, check_freq=False)
    assert (tmp_path / "parquet" / "multiple_prices" / "US10.parquet").is_file()


def test_merge_keeps_old_rows_and_appends_only_newer(tmp_path):
    store = ParquetTimeSeriesStore(tmp_path)
    store.write("fx_prices", "GBPUSD", prices("2024-01-01", [1.0, 1.1, 1.2]))
    overlapping = prices("2024-01-02", [9.9, 9.9, 1.3, 1.4])  # first two overlap old rows
    added = store.merge("fx_prices", "GBPUSD", overlapping)
    back = store.read("fx_prices", "GBPUSD")["PRICE"]
    assert added == 2
    assert back.tolist() == [1.0, 1.1, 1.2, 1.3, 1.4]
    assert store.merge("fx_prices", "GBPUSD", prices("2024-01-01", [5.0])) == 0


def test_nested_keys_list_and_delete(tmp_path):
    store = ParquetTimeSeriesStore(tmp_path)
    for key in ("US10/20230900", "US10/20231200", "CORN/20231200"):
        store.write("contract_prices", key, prices("2024-01-01", [1.0]))
    assert store.keys("contract_prices") == ["CORN/20231200", "US10/20230900", "US10/20231200"]
    store.delete("contract_prices", "US10/20230900")
    assert not store.exists("contract_prices", "US10/20230900")
    with pytest.raises(MissingData, match="import-csv"):
        store.read("contract_prices", "US10/20230900")


def test_bad_key_and_missing_index_are_refused(tmp_path):
    store = ParquetTimeSeriesStore(tmp_path)
    with pytest.raises(DataValidationError, match="characters"):
        store.write("fx_prices", "../evil", prices("2024-01-01", [1.0]))
    with pytest.raises(DataValidationError, match="DatetimeIndex"):
        store.write("fx_prices", "GBPUSD", pd.DataFrame({"PRICE": [1.0]}))


def test_failed_write_leaves_old_file_and_no_temp_files(tmp_path):
    store = ParquetTimeSeriesStore(tmp_path)
    store.write("fx_prices", "GBPUSD", prices("2024-01-01", [1.0, 1.1]))
    bad = prices("2024-01-01", [1.0])
    bad["PRICE"] = pd.Series([object()], index=bad.index, dtype=object)
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        store.write("fx_prices", "GBPUSD", bad)
    assert store.read("fx_prices", "GBPUSD")["PRICE"].tolist() == [1.0, 1.1]
    assert [p.name for p in (tmp_path / "parquet" / "fx_prices").iterdir()] == ["GBPUSD.parquet"]


# --- DocumentStore --------------------------------------------------------------------------


def test_put_get_find_delete(docs):
    docs.put("contracts", "US10/20230900", {"instrument_code": "US10", "sampling": True})
    docs.put("contracts", "US10/20231200", {"instrument_code": "US10", "sampling": False})
    docs.put("contracts", "CORN/20231200", {"instrument_code": "CORN", "sampling": True})
    assert docs.get("contracts", "US10/20230900") == {"instrument_code": "US10", "sampling": True}
    assert len(docs.find("contracts", sampling=True)) == 2
    assert docs.find("contracts", instrument_code="US10", sampling=False) == [
        {"instrument_code": "US10", "sampling": False}
    ]
    assert docs.delete("contracts", "US10/20230900") is True
    assert docs.get("contracts", "US10/20230900") is None
    assert docs.keys("contracts") == ["CORN/20231200", "US10/20231200"]


def test_compare_and_set_only_swaps_what_the_caller_saw(docs):
    assert docs.compare_and_set("locks", "x", None, {"owner": 1}) is True
    assert docs.compare_and_set("locks", "x", None, {"owner": 2}) is False
    assert docs.compare_and_set("locks", "x", {"owner": 1}, {"owner": 3}) is True
    assert docs.get("locks", "x") == {"owner": 3}


def test_update_is_read_modify_write_and_can_delete(docs):
    docs.update("counters", "n", lambda d: {"value": (d or {"value": 0})["value"] + 1})
    docs.update("counters", "n", lambda d: {"value": d["value"] + 1})
    assert docs.get("counters", "n") == {"value": 2}
    docs.update("counters", "n", lambda d: None)
    assert docs.get("counters", "n") is None


def test_update_that_raises_changes_nothing(docs):
    docs.put("c", "k", {"v": 1})

    def boom(_doc):
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        docs.update("c", "k", boom)
    assert docs.get("c", "k") == {"v": 1}
    docs.put("c", "k2", {"v": 2})  # the connection is usable afterwards


def test_ids_are_monotonic_and_insert_with_id_keys_sort(docs):
    assert [docs.next_id("orders") for _ in range(3)] == [1, 2, 3]
    ids = [docs.insert_with_id("logs", {"msg": str(i)}) for i in range(12)]
    assert ids == list(range(1, 13))
    assert [d["id"] for _, d in docs.items("logs")] == ids


def test_not_json_able_is_a_clear_error(docs):
    with pytest.raises(DataValidationError, match="JSON"):
        docs.put("c", "k", {"when": object()})


def _cas_increments(spec: tuple[str, str], count: int) -> None:
    docs = open_store(spec)
    done = 0
    while done < count:
        current = docs.get("counters", "shared")
        value = 0 if current is None else current["value"]
        if docs.compare_and_set("counters", "shared", current, {"value": value + 1, "pid": os.getpid()}):
            done += 1


def test_two_processes_compare_and_set_increments_end_at_exactly_the_sum(shared_doc_spec):
    doc_spec = shared_doc_spec
    each = 1000 if doc_spec[0] == "sqlite" else 100  # every Mongo write is several round trips
    open_store(doc_spec)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_cas_increments, args=(doc_spec, each)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert open_store(doc_spec).get("counters", "shared")["value"] == 2 * each


def test_compare_and_set_ignores_the_order_the_expected_document_was_built_in(docs):
    docs.put("locks", "y", {"a": 1, "b": {"x": [1, 2], "w": None}})
    assert docs.compare_and_set("locks", "y", {"b": {"w": None, "x": [1, 2]}, "a": 1}, {"a": 2})
    assert not docs.compare_and_set("locks", "y", {"a": 1}, {"a": 3})
    assert docs.get("locks", "y") == {"a": 2}


def test_transaction_writes_all_and_reads_its_own_writes(docs):
    docs.put("positions", "A", {"instrument": "A", "qty": 1})
    with docs.transaction() as tx:
        new_id = tx.insert_with_id("orders", {"instrument": "A", "trade": 2})
        tx.put("positions", "A", {"instrument": "A", "qty": 3})
        tx.put("positions", "B", {"instrument": "B", "qty": 0})
        assert tx.get("positions", "A") == {"instrument": "A", "qty": 3}
        assert [d["instrument"] for d in tx.find("positions", qty=3)] == ["A"]
        assert tx.delete("positions", "B") is True
        assert tx.find("positions") == [{"instrument": "A", "qty": 3}]
    assert docs.get("positions", "A") == {"instrument": "A", "qty": 3}
    assert docs.get("positions", "B") is None
    assert docs.get("orders", f"{new_id:012d}") == {"instrument": "A", "trade": 2, "id": new_id}


def test_transaction_that_raises_writes_nothing_and_frees_the_store(docs):
    docs.put("positions", "A", {"qty": 1})
    with pytest.raises(RuntimeError, match="broker said no"):
        with docs.transaction() as tx:
            tx.put("positions", "A", {"qty": 5})
            tx.put("fills", "f1", {"qty": 4})
            raise RuntimeError("broker said no")
    assert docs.get("positions", "A") == {"qty": 1}
    assert docs.get("fills", "f1") is None
    docs.put("positions", "A", {"qty": 2})  # usable afterwards (the write lock was released)
    assert docs.get("positions", "A") == {"qty": 2}


def test_find_matches_json_types_the_same_on_every_backend(docs):
    """A true flag matches only true (not 1), a number only a number (not true), a string only a
    string, None a missing field or null: the same answer whichever store holds it, and inside a
    transaction."""
    stored = {
        "a": {"open": True, "n": 1}, "b": {"open": 1, "n": 2}, "c": {"open": False, "n": True},
        "d": {"open": None}, "e": {"n": "1"},
    }
    for key, doc in stored.items():
        docs.put("orders", key, {**doc, "key": key})

    def keys(**equals):
        expected = sorted(k for k, d in stored.items() if all(_json_equal(d.get(f), v) for f, v in equals.items()))
        found = sorted(d["key"] for d in docs.find("orders", **equals))
        with docs.transaction() as tx:
            in_tx = sorted(d["key"] for d in tx.find("orders", **equals))
        assert found == in_tx == expected, (equals, found, in_tx, expected)
        return found

    assert keys(open=True) == ["a"]
    assert keys(open=1) == ["b"]
    assert keys(open=False) == ["c"]
    assert keys(n=1) == ["a"]
    assert keys(n=True) == ["c"]
    assert keys(open=None) == ["d", "e"]
    assert keys(n="1") == ["e"]


def _json_equal(found, value) -> bool:  # noqa: ANN001 - JSON values
    """JSON equality: null/missing, booleans, strings and numbers are different kinds."""
    if value is None or found is None:
        return found is None and value is None
    for kind in (bool, str):
        if isinstance(found, kind) or isinstance(value, kind):
            return isinstance(found, kind) and isinstance(value, kind) and found == value
    return found == value
