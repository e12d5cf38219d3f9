"""Instrument locks, overrides and position limits in the SQLite document store, seen by a second
connection (as another process would)."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.exceptions import DataValidationError
from sysdata.repos.instrument_locks import InstrumentLocks
from sysdata.repos.overrides import Overrides
from sysdata.repos.position_limits import PositionLimits
from sysdata.stores.documents import SqliteDocumentStore
from sysobjects.overrides import Override

T0 = dt.datetime(2026, 11, 27, 9, 0)
T1 = dt.datetime(2026, 11, 28, 9, 0)


@pytest.fixture
def two_stores(tmp_path):
    path = tmp_path / "sysprod.sqlite"
    return SqliteDocumentStore(path), SqliteDocumentStore(path)


def test_locks(two_stores):
    writer, reader = (InstrumentLocks(s) for s in two_stores)
    assert not reader.is_locked("US10") and reader.reason("US10") is None
    writer.lock("US10", "position break: broker 3, book 2", T0)
    writer.lock("US10", "position break: broker 3, book 2", T1)  # same reason: keeps the first time
    assert reader.is_locked("US10")
    assert reader.all() == {"US10": {"reason": "position break: broker 3, book 2", "time": T0}}
    writer.lock("US10", "manual: roll by hand", T1)  # new reason: new time
    assert reader.all()["US10"] == {"reason": "manual: roll by hand", "time": T1}
    assert writer.unlock("US10") is True
    assert writer.unlock("US10") is False
    assert reader.all() == {}
    with pytest.raises(DataValidationError, match="reason"):
        writer.lock("GOLD", " ", T0)


def test_overrides_per_scope_and_cumulative(two_stores):
    writer, reader = (Overrides(s) for s in two_stores)
    writer.set("classic", None, Override(multiplier=0.5), T0)
    writer.set(None, "US10", Override(multiplier=0.5), T0)
    writer.set("classic", "US10", Override(reduce_only=True), T1)
    assert reader.cumulative("classic", "US10") == Override(multiplier=0.25, reduce_only=True)
    assert reader.cumulative("classic", "GOLD") == Override(multiplier=0.5)
    assert reader.cumulative("other", "GOLD") == Override()
    assert [e.label for e in reader.all()] == [
        "instrument US10", "strategy classic", "strategy classic / instrument US10"]
    assert reader.get("classic", "US10") == Override(reduce_only=True)
    assert writer.clear("classic", "US10") is True
    assert writer.clear("classic", "US10") is False
    writer.set("classic", None, Override(multiplier=1.0), T1)  # changes nothing: same as none
    assert reader.get("classic", None) is None
    with pytest.raises(DataValidationError, match="name one"):
        writer.set(None, None, Override(no_trading=True), T0)


def test_position_limits(two_stores):
    writer, reader = (PositionLimits(s) for s in two_stores)
    writer.set("US10", 10, T0)
    writer.set("US10", 4, T0, strategy="classic")
    assert reader.get("US10") == 10 and reader.get("US10", "classic") == 4
    assert reader.get("GOLD") is None
    assert [(e.label, e.limit) for e in reader.all()] == [
        ("instrument US10", 10), ("strategy classic / instrument US10", 4)]
    with pytest.raises(DataValidationError, match="whole number"):
        writer.set("US10", -1, T0)
    assert reader.get("US10") == 10  # a refused value changes nothing
    assert writer.clear("US10") is True and reader.get("US10") is None


def test_unlock_only_a_lock_of_ones_own_kind(two_stores):
    writer, reader = (InstrumentLocks(s) for s in two_stores)
    writer.lock("US10", "manual: roll by hand", T0)
    assert writer.unlock_if_reason_starts("US10", "position break:") is False
    assert reader.reason("US10") == "manual: roll by hand"  # a person's lock stays
    writer.lock("GOLD", "position break: broker 3, book 2", T0)
    assert writer.unlock_if_reason_starts("GOLD", "position break:") is True
    assert not reader.is_locked("GOLD")
    assert writer.unlock_if_reason_starts("BUND", "position break:") is False
