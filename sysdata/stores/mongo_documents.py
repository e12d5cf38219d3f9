"""DocumentStore on MongoDB (pymongo 4), for installations that already run a MongoDB server or
whose processes run on several machines.

The contract is the SQLite backend's (sysdata/stores/documents.py), kept on the subset of MongoDB
that every server since 5.0 has, standalone or replica set: `find`, `find_one_and_update` /
`find_one_and_replace` (with `upsert`), `replace_one`, `delete_one`, `insert_one`,
`$set`, `$inc`, `$or`, `$lt` and a unique `_id`. No multi-document transactions (they need a
replica set), no collection listing, renaming or dropping.

How the SQLite guarantees are kept:

- `compare_and_set` is one `find_one_and_replace` with the expected document in the filter (or an
  `insert_one` that a duplicate `_id` refuses, when nothing is expected);
- `next_id` is one `find_one_and_update` with `$inc` and `upsert` on a counter document;
- writes are serialised by one write lock, a lease document (`sysprod_lock`, `_id` "write")
  taken by a conditional `find_one_and_update`: SQLite's `BEGIN IMMEDIATE`. Every write takes it
  (a plain put cannot slip between a transaction's read and its write), reads do not;
- `transaction()` holds the write lock for its block, buffers its writes, and commits them through
  a redo journal: one `insert_one` of every write (the commit point), then the writes, then the
  journal's removal. A holder killed after the commit point leaves the journal behind, and the
  next writer (the lock's next holder) replays it before doing anything else; killed before it,
  nothing was written. So a fill, its orders and its positions land all together or not at all,
  without a replica set. Reads *outside* a transaction may see a commit half-applied for the
  milliseconds its writes take; reads inside one see one consistent state.
- A lock whose holder died is taken over at once when the holder ran on this host (its pid is
  gone), else when its lease (`LEASE_SECONDS`, renewed on every use) has run out: machines'
  clocks must agree to well within that. A holder that finds at commit that it lost the lock
  (it was stalled past its lease) writes nothing and raises.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

from syscore.exceptions import ConcurrencyError, ConfigError, DataValidationError
from syscore.liveness import hostname, is_alive
from sysdata.stores.documents import Document, Transaction, _dumps

DOCUMENTS = "sysprod_documents"
COUNTERS = "sysprod_counters"
LOCKS = "sysprod_lock"
JOURNAL_ID = "journal"
WRITE_LOCK_ID = "write"
LEASE_SECONDS = 60.0




def _normal(doc: Document) -> Document:
    """The document as the store keeps it: JSON values only, keys sorted at every level (so an
    expected document in a filter matches whatever order the caller built it in)."""
    return json.loads(_dumps(doc))


def _doc_id(collection: str, key: str) -> str:
    if ":" in collection:
        raise DataValidationError(f"document collection name '{collection}' may not hold ':'")
    return f"{collection}:{key}"




def _matches(doc: Document, equals: dict[str, Any]) -> bool:
    """MongoDB's equality on JSON values: true is not 1 (Python's == says it is)."""
    return all(_json_equal(doc.get(field), value) for field, value in equals.items())


def _json_equal(found: Any, value: Any) -> bool:
    if isinstance(found, bool) or isinstance(value, bool):
        return isinstance(found, bool) and isinstance(value, bool) and found == value
    return found == value


def _find_filter(collection: str, equals: dict[str, Any]) -> dict[str, Any]:
    query: dict[str, Any] = {"c": collection}
    for field, value in equals.items():
        if not field.isidentifier():
            raise DataValidationError(f"find: field name '{field}' is not an identifier")
        query[f"body.{field}"] = value
    return query


class MongoDocumentStore:
    """DocumentStore on one MongoDB database, shared safely by processes on several machines."""

    def __init__(self, database: Any, *, where: str = "MongoDB", lock_timeout_seconds: float = 30.0):
        self._db = database
        self._docs = database[DOCUMENTS]
        self._counters = database[COUNTERS]
        self._locks = database[LOCKS]
        self._where = where
        self._timeout = lock_timeout_seconds
        self._docs.create_index([("c", 1), ("k", 1)])

    @property
    def where(self) -> str:
        """Host and database, for messages (never the password)."""
        return self._where

    @property
    def database(self) -> Any:
        return self._db

    # --- reads (no lock) ----------------------------------------------------------------------
    def get(self, collection: str, key: str) -> Document | None:
        found = self._docs.find_one({"_id": _doc_id(collection, key)})
        return None if found is None else found["body"]

    def keys(self, collection: str) -> list[str]:
        return [d["k"] for d in self._docs.find({"c": collection}, {"k": 1}).sort("k", 1)]

    def items(self, collection: str) -> list[tuple[str, Document]]:
        return [(d["k"], d["body"]) for d in self._docs.find({"c": collection}).sort("k", 1)]

    def find(self, collection: str, **equals: Any) -> list[Document]:
        cursor = self._docs.find(_find_filter(collection, equals)).sort("k", 1)
        # the server's answer, checked once more in Python: a test double (mongomock) takes true for 1
        return [d["body"] for d in cursor if _matches(d["body"], equals)]

    def collections(self) -> list[str]:
        """Every collection holding a document (the migration and the JSON export walk these)."""
        return sorted({d["c"] for d in self._docs.find({}, {"c": 1})})

    def counters(self) -> dict[str, int]:
        return {d["_id"]: int(d["value"]) for d in self._counters.find({})}

    def set_counter(self, name: str, value: int) -> None:
        """Raise a counter to at least `value` (restore/migration: ids keep increasing)."""
        with self._write_lock():
            current = self._counters.find_one({"_id": name})
            if current is None or int(current["value"]) < value:
                self._counters.replace_one({"_id": name}, {"value": int(value)}, upsert=True)

    def snapshot(self) -> tuple[dict[str, int], dict[str, list[tuple[str, Document]]]]:
        """(counters, {collection: items}) read under the write lock: one instant for every
        document (no commit half-applied), as SQLite's online backup copies one. The lease is
        renewed after each collection."""
        with self._write_lock() as token:
            collections = {}
            for collection in self.collections():
                collections[collection] = self.items(collection)
                self._renew(token)
            return self.counters(), collections

    # --- writes (under the write lock) ----------------------------------------------------------
    def put(self, collection: str, key: str, doc: Document) -> None:
        record = self._record(collection, key, doc)
        with self._write_lock():
            self._docs.replace_one({"_id": record["_id"]}, record, upsert=True)

    def put_many(self, collection: str, docs: dict[str, Document]) -> None:
        """Write several documents all or none (through the journal)."""
        records = [self._record(collection, key, doc) for key, doc in docs.items()]
        with self._write_lock() as token:
            self._commit(token, [("put", r) for r in records])

    def delete(self, collection: str, key: str) -> bool:
        with self._write_lock():
            return self._docs.delete_one({"_id": _doc_id(collection, key)}).deleted_count > 0

    def compare_and_set(
        self, collection: str, key: str, expected: Document | None, new: Document
    ) -> bool:
        from pymongo.errors import DuplicateKeyError

        record = self._record(collection, key, new)
        with self._write_lock():
            if expected is None:
                try:
                    self._docs.insert_one(record)
                except DuplicateKeyError:
                    return False
                return True
            swapped = self._docs.find_one_and_replace(
                {"_id": record["_id"], "body": _normal(expected)}, record
            )
            return swapped is not None

    def update(
        self, collection: str, key: str, change: Callable[[Document | None], Document | None]
    ) -> Document | None:
        """Atomically replace a document by `change(current)`; returning None deletes it."""
        doc_id = _doc_id(collection, key)
        with self._write_lock():
            found = self._docs.find_one({"_id": doc_id})
            new = change(None if found is None else found["body"])
            if new is None:
                self._docs.delete_one({"_id": doc_id})
                return None
            record = self._record(collection, key, new)
            self._docs.replace_one({"_id": doc_id}, record, upsert=True)
            return record["body"]

    def next_id(self, counter: str) -> int:
        from pymongo import ReturnDocument

        after = self._counters.find_one_and_update(
            {"_id": counter}, {"$inc": {"value": 1}}, upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(after["value"])

    def insert_with_id(self, collection: str, doc: Document, id_field: str = "id") -> int:
        """Give `doc` the next id of its collection and store it (ids never repeat; one taken by a
        write that then failed is skipped, as an aborted SQLite transaction's is not)."""
        _dumps(doc)
        with self._write_lock():
            new_id = self.next_id(collection)
            record = self._record(collection, f"{new_id:012d}", {**doc, id_field: new_id})
            self._docs.insert_one(record)
        return new_id

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All-or-nothing reads and writes across collections (see the module docstring)."""
        with self._write_lock() as token:
            tx = _MongoTransaction(self)
            yield tx
            self._commit(token, tx.operations())

    # --- internals ------------------------------------------------------------------------------
    @staticmethod
    def _record(collection: str, key: str, doc: Document) -> dict[str, Any]:
        return {"_id": _doc_id(collection, key), "c": collection, "k": key, "body": _normal(doc)}

    def _commit(self, token: str, ops: list[tuple[str, dict[str, Any]]]) -> None:
        """Apply writes all or none: one write needs no journal, several go through it."""
        if not ops:
            return
        self._renew(token)
        if len(ops) == 1:
            self._apply(ops)
            return
        journal = [{"op": op, "record": record} for op, record in ops]
        self._locks.insert_one({"_id": JOURNAL_ID, "holder": token, "ops": journal})  # commit point
        self._apply(ops)
        self._locks.delete_one({"_id": JOURNAL_ID})

    def _apply(self, ops: list[tuple[str, dict[str, Any]]]) -> None:
        """One write per document, in order (idempotent: a replay repeats them harmlessly)."""
        for op, record in ops:
            if op == "put":
                self._docs.replace_one({"_id": record["_id"]}, record, upsert=True)
            else:
                self._docs.delete_one({"_id": record["_id"]})

    def _replay_journal(self) -> None:
        """Finish the commit of a writer that died after its commit point (we hold the lock)."""
        journal = self._locks.find_one({"_id": JOURNAL_ID})
        if journal is None:
            return
        self._apply([(entry["op"], entry["record"]) for entry in journal["ops"]])
        self._locks.delete_one({"_id": JOURNAL_ID})

    def _renew(self, token: str) -> None:
        held = self._locks.find_one_and_update(
            {"_id": WRITE_LOCK_ID, "holder": token},
            {"$set": {"expires": time.time() + LEASE_SECONDS}},
        )
        if held is None:
            raise ConcurrencyError(
                f"lost the document store's write lock on {self._where} (held past its "
                f"{LEASE_SECONDS:.0f} s lease); nothing was written, run it again"
            )

    @contextmanager
    def _write_lock(self) -> Iterator[str]:
        token = self._acquire(WRITE_LOCK_ID)
        try:
            self._replay_journal()
            yield token
        finally:
            self._locks.delete_one({"_id": WRITE_LOCK_ID, "holder": token})

    @contextmanager
    def named_lock(self, name: str) -> Iterator[None]:
        """A lock shared by every machine using this database (lease as the write lock's): the
        ArcticDB time-series store takes one per series for its read-modify-writes."""
        lock_id = f"series:{name}"
        token = self._acquire(lock_id)
        try:
            yield
        finally:
            self._locks.delete_one({"_id": lock_id, "holder": token})

    def _acquire(self, lock_id: str) -> str:
        """Take a lock: insert its document (the `_id` index lets one insert win); a document
        left by a holder that is gone (its lease ran out, or it ran on this host and its pid is
        dead) is deleted, only if still that holder's, and the insert tried again. Only `_id`
        uniqueness is relied on, the most basic guarantee of every MongoDB-wire server (a
        findAndModify on a shared lock document was not serialised by the test server)."""
        from pymongo.errors import DuplicateKeyError

        token = uuid.uuid4().hex
        me = {"host": hostname(), "pid": os.getpid()}
        deadline = time.monotonic() + self._timeout
        delay = 0.001
        while True:
            now = time.time()
            try:
                self._locks.insert_one({"_id": lock_id, "holder": token, **me, "expires": now + LEASE_SECONDS})
                return token
            except DuplicateKeyError:
                pass
            current = self._locks.find_one({"_id": lock_id})
            if current is None:
                continue  # freed between the insert and the read
            gone = (current.get("holder") is None  # freed by an earlier version of this store
                    or float(current.get("expires") or 0.0) < now
                    or (current.get("host") == me["host"] and not is_alive(int(current.get("pid") or 0))))
            if gone:
                self._locks.delete_one({"_id": lock_id, "holder": current.get("holder")})
                continue
            if time.monotonic() > deadline:
                what = "document store" if lock_id == WRITE_LOCK_ID else f"lock {lock_id}"
                raise ConcurrencyError(
                    f"the {what} on {self._where} stayed locked for {self._timeout:.0f} s "
                    f"by pid {current.get('pid')} on host {current.get('host')}; if that process "
                    f"is gone the lock frees itself {LEASE_SECONDS:.0f} s after its last use"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


class _MongoTransaction:
    """Buffered writes over the store's reads; the store commits them when the block ends."""

    def __init__(self, store: MongoDocumentStore):
        self._store = store
        self._writes: dict[str, tuple[str, dict[str, Any]]] = {}  # _id -> ("put"|"delete", record)

    def operations(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self._writes.values())

    def get(self, collection: str, key: str) -> Document | None:
        doc_id = _doc_id(collection, key)
        if doc_id in self._writes:
            op, record = self._writes[doc_id]
            return json.loads(json.dumps(record["body"])) if op == "put" else None
        return self._store.get(collection, key)

    def put(self, collection: str, key: str, doc: Document) -> None:
        record = MongoDocumentStore._record(collection, key, doc)
        self._writes[record["_id"]] = ("put", record)

    def delete(self, collection: str, key: str) -> bool:
        existed = self.get(collection, key) is not None
        doc_id = _doc_id(collection, key)
        self._writes[doc_id] = ("delete", {"_id": doc_id, "c": collection, "k": key})
        return existed

    def find(self, collection: str, **equals: Any) -> list[Document]:
        stored = {
            d["k"]: d["body"]
            for d in self._store._docs.find(_find_filter(collection, equals))
            if _matches(d["body"], equals)
        }
        for op, record in self._writes.values():
            if record["c"] != collection:
                continue
            stored.pop(record["k"], None)
            if op == "put" and _matches(record["body"], equals):
                stored[record["k"]] = json.loads(json.dumps(record["body"]))
        return [stored[k] for k in sorted(stored)]

    def insert_with_id(self, collection: str, doc: Document, id_field: str = "id") -> int:
        new_id = self._store.next_id(collection)
        self.put(collection, f"{new_id:012d}", {**doc, id_field: new_id})
        return new_id


def mongo_url(config: Any) -> tuple[str, str]:
    """(connection URL, host text for messages) from config and the environment.

    `mongo_host` is a host name or a full `mongodb://` URL; SYSPROD_MONGO_URL overrides both;
    SYSPROD_MONGO_USERNAME / SYSPROD_MONGO_PASSWORD add credentials to a URL that has none.
    """
    url = os.environ.get("SYSPROD_MONGO_URL") or str(config["mongo_host"])
    if not url.startswith(("mongodb://", "mongodb+srv://")):
        url = f"mongodb://{url}:{int(config['mongo_port'])}/"
    parts = urlsplit(url)
    user = os.environ.get("SYSPROD_MONGO_USERNAME")
    if user and "@" not in parts.netloc:
        password = os.environ.get("SYSPROD_MONGO_PASSWORD", "")
        netloc = f"{quote_plus(user)}:{quote_plus(password)}@{parts.netloc}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        parts = urlsplit(url)
    return url, parts.netloc.rsplit("@", 1)[-1]


def connect_mongo(config: Any, timeout_seconds: float = 5.0) -> MongoDocumentStore:
    """Open the configured MongoDB database; a one-line ConfigError naming the host when the
    server cannot be reached, refuses the credentials, or pymongo is not installed."""
    try:
        import pymongo
        from pymongo.errors import OperationFailure, PyMongoError
    except ImportError:
        raise ConfigError(
            "document_store: mongo needs pymongo; install it with `pip install 'sysprod[mongo]'`"
        ) from None
    url, where = mongo_url(config)
    db_name = str(config["mongo_db"])
    timeout_ms = int(timeout_seconds * 1000)
    try:
        client = pymongo.MongoClient(
            url, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms, tz_aware=False
        )
        client.admin.command("ping")
        store = MongoDocumentStore(
            client[db_name], where=f"{where}/{db_name}",
            lock_timeout_seconds=float(config["sqlite_busy_timeout_seconds"]),
        )
    except OperationFailure as exc:
        raise ConfigError(
            f"MongoDB at {where} refused us ({exc.details.get('errmsg', exc) if exc.details else exc}); "
            "check SYSPROD_MONGO_USERNAME / SYSPROD_MONGO_PASSWORD or the user in mongo_host's URL"
        ) from None
    except (PyMongoError, ValueError) as exc:
        reason = str(exc).split(" (configured timeouts")[0].split(",")[0].split("\n")[0][:120]
        reason = reason.removeprefix(f"{where}: ")
        raise ConfigError(
            f"cannot reach MongoDB at {where} ({reason}); start mongod there or fix mongo_host / "
            "mongo_port in private_config.yaml (or SYSPROD_MONGO_URL)"
        ) from None
    return store
