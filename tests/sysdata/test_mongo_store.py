"""What the MongoDB document store adds to the shared contract (tests/sysdata/test_stores.py):
its write lock across machines, the redo journal that makes a transaction all-or-nothing without
a replica set, and its connection errors. Run on mongomock and on a real jongodb over TCP."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from syscore.exceptions import ConcurrencyError, ConfigError
from tests.servers import free_port, fresh_db_name

pymongo = pytest.importorskip("pymongo", reason="pymongo not installed (sysprod[mongo])")

from syscore.liveness import hostname  # noqa: E402
from sysdata.stores.mongo_documents import (  # noqa: E402
    JOURNAL_ID,
    LEASE_SECONDS,
    LOCKS,
    WRITE_LOCK_ID,
    MongoDocumentStore,
    connect_mongo,
    mongo_url,
)


@pytest.fixture(params=["mongomock", "jongodb"])
def database(request):
    if request.param == "mongomock":
        mongomock = pytest.importorskip("mongomock", reason="mongomock not installed")
        return mongomock.MongoClient()[fresh_db_name()]
    return pymongo.MongoClient(request.getfixturevalue("jongodb_url"))[fresh_db_name()]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_commit_cut_short_after_its_journal_is_finished_by_the_next_writer(database):
    docs = MongoDocumentStore(database)
    docs.put("positions", "A", {"qty": 1})
    # a stack handler killed after its commit point: lock held by its dead pid on this host, the
    # journal written, only the first of its two writes applied
    database[LOCKS].replace_one(
        {"_id": WRITE_LOCK_ID},
        {"holder": "dead", "host": hostname(), "pid": _dead_pid(), "expires": time.time() + 600},
        upsert=True,
    )
    fill = {"_id": "fills:f1", "c": "fills", "k": "f1", "body": {"qty": 4}}
    position = {"_id": "positions:A", "c": "positions", "k": "A", "body": {"qty": 5}}
    database[LOCKS].insert_one({"_id": JOURNAL_ID, "holder": "dead",
                                "ops": [{"op": "put", "record": fill}, {"op": "put", "record": position}]})
    database["sysprod_documents"].replace_one({"_id": "fills:f1"}, fill, upsert=True)
    assert docs.get("positions", "A") == {"qty": 1}  # half-applied, as a plain read may see it

    docs.put("other", "x", {"v": 1})  # the next writer takes the dead holder's lock and replays

    assert docs.get("positions", "A") == {"qty": 5}
    assert docs.get("fills", "f1") == {"qty": 4}
    assert database[LOCKS].find_one({"_id": JOURNAL_ID}) is None


def test_a_transaction_cut_short_before_its_journal_leaves_nothing(database):
    docs = MongoDocumentStore(database)
    docs.put("positions", "A", {"qty": 1})

    class Killed(BaseException):
        pass

    with pytest.raises(Killed):
        with docs.transaction() as tx:
            tx.put("positions", "A", {"qty": 9})
            tx.put("fills", "f2", {"qty": 8})
            raise Killed()
    assert docs.get("positions", "A") == {"qty": 1}
    assert docs.keys("fills") == []


def test_a_lock_held_on_another_machine_is_waited_for_then_refused_naming_it(database):
    docs = MongoDocumentStore(database, where="db1", lock_timeout_seconds=0.3)
    database[LOCKS].replace_one(
        {"_id": WRITE_LOCK_ID},
        {"holder": "other", "host": "machine-b", "pid": 1, "expires": time.time() + 600},
        upsert=True,
    )
    with pytest.raises(ConcurrencyError, match="pid 1 on host machine-b"):
        docs.put("c", "k", {"v": 1})
    assert docs.get("c", "k") is None


def test_a_lock_whose_lease_ran_out_on_another_machine_is_taken_over(database):
    docs = MongoDocumentStore(database, lock_timeout_seconds=5)
    database[LOCKS].replace_one(
        {"_id": WRITE_LOCK_ID},
        {"holder": "other", "host": "machine-b", "pid": 1, "expires": time.time() - 1},
        upsert=True,
    )
    docs.put("c", "k", {"v": 1})
    assert docs.get("c", "k") == {"v": 1}


def test_a_holder_stalled_past_its_lease_writes_nothing(database):
    docs = MongoDocumentStore(database)
    with pytest.raises(ConcurrencyError, match="lost the document store's write lock"):
        with docs.transaction() as tx:
            tx.put("positions", "A", {"qty": 2})
            tx.put("positions", "B", {"qty": 3})
            # another machine took the lock over after our lease ran out
            database[LOCKS].update_one({"_id": WRITE_LOCK_ID}, {"$set": {"holder": "usurper"}})
    assert docs.keys("positions") == []
    assert LEASE_SECONDS >= 30


def test_series_lock_is_one_holder_at_a_time(database):
    docs = MongoDocumentStore(database, lock_timeout_seconds=0.2)
    other = MongoDocumentStore(database, lock_timeout_seconds=0.2)
    with docs.named_lock("adjusted_prices/US10"):
        with pytest.raises(ConcurrencyError, match="series:adjusted_prices/US10"):
            with other.named_lock("adjusted_prices/US10"):
                pass
        with other.named_lock("adjusted_prices/CORN"):
            pass
    with other.named_lock("adjusted_prices/US10"):
        pass


def test_unreachable_server_is_one_line_naming_the_host_and_the_fix():
    port = free_port()  # nothing listens there
    config = {"mongo_host": "127.0.0.1", "mongo_port": port, "mongo_db": "x",
              "sqlite_busy_timeout_seconds": 30}
    with pytest.raises(ConfigError) as err:
        connect_mongo(config, timeout_seconds=0.3)
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "mongo_host" in message and "\n" not in message


def test_credentials_come_from_the_environment_and_never_reach_messages(monkeypatch):
    monkeypatch.setenv("SYSPROD_MONGO_USERNAME", "trader")
    monkeypatch.setenv("SYSPROD_MONGO_PASSWORD", "p@ss word")
    url, where = mongo_url({"mongo_host": "db.example", "mongo_port": 27018})
    assert url == "mongodb://trader:p%40ss+word@db.example:27018/"
    assert where == "db.example:27018"
    monkeypatch.setenv("SYSPROD_MONGO_URL", "mongodb://u:secret@h1:1,h2:2/?replicaSet=rs")
    url, where = mongo_url({"mongo_host": "ignored", "mongo_port": 1})
    assert url == "mongodb://u:secret@h1:1,h2:2/?replicaSet=rs" and where == "h1:1,h2:2"


# --- fill booking on MongoDB across real processes (jongodb over TCP) ------------------------------
_STORE = """
import sys, pymongo
from sysdata.stores.mongo_documents import MongoDocumentStore
url, db = sys.argv[1].rsplit("#", 1)
store = MongoDocumentStore(pymongo.MongoClient(url)[db])
"""

_BOOKER = _STORE + """
import datetime as dt
from sysdata.repos.order_stacks import BrokerOrderStack
from sysobjects.orders import FillRecord
brokers = BrokerOrderStack(store)
T = dt.datetime(2026, 3, 2, 14, 0)
booked = 0
for i in range(15):
    for bid in (1, 2):
        booked += brokers.apply_fill(bid, FillRecord(f"f{bid}-{i}", "20260300", 1 if bid == 1 else -1, 96.0, T), T)
print(booked)
"""

_KILLED = _STORE + """
import datetime as dt, os, signal
from sysdata.repos import order_stacks
from sysdata.stores import mongo_documents
from sysobjects.orders import FillRecord
where = sys.argv[2]
if where == "before journal":  # the contract position is written in the block, the rest not yet
    order_stacks.StrategyPositions.change_in = staticmethod(lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
else:  # after the commit point: the journal is stored, one write of several applied
    def first_then_die(self, ops):
        real_apply(self, ops[:1])
        os.kill(os.getpid(), signal.SIGKILL)
    real_apply = mongo_documents.MongoDocumentStore._apply
    mongo_documents.MongoDocumentStore._apply = first_then_die
T = dt.datetime(2026, 3, 2, 14)
order_stacks.BrokerOrderStack(store).apply_fill(1, FillRecord("k1", "20260300", 2, 96.0, T), T)
"""


@pytest.fixture
def tcp_store(jongodb_url):
    spec = f"{jongodb_url}#{fresh_db_name()}"
    url, db = spec.rsplit("#", 1)
    return spec, MongoDocumentStore(pymongo.MongoClient(url)[db])


def test_two_processes_booking_the_same_fills_on_mongodb_count_each_once(tcp_store):
    from sysdata.repos.contract_positions import ContractPositions
    from sysdata.repos.strategy_positions import StrategyPositions
    from tests.sysdata.test_positions import _working

    spec, docs = tcp_store
    _working(docs, "classic", [("20260300", 15)])
    _working(docs, "other", [("20260300", -15)])
    procs = [subprocess.Popen([sys.executable, "-c", _BOOKER, spec], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    booked = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(booked) == 30  # each of the 30 fills booked by exactly one process
    assert StrategyPositions(docs).all() == {("classic", "SOFR"): 15, ("other", "SOFR"): -15}
    assert ContractPositions(docs).get("SOFR", "20260300") == 0


@pytest.mark.parametrize("where", ["before journal", "after journal"])
def test_a_process_killed_while_booking_a_fill_on_mongodb_leaves_it_all_or_nothing(tcp_store, where):
    import datetime as dt

    from sysdata.repos.contract_positions import ContractPositions
    from sysdata.repos.order_stacks import BrokerOrderStack
    from sysdata.repos.strategy_positions import StrategyPositions
    from sysobjects.orders import FillRecord
    from tests.sysdata.test_positions import _working

    spec, docs = tcp_store
    bid = _working(docs, "classic", [("20260300", 2)])
    killed = subprocess.run([sys.executable, "-c", _KILLED, spec, where])
    assert killed.returncode == -9
    brokers = BrokerOrderStack(docs)
    when = dt.datetime(2026, 3, 2, 14)
    # the next writer takes the dead process's lock at once (same host, pid gone); before the
    # journal nothing was written, after it the rest of the commit is replayed
    booked_now = brokers.apply_fill(bid, FillRecord("k1", "20260300", 2, 96.0, when), when)
    assert booked_now is (where == "before journal")
    assert not brokers.apply_fill(bid, FillRecord("k1", "20260300", 2, 96.0, when), when)
    assert ContractPositions(docs).all() == {("SOFR", "20260300"): 2}
    assert StrategyPositions(docs).all() == {("classic", "SOFR"): 2}
    assert len(brokers.get(bid).fills) == 1
