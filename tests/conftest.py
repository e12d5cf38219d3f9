"""Shared fixtures: the reference data location and temporary data roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def reference_data_path() -> Path:
    """Where the pysystemtrade reference CSV tree lives (SYSPROD_REFERENCE_DATA)."""
    raw = os.environ.get("SYSPROD_REFERENCE_DATA", "../shared/data/pysystemtrade_futures")
    path = Path(raw)
    if not path.is_absolute():
        path = (REPO_ROOT / path).resolve()
    return path


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The reference data tree; the test is skipped cleanly when it is absent."""
    path = reference_data_path()
    if not (path / "multiple_prices_csv").is_dir():
        pytest.skip(f"reference data not found at {path} (set SYSPROD_REFERENCE_DATA)")
    return path


@pytest.fixture(scope="session")
def jongodb_url():
    """A real jongodb server on loopback for the session (MongoDB over TCP); skips cleanly when it
    is not installed. Tests isolate themselves with `tests.servers.fresh_db_name()`."""
    from tests.servers import jongodb_server

    with jongodb_server() as url:
        yield url
