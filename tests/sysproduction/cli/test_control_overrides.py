"""`sysprod control override|limit|lock list|set|clear` in subprocesses: what they store, what
they print, and one line (exit 1) for each bad value."""

from __future__ import annotations

import pytest

from sysobjects.overrides import Override
from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import sysprod
from tests.sysproduction.jobs.strategies.order_helpers import hold, seeded_blob


@pytest.fixture
def root(tmp_path):
    blob = seeded_blob(tmp_path / "root")
    hold(blob, "GOLD", 3)
    return blob.data_root


def ok(root, *args) -> str:
    result = sysprod(root, "control", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_override_limit_and_lock_commands(root):
    assert ok(root, "override", "set", "0.5", "--strategy", "classic").strip() == (
        "override of strategy classic: none -> x0.5")
    assert ok(root, "override", "set", "reduce-only", "--strategy", "classic", "--instrument", "GOLD").strip() == (
        "override of strategy classic / instrument GOLD: none -> reduce_only")
    assert ok(root, "override", "set", "close", "--instrument", "US10").strip() == (
        "override of instrument US10: none -> close (x0)")
    assert ok(root, "override", "list").splitlines() == [
        "strategy  instrument  override     set",
        "--------  ----------  -----------  -------------------",
        "(all)     US10        close (x0)   2026-11-27 20:10:00",
        "classic   (all)       x0.5         2026-11-27 20:10:00",
        "classic   GOLD        reduce_only  2026-11-27 20:10:00",
    ]
    assert ok(root, "limit", "set", "GOLD", "10").strip() == "position limit of instrument GOLD: none -> 10"
    assert ok(root, "limit", "set", "GOLD", "0", "--strategy", "classic").strip() == (
        "position limit of strategy classic / instrument GOLD: none -> 0")
    assert ok(root, "limit", "list").splitlines()[2:] == [
        "GOLD        (all)     10     3         2026-11-27 20:10:00",
        "GOLD        classic   0      3         2026-11-27 20:10:00",
    ]
    assert ok(root, "lock", "set", "US10", "roll by hand").strip() == "US10: not locked -> locked (roll by hand)"
    assert ok(root, "lock", "list").splitlines()[2] == "US10        2026-11-27 20:10:00  roll by hand"

    blob = make_blob(root)
    assert blob.overrides.cumulative("classic", "GOLD") == Override(multiplier=0.5, reduce_only=True)
    assert blob.position_limits.get("GOLD", "classic") == 0
    assert blob.instrument_locks.is_locked("US10")

    assert ok(root, "override", "clear", "--instrument", "US10").strip() == "override of instrument US10: close (x0) -> none"
    assert ok(root, "limit", "clear", "GOLD", "--strategy", "classic").strip() == (
        "position limit of strategy classic / instrument GOLD: 0 -> none")
    assert ok(root, "lock", "clear", "US10").strip() == "US10: locked (roll by hand) -> not locked"
    blob = make_blob(root)
    assert blob.overrides.get(None, "US10") is None and blob.position_limits.get("GOLD", "classic") is None
    assert not blob.instrument_locks.is_locked("US10")


BAD_VALUES = [
    (("override", "set", "1.5", "--strategy", "classic"),
     "override multiplier 1.5 is outside [0, 1]; give a multiplier from 0 to 1, close (= 0), reduce_only or no_trading"),
    (("limit", "set", "GOLD", "-1"), "position limit -1 is not a whole number of contracts, 0 or more"),
    (("override", "set", "0.5", "--instrument", "XYZ"), "unknown instrument 'XYZ'"),
    (("override", "set", "0.5", "--strategy", "klassic"),
     "unknown strategy 'klassic'; did you mean 'classic'? known strategies: classic"),
]
MORE_BAD_VALUES = [
    (("override", "set", "-0.5", "--instrument", "GOLD"), "override multiplier -0.5 is outside [0, 1]"),
    (("override", "set", "half", "--instrument", "GOLD"), "override 'half' is not a multiplier from 0 to 1"),
    (("override", "set", "0.5"), "an override applies to a strategy, an instrument or both; name one"),
    (("limit", "set", "GOLD", "2.5"), "position limit 2.5 is not a whole number of contracts"),
    (("limit", "set", "XYZ", "3"), "unknown instrument 'XYZ'"),
    (("limit", "set", "GOLD", "3", "--strategy", "nope"), "unknown strategy 'nope'"),
    (("lock", "set", "XYZ", "why"), "unknown instrument 'XYZ'"),
    (("lock", "set", "GOLD", " "), "lock GOLD: give a reason"),
]


def _nothing_stored(root) -> bool:
    blob = make_blob(root)
    return blob.overrides.all() == [] and blob.position_limits.all() == [] and blob.instrument_locks.all() == {}


def test_a_bad_value_is_one_line_and_changes_nothing(root):
    """The issue's examples in real subprocesses: exit 1, one line on stderr."""
    for args, message in BAD_VALUES:
        result = sysprod(root, "control", *args)
        assert result.returncode == 1, args
        assert result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr
    assert _nothing_stored(root)


def test_more_bad_values_through_the_same_command_group(root, monkeypatch):
    """The other refusals, through the same click commands in-process (faster than a process
    each; the one-line error path is the same LazyGroup that the subprocesses above go through)."""
    from click.testing import CliRunner

    from sysproduction.cli.main import cli

    monkeypatch.setenv("SYSPROD_DATA_ROOT", str(root))
    monkeypatch.delenv("SYSPROD_CONFIG", raising=False)
    for args, message in MORE_BAD_VALUES:
        result = CliRunner().invoke(cli, ["control", *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert _nothing_stored(root)
