"""Fixtures of the store and repository tests: a document store on every backend."""

from __future__ import annotations

import pytest

from tests.servers import fresh_db_name
from tests.sysdata.backends import DOC_BACKENDS, SHARED_BACKENDS, open_store


def _spec(kind: str, request, tmp_path) -> tuple[str, str]:  # noqa: ANN001 - pytest's objects
    if kind == "sqlite":
        return ("sqlite", str(tmp_path / "db.sqlite"))
    if kind == "mongomock":
        pytest.importorskip("mongomock", reason="mongomock not installed (sysprod[dev])")
        return ("mongomock", fresh_db_name())
    url = request.getfixturevalue("jongodb_url")
    return ("jongodb", f"{url}#{fresh_db_name()}")


@pytest.fixture(params=DOC_BACKENDS)
def doc_spec(request, tmp_path):
    """(kind, where) of a fresh document store on each backend (jongodb skips cleanly when the
    server is not installed, mongomock when the library is not)."""
    return _spec(request.param, request, tmp_path)


@pytest.fixture(params=SHARED_BACKENDS)
def shared_doc_spec(request, tmp_path):
    """The same, on the backends several processes can open at once (mongomock is in-process)."""
    return _spec(request.param, request, tmp_path)


@pytest.fixture
def docs(doc_spec):
    return open_store(doc_spec)
