"""The IB adapter through the real ib_async client and the fake gateway: connection and client
ids, recovery (drops, the nightly restart, a silent socket, 1100/1102), IB's error codes, the
instrument config, and fills that happen while we are away."""

from __future__ import annotations

import sys
import types

import pandas as pd
import pytest

from sysbrokers.broker import BarFrequency, OrderLeg, OrderRequest, OrderStatus
from sysbrokers.ib.build import ib_broker_from_blob
from sysbrokers.ib.client_ids import COLLECTION, ClientIdTracker, clear_client_ids
from sysbrokers.ib.instruments import IBInstrumentTable, ib_month, read_table
from syscore.exceptions import BrokerError, BrokerNoData, ConfigError, InstallationError
from sysdata.stores.documents import SqliteDocumentStore
from tests.sysbrokers.ib.conftest import make_ib

CODE = "GOLD"
PACING = "Historical Market Data Service error message:Historical data request pacing violation"


def _front(market, clock, code=CODE) -> str:
    return market.listed_contracts(code, clock.now())[0]


def test_client_ids_are_taken_in_turn_and_given_back(tmp_path, gateway, clock):
    first, second = make_ib(tmp_path, gateway, clock, "a"), make_ib(tmp_path, gateway, clock, "b")
    assert first.health().connected and second.health().connected
    store = SqliteDocumentStore(tmp_path / "sysprod.sqlite")
    assert sorted(int(k) for k in store.keys(COLLECTION)) == [100, 101] == gateway.client_ids()
    assert {d["process"] for _, d in store.items(COLLECTION)} == {"a", "b"}

    first.close()
    assert store.keys(COLLECTION) == ["101"]
    third = make_ib(tmp_path, gateway, clock, "c")
    third.health()
    assert third.connection.client_id == 100  # the freed id is reused
    second.close()
    third.close()
    assert store.keys(COLLECTION) == []


def test_an_id_used_outside_the_tracker_is_skipped_and_offsets_apply(tmp_path, gateway, clock):
    other = make_ib(tmp_path / "other", gateway, clock)  # another installation, same offset
    other.health()
    mine = make_ib(tmp_path, gateway, clock)
    assert mine.health().connected
    assert mine.connection.client_id == 101  # the gateway said 326 for 100
    store = SqliteDocumentStore(tmp_path / "sysprod.sqlite")
    assert store.keys(COLLECTION) == ["101"]
    other.close()
    mine.close()


def test_clearing_forgets_recorded_ids_and_a_dead_process_s_id_is_taken_over(tmp_path):
    store = SqliteDocumentStore(tmp_path / "sysprod.sqlite")
    tracker = ClientIdTracker(store, 200)
    store.put(COLLECTION, "200", {"pid": 2**22 + 12345, "host": __import__("socket").gethostname(), "process": "x"})
    store.put(COLLECTION, "201", {"pid": 1, "host": "elsewhere", "process": "y"})
    assert tracker.acquire("me", pd.Timestamp("2024-06-04").to_pydatetime()) == 200  # its process is dead
    assert tracker.acquire("me", pd.Timestamp("2024-06-04").to_pydatetime()) == 202
    data = types.SimpleNamespace(documents=store, config={"ib_idoffset": 200})
    assert clear_client_ids(data) == "cleared IB client ids: 200, 201, 202"
    assert clear_client_ids(data) == "no IB client ids recorded"


def test_no_gateway_is_one_line_naming_where_and_later_calls_fail_at_once(tmp_path, gateway, clock, monkeypatch):
    broker = make_ib(tmp_path, gateway, clock, port=1, reconnect_attempts=2)
    attempts = []
    connect_once = broker.connection._connect_once
    monkeypatch.setattr(broker.connection, "_connect_once", lambda: (attempts.append(1), connect_once()))
    with pytest.raises(BrokerError, match=r"cannot connect to the IB Gateway/TWS at 127.0.0.1:1 .*ib_port"):
        broker.trading_contracts(CODE)
    assert len(attempts) == 2
    health = broker.health()  # within down_hold_seconds: no new attempts, the same line
    assert not health.connected and "127.0.0.1:1" in health.detail and len(attempts) == 2
    with pytest.raises(BrokerError, match="cannot connect"):
        broker.positions()
    assert len(attempts) == 2
    assert SqliteDocumentStore(tmp_path / "sysprod.sqlite").keys(COLLECTION) == []


def test_a_wrong_account_is_refused(tmp_path, gateway, clock):
    broker = make_ib(tmp_path, gateway, clock, account="U999")
    with pytest.raises(BrokerError, match="broker_account U999 is not an account of .* DU1234567"):
        broker.positions()


def test_instrument_config_errors_name_the_instrument(tmp_path, ib, gateway, market, clock):
    with pytest.raises(BrokerNoData, match="^NOPE: no IB mapping in ib_config_futures.csv"):
        ib.trading_contracts("NOPE")
    with pytest.raises(BrokerNoData, match=r"^VIX contracts \(VIX CFE\): IB has no data \(200"):
        ib.trading_contracts("VIX")  # mapped, but the gateway has no such security
    with pytest.raises(BrokerNoData, match=r"^GOLD 20990600 .*IB has no data \(200"):
        ib.contract_details(CODE, "20990600")
    gateway.multiplier_override[CODE] = "10"
    with pytest.raises(BrokerError, match="^GOLD: IB's .* multiplier 10 but ib_config_futures.csv says 100; fix"):
        ib.trading_contracts(CODE)
    with pytest.raises(BrokerError, match="GOLD: contract id '2024' is not YYYYMMDD"):
        ib_month(CODE, "2024")


def test_user_rows_replace_tracked_ones_and_bad_rows_are_one_line(tmp_path):
    (tmp_path / "ib_config_futures.csv").write_text(
        "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IBTradingClass\n"
        "GOLD,MGC,COMEX,USD,10,1,MGC\nMYTHING,XX,CME,USD,50,1,XX\n")
    table = IBInstrumentTable.load(tmp_path)
    assert (table.get("GOLD").symbol, table.get("GOLD").pointsize) == ("MGC", 10.0)
    assert table.get("MYTHING").exchange == "CME" and table.get("SP500").symbol == "ES"
    bad = tmp_path / "bad.csv"
    bad.write_text("Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier\nCORN,ZC,CBOT,USD,lots\n")
    with pytest.raises(ConfigError, match=r"bad.csv line 2: instrument CORN: IBMultiplier/priceMagnifier must be numbers"):
        read_table(bad)
    bad.write_text("Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier\nCORN,ZC,,USD,5000\n")
    with pytest.raises(ConfigError, match="instrument CORN: IBExchange empty"):
        read_table(bad)


def test_price_magnifier_scales_prices(ib, market, clock):
    front = _front(market, clock, "CORN")
    bars = ib.contract_bars("CORN", front, start=pd.Timestamp("2024-01-02").to_pydatetime())
    expected = market.daily_bars("CORN", front, clock.now())
    expected = expected[expected.index >= "2024-01-02"]
    pd.testing.assert_frame_equal(bars, expected, check_freq=False, check_names=False, rtol=1e-9)
    assert ib.contract_details("CORN", front).pointsize == 50.0


def test_pacing_violation_waits_and_asks_again_and_no_bars_is_empty(ib, gateway, market, clock):
    front = _front(market, clock)
    gateway.fail_next("historical", 162, PACING)
    bars = ib.contract_bars(CODE, front, BarFrequency.HOURLY)
    assert not bars.empty and len(gateway.history_requests) == 1  # the retry was answered
    for _ in range(4):
        gateway.fail_next("historical", 162, PACING)
    with pytest.raises(BrokerError, match="pacing violation"):
        ib.contract_bars(CODE, front)
    gateway.queued.errors.clear()
    gateway.fail_next("historical", 162, "Historical Market Data Service error message:HMDS query returned no data")
    assert ib.contract_bars(CODE, front).empty  # a contract that has not traded yet
    with pytest.raises(BrokerNoData, match=f"^{CODE} 20990600 .*IB has no data"):
        ib.contract_bars(CODE, "20990600")  # one IB does not list


def test_historical_requests_are_paced_within_a_window(tmp_path, gateway, clock, market, monkeypatch):
    """At most 2 requests per contract in 2 s and 3 in all per 60 s here: the third request for one
    contract waits 2 s, the fourth request 58 s more (a clock the test controls, no real waiting)."""
    broker = make_ib(tmp_path, gateway, clock, history_requests_per_window=3, history_window_seconds=60,
                     contract_requests_per_window=2, contract_window_seconds=2)
    broker.health()
    now = [1000.0]
    waits: list[float] = []
    monkeypatch.setattr("sysbrokers.ib.connection.time.monotonic", lambda: now[0])

    def pause(seconds: float) -> None:
        waits.append(round(seconds, 6))
        now[0] += seconds

    monkeypatch.setattr(broker.connection, "pause", pause)
    near, far = market.listed_contracts(CODE, clock.now())[:2]
    for contract in (near, near, near, far):
        assert not broker.contract_bars(CODE, contract).empty
    assert waits == [2.0, 58.0] and len(gateway.history_requests) == 4
    broker.close()


def test_rejected_order_says_why(ib, gateway, market, clock):
    gateway.reject_order_with("the margin is not enough")
    order = ib.submit_order(OrderRequest(CODE, (OrderLeg(_front(market, clock)),), 1, reference="r1"))
    assert order.status is OrderStatus.REJECTED and order.filled_quantity == 0
    assert "margin is not enough" in order.reject_reason
    assert ib.open_orders() == [] and ib.positions() == []
    assert [(o.broker_order_id, o.status) for o in ib.all_orders()] == [(order.broker_order_id, OrderStatus.REJECTED)]


def test_without_the_ib_extra_broker_ib_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "ib_async", None)  # as if ib_async were not installed
    with pytest.raises(InstallationError, match=r"^broker: ib needs the IB extra.*pip install -e '\.\[ib\]'"):
        ib_broker_from_blob(None)


def test_a_dropped_connection_is_made_again(ib, gateway, market, clock):
    front = _front(market, clock)
    assert ib.trading_contracts(CODE)
    gateway.drop_connections()
    assert ib.contract_details(CODE, front).contract_id == front
    assert ib.connection.reconnects == 1


def test_the_nightly_restart_is_waited_out(tmp_path, gateway, market, clock):
    ib = make_ib(tmp_path, gateway, clock, reconnect_attempts=8)  # back-off 0.05, 0.1, 0.2 ... 6.4 s
    assert ib.trading_contracts(CODE)
    gateway.restart(down_seconds=0.12)  # refuses the first attempts
    ib.connection.pause(0.05)
    assert ib.trading_contracts(CODE) == market.listed_contracts(CODE, clock.now())
    assert ib.connection.reconnects == 1
    ib.close()


def test_a_silent_socket_times_out_and_reconnects(tmp_path, gateway, market, clock):
    broker = make_ib(tmp_path, gateway, clock, request_timeout=1.0)
    assert broker.trading_contracts(CODE)
    gateway.go_silent()
    assert broker.trading_contracts(CODE) == market.listed_contracts(CODE, clock.now())
    assert broker.connection.reconnects == 1
    broker.close()


def test_lost_connectivity_to_ib_stops_requests_until_restored(ib, gateway):
    assert ib.health().connected
    gateway.broadcast_error(1100, "Connectivity between IB and Trader Workstation has been lost.")
    ib.connection.pause(0.1)
    health = ib.health()
    assert not health.connected and "1100" in health.detail
    with pytest.raises(BrokerError, match="lost its connection to IB"):
        ib.positions()
    gateway.broadcast_error(1102, "Connectivity between IB and Trader Workstation has been restored - data maintained.")
    ib.connection.pause(0.1)
    assert ib.health().connected and ib.positions() == []


def test_fills_while_disconnected_are_picked_up_on_reconnect(ib, gateway, market, clock):
    front = _front(market, clock)
    gateway.hold_orders = True
    order = ib.submit_order(OrderRequest(CODE, (OrderLeg(front),), 2, reference="co-9"))
    assert order.status is OrderStatus.SUBMITTED
    gateway.drop_connections()
    gateway.fill_held()  # it fills while nobody is connected
    ib.connection.pause(0.1)

    assert ib.positions()[0].position == 2  # reconnected; IB's executions caught up on the way
    assert ib.connection.reconnects == 1
    fills = ib.fills()
    assert [(f.broker_order_id, f.reference, f.quantity, f.commission) for f in fills] == [
        (order.broker_order_id, "co-9", 2, 4.0)]
    assert ib.get_order(order.broker_order_id).status is OrderStatus.FILLED


def test_another_process_sees_the_fills_but_cannot_cancel_what_it_did_not_place(tmp_path, gateway, market, clock):
    front = _front(market, clock)
    gateway.hold_orders = True
    first = make_ib(tmp_path, gateway, clock, "first")
    order = first.submit_order(OrderRequest(CODE, (OrderLeg(front),), 1, reference="x"))  # resting: held
    second = make_ib(tmp_path, gateway, clock, "second")
    assert [o.broker_order_id for o in second.open_orders()] == [order.broker_order_id]
    with pytest.raises(BrokerError, match=f"placed by IB client id {first.connection.client_id}"):
        second.cancel_order(order.broker_order_id)
    gateway.fill_held()
    assert second.get_order(order.broker_order_id).status is OrderStatus.FILLED
    assert first.cancel_order(order.broker_order_id).status is OrderStatus.FILLED
    first.close()
    second.close()


def test_an_unknown_execution_is_not_ours(ib, gateway, market, clock):
    """Executions of orders placed elsewhere (TWS by hand, another installation) are left out."""
    other = make_ib(ib.connection.tracker._docs.path.parent / "other", gateway, clock)
    other.submit_order(OrderRequest(CODE, (OrderLeg(_front(market, clock)),), 1, reference="theirs"))
    assert ib.fills() == []
    other.close()


def test_an_order_gone_from_ib_meanwhile_is_cancelled_in_our_books(tmp_path, gateway, market, clock):
    """Another process placed it; IB cancelled it (or the DAY order expired): IB's open orders no
    longer list it, so it is no longer open here either, with what had filled."""
    front = _front(market, clock)
    gateway.hold_orders = True
    placer = make_ib(tmp_path, gateway, clock, "placer")
    working = placer.submit_order(OrderRequest(CODE, (OrderLeg(front),), 1, reference="w"))
    gone = placer.submit_order(OrderRequest(CODE, (OrderLeg(front),), 2, reference="g"))
    placer.close()
    gateway.orders[(100, int(gone.broker_order_id.split("-")[1]))].status = "Cancelled"  # at IB, by hand

    reader = make_ib(tmp_path, gateway, clock, "reader")
    assert [o.broker_order_id for o in reader.open_orders()] == [working.broker_order_id]
    after = reader.get_order(gone.broker_order_id)
    assert (after.status, after.filled_quantity) == (OrderStatus.CANCELLED, 0)
    assert "no longer working at IB" in after.reject_reason
    reader.close()


def test_startup_and_interactive_controls_clear_recorded_ids(tmp_path):
    """A killed process left its client id behind: startup's job and the menu item both clear it."""
    import datetime as dt
    import subprocess

    from sysproduction.wiring import make_blob
    from tests.sysproduction.control.helpers import env_for, make_installation, sysprod

    root = make_installation(tmp_path / "inst", {}, now=dt.datetime(2026, 11, 25, 10, 0))
    documents = make_blob(root).documents
    documents.put(COLLECTION, "100", {"pid": 1, "host": "elsewhere", "process": "run_stack_handler"})
    out = subprocess.run([sys.executable, "-m", "sysproduction.interactive_controls"], input="6\n0\n",
                         capture_output=True, text=True, env=env_for(root), timeout=60)
    assert out.returncode == 0, out.stderr
    assert "cleared IB client ids: 100" in out.stdout and documents.keys(COLLECTION) == []
    documents.put(COLLECTION, "101", {"pid": 1, "host": "elsewhere", "process": "run_stack_handler"})
    run = sysprod(root, "run", "startup")
    assert "clear_broker_client_ids: ran 1, ok; cleared IB client ids: 101" in run.stdout, run.stdout + run.stderr
    assert documents.keys(COLLECTION) == []


def test_account_value_in_another_currency_uses_ib_s_fx_rate(ib, market, clock):
    from sysbrokers.sim.market import fx_pair_prices

    usd = ib.account_value("USD")
    rate = fx_pair_prices(market, "USDEUR", clock.now()).iloc[-1]
    assert ib.account_value("EUR") == pytest.approx(usd * rate)
