"""Copy an installation's stores from one backend to another, and prove the copy equal.

A backend is named by one URL:
- `sqlite+parquet:///ROOT`: the default stores of data root ROOT (ROOT/sysprod.sqlite and
  ROOT/parquet/);
- `DOCUMENTS,SERIES`: a document store URL (`sqlite:///FILE`, `mongodb://HOST:PORT/DB`, any
  MongoDB URL whose path names the database) and a time-series store URL (`parquet:///ROOT`,
  `lmdb:///PATH`, `s3://ENDPOINT:BUCKET?...` in ArcticDB's form), joined by a comma.

Every document (with the id counters, so ids keep increasing) and every series is copied; then
both sides are read back and compared: the number of documents per collection and of series per
kind, and a SHA-256 over every document and every series' index and values. The target must be
empty unless `force` (which first deletes what the target holds).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from syscore.exceptions import ConfigError, DataValidationError
from sysdata.stores.documents import SqliteDocumentStore
from sysdata.stores.timeseries import ParquetTimeSeriesStore

SQLITE_FILE = "sysprod.sqlite"
_BATCH = 500  # documents per write (a MongoDB journal document stays far below its 16 MB)
_SERIES_SCHEMES = re.compile(r",(?=(?:parquet|lmdb|s3s?)://)")


@dataclass
class Backend:
    """One side of a migration: its two stores and what to call them in messages."""

    url: str
    documents: Any
    timeseries: Any


@dataclass
class MigrationReport:
    documents: dict[str, int] = field(default_factory=dict)  # collection -> documents
    series: dict[str, int] = field(default_factory=dict)  # kind -> series
    rows: int = 0
    documents_sha256: str = ""
    series_sha256: str = ""


def _path_of(url: str, scheme: str) -> Path:
    path = url[len(scheme) + 3:]
    if not path:
        raise ConfigError(f"'{url}' names no path; write it as {scheme}:///absolute/path")
    return Path(path).expanduser()


def open_documents(url: str) -> Any:
    if url.startswith("sqlite://"):
        return SqliteDocumentStore(_path_of(url, "sqlite"))
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from urllib.parse import urlsplit

        db = urlsplit(url).path.strip("/")
        if not db:
            raise ConfigError(f"'{url}' names no database; end it with /DBNAME")
        config = {"mongo_host": url, "mongo_port": 27017, "mongo_db": db,
                  "sqlite_busy_timeout_seconds": 30}
        from sysdata.stores.mongo_documents import connect_mongo

        return connect_mongo(config)
    raise ConfigError(f"unknown document store URL '{url}'; use sqlite:///FILE or mongodb://HOST:PORT/DB")


def open_timeseries(url: str, lock_folder: Path, documents: Any) -> Any:
    if url.startswith("parquet://"):
        return ParquetTimeSeriesStore(_path_of(url, "parquet"))
    if url.startswith(("lmdb://", "s3://", "s3s://")):
        from sysdata.stores.arctic_timeseries import ArcticTimeSeriesStore, file_series_lock

        named_lock = getattr(documents, "named_lock", None)
        lock = named_lock if named_lock is not None and not url.startswith("lmdb") else \
            file_series_lock(lock_folder)
        return ArcticTimeSeriesStore(url, lock)
    raise ConfigError(f"unknown time-series store URL '{url}'; use parquet:///ROOT, lmdb:///PATH or s3://...")


def open_backend(url: str) -> Backend:
    """The stores a backend URL names (see the module docstring)."""
    if url.startswith("sqlite+parquet://"):
        root = _path_of(url, "sqlite+parquet")
        return Backend(url, SqliteDocumentStore(root / SQLITE_FILE), ParquetTimeSeriesStore(root))
    parts = _SERIES_SCHEMES.split(url, maxsplit=1)
    if len(parts) != 2:
        raise ConfigError(
            f"'{url}' is not a backend; use sqlite+parquet:///ROOT or DOCUMENTS_URL,SERIES_URL "
            "(e.g. mongodb://host:27017/production,lmdb:///srv/arctic)"
        )
    documents = open_documents(parts[0])
    series_url = parts[1]
    if series_url.startswith("lmdb://"):  # series locks beside the LMDB folder
        lmdb = _path_of(series_url, "lmdb")
        lock_folder = lmdb.with_name(lmdb.name + ".locks")
    else:  # S3 without MongoDB: this machine's locks
        lock_folder = Path.home() / ".sysprod_locks"
    return Backend(url, documents, open_timeseries(series_url, lock_folder, documents))


# --- listing what a store holds ---------------------------------------------------------------
def document_collections(docs: Any) -> list[str]:
    if hasattr(docs, "collections"):
        return docs.collections()
    with sqlite3.connect(docs.path) as conn:
        return [r[0] for r in conn.execute("SELECT DISTINCT collection FROM documents ORDER BY 1")]


def document_counters(docs: Any) -> dict[str, int]:
    if hasattr(docs, "counters"):
        return docs.counters()
    with sqlite3.connect(docs.path) as conn:
        return {name: int(value) for name, value in conn.execute("SELECT name, value FROM counters")}


def set_counters(docs: Any, counters: dict[str, int]) -> None:
    if hasattr(docs, "set_counter"):
        for name, value in counters.items():
            docs.set_counter(name, value)
        return
    conn = sqlite3.connect(docs.path, timeout=30)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value)",
                list(counters.items()),
            )
    finally:
        conn.close()


def series_kinds(store: Any) -> list[str]:
    if hasattr(store, "kinds"):
        return store.kinds()
    base = Path(store._root)
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


# --- checksums --------------------------------------------------------------------------------
def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a series' timestamps, column names and values (dtype-blind: a float stored as
    float64 by one backend and read back the same by another hashes alike; NaN/None are one)."""
    h = hashlib.sha256()
    h.update(np.asarray(frame.index.to_numpy(dtype="datetime64[ns]").astype("int64")).tobytes())
    for column in frame.columns:
        h.update(str(column).encode() + b"\0")
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            arr = values.to_numpy(dtype="float64", na_value=np.nan)
            arr = np.where(np.isnan(arr), np.nan, arr)
            h.update(arr.tobytes())
        else:
            h.update(json.dumps([None if pd.isna(v) else str(v) for v in values]).encode())
    return h.hexdigest()


def _documents_digest(docs: Any, collections: list[str]) -> tuple[dict[str, int], str]:
    h = hashlib.sha256()
    counts = {}
    for collection in collections:
        items = docs.items(collection)
        counts[collection] = len(items)
        for key, doc in items:
            h.update(json.dumps([collection, key, doc], sort_keys=True, allow_nan=True).encode())
    return counts, h.hexdigest()


def _series_digest(store: Any, kinds: list[str]) -> tuple[dict[str, int], int, str]:
    h = hashlib.sha256()
    counts, rows = {}, 0
    for kind in kinds:
        keys = store.keys(kind)
        counts[kind] = len(keys)
        for key in keys:
            frame = store.read(kind, key)
            rows += len(frame)
            h.update(f"{kind}/{key}:".encode() + frame_digest(frame).encode())
    return counts, rows, h.hexdigest()


def is_empty(backend: Backend) -> bool:
    docs = any(backend.documents.keys(c) for c in document_collections(backend.documents))
    series = any(backend.timeseries.keys(k) for k in series_kinds(backend.timeseries))
    return not docs and not series


def _clear(backend: Backend) -> None:
    for collection in document_collections(backend.documents):
        for key in backend.documents.keys(collection):
            backend.documents.delete(collection, key)
    for kind in series_kinds(backend.timeseries):
        for key in backend.timeseries.keys(kind):
            backend.timeseries.delete(kind, key)


def count_items(source: Backend) -> int:
    """How many documents and series a migration from `source` copies (for a progress bar)."""
    docs = sum(len(source.documents.keys(c)) for c in document_collections(source.documents))
    series = sum(len(source.timeseries.keys(k)) for k in series_kinds(source.timeseries))
    return docs + series


def migrate(
    source: Backend, target: Backend, *, force: bool = False,
    progress: Callable[[str, int], None] = lambda what, n: None,
) -> MigrationReport:
    """Copy everything from `source` to `target`, then verify counts and checksums.

    `progress(description, items_done)` is called as collections and series are copied."""
    if not is_empty(target):
        if not force:
            raise DataValidationError(
                f"the target {target.url} already holds data; migrate only into empty stores, "
                "or add --force to delete what it holds first"
            )
        _clear(target)
    collections = document_collections(source.documents)
    for collection in collections:
        items = source.documents.items(collection)
        put_many = getattr(target.documents, "put_many", None)
        for start in range(0, len(items), _BATCH):
            batch = items[start:start + _BATCH]
            if put_many is not None:
                put_many(collection, dict(batch))
            else:
                for key, doc in batch:
                    target.documents.put(collection, key, doc)
            progress(f"documents {collection}", len(batch))
    set_counters(target.documents, document_counters(source.documents))
    kinds = series_kinds(source.timeseries)
    for kind in kinds:
        for key in source.timeseries.keys(kind):
            target.timeseries.write(kind, key, source.timeseries.read(kind, key))
            progress(f"{kind} {key}", 1)
    return verify(source, target, collections, kinds)


def verify(source: Backend, target: Backend, collections: list[str], kinds: list[str]) -> MigrationReport:
    """Compare both sides read back: counts per collection/kind, rows, SHA-256 over everything."""
    src_docs, src_docs_sha = _documents_digest(source.documents, collections)
    dst_docs, dst_docs_sha = _documents_digest(target.documents, collections)
    src_series, src_rows, src_series_sha = _series_digest(source.timeseries, kinds)
    dst_series, dst_rows, dst_series_sha = _series_digest(target.timeseries, kinds)
    for what, a, b in (("documents per collection", src_docs, dst_docs),
                       ("series per kind", src_series, dst_series),
                       ("rows", src_rows, dst_rows),
                       ("documents checksum", src_docs_sha, dst_docs_sha),
                       ("series checksum", src_series_sha, dst_series_sha)):
        if a != b:
            raise DataValidationError(
                f"migration check failed: {what} differ between {source.url} ({a}) and "
                f"{target.url} ({b}); the target is incomplete, run the migration again with --force"
            )
    return MigrationReport(src_docs, src_series, src_rows, src_docs_sha, src_series_sha)


# --- a JSON export of a document store (the backup of a MongoDB store; restore reads it) ------
def export_documents(docs: Any, path: Path) -> dict[str, int]:
    """Write every document and counter to `path` as JSON lines (first line the counters),
    atomically; a MongoDB store is read under its write lock (one instant for all documents).
    Returns documents per collection."""
    from syscore.fileio import atomic_path

    if hasattr(docs, "snapshot"):
        counters, collections = docs.snapshot()
    else:
        counters = document_counters(docs)
        collections = {c: docs.items(c) for c in document_collections(docs)}
    with atomic_path(Path(path), fsync=True) as tmp, open(tmp, "w") as out:
        out.write(json.dumps({"counters": counters}, sort_keys=True) + "\n")
        for collection, items in collections.items():
            for key, doc in items:
                out.write(json.dumps({"c": collection, "k": key, "doc": doc}, sort_keys=True,
                                     allow_nan=True) + "\n")
    return {c: len(items) for c, items in collections.items()}


def import_documents(path: Path, docs: Any, *, where: str) -> dict[str, int]:
    """Load an `export_documents` file into an empty document store (`where` names it in the
    refusal). Returns documents per collection."""
    if any(docs.keys(c) for c in document_collections(docs)):
        raise DataValidationError(
            f"the document store {where} already holds documents; restore into an empty one "
            "(a new mongo_db, or delete what it holds first)"
        )
    by_collection: dict[str, dict[str, Any]] = {}
    with open(path) as source:
        counters = json.loads(source.readline())["counters"]
        for line in source:
            entry = json.loads(line)
            by_collection.setdefault(entry["c"], {})[entry["k"]] = entry["doc"]
    for collection, items in by_collection.items():
        keys = list(items)
        for start in range(0, len(keys), _BATCH):
            batch = {k: items[k] for k in keys[start:start + _BATCH]}
            put_many = getattr(docs, "put_many", None)
            if put_many is not None:
                put_many(collection, batch)
            else:
                for key, doc in batch.items():
                    docs.put(collection, key, doc)
    set_counters(docs, {k: int(v) for k, v in counters.items()})
    return {c: len(items) for c, items in by_collection.items()}
