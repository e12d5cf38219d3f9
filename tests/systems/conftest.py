"""Fixtures for backtest tests: a synthetic CSV tree shared by the module's tests."""

from __future__ import annotations

import pytest

from tests.systems.synthetic import write_backtest_tree


@pytest.fixture(scope="session")
def synthetic_tree(tmp_path_factory):
    return write_backtest_tree(tmp_path_factory.mktemp("backtest_tree"))
