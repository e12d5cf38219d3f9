"""Fixtures shared by the execution tests."""

from __future__ import annotations

import pytest

from tests.sysexecution.execution_helpers import template_installation
from tests.sysproduction.synthetic_install import build_tree


@pytest.fixture(scope="session")
def tree(tmp_path_factory):
    """The synthetic market's history as a pysystemtrade CSV tree (read-only; built once)."""
    return build_tree(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="session")
def template(tmp_path_factory, tree):
    """One imported installation of the synthetic market, copied by each test that trades on it
    (`execution_helpers.copy_installation`)."""
    return template_installation(tmp_path_factory.mktemp("template") / "inst", tree)
