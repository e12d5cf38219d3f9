"""Several processes on one Parquet series: appends never lost, reads never torn, temp files of
killed writers cleaned up. Real processes (spawn), real files."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from sysdata.stores.timeseries import ParquetTimeSeriesStore
from tests.process_helpers import join_cleanly

KIND, KEY = "contract_prices", "US10/20240300"
BASE = pd.Timestamp("2024-01-01")


def _row(stamp: pd.Timestamp, value: float) -> pd.DataFrame:
    return pd.DataFrame({"PRICE": [value]}, index=pd.DatetimeIndex([stamp], name="DATETIME"))


def _append_next(root: str, value: float, times: int, go) -> None:  # noqa: ANN001
    """Append one row one second after the last stored one, `times` times."""
    store = ParquetTimeSeriesStore(Path(root), fsync=False)
    go.wait()

    def next_row(old: pd.DataFrame | None) -> pd.DataFrame:
        if old is None:
            return _row(BASE, value)
        return pd.concat([old, _row(old.index[-1] + pd.Timedelta(seconds=1), value)])

    for _ in range(times):
        store.update(KIND, KEY, next_row)


def _merge_now(root: str, times: int, go, added_out) -> None:  # noqa: ANN001
    """Merge a row stamped with the wall clock; count the rows merge says it added."""
    store = ParquetTimeSeriesStore(Path(root), fsync=False)
    go.wait()
    added = 0
    for _ in range(times):
        added += store.merge(KIND, KEY, _row(pd.Timestamp.now(), 1.0))
    added_out.put(added)


def _run_together(target, args_per_worker: list[tuple]) -> None:  # noqa: ANN001
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    workers = [ctx.Process(target=target, args=(*args, go)) for args in args_per_worker]
    for worker in workers:
        worker.start()
    go.set()
    join_cleanly(workers, 120)


def test_two_processes_appending_500_times_each_keep_all_1000_rows(tmp_path):
    _run_together(_append_next, [(str(tmp_path), 1.0, 500), (str(tmp_path), 2.0, 500)])
    stored = ParquetTimeSeriesStore(tmp_path).read(KIND, KEY)
    assert len(stored) == 1000
    assert stored["PRICE"].value_counts().to_dict() == {1.0: 500, 2.0: 500}
    assert stored.index.is_monotonic_increasing and stored.index.is_unique
    assert stored.index[-1] == BASE + pd.Timedelta(seconds=999)
    assert sorted(p.name for p in (tmp_path / "parquet" / KIND / "US10").iterdir()) == ["20240300.parquet"]


def test_every_row_a_concurrent_merge_reports_as_added_is_stored(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    go, added = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_merge_now, args=(str(tmp_path), 200, go, added)) for _ in range(2)]
    for worker in workers:
        worker.start()
    go.set()
    reported = added.get(timeout=120) + added.get(timeout=120)
    join_cleanly(workers, 120)
    stored = ParquetTimeSeriesStore(tmp_path).read(KIND, KEY)
    assert len(stored) == reported and reported > 200


VERSIONS = 500
READS = 2000


def _version(number: int) -> pd.DataFrame:
    """Version n: n % 37 + 1 rows all holding n (sizes differ, so pages differ between versions)."""
    rows = number % 37 + 1
    index = pd.date_range("2024-01-01", periods=rows, freq="D", name="DATETIME")
    return pd.DataFrame({"PRICE": [float(number)] * rows, "VOLUME": [float(rows)] * rows}, index=index)


def _rewrite(root: str, go) -> None:  # noqa: ANN001
    store = ParquetTimeSeriesStore(Path(root), fsync=False)
    go.wait()
    for number in range(1, VERSIONS + 1):
        store.write(KIND, KEY, _version(number))


def _poll(root: str, go, out) -> None:  # noqa: ANN001
    """Read READS times; report errors and reads that match no written version."""
    store = ParquetTimeSeriesStore(Path(root), fsync=False)
    go.wait()
    errors, mismatches, seen = [], 0, set()
    for _ in range(READS):
        try:
            frame = store.read(KIND, KEY)
        except Exception as exc:  # noqa: BLE001 - every failure is what the test counts
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        number = int(frame["PRICE"].iloc[0])
        if not frame.equals(_version(number)):
            mismatches += 1
        seen.add(number)
    out.put((errors[:5], len(errors), mismatches, len(seen)))


def test_reads_during_500_rewrites_see_a_whole_version_every_time(tmp_path):
    store = ParquetTimeSeriesStore(tmp_path, fsync=False)
    store.write(KIND, KEY, _version(0))
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    writer = ctx.Process(target=_rewrite, args=(str(tmp_path), go))
    reader = ctx.Process(target=_poll, args=(str(tmp_path), go, out))
    writer.start()
    reader.start()
    go.set()
    first_errors, error_count, mismatches, versions_seen = out.get(timeout=120)
    join_cleanly((writer, reader), 120)
    assert (error_count, first_errors, mismatches) == (0, [], 0)
    assert versions_seen > 1  # the reads really overlapped the rewrites
    assert store.read(KIND, KEY).equals(_version(VERSIONS))


KILLED_WRITER = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import pandas as pd
    from sysdata.stores.timeseries import ParquetTimeSeriesStore
    store = ParquetTimeSeriesStore(Path(sys.argv[1]), fsync=False)
    frame = pd.DataFrame({"PRICE": [9.0]}, index=pd.DatetimeIndex(["2024-02-01"], name="DATETIME"))
    import pyarrow.parquet as pq
    real = pq.write_table
    def half_then_die(table, where, **kw):
        Path(where).write_bytes(b"PAR1 half a file")
        os._exit(9)  # killed mid-write: no cleanup runs
    pq.write_table = half_then_die
    store.write(sys.argv[2], sys.argv[3], frame)
""")


def _kill_a_writer(root: Path, kind: str, key: str) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(root), kind, key], timeout=60)
    assert done.returncode == 9


def test_a_killed_writers_temp_file_goes_at_the_next_write_of_that_series(tmp_path):
    store = ParquetTimeSeriesStore(tmp_path, fsync=False)
    store.write(KIND, KEY, _version(1))
    _kill_a_writer(tmp_path, KIND, KEY)
    folder = tmp_path / "parquet" / KIND / "US10"
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".20240300.parquet.")
    assert store.read(KIND, KEY).equals(_version(1))  # the old version is intact

    assert store.merge(KIND, KEY, _row(pd.Timestamp("2024-03-01"), 5.0)) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["20240300.parquet"]


def test_cleaning_removes_stale_temp_files_but_not_a_live_writers(tmp_path):
    from syscore.fileio import file_lock, lock_path_of

    store = ParquetTimeSeriesStore(tmp_path, fsync=False)
    store.write(KIND, KEY, _version(1))
    store.write("fx_prices", "GBPUSD", _version(2))
    _kill_a_writer(tmp_path, KIND, KEY)
    _kill_a_writer(tmp_path, "fx_prices", "GBPUSD")
    series = tmp_path / "parquet" / "fx_prices" / "GBPUSD.parquet"
    live = series.parent / ".GBPUSD.parquet.live.tmp"
    with file_lock(lock_path_of(series)):  # a writer of GBPUSD is busy right now
        live.write_bytes(b"being written")
        assert store.clean_temp_files() == 1
        assert os.path.exists(live)
        assert len([p for p in series.parent.iterdir() if p.name.endswith(".tmp")]) == 2
    assert store.clean_temp_files() == 2
    assert not list((tmp_path / "parquet").rglob("*.tmp"))
    assert store.read("fx_prices", "GBPUSD").equals(_version(2))
