"""Trade limits: the pure rule (worked by hand), the repository on a real SQLite file, and
`sysprod control trade-limit` as a real command."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.exceptions import DataValidationError, MissingData
from sysdata.repos.trade_limits import TradeLimits
from sysdata.stores.documents import SqliteDocumentStore
from sysobjects.trade_limits import LimitedTrade, TradeLimit, TradeRecord, allowed_trade, used
from tests.sysexecution.execution_helpers import copy_installation
from tests.sysproduction.control.helpers import sysprod

NOW = dt.datetime(2024, 6, 4, 10, 0)


def rec(contracts, days_ago, strategy="classic", instrument="GOLD"):
    return TradeRecord(strategy, instrument, contracts, NOW - dt.timedelta(days=days_ago))


def test_used_counts_absolute_contracts_inside_the_window_only():
    limit = TradeLimit("GOLD", 10, period_days=3)
    records = [rec(3, 0.5), rec(-2, 2.9), rec(4, 3.0), rec(5, 1, instrument="CORN")]
    # 3 + 2 inside; the trade exactly 3 days ago has left the window; CORN is another instrument
    assert used(limit, records, NOW) == 5


def test_an_order_beyond_the_limit_is_cut_back_then_held():
    limits = [TradeLimit("GOLD", 10, 3)]
    records = [rec(4, 1), rec(3, 2)]  # 7 used, 3 left
    assert allowed_trade("classic", "GOLD", 2, limits, records, NOW) == LimitedTrade(2)
    cut = allowed_trade("classic", "GOLD", -5, limits, records, NOW)
    assert cut.trade == -3 and "cut from -5 to -3" in cut.reason and "GOLD: 10 contracts per 3 day(s), 3 left" in cut.reason
    held = allowed_trade("classic", "GOLD", 5, limits, [*records, rec(3, 0)], NOW)
    assert held.held and held.reason.startswith("trade limit: held")


def test_strategy_limit_and_instrument_limit_both_apply():
    limits = [TradeLimit("GOLD", 10, 1), TradeLimit("GOLD", 4, 1, strategy_name="classic")]
    records = [rec(3, 0.1, strategy="classic"), rec(5, 0.1, strategy="other")]
    # instrument: 10 - 8 = 2 left; classic: 4 - 3 = 1 left -> 1
    assert allowed_trade("classic", "GOLD", 6, limits, records, NOW).trade == 1
    # the other strategy is limited only by the instrument's 2
    assert allowed_trade("other", "GOLD", 6, limits, records, NOW).trade == 2
    # no limit on CORN at all
    assert allowed_trade("classic", "CORN", 60, limits, records, NOW) == LimitedTrade(60)


def test_a_spread_uses_both_legs():
    limits = [TradeLimit("GOLD", 5, 1)]
    # 5 contracts left = 2 whole spreads of 2 contracts each
    assert allowed_trade("_ROLL", "GOLD", 4, limits, [], NOW, contracts_per_unit=2).trade == 2


@pytest.mark.parametrize("max_contracts, days, message", [
    (-1, 1, "not a whole number of contracts"), (2.5, 1, "not a whole number of contracts"),
    (3, 0, "not a whole number of days"),
])
def test_impossible_limits_are_refused(max_contracts, days, message):
    with pytest.raises(DataValidationError, match=message):
        TradeLimit("GOLD", max_contracts, days)


def test_repository_records_once_per_order_and_gives_back_what_was_not_used(tmp_path):
    repo = TradeLimits(SqliteDocumentStore(tmp_path / "docs.sqlite"))
    repo.set(TradeLimit("GOLD", 6, 2))
    repo.set(TradeLimit("GOLD", 8, 2))  # the same limit again replaces it
    assert [limit.max_contracts for limit in repo.all()] == [8]

    repo.record("17", "classic", "GOLD", 5, NOW)
    repo.record("17", "classic", "GOLD", 5, NOW)  # a restart recording the same order again
    assert repo.allowed("classic", "GOLD", 10, NOW).trade == 3
    repo.release("17", 1)  # the order filled only 1 before it was cancelled
    assert repo.allowed("classic", "GOLD", 10, NOW).trade == 7
    repo.release("17", 0)  # rejected: nothing used
    assert repo.records("GOLD") == []

    assert [limit.describe() for limit in repo.clear("GOLD")] == ["GOLD: 8 contracts per 2 day(s)"]
    with pytest.raises(MissingData, match="no trade limit on GOLD"):
        repo.clear("GOLD")


def test_trade_limit_commands(tmp_path, template):
    root = tmp_path / "inst"
    copy_installation(template, root)

    out = sysprod(root, "control", "trade-limit", "set", "GOLD", "10", "--days", "5")
    assert (out.returncode, out.stdout.strip()) == (0, "trade limit set: GOLD: 10 contracts per 5 day(s)")
    out = sysprod(root, "control", "trade-limit", "set", "GOLD", "4", "--strategy", "classic")
    assert out.returncode == 0, out.stderr

    out = sysprod(root, "control", "trade-limit", "list")
    lines = out.stdout.strip().splitlines()
    assert lines[0].split() == ["instrument", "strategy", "period_days", "max_contracts", "used", "left"]
    assert [line.split() for line in lines[2:]] == [
        ["GOLD", "(all)", "5", "10", "0", "10"], ["GOLD", "classic", "1", "4", "0", "4"],
    ]

    bad = sysprod(root, "control", "trade-limit", "set", "NOPE", "3")
    assert bad.returncode != 0 and "instrument 'NOPE' is not configured" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1

    out = sysprod(root, "control", "trade-limit", "clear", "GOLD", "--strategy", "classic")
    assert out.stdout.strip() == "trade limit cleared: classic/GOLD: 4 contracts per 1 day(s)"
