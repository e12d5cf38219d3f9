"""The fake IB Gateway on a free loopback port, serving the synthetic market of the simulated
broker's tests at a clock the test moves, and IB brokers connected to it (real ib_async)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sysbrokers.ib.broker import IBBroker
from sysbrokers.ib.client_ids import ClientIdTracker
from sysbrokers.ib.connection import IBConnection, IBSettings
from sysbrokers.ib.instruments import IBInstrumentTable
from syscore.clock import FixedClock
from sysdata.stores.documents import SqliteDocumentStore
from tests.sysbrokers.ib.fake_gateway import ACCOUNT, FakeGateway

FAST = {"connect_timeout": 2.0, "request_timeout": 2.0, "reconnect_attempts": 3, "backoff_seconds": 0.05,
        "pacing_backoff_seconds": 0.01}


@pytest.fixture
def gateway(market, clock):
    fake = FakeGateway(market, clock.now).start()
    yield fake
    fake.stop()


def make_ib(root: Path, gateway: FakeGateway, clock: FixedClock, process: str = "test", **settings) -> IBBroker:
    documents = SqliteDocumentStore(root / "sysprod.sqlite")
    values = {"port": gateway.port, "account": ACCOUNT, **FAST, **settings}
    connection = IBConnection(IBSettings(**values), ClientIdTracker(documents, 100), process, clock.now)
    return IBBroker(connection, IBInstrumentTable.load(), documents, clock)


@pytest.fixture
def ib(tmp_path, gateway, clock):
    broker = make_ib(tmp_path, gateway, clock)
    yield broker
    broker.close()
