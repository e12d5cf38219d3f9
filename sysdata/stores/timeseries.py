"""The TimeSeriesStore protocol and its Parquet backend.

One file per key, `<root>/parquet/<kind>/<key>.parquet`; a key may hold `/` to nest (contract
prices are `US10/20230900`). Every write goes through a temp file and a rename, so a killed
process leaves each series old or new, never torn.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from syscore.exceptions import DataValidationError, MissingData
from syscore.fileio import atomic_write_with

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


class ParquetTimeSeriesStore:
    """TimeSeriesStore on Parquet files under `<root>/parquet`."""

    def __init__(self, root: Path, fsync: bool = True):
        self._root = Path(root) / "parquet"
        self._fsync = fsync

    def _path(self, kind: str, key: str) -> Path:
        parts = key.split("/")
        if not all(_KEY_PART.match(part) for part in parts) or not _KEY_PART.match(kind):
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
            table = pq.read_table(path)
        except FileNotFoundError:
            raise MissingData(f"no {kind} stored for '{key}'") from None
        return table.to_pandas()

    def write(self, kind: str, key: str, frame: pd.DataFrame) -> None:
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise DataValidationError(f"{kind}/{key}: a time series needs a DatetimeIndex")
        table = pa.Table.from_pandas(frame, preserve_index=True)
        atomic_write_with(
            self._path(kind, key), lambda tmp: pq.write_table(table, tmp), fsync=self._fsync
        )

    def merge(self, kind: str, key: str, frame: pd.DataFrame) -> int:
        old = self.read(kind, key) if self.exists(kind, key) else None
        merged, added = merge_newer(old, frame)
        if added:
            self.write(kind, key, merged)
        return added

    def delete(self, kind: str, key: str) -> None:
        self._path(kind, key).unlink(missing_ok=True)

    def keys(self, kind: str) -> list[str]:
        base = self._root / kind
        if not base.is_dir():
            return []
        return sorted(
            path.relative_to(base).with_suffix("").as_posix() for path in base.rglob("*.parquet")
        )
