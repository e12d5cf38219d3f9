"""Fixtures shared by the execution tests."""

from __future__ import annotations

import pytest

from tests.sysproduction.synthetic_install import build_tree


@pytest.fixture(scope="session")
def tree(tmp_path_factory):
    """The synthetic market's history as a pysystemtrade CSV tree (read-only; built once)."""
    return build_tree(tmp_path_factory.mktemp("synthetic"))
