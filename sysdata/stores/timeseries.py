"""The TimeSeriesStore protocol and its Parquet backend.

One file per key, `<root>/parquet/<kind>/<key>.parquet`; a key may hold `/` to nest (contract
prices are `US10/20230900`). Every write goes through a temp file and a rename, so a killed
process leaves each series old or new, never torn.

Several processes share these files (the nightly jobs, a manual check, a backup), so:
- writers of one series take an OS lock (`.<key>.parquet.lock` beside the file) for the whole of
  a read-modify-write, so two appends at once both land;
- a read opens the file once and reads everything from that handle: a rename by a writer swaps
  the name, not the open file, so a reader sees the old version or the new one whole;
- a killed writer's temp file (`.<key>.parquet.locked.tmp`, or `.<key>.parquet.<random>.tmp`
  from before writers took the lock) is removed by the next writer of that series (it holds the
  lock, so no live writer owns the file) or by the cleaners (only while the lock is free).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from syscore.exceptions import DataValidationError, MissingData
from syscore.fileio import (
    DeferrableSync,
    LockBusy,
    atomic_write_with,
    file_lock,
    lock_path_of,
    temp_files_of,
)

_KEY_PART = re.compile(r"^[A-Za-z0-9_.#+\-&@]+$")


class TimeSeriesStore(Protocol):
    def read(self, kind: str, key: str) -> pd.DataFrame: ...
    def exists(self, kind: str, key: str) -> bool: ...
    def write(self, kind: str, key: str, frame: pd.DataFrame) -> None: ...
    def merge(self, kind: str, key: str, frame: pd.DataFrame) -> int: ...
    def delete(self, kind: str, key: str) -> None: ...
    def keys(self, kind: str) -> list[str]: ...


def merge_newer(old: pd.DataFrame | None, new: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep every old row and append the new rows stamped after the last old one.

    Old data is never rewritten by a merge: corrections go through an explicit write.
    Returns the merged frame and the number of rows added.
    """
    if old is None or old.empty:
        return new, len(new)
    newer = new[new.index > old.index[-1]]
    if newer.empty:
        return old, 0
    merged = pd.concat([old, newer.reindex(columns=old.columns)])
    return merged, len(newer)


def merge_through_update(
    update: Callable[[str, str, Callable[[pd.DataFrame | None], pd.DataFrame | None]], pd.DataFrame | None],
    kind: str,
    key: str,
    frame: pd.DataFrame,
) -> int:
    """A store's `merge` on top of its atomic `update`: `merge_newer` under the store's lock,
    nothing written when no row is new. Returns the number of rows added."""
    added = 0

    def append(old: pd.DataFrame | None) -> pd.DataFrame | None:
        nonlocal added
        merged, added = merge_newer(old, frame)
        return merged if added else None

    update(kind, key, append)
    return added


_INDEX_META = b"sysprod_index"


def frame_to_table(frame: pd.DataFrame, what: str) -> pa.Table:
    """Arrow table with the DatetimeIndex as the first column (named in the metadata).

    Built column by column from numpy: much cheaper than pandas' generic conversion, which
    matters when an import writes thousands of small contract series.
    """
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataValidationError(f"{what}: a time series needs a DatetimeIndex")
    index_name = frame.index.name or "DATETIME"
    arrays = [pa.array(frame.index.to_numpy(dtype="datetime64[ns]"))]
    names = [index_name]
    for column in frame.columns:
        values = frame[column].to_numpy()
        if values.dtype == object:
            arrays.append(pa.array(values, type=pa.string(), from_pandas=True))
        else:
            arrays.append(pa.array(values, from_pandas=False))
        names.append(str(column))
    table = pa.Table.from_arrays(arrays, names=names)
    return table.replace_schema_metadata({_INDEX_META: index_name.encode()})


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    meta = table.schema.metadata or {}
    index_name = meta.get(_INDEX_META, b"DATETIME").decode()
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            # straight to pandas' string dtype (what it would infer from Python strings, at a
            # fraction of the cost: contract columns run to tens of thousands of rows)
            columns[name] = column.to_pandas().array
        else:
            columns[name] = column.to_numpy()
    index = pd.DatetimeIndex(columns.pop(index_name), name=index_name)
    return pd.DataFrame(columns, index=index)


def _read_whole(path: Path) -> pa.Table:
    """Read a Parquet file through one open handle (a writer's rename cannot tear it).

    `ParquetFile.read` on the handle also skips the dataset layer `read_table` goes through,
    which is most of the cost of reading a small series."""
    with pa.OSFile(str(path), "r") as source:
        return pq.ParquetFile(source).read()


def locked_temp_file(path: Path) -> Path:
    """The temp file a writer holding the series lock writes (`.<key>.parquet.locked.tmp`)."""
    return path.parent / f".{path.name}.locked.tmp"


def remove_temp_files(path: Path) -> int:
    """Remove the temp files of one series' writes; call only while holding its lock."""
    removed = 0
    for tmp in temp_files_of(path):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
            removed += 1
    return removed


class ParquetTimeSeriesStore(DeferrableSync):
    """TimeSeriesStore on Parquet files under `<root>/parquet`."""

    def __init__(self, root: Path, fsync: bool = True):
        self._root = Path(root) / "parquet"
        self._fsync = fsync

    def _path(self, kind: str, key: str) -> Path:
        parts = key.split("/")
        if not all(_KEY_PART.match(p) and p.strip(".") for p in parts) or not _KEY_PART.match(kind):
            raise DataValidationError(
                f"time-series key '{kind}/{key}' has characters a file name cannot hold; "
                "use letters, digits and _ . # + - & @"
            )
        return self._root.joinpath(kind, *parts[:-1], parts[-1] + ".parquet")

    def exists(self, kind: str, key: str) -> bool:
        return self._path(kind, key).is_file()

    def read(self, kind: str, key: str) -> pd.DataFrame:
        path = self._path(kind, key)
        try:
            return table_to_frame(_read_whole(path))
        except FileNotFoundError:
            raise MissingData(
                f"no {kind} stored for '{key}'; check the name (sysprod data list instruments) "
                "or import it (sysprod data import-csv)"
            ) from None

    @contextlib.contextmanager
    def locked(self, kind: str, key: str) -> Iterator[Path]:
        """Hold the series' writer lock; yields the series' path. Not re-entrant."""
        path = self._path(kind, key)
        with file_lock(lock_path_of(path)):
            locked_temp_file(path).unlink(missing_ok=True)  # a killed writer's; no one else's
            yield path

    def _write_locked(self, path: Path, table: pa.Table) -> None:
        """Write under the series lock: the lock makes us the only writer, so the temp file has
        one fixed name (a killed writer's is found by name, not by listing the folder)."""
        atomic_write_with(
            path, lambda tmp: pq.write_table(table, tmp), fsync=self._fsync, tmp=locked_temp_file(path)
        )

    def write(self, kind: str, key: str, frame: pd.DataFrame) -> None:
        table = frame_to_table(frame, f"{kind}/{key}")  # a bad frame fails before any lock or file
        with self.locked(kind, key) as path:
            self._write_locked(path, table)

    def update(
        self, kind: str, key: str, change: Callable[[pd.DataFrame | None], pd.DataFrame | None]
    ) -> pd.DataFrame | None:
        """Read-modify-write one series under its lock: `change(current or None)` returns the
        frame to store, or None to leave it as it is. Returns what is stored afterwards."""
        with self.locked(kind, key) as path:
            old = table_to_frame(_read_whole(path)) if path.is_file() else None
            new = change(old)
            if new is None:
                return old
            self._write_locked(path, frame_to_table(new, f"{kind}/{key}"))
            return new

    def merge(self, kind: str, key: str, frame: pd.DataFrame) -> int:
        return merge_through_update(self.update, kind, key, frame)

    def delete(self, kind: str, key: str) -> None:
        with self.locked(kind, key) as path:
            path.unlink(missing_ok=True)

    def clean_temp_files(self) -> int:
        """Remove temp files left by killed writers, for every series whose lock is free now
        (a busy lock means a live writer may own the temp file). Returns how many went."""
        removed = 0
        if not self._root.is_dir():
            return 0
        series = {tmp.parent / tmp.name[1:].split(".parquet.")[0] for tmp in self._root.rglob(".*.parquet.*.tmp")}
        for stem in sorted(series):
            path = stem.parent / (stem.name + ".parquet")
            try:
                with file_lock(lock_path_of(path), blocking=False, create_dirs=False):
                    removed += remove_temp_files(path)
            except LockBusy:
                continue
        return removed

    def keys(self, kind: str) -> list[str]:
        base = self._root / kind
        if not base.is_dir():
            return []
        return sorted(
            path.relative_to(base).with_suffix("").as_posix() for path in base.rglob("*.parquet")
        )
