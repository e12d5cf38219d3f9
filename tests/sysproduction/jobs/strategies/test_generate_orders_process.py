"""`sysprod run run_strategy_order_generator` in real subprocesses on one SQLite file: orders are
created once, a second run the same day creates none, and a run killed (SIGKILL) after its first
order is stored and then re-run creates each order exactly once."""

from __future__ import annotations

import signal
import sqlite3

import pytest

from sysdata.data_blob import SQLITE_FILE
from sysdata.repos.order_stacks import INSTRUMENT
from tests.sysproduction.control.helpers import start_background, sysprod, wait_for
from tests.sysproduction.jobs.strategies.order_helpers import (
    hold,
    optimal,
    seeded_blob,
    set_last_price,
    store_optimal,
    strategy_orders,
)

WANTED = {"BUND": [-3], "GOLD": [3], "US10": [1]}


@pytest.fixture
def root(tmp_path):
    blob = seeded_blob(tmp_path / "root")
    hold(blob, "GOLD", 1)
    store_optimal(blob,
                  optimal("BUND", -6.4, -3.0),  # 0 -> -3
                  optimal("GOLD", 3.6, 7.9),    # 1 -> 4
                  optimal("SP500", -1.0, 1.0),  # inside
                  optimal("US10", 1.0, 2.0))    # 0 -> 1
    return blob.data_root


def orders(root):
    return strategy_orders(seeded_blob_reader(root))


def stored_orders(db) -> dict[str, list[int]]:
    """The generator's orders read straight from the file: a plain read, which waits for no
    lock (WAL), while the process under test holds the write lock."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT json_extract(body, '$.instrument_code'), json_extract(body, '$.trade') FROM documents "
            "WHERE collection = ? AND json_extract(body, '$.order_type') = 'best' ORDER BY key",
            (INSTRUMENT,),
        ).fetchall()
    out: dict[str, list[int]] = {}
    for instrument, trade in rows:
        out.setdefault(instrument, []).append(int(trade))
    return out


def seeded_blob_reader(root):
    from sysproduction.wiring import make_blob

    return make_blob(root)


def test_orders_once_and_a_second_run_creates_none(root):
    first = sysprod(root, "run", "run_strategy_order_generator")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "classic: ran 1, ok; strategy orders classic: 3 updated, 1 unchanged, 0 spiked, 0 failed" in first.stdout
    assert orders(root) == WANTED

    second = sysprod(root, "run", "run_strategy_order_generator")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "strategy orders classic: 0 updated, 4 unchanged, 0 spiked, 0 failed" in second.stdout
    assert orders(root) == WANTED

    logs = sysprod(root, "control", "logs", "--instrument", "GOLD", "--type", "strategy_orders").stdout
    assert "classic GOLD: position 1 (booked 1, on the stack +0), optimal 5.75: position 1 below buffer" in logs


def _block_the_second_order(db) -> None:
    """Make the second instrument-order insert never finish: a trigger that runs a query of
    billions of rows inside that insert (the process then holds the write lock, stuck on its
    second insert, until it is killed). The first order is committed before it, so when the test
    sees one order, the process can never store another."""
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE spin (x INTEGER)")
        conn.executemany("INSERT INTO spin VALUES (?)", [(i,) for i in range(3000)])
        conn.execute(
            "CREATE TRIGGER hold_second_order BEFORE INSERT ON documents "
            f"WHEN NEW.collection = '{INSTRUMENT}' AND (SELECT count(*) FROM documents WHERE "
            f"collection = '{INSTRUMENT}' AND json_extract(body, '$.order_type') = 'best') >= 1 "
            "BEGIN SELECT count(*) FROM spin a, spin b, spin c; END"
        )


def _unblock(db) -> None:
    with sqlite3.connect(db, timeout=30) as conn:
        conn.execute("DROP TRIGGER hold_second_order")
        conn.execute("DROP TABLE spin")


def test_killed_after_its_first_order_and_re_run_creates_each_order_once(root):
    db = root / SQLITE_FILE
    _block_the_second_order(db)
    process = start_background(root, "run_strategy_order_generator")
    try:
        wait_for(lambda: len(stored_orders(db)) == 1 or process.poll() is not None, timeout=60,
                 what="the first order")
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert orders(root) == {"BUND": [-3]}  # the first order, stored whole; nothing else

    _unblock(db)
    rerun = sysprod(root, "run", "run_strategy_order_generator")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "strategy orders classic: 2 updated, 2 unchanged, 0 spiked, 0 failed" in rerun.stdout
    assert orders(root) == WANTED  # BUND once, and the two the killed run never stored


def test_a_stale_position_fails_the_process_with_its_reason(root):
    import datetime as dt

    blob = seeded_blob_reader(root)
    set_last_price(blob, "US10", dt.datetime(2026, 11, 30, 19, 0))
    result = sysprod(root, "run", "run_strategy_order_generator")
    assert result.returncode == 1
    assert ("    FAILED  US10: stale optimal position: computed 2026-11-27 20:00, before the latest "
            "prices of 2026-11-30; not traded (run run_systems, then this again)") in result.stdout.splitlines()
    assert orders(root) == {"BUND": [-3], "GOLD": [3]}


