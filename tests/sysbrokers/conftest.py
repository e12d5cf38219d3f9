"""A simulated broker on a real SQLite file in a temp dir, with a clock the test moves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sysbrokers.sim.broker import SimBroker, SimSettings
from sysbrokers.sim.market import SESSION_CLOSE
from sysbrokers.sim.synthetic import SyntheticMarket
from syscore.clock import FixedClock
from sysdata.stores.documents import SqliteDocumentStore

# A Tuesday session close: daily bars, hourly bars and the mid all agree at this time.
CLOSE = dt.datetime.combine(dt.date(2024, 6, 4), SESSION_CLOSE)
HISTORY_START = dt.date(2020, 1, 1)


@pytest.fixture(scope="session")
def market() -> SyntheticMarket:
    return SyntheticMarket(11, HISTORY_START)


def make_broker(root: Path, market: SyntheticMarket, clock: FixedClock, **settings) -> SimBroker:
    return SimBroker(SqliteDocumentStore(root / "sysprod.sqlite"), market, clock, SimSettings(**settings))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(CLOSE)


@pytest.fixture
def broker(tmp_path: Path, market: SyntheticMarket, clock: FixedClock) -> SimBroker:
    return make_broker(tmp_path, market, clock)
