"""Optimal positions: stored per strategy as one set, replaced atomically, with a history."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.exceptions import DataValidationError
from sysdata.repos.optimal_positions import OptimalPositions
from sysdata.stores.documents import SqliteDocumentStore
from sysobjects.optimal_positions import BufferedOptimalPosition

DAY1 = dt.datetime(2026, 11, 24, 20, 6)
DAY2 = dt.datetime(2026, 11, 25, 20, 6)


def _position(code: str, optimal: float, run_time: dt.datetime) -> BufferedOptimalPosition:
    return BufferedOptimalPosition(
        instrument_code=code, optimal=optimal, lower=optimal - 0.5, upper=optimal + 0.5,
        reference_price=101.25, reference_contract="20261200",
        reference_time=dt.datetime(2026, 11, 24, 23), run_time=run_time,
    )


def test_a_position_round_trips_through_its_dict():
    position = _position("CORN", 3.7, DAY1)
    assert BufferedOptimalPosition.from_dict(position.to_dict()) == position
    assert position.to_dict()["reference_time"] == "2026-11-24T23:00:00"


def test_lower_above_upper_is_refused():
    with pytest.raises(DataValidationError, match="CORN: lower buffer 2 is above upper 1"):
        BufferedOptimalPosition("CORN", 1.5, 2, 1, 1.0, "20261200", DAY1, DAY1)


def test_put_all_replaces_the_set_and_keeps_the_history(tmp_path):
    repo = OptimalPositions(SqliteDocumentStore(tmp_path / "docs.sqlite"))
    assert repo.for_strategy("classic") == {}
    repo.put_all("classic", {"CORN": _position("CORN", 3.7, DAY1), "MXP": _position("MXP", -2.0, DAY1)})
    repo.put_all("other", {"CORN": _position("CORN", 1.0, DAY1)})
    repo.put_all("classic", {"CORN": _position("CORN", 4.2, DAY2)})  # MXP dropped from the set

    # a second store on the same file (another process) sees the same
    again = OptimalPositions(SqliteDocumentStore(tmp_path / "docs.sqlite"))
    assert again.for_strategy("classic") == {"CORN": _position("CORN", 4.2, DAY2)}
    assert again.strategies() == ["classic", "other"]
    history = again.history("classic", "CORN")
    assert list(history.index) == [DAY1, DAY2]
    assert list(history["optimal"]) == [3.7, 4.2]
    assert list(history["lower"]) == [3.2, 3.7]
    assert again.history("classic", "MXP")["optimal"].tolist() == [-2.0]
    assert again.history("other", "MXP").empty
