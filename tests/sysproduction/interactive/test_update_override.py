"""interactive_update_override driven through piped input in a real subprocess, as a user (or a
script) does it: every change is stored, every bad answer is one line and changes nothing."""

from __future__ import annotations

import pytest

from sysobjects.overrides import Override
from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import sysprod
from tests.sysproduction.jobs.strategies.order_helpers import hold, seeded_blob

MENU = "Overrides, position limits and locks"


@pytest.fixture
def root(tmp_path):
    blob = seeded_blob(tmp_path / "root")
    hold(blob, "GOLD", 3)
    return blob.data_root


def run_tool(root, answers: list[str]):
    return sysprod(root, "run", "interactive_update_override", input="\n".join(answers) + "\n")


def test_set_view_and_clear_through_the_menus(root):
    result = run_tool(root, [
        "2", "1", "1", "1.5",                   # override of strategy classic: 1.5 refused
        "2", "3", "1", "GOLD", "0.5",           # override of classic / GOLD: x0.5
        "4", "GOLD", "2", "1", "-3",            # classic's GOLD limit: -3 refused
        "4", "GOLD", "1", "8",                  # GOLD limit 8
        "6", "XYZ",                             # unknown instrument refused
        "6", "US10", "roll by hand",            # lock US10
        "1",                                    # view all
        "8", "1", "GOLD",                       # what applies to classic / GOLD
        "0",
    ])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    errors = [line for line in out.splitlines() if "error:" in line]
    assert [e.split("error: ", 1)[1] for e in errors] == [
        "override multiplier 1.5 is outside [0, 1]; give a multiplier from 0 to 1, close (= 0), "
        "reduce_only or no_trading",
        "position limit -3 is not a whole number of contracts, 0 or more; fix it",
        "unknown instrument 'XYZ': not in this installation's instrument config; check the code "
        "(see 'sysprod data list instruments')",
    ]
    assert "override of strategy classic / instrument GOLD: none -> x0.5" in out
    assert "position limit of instrument GOLD: none -> 8" in out
    assert "US10: not locked -> locked (roll by hand)" in out
    # the view: the limit shows the position it limits now
    assert "GOLD        (all)     8      3         2026-11-27 20:10:00" in out
    assert "  combined override: x0.5" in out and "  position limit of instrument GOLD: 8" in out

    blob = make_blob(root)
    assert blob.overrides.get("classic", None) is None  # the refused 1.5 stored nothing
    assert blob.overrides.get("classic", "GOLD") == Override(multiplier=0.5)
    assert blob.position_limits.get("GOLD") == 8 and blob.position_limits.get("GOLD", "classic") is None
    assert blob.instrument_locks.reason("US10") == "roll by hand"

    cleared = run_tool(root, ["3", "3", "1", "GOLD", "5", "GOLD", "1", "7", "US10", "0"])
    assert cleared.returncode == 0, cleared.stderr
    assert "override of strategy classic / instrument GOLD: x0.5 -> none" in cleared.stdout
    assert "position limit of instrument GOLD: 8 -> none" in cleared.stdout
    assert "US10: locked (roll by hand) -> not locked" in cleared.stdout
    blob = make_blob(root)
    assert blob.overrides.all() == [] and blob.position_limits.all() == [] and blob.instrument_locks.all() == {}


def test_input_ending_half_way_leaves_cleanly_without_a_change(root):
    result = run_tool(root, ["2", "3", "1"])  # stops before the instrument is given
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert make_blob(root).overrides.all() == []
