"""TimeSeriesStore on ArcticDB (the optional extra `sysprod[arctic]`).

`lmdb:///path` keeps the series in local LMDB files; `s3://endpoint:bucket?...` (ArcticDB's own
URI form) keeps them on S3-compatible storage that several machines share. One ArcticDB library
per kind (`sysprod_<kind>`), one symbol per key (a `/` in a key is kept as `~`, which keys never
hold).

ArcticDB writes a new version of a symbol atomically, so a reader sees a whole version. A
read-modify-write (`update`, `merge`) holds the series' lock for its whole span, as the Parquet
store does: on one machine a file lock beside the data; on S3 shared by several machines the
lock is a lease document in the MongoDB document store (MongoDocumentStore.named_lock), which
every machine of the installation shares.

ArcticDB needs pandas < 3 at the time of writing: install the extra in its own environment if
the main one has pandas 3 (docs/data.md).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from syscore.exceptions import ConfigError, DataValidationError, MissingData
from syscore.fileio import file_lock
from sysdata.stores.timeseries import _KEY_PART, merge_through_update

SeriesLock = Callable[[str], contextlib.AbstractContextManager[Any]]
_LIBRARY_PREFIX = "sysprod_"


def _import_arcticdb() -> Any:
    try:
        import arcticdb
    except ImportError as exc:
        raise ConfigError(
            f"timeseries_store: arctic needs ArcticDB ({exc}); install it with "
            "`pip install 'sysprod[arctic]'` (it needs pandas < 3: use its own virtualenv)"
        ) from None
    return arcticdb


def file_series_lock(folder: Path) -> SeriesLock:
    """Per-series OS file locks under `folder` (one machine)."""

    def lock(name: str) -> contextlib.AbstractContextManager[Any]:
        return file_lock(folder / (name.replace("/", "~") + ".lock"))

    return lock


class ArcticTimeSeriesStore:
    """TimeSeriesStore on one ArcticDB URI."""

    def __init__(self, url: str, series_lock: SeriesLock):
        arcticdb = _import_arcticdb()
        self._url = url
        try:
            self._arctic = arcticdb.Arctic(url)
        except Exception as exc:  # ArcticDB's own exception types vary by storage
            raise ConfigError(
                f"cannot open ArcticDB at {_public(url)} ({str(exc).splitlines()[0][:120]}); "
                "fix arctic_url in private_config.yaml"
            ) from None
        self._libraries: dict[str, Any] = {}
        self._lock = series_lock

    @property
    def url(self) -> str:
        return _public(self._url)

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[None]:
        """The Parquet store's bulk-import switch; ArcticDB syncs its own writes: nothing to do."""
        yield

    def _library(self, kind: str, create: bool) -> Any | None:
        lib = self._libraries.get(kind)
        if lib is None:
            name = _LIBRARY_PREFIX + kind
            if not create and name not in self._arctic.list_libraries():
                return None
            lib = self._arctic.get_library(name, create_if_missing=True)
            self._libraries[kind] = lib
        return lib

    @staticmethod
    def _symbol(kind: str, key: str) -> str:
        parts = key.split("/")
        if not all(_KEY_PART.match(p) and p.strip(".") for p in parts) or not _KEY_PART.match(kind):
            raise DataValidationError(
                f"time-series key '{kind}/{key}' has characters a key cannot hold; "
                "use letters, digits and _ . # + - & @"
            )
        return key.replace("/", "~")

    def kinds(self) -> list[str]:
        return sorted(
            name[len(_LIBRARY_PREFIX):] for name in self._arctic.list_libraries()
            if name.startswith(_LIBRARY_PREFIX)
        )

    def exists(self, kind: str, key: str) -> bool:
        lib = self._library(kind, create=False)
        return lib is not None and lib.has_symbol(self._symbol(kind, key))

    def read(self, kind: str, key: str) -> pd.DataFrame:
        symbol = self._symbol(kind, key)
        lib = self._library(kind, create=False)
        if lib is None or not lib.has_symbol(symbol):
            raise MissingData(
                f"no {kind} stored for '{key}'; check the name (sysprod data list instruments) "
                "or import it (sysprod data import-csv)"
            )
        return lib.read(symbol).data

    def write(self, kind: str, key: str, frame: pd.DataFrame) -> None:
        symbol = self._symbol(kind, key)
        _check_frame(frame, f"{kind}/{key}")
        with self._lock(f"{kind}/{key}"):
            self._library(kind, create=True).write(symbol, frame, prune_previous_versions=True)

    def update(
        self, kind: str, key: str, change: Callable[[pd.DataFrame | None], pd.DataFrame | None]
    ) -> pd.DataFrame | None:
        """Read-modify-write one series under its lock (the Parquet store's `update`)."""
        symbol = self._symbol(kind, key)
        with self._lock(f"{kind}/{key}"):
            lib = self._library(kind, create=True)
            old = lib.read(symbol).data if lib.has_symbol(symbol) else None
            new = change(old)
            if new is None:
                return old
            _check_frame(new, f"{kind}/{key}")
            lib.write(symbol, new, prune_previous_versions=True)
            return new

    def merge(self, kind: str, key: str, frame: pd.DataFrame) -> int:
        return merge_through_update(self.update, kind, key, frame)

    def delete(self, kind: str, key: str) -> None:
        symbol = self._symbol(kind, key)
        with self._lock(f"{kind}/{key}"):
            lib = self._library(kind, create=False)
            if lib is not None and lib.has_symbol(symbol):
                lib.delete(symbol)

    def keys(self, kind: str) -> list[str]:
        lib = self._library(kind, create=False)
        if lib is None:
            return []
        return sorted(symbol.replace("~", "/") for symbol in lib.list_symbols())


def _check_frame(frame: pd.DataFrame, what: str) -> None:
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataValidationError(f"{what}: a time series needs a DatetimeIndex")


def _public(url: str) -> str:
    """The URL without its secret (for messages)."""
    return re.sub(r"(secret=)[^&]*", r"\1***", url)


def arctic_store_for(config: Any, data_root: Path, documents: Any) -> ArcticTimeSeriesStore:
    """The store `timeseries_store: arctic` names: `arctic_url` (default lmdb under the data
    root). Series locks: the shared MongoDB store's when there is one, else local file locks."""
    url = config["arctic_url"] or f"lmdb://{Path(data_root) / 'arctic'}"
    named_lock = getattr(documents, "named_lock", None)
    if url.startswith("lmdb://") or named_lock is None:
        # one machine (a SQLite document store is one machine's too): its own file locks
        return ArcticTimeSeriesStore(url, file_series_lock(Path(data_root) / "locks" / "arctic"))
    return ArcticTimeSeriesStore(url, named_lock)
