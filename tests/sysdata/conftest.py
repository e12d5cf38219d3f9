"""Fixtures of the store and repository tests: a document store on every backend."""

from __future__ import annotations

import pytest

from tests.servers import fresh_db_name
from tests.sysdata.backends import DOC_BACKENDS, open_store


@pytest.fixture(params=DOC_BACKENDS)
def doc_spec(request, tmp_path):
    """(kind, where) of a fresh document store on each backend (jongodb skips cleanly when the
    server is not installed, mongomock when the library is not)."""
    if request.param == "sqlite":
        return ("sqlite", str(tmp_path / "db.sqlite"))
    if request.param == "mongomock":
        pytest.importorskip("mongomock", reason="mongomock not installed (sysprod[dev])")
        return ("mongomock", fresh_db_name())
    url = request.getfixturevalue("jongodb_url")
    return ("jongodb", f"{url}#{fresh_db_name()}")


@pytest.fixture
def docs(doc_spec):
    return open_store(doc_spec)
