"""The document store backends the store and repository tests run on: SQLite, MongoDB through
mongomock in-process, and MongoDB over TCP to a real jongodb server on loopback. A backend is
named by a picklable spec, so a child process can open the same store."""

from __future__ import annotations

from sysdata.stores.documents import SqliteDocumentStore

DOC_BACKENDS = ["sqlite", "mongomock", "jongodb"]
SHARED_BACKENDS = ["sqlite", "jongodb"]  # several processes can open these (mongomock lives in one)


def open_store(spec: tuple[str, str]):  # noqa: ANN201 - a DocumentStore
    """A document store from a spec (kind, where); child processes open their own."""
    kind, where = spec
    if kind == "sqlite":
        return SqliteDocumentStore(where)
    if kind == "mongomock":
        import mongomock

        from sysdata.stores.mongo_documents import MongoDocumentStore

        return MongoDocumentStore(mongomock.MongoClient()[where], where="mongomock")
    import pymongo

    from sysdata.stores.mongo_documents import MongoDocumentStore

    url, db = where.rsplit("#", 1)
    return MongoDocumentStore(pymongo.MongoClient(url)[db], where=url)
