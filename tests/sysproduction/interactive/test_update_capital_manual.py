"""update_capital_manual driven through piped input in a real subprocess, on a simulated-broker
installation, between runs of the real capital job."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from sysbrokers.sim.faults import FaultBook
from sysobjects.capital import CapitalValues
from sysproduction.jobs.capital.update_total_capital import update_total_capital
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.control.helpers import env_for, make_installation, set_clock

START = dt.datetime(2026, 3, 2, 6, 0)
DAY = dt.timedelta(days=1)


@pytest.fixture
def root(tmp_path):
    return make_installation(tmp_path / "inst", {}, now=START)


def tool(root, answers: list[str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "sysproduction.update_capital_manual"], input="\n".join(answers) + "\n",
        capture_output=True, text=True, env=env_for(root), cwd=REPO_ROOT, timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    return out.stdout


def table_rows(text: str, name: str) -> list[list[str]]:
    """The before/after cells of every table line for `name` in the tool's output."""
    return [line.split()[1:] for line in text.splitlines() if line.startswith(name + " ")]


def values(blob) -> list[tuple[float, float, float, float]]:
    return [tuple(row) for row in blob.total_capital.history().itertuples(index=False)]


def test_initialise_withdraw_confirm_a_large_change_and_edit(root):
    blob = make_blob(root)
    # initialise: broker value as polled (empty answer: 1,000,000), capital 900,000, max
    # 950,000, P&L as offered (0); then decline a second initialisation
    out = tool(root, ["2", "", "900000", "950000", "", "y",
                      "2", "", "", "", "", "n", "0"])
    assert "store this?" not in out and "apply this change? (y/n) [n]: done" in out
    assert "nothing changed" in out
    assert values(blob) == [(1_000_000, 900_000, 950_000, 0)]

    # a withdrawal of 200,000 at the broker, recorded so it is not P&L, moving capital too:
    # broker 800,000, capital 700,000, max 750,000, P&L 0
    set_clock(root, START + DAY)
    blob.broker.deposit(-200_000.0)
    out = tool(root, ["3", "-200000", "y", "y", "0"])
    assert "withdrawal of 200,000.00 USD (not P&L)" in out
    before_after = out[out.index("withdrawal of"):]
    assert table_rows(before_after, "broker_account_value")[0] == ["1,000,000.00", "800,000.00"]
    assert table_rows(before_after, "total_capital")[0] == ["900,000.00", "700,000.00"]
    assert values(blob)[-1] == (800_000, 700_000, 750_000, 0)
    # so the next valuation finds no profit (-200,000 would have been held back as -20%)
    set_clock(root, START + 2 * DAY)
    assert update_total_capital(blob).ok
    assert values(blob)[-1] == (800_000, 700_000, 700_000, 0)  # full: max = capital

    # the market takes 150,000 (-18.75%): held back by the job, then confirmed by a person
    set_clock(root, START + 3 * DAY)
    blob.broker.deposit(-150_000.0)
    assert "total capital" in update_total_capital(blob).spiked
    out = tool(root, ["4", "y", "1", "0"])
    assert "pending large change: broker account value 650,000.00 at 2026-03-05 06:00 is -18.8% from 800,000.00" in out
    assert "broker account value now 650,000.00 USD: -18.8% from 800,000.00, profit -150,000.00 (full)" in out
    # capital 700,000 - 150,000 = 550,000 = max; P&L -150,000
    assert values(blob)[-1] == (650_000, 550_000, 550_000, -150_000)
    assert blob.total_capital.pending() is None
    assert "pending large change: none" in out  # the view after confirming
    assert blob.total_capital.entries()["source"].tolist() == ["initialised", "cash flow", "broker", "confirmed"]

    # change a value of the latest entry: max capital (choice 3) to 600,000
    out = tool(root, ["7", "3", "600000", "y", "0"])
    assert table_rows(out, "max_capital") == [["550,000.00", "600,000.00"]]
    assert values(blob)[-1] == (650_000, 550_000, 600_000, -150_000)
    # a refused value is asked again: max capital cannot be negative
    out = tool(root, ["7", "3", "-5", "1", "n", "0"])
    assert "'-5' is not allowed: give a number of 0 or more" in out
    assert values(blob)[-1][2] == 600_000


def test_deletions_since_a_time_and_of_everything(root):
    blob = make_blob(root)
    for day in range(4):  # entries at 06:00 on 2 to 5 March, +10,000 a day
        set_clock(root, START + day * DAY)
        if day:
            blob.broker.deposit(10_000.0)
        update_total_capital(blob)
    assert len(values(blob)) == 4

    # delete since 4 March 00:00: the entries of 4 and 5 March go; 3 March's is the latest
    out = tool(root, ["5", "4 March", "2026-03-04", "y", "0"])
    assert "'4 March' is not allowed: give a date YYYY-MM-DD" in out
    assert "delete 2 of 4 entries (at or after 2026-03-04 00:00:00)" in out
    assert values(blob) == [(1_000_000, 1_000_000, 1_000_000, 0), (1_010_000, 1_010_000, 1_010_000, 10_000)]
    # the next run values the broker's 1,030,000 against 3 March's 1,010,000: profit 20,000
    set_clock(root, START + 4 * DAY)
    update_total_capital(blob)
    assert values(blob)[-1] == (1_030_000, 1_030_000, 1_030_000, 30_000)

    out = tool(root, ["5", "2026-03-07 12:00", "6", "n", "6", "y", "1", "0"])
    assert "no entries at or after 2026-03-07 12:00:00; nothing to delete" in out
    assert "delete all 3 entries" in out and "no capital stored" in out
    assert values(blob) == []
    # with nothing stored, the next run initialises again from the broker
    update_total_capital(blob)
    assert blob.total_capital.latest_values() == CapitalValues(1_030_000, 1_030_000, 1_030_000, 0)


def test_actions_needing_capital_say_so_and_initialising_works_with_the_broker_down(root):
    out = tool(root, ["3", "7", "0"])
    assert out.count("error: no capital stored yet; initialise it first (menu item 2)") == 2
    blob = make_blob(root)
    FaultBook(blob.documents, blob.clock).add("disconnect", 5)
    # no broker value to offer: it is typed (500,000); capital and max as offered, P&L 0
    out = tool(root, ["2", "", "500000", "", "", "", "y", "0"])
    assert "the broker's account value is not available (simulated broker disconnected" in out
    assert "'' is not allowed: give a number" in out
    assert values(blob) == [(500_000, 500_000, 500_000, 0)]
