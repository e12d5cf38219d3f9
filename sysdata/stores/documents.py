"""The DocumentStore protocol and its SQLite backend.

Documents are JSON-able dicts in named collections, addressed by key. Everything the stack
handler and the locks rely on is atomic here: `update` is a read-modify-write inside one
IMMEDIATE transaction, `compare_and_set` swaps only when the stored document is what the caller
saw, and `next_id` hands out strictly increasing ids across processes.

`transaction()` groups reads and writes across collections into one all-or-nothing unit: the
order stacks and the position books use it so that a fill, the orders it rolls up to and the
positions it changes are written together or not at all. What another backend (e.g. MongoDB)
must provide to stand behind this protocol:

- every single-document call atomic (`update`, `compare_and_set`: a conditional replace);
- `next_id`/`insert_with_id`: a counter incremented atomically across processes;
- `transaction()`: a multi-document, multi-collection transaction (MongoDB: a client session
  with `start_transaction`, which needs a replica set) whose reads see one consistent state and
  whose writes conflict with any concurrent write to the same documents, so a `Transaction`
  that read a document and then wrote based on it never overwrites a change it did not see;
  raising inside the block aborts it and nothing is written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from syscore.exceptions import DataValidationError

Document = dict[str, Any]


class DocumentStore(Protocol):
    def get(self, collection: str, key: str) -> Document | None: ...
    def put(self, collection: str, key: str, doc: Document) -> None: ...
    def delete(self, collection: str, key: str) -> bool: ...
    def keys(self, collection: str) -> list[str]: ...
    def find(self, collection: str, **equals: Any) -> list[Document]: ...
    def items(self, collection: str) -> list[tuple[str, Document]]: ...
    def compare_and_set(
        self, collection: str, key: str, expected: Document | None, new: Document
    ) -> bool: ...
    def update(
        self, collection: str, key: str, change: Callable[[Document | None], Document | None]
    ) -> Document | None: ...
    def next_id(self, counter: str) -> int: ...
    def insert_with_id(self, collection: str, doc: Document, id_field: str = "id") -> int: ...
    def transaction(self) -> AbstractContextManager[Transaction]: ...


class Transaction(Protocol):
    """Reads and writes inside one `DocumentStore.transaction()`: all are applied or none.

    Reads see the transaction's own earlier writes. Raise to abort (the exception propagates).
    """

    def get(self, collection: str, key: str) -> Document | None: ...
    def put(self, collection: str, key: str, doc: Document) -> None: ...
    def delete(self, collection: str, key: str) -> bool: ...
    def find(self, collection: str, **equals: Any) -> list[Document]: ...
    def insert_with_id(self, collection: str, doc: Document, id_field: str = "id") -> int: ...


def _dumps(doc: Document) -> str:
    try:
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=True)
    except TypeError as exc:
        raise DataValidationError(f"document is not JSON-able ({exc}); store plain values") from None


class SqliteDocumentStore:
    """DocumentStore on one SQLite file in WAL mode, shared safely by several processes."""

    def __init__(self, path: Path, busy_timeout_seconds: float = 30.0):
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._timeout = busy_timeout_seconds
        self._local = threading.local()
        with self._transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS documents (collection TEXT NOT NULL, key TEXT NOT NULL,"
                " body TEXT NOT NULL, PRIMARY KEY (collection, key)) WITHOUT ROWID"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
            )

    @property
    def path(self) -> Path:
        return self._path

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        pid = getattr(self._local, "pid", None)
        if conn is None or pid != os.getpid():
            conn = sqlite3.connect(self._path, timeout=self._timeout, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def get(self, collection: str, key: str) -> Document | None:
        row = self._connection().execute(
            "SELECT body FROM documents WHERE collection=? AND key=?", (collection, key)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, collection: str, key: str, doc: Document) -> None:
        body = _dumps(doc)
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO documents (collection, key, body) VALUES (?, ?, ?)",
                (collection, key, body),
            )

    def put_many(self, collection: str, docs: dict[str, Document]) -> None:
        """Write several documents in one transaction: all or none."""
        rows = [(collection, key, _dumps(doc)) for key, doc in docs.items()]
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO documents (collection, key, body) VALUES (?, ?, ?)", rows
            )

    def delete(self, collection: str, key: str) -> bool:
        with self._transaction() as conn:
            cur = conn.execute(
                "DELETE FROM documents WHERE collection=? AND key=?", (collection, key)
            )
            return cur.rowcount > 0

    def keys(self, collection: str) -> list[str]:
        rows = self._connection().execute(
            "SELECT key FROM documents WHERE collection=? ORDER BY key", (collection,)
        ).fetchall()
        return [row[0] for row in rows]

    def items(self, collection: str) -> list[tuple[str, Document]]:
        rows = self._connection().execute(
            "SELECT key, body FROM documents WHERE collection=? ORDER BY key", (collection,)
        ).fetchall()
        return [(key, json.loads(body)) for key, body in rows]

    def find(self, collection: str, **equals: Any) -> list[Document]:
        sql, params = _find_sql(collection, equals)
        return [json.loads(row[0]) for row in self._connection().execute(sql, params).fetchall()]

    def compare_and_set(
        self, collection: str, key: str, expected: Document | None, new: Document
    ) -> bool:
        body = _dumps(new)
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT body FROM documents WHERE collection=? AND key=?", (collection, key)
            ).fetchone()
            current = None if row is None else json.loads(row[0])
            if current != expected:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO documents (collection, key, body) VALUES (?, ?, ?)",
                (collection, key, body),
            )
            return True

    def update(
        self, collection: str, key: str, change: Callable[[Document | None], Document | None]
    ) -> Document | None:
        """Atomically replace a document by `change(current)`; returning None deletes it."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT body FROM documents WHERE collection=? AND key=?", (collection, key)
            ).fetchone()
            new = change(None if row is None else json.loads(row[0]))
            if new is None:
                conn.execute("DELETE FROM documents WHERE collection=? AND key=?", (collection, key))
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO documents (collection, key, body) VALUES (?, ?, ?)",
                    (collection, key, _dumps(new)),
                )
            return new

    def next_id(self, counter: str) -> int:
        with self._transaction() as conn:
            return self._bump(conn, counter)

    @staticmethod
    def _bump(conn: sqlite3.Connection, counter: str) -> int:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) "
            "ON CONFLICT(name) DO UPDATE SET value = value + 1",
            (counter,),
        )
        return int(conn.execute("SELECT value FROM counters WHERE name=?", (counter,)).fetchone()[0])

    def insert_with_id(self, collection: str, doc: Document, id_field: str = "id") -> int:
        """Give `doc` the next id of its collection and store it, in one transaction."""
        with self._transaction() as conn:
            new_id = self._bump(conn, collection)
            body = _dumps({**doc, id_field: new_id})
            conn.execute(
                "INSERT INTO documents (collection, key, body) VALUES (?, ?, ?)",
                (collection, f"{new_id:012d}", body),
            )
        return new_id

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One IMMEDIATE SQLite transaction: the write lock is taken at the start, so what is read
        inside cannot change before the writes land; an exception rolls everything back."""
        with self._transaction() as conn:
            yield _SqliteTransaction(conn)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _find_sql(collection: str, equals: dict[str, Any]) -> tuple[str, list[Any]]:
    sql = "SELECT body FROM documents WHERE collection=?"
    params: list[Any] = [collection]
    for field, value in equals.items():
        if not field.isidentifier():
            raise DataValidationError(f"find: field name '{field}' is not an identifier")
        # JSON kinds stay apart, as MongoDB keeps them: true is not 1, "1" is not 1
        if isinstance(value, bool):
            sql += f" AND json_type(body, '$.{field}') = ?"
            params.append("true" if value else "false")
        elif isinstance(value, int | float):
            sql += f" AND json_extract(body, '$.{field}') IS ? AND json_type(body, '$.{field}') IN ('integer', 'real')"
            params.append(value)
        else:
            sql += f" AND json_extract(body, '$.{field}') IS ?"
            params.append(value)
    return sql + " ORDER BY key", params


class _SqliteTransaction:
    """The `Transaction` of the SQLite backend: plain statements on the open transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def get(self, collection: str, key: str) -> Document | None:
        row = self._conn.execute(
            "SELECT body FROM documents WHERE collection=? AND key=?", (collection, key)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, collection: str, key: str, doc: Document) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO documents (collection, key, body) VALUES (?, ?, ?)",
            (collection, key, _dumps(doc)),
        )

    def delete(self, collection: str, key: str) -> bool:
        cur = self._conn.execute("DELETE FROM documents WHERE collection=? AND key=?", (collection, key))
        return cur.rowcount > 0

    def find(self, collection: str, **equals: Any) -> list[Document]:
        sql, params = _find_sql(collection, equals)
        return [json.loads(row[0]) for row in self._conn.execute(sql, params).fetchall()]

    def insert_with_id(self, collection: str, doc: Document, id_field: str = "id") -> int:
        new_id = SqliteDocumentStore._bump(self._conn, collection)
        self._conn.execute(
            "INSERT INTO documents (collection, key, body) VALUES (?, ?, ?)",
            (collection, f"{new_id:012d}", _dumps({**doc, id_field: new_id})),
        )
        return new_id
