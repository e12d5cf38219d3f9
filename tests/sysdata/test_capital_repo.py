"""Total and strategy capital stored in a real SQLite document store, shared by processes."""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pandas as pd
import pytest

from syscore.exceptions import DataValidationError, MissingData
from sysdata.repos.capital import StrategyCapital, TotalCapital
from sysdata.stores.documents import SqliteDocumentStore
from sysobjects.capital import (
    CapitalEntry,
    CapitalValues,
    PendingChange,
    initial_values,
    value_capital,
)
from tests.process_helpers import join_cleanly

T = [dt.datetime(2026, 3, d, 22) for d in range(1, 6)]
COLUMNS = ["broker_account_value", "total_capital", "max_capital", "accumulated_pnl"]


@pytest.fixture
def store(tmp_path):
    return SqliteDocumentStore(tmp_path / "sysprod.sqlite")


def test_nothing_stored_is_an_empty_frame_and_a_one_line_missing_data(store):
    capital = TotalCapital(store)
    assert list(capital.history().columns) == COLUMNS and capital.history().empty
    assert capital.latest() is None and capital.pending() is None
    with pytest.raises(MissingData, match="update_capital_manual"):
        capital.total_capital()


def test_entries_round_trip_with_their_source_and_latest(store):
    capital = TotalCapital(store)
    capital.append(T[0], initial_values(100_000.0), "initialised")
    capital.append(T[1], value_capital(initial_values(100_000.0), 103_000.0, "full").values, "broker")
    again = TotalCapital(SqliteDocumentStore(store.path))  # another connection, as another process
    history = again.history()
    assert history.index.tolist() == [pd.Timestamp(T[0]), pd.Timestamp(T[1])]
    assert history.loc[pd.Timestamp(T[1])].tolist() == [103_000.0, 103_000.0, 103_000.0, 3_000.0]
    assert again.entries()["source"].tolist() == ["initialised", "broker"]
    latest = again.latest()
    assert latest.name == pd.Timestamp(T[1]) and latest["accumulated_pnl"] == 3_000.0
    assert again.total_capital() == 103_000.0


def test_delete_since_a_time_removes_those_entries_and_a_pending_change_from_then(store):
    capital = TotalCapital(store)
    for when, broker in zip(T[:4], (100.0, 101.0, 102.0, 103.0), strict=True):
        capital.append(when, initial_values(broker), "broker")
    capital.change(lambda book: book.with_pending(PendingChange(T[4], 200.0, 103.0, 200 / 103 - 1)))
    assert capital.delete_since(T[2]) == 2  # T[2] and T[3]
    assert capital.history()["broker_account_value"].tolist() == [100.0, 101.0]
    assert capital.pending() is None
    assert capital.delete_since(T[4]) == 0
    assert capital.delete_all() == 2
    assert capital.history().empty and store.get(TotalCapital.COLLECTION, TotalCapital.KEY) is None


def test_an_entry_before_the_latest_is_refused_and_nothing_changes(store):
    capital = TotalCapital(store)
    capital.append(T[1], initial_values(100.0), "broker")
    with pytest.raises(DataValidationError, match="before the latest stored one"):
        capital.append(T[0], initial_values(99.0), "broker")
    assert capital.history()["broker_account_value"].tolist() == [100.0]


def _add_profit(path: str, count: int) -> None:
    """One process: `count` valuations of +1 each, each built on the latest stored entry."""
    capital = TotalCapital(SqliteDocumentStore(path))
    for _ in range(count):
        def step(book):
            latest = book.latest
            values = value_capital(latest.values, latest.values.broker_account_value + 1, "full").values
            return book.with_entry(CapitalEntry(latest.time, values, "broker"))
        capital.change(step)


def test_two_processes_never_build_on_the_same_entry(store):
    capital = TotalCapital(store)
    capital.append(T[0], initial_values(1_000.0), "initialised")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_add_profit, args=(str(store.path), 20)) for _ in range(2)]
    for worker in workers:
        worker.start()
    join_cleanly(workers, 60)
    # 40 steps of +1 each: none lost, P&L 40 (a lost update would leave fewer)
    assert capital.latest_values() == CapitalValues(1_040.0, 1_040.0, 1_040.0, 40.0)
    assert len(capital.history()) == 41


def test_strategy_capital_histories(store):
    strategies = StrategyCapital(store)
    assert strategies.strategies() == [] and strategies.all_history().empty
    with pytest.raises(MissingData, match="strategy 'fast'.*strategy_weights"):
        strategies.latest("fast")
    strategies.record(T[0], {"fast": 500.0, "slow": 300.0})
    strategies.record(T[1], {"fast": 510.0, "slow": 310.0, "carry": 200.0})
    assert strategies.strategies() == ["carry", "fast", "slow"]
    assert strategies.latest("fast") == 510.0
    fast = strategies.history("fast")
    assert fast.name == "capital" and fast.tolist() == [500.0, 510.0]
    frame = strategies.all_history()
    assert list(frame.columns) == ["carry", "fast", "slow"]
    assert frame.loc[pd.Timestamp(T[1])].tolist() == [200.0, 510.0, 310.0]
    assert frame["carry"].isna().tolist() == [True, False]
    with pytest.raises(DataValidationError, match="'slow' is -1"):
        strategies.record(T[2], {"fast": 1.0, "slow": -1.0})
    assert strategies.latest("fast") == 510.0  # nothing of the refused allocation landed
    assert strategies.delete_strategy("carry") and strategies.strategies() == ["fast", "slow"]


def test_an_allocation_again_at_the_same_time_replaces_its_entry(store):
    strategies = StrategyCapital(store)
    strategies.record(T[0], {"fast": 500.0})
    strategies.record(T[0], {"fast": 520.0})
    assert strategies.history("fast").tolist() == [520.0]
