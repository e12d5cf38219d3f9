"""A fake IB Gateway for tests: an asyncio server on loopback speaking the TWS API wire protocol.

Messages are a 4-byte big-endian length and NUL-terminated text fields. The client opens with
`API\\0` and a length-prefixed version range ("v157..178"); the gateway answers with its server
version (176) and a connection time. After the client's startApi it sends managedAccounts and
nextValidId, and it answers what ib_async asks for at connect with the end markers it waits for
(positionEnd, openOrderEnd, completedOrdersEnd, accountDownloadEnd, accountUpdateMultiEnd,
execDetailsEnd). It serves contract details, historical bars (from a simulated market: the
synthetic one the sandbox uses), snapshot quotes, account values and summary, positions, and
executes orders (outrights and BAG combos) with orderStatus, execDetails and commissionReport.
Tests make it send error codes (162 pacing, 200 no security definition, 201 rejected, 1100/1102
connectivity), drop connections, go silent, restart (refuse connections for a while) and hold
orders so that they fill while the client is away.

Open orders come as openOrder messages (the layout of server version 176, for plain orders and
BAG combos) for reqOpenOrders (at connect: this client's) and reqAllOpenOrders (every client's).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
import threading
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sysbrokers.ib.instruments import IBInstrumentTable, our_contract_id
from sysbrokers.sim.market import SimMarket, fx_pair_prices, latest_rate
from syscore.exceptions import BrokerError

SERVER_VERSION = 176
ACCOUNT = "DU1234567"
COMMISSION_PER_CONTRACT = 2.0


def encode(*fields: Any) -> bytes:
    body = "".join(f"{'' if f is None else f}\0" for f in fields).encode()
    return struct.pack(">I", len(body)) + body


def ib_time(when: dt.datetime) -> str:
    return when.strftime("%Y%m%d %H:%M:%S") + " UTC"


@dataclass
class FakeOrder:
    order_id: int
    client_id: int
    perm_id: int
    legs: list[tuple[int, int]]  # (conId, signed ratio)
    action: str
    quantity: int
    order_type: str
    limit: float | None
    ref: str
    status: str = "Submitted"
    filled: int = 0
    avg: float = 0.0

    @property
    def sign(self) -> int:
        return 1 if self.action == "BUY" else -1


@dataclass
class Execution:
    exec_id: str
    order: FakeOrder
    con_id: int
    shares: int  # signed
    price: float  # IB units
    time: dt.datetime
    commission: float
    currency: str


@dataclass
class Queued:
    errors: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))


class Session(asyncio.Protocol):
    """One client connection."""

    def __init__(self, gateway: FakeGateway):
        self.gw = gateway
        self.buffer = b""
        self.handshaken = False
        self.client_id: int | None = None
        self.transport: asyncio.Transport | None = None
        self.silent = False

    # --- transport ------------------------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        if self.gw.down:
            transport.close()
            return
        self.gw.sessions.append(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self in self.gw.sessions:
            self.gw.sessions.remove(self)

    def send(self, *fields: Any) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode(*fields))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.handshaken:
            if not self.buffer.startswith(b"API\0") or len(self.buffer) < 8:
                return
            size = struct.unpack(">I", self.buffer[4:8])[0]
            if len(self.buffer) < 8 + size:
                return
            self.buffer = self.buffer[8 + size:]
            self.handshaken = True
            self.send(SERVER_VERSION, ib_time(self.gw.now()))
        while len(self.buffer) >= 4:
            size = struct.unpack(">I", self.buffer[:4])[0]
            if len(self.buffer) < 4 + size:
                return
            fields = self.buffer[4:4 + size].decode().split("\0")[:-1]
            self.buffer = self.buffer[4 + size:]
            self.gw.requests.append(fields)
            if not self.silent:
                self.handle(fields)

    # --- requests -------------------------------------------------------------------------------
    def handle(self, f: list[str]) -> None:
        gw = self.gw
        kind = int(f[0])
        if kind == 71:  # startApi: clientId, optional capabilities
            client_id = int(f[2])
            if any(s.client_id == client_id for s in gw.sessions if s is not self):
                self.send(4, 2, -1, 326, f"Unable to connect as the client id {client_id} is already in use.", "")
                self.transport.close()
                return
            self.client_id = client_id
            self.send(15, 1, ACCOUNT)
            self.send(9, 1, gw.next_order_id)
        elif kind == 61:  # reqPositions
            for con_id, position in gw.positions().items():
                code, contract_id = gw.contracts[con_id]
                row = gw.table.get(code)
                self.send(61, 3, ACCOUNT, con_id, row.symbol, "FUT", gw.expiry(code, contract_id).strftime("%Y%m%d"),
                          0, "", row.multiplier_text, "", row.currency, gw.local_symbol(code, contract_id),
                          row.trading_class, position, 0)
            self.send(62, 1)
        elif kind in (5, 16):  # reqOpenOrders (this client's), reqAllOpenOrders (every client's)
            for order in gw.orders.values():
                if order.status == "Submitted" and (kind == 16 or order.client_id == self.client_id):
                    self.open_order(order)
            self.send(53, 1)
        elif kind == 99:  # reqCompletedOrders
            self.send(102)
        elif kind == 6:  # reqAccountUpdates
            if f[2] == "1":
                self.send(6, 2, "NetLiquidation", f"{gw.net_liquidation():.2f}", "USD", ACCOUNT)
                self.send(8, 1, gw.now().strftime("%H:%M"))
                self.send(54, 1, ACCOUNT)
        elif kind == 76:  # reqAccountUpdatesMulti
            req_id = f[2]
            self.send(73, 1, req_id, ACCOUNT, "", "NetLiquidation", f"{gw.net_liquidation():.2f}", "USD")
            self.send(74, 1, req_id)
        elif kind == 62:  # reqAccountSummary
            req_id = f[2]
            self.send(63, 1, req_id, ACCOUNT, "NetLiquidation", f"{gw.net_liquidation():.2f}", "USD")
            self.send(64, 1, req_id)
        elif kind == 7:  # reqExecutions
            req_id = int(f[2])
            if gw.pop_error("executions", self, req_id):
                return
            wanted_client = int(f[3] or 0)
            for execution in gw.executions:
                if wanted_client and execution.order.client_id != wanted_client:
                    continue
                self.send_execution(req_id, execution)
            self.send(55, 1, req_id)
        elif kind == 9:  # reqContractDetails
            self.contract_details(int(f[2]), f[3:15])
        elif kind == 20:  # reqHistoricalData
            self.historical(int(f[1]), f[2:14], f[15], f[16], f[17], f[19])
        elif kind == 1:  # reqMktData (snapshot)
            self.market_data(int(f[2]), int(f[3] or 0))
        elif kind == 3:  # placeOrder
            gw.place(self, f)
        elif kind == 4:  # cancelOrder
            gw.cancel(self, int(f[2]))

    def error(self, req_id: int, code: int, message: str) -> None:
        self.send(4, 2, req_id, code, message, "")

    def contract_details(self, req_id: int, c: list[str]) -> None:
        gw = self.gw
        if gw.pop_error("contract_details", self, req_id):
            return
        con_id, symbol, sec_type, month, _strike, _right, multiplier, exchange, _pex, currency, _local, tclass = c
        if con_id and int(con_id):
            found = [gw.contracts[int(con_id)]] if int(con_id) in gw.contracts else []
        else:
            code = gw.table.code_for(symbol, exchange, tclass, "")
            if sec_type != "FUT" or code is None or code not in gw.market.instrument_codes():
                found = []
            elif month:
                contract_id = our_contract_id(month)
                found = [(code, contract_id)] if gw.exists(code, contract_id) else []
            else:
                found = [(code, cid) for cid in gw.market.listed_contracts(code, gw.now())]
        if not found:
            self.error(req_id, 200, "No security definition has been found for the request")
            return
        for code, contract_id in found:
            row = gw.table.get(code)
            expiry = gw.expiry(code, contract_id).strftime("%Y%m%d")
            mult = gw.multiplier_override.get(code, row.multiplier_text)
            self.send(10, req_id, row.symbol, "FUT", expiry, 0, "", row.exchange, row.currency,
                      gw.local_symbol(code, contract_id), row.trading_class, row.trading_class,
                      gw.con_id(code, contract_id), "0.01", mult, "LMT,MKT", row.exchange, 1, 0,
                      f"{code} future", "", contract_id[:6], "", "", "", "UTC", "", "", "", "", 0,
                      "", "", "", "", expiry, "", "1", "1", "1")
        self.send(52, 1, req_id)

    def historical(self, req_id: int, c: list[str], end: str, bar_size: str, duration: str, show: str) -> None:
        gw = self.gw
        if gw.pop_error("historical", self, req_id):
            return
        con_id, symbol, sec_type, *_ = c
        currency = c[9]
        now = gw.now()
        end_time = now if not end else dt.datetime.strptime(end, "%Y%m%d-%H:%M:%S")
        number, unit = duration.split()
        span = dt.timedelta(days=int(number) * {"S": 1 / 86400, "D": 1, "W": 7, "M": 31, "Y": 365}[unit])
        try:
            if sec_type == "CASH":
                closes = fx_pair_prices(gw.market, symbol + currency, now)
                frame = closes.to_frame("FINAL").assign(OPEN=closes, HIGH=closes, LOW=closes, VOLUME=0.0)
                magnifier = 1.0
            else:
                if int(con_id or 0) not in gw.contracts:
                    raise BrokerError("unknown contract")
                code, contract_id = gw.contracts[int(con_id)]
                magnifier = gw.table.get(code).price_magnifier
                bars = gw.market.hourly_bars if bar_size == "1 hour" else gw.market.daily_bars
                frame = bars(code, contract_id, now)
        except BrokerError:
            self.error(req_id, 200, "No security definition has been found for the request")
            return
        frame = frame[(frame.index <= end_time) & (frame.index > end_time - span)]
        if frame.empty:
            self.error(req_id, 162, "Historical Market Data Service error message:HMDS query returned no data")
            return
        out: list[Any] = []
        for stamp, bar in frame.iterrows():
            if bar_size == "1 hour":
                start = stamp.to_pydatetime() - dt.timedelta(hours=1)
                date = str(int(start.replace(tzinfo=dt.UTC).timestamp()))
            else:
                date = stamp.strftime("%Y%m%d")
            out += [date, bar["OPEN"] / magnifier, bar["HIGH"] / magnifier, bar["LOW"] / magnifier,
                    bar["FINAL"] / magnifier, bar["VOLUME"], bar["FINAL"] / magnifier, 1]
        gw.history_requests.append((show, bar_size, duration, end))
        self.send(17, req_id, "", "", len(frame), *out)

    def market_data(self, req_id: int, con_id: int) -> None:
        quote = self.gw.quote(con_id)
        if quote is not None:
            self.send(1, 6, req_id, 1, quote[0], 10, 0)
            self.send(1, 6, req_id, 2, quote[1], 10, 0)
        self.send(57, 1, req_id)

    def send_execution(self, req_id: int, e: Execution) -> None:
        gw = self.gw
        code, contract_id = gw.contracts[e.con_id]
        row = gw.table.get(code)
        o = e.order
        self.send(11, req_id, o.order_id, e.con_id, row.symbol, "FUT",
                  gw.expiry(code, contract_id).strftime("%Y%m%d"), 0, "", row.multiplier_text, row.exchange,
                  row.currency, gw.local_symbol(code, contract_id), row.trading_class, e.exec_id,
                  ib_time(e.time), ACCOUNT, row.exchange, "BOT" if e.shares > 0 else "SLD", abs(e.shares),
                  e.price, o.perm_id, o.client_id, 0, abs(e.shares), e.price, o.ref, "", "", "", 0)
        self.send(59, 1, e.exec_id, e.commission, e.currency, "", "", "")

    def open_order(self, o: FakeOrder) -> None:
        """openOrder as server version 176 lays it out (a plain order: no scale, hedge, algo,
        delta-neutral or conditions)."""
        gw = self.gw
        if len(o.legs) == 1:
            code, contract_id = gw.contracts[o.legs[0][0]]
            row = gw.table.get(code)
            contract = [o.legs[0][0], row.symbol, "FUT", gw.expiry(code, contract_id).strftime("%Y%m%d"), 0, "",
                        row.multiplier_text, row.exchange, row.currency, gw.local_symbol(code, contract_id),
                        row.trading_class]
        else:
            row = gw.table.get(gw.contracts[o.legs[0][0]][0])
            contract = [0, row.symbol, "BAG", "", 0, "", "", row.exchange, row.currency, "", ""]
        fields: list[Any] = [5, o.order_id, *contract, o.action, o.quantity, o.order_type,
                             "" if o.limit is None else o.limit, "", "DAY", "", ACCOUNT, "", 0, o.ref,
                             o.client_id, o.perm_id, 0, 0, 0, "", "", "", "", ""]
        fields += [""]  # faProfile (server versions before 177)
        fields += [""] * 27 + ["", ""]  # modelCode ... volatilityType, deltaNeutralOrderType (none), aux
        fields += ["", "", "", "", "", "", ""]  # continuousUpdate ... comboLegsDescrip
        legs = [] if len(o.legs) == 1 else o.legs
        fields += [len(legs)]
        for con_id, ratio in legs:
            fields += [con_id, abs(ratio), "BUY" if ratio > 0 else "SELL", row.exchange, 0, 0, "", -1]
        fields += [0, 0]  # order combo legs, smart combo routing params
        fields += ["", "", ""]  # scale sizes, increment
        fields += [""]  # hedgeType
        fields += [0, "", "", 0, 0]  # optOutSmartRouting, clearing account/intent, notHeld, no delta-neutral
        fields += [""]  # algoStrategy
        fields += [0, 0, o.status] + [""] * 14 + [0, 0]  # solicited, whatIf, order state, randomize
        fields += [0]  # conditions
        fields += [""] * 16  # adjusted order fields, soft dollar tier, cashQty ...
        fields += ["", "", ""]  # duration, postToAts, autoCancelParent
        fields += [""] * 5  # minTradeQty ... midOffsetAtHalf
        self.send(*fields)

    def order_status(self, o: FakeOrder) -> None:
        self.send(3, o.order_id, o.status, o.filled, o.quantity - o.filled, o.avg, o.perm_id, 0, o.avg,
                  o.client_id, "", 0)


class FakeGateway:
    """The server and its state (see the module docstring). Runs its own event loop in a thread."""

    def __init__(self, market: SimMarket, now: Callable[[], dt.datetime], table: IBInstrumentTable | None = None,
                 initial_cash: float = 1_000_000.0):
        self.market = market
        self.now = now
        self.table = table or IBInstrumentTable.load()
        self.initial_cash = initial_cash
        self.sessions: list[Session] = []
        self.contracts: dict[int, tuple[str, str]] = {}
        self.orders: dict[tuple[int, int], FakeOrder] = {}
        self.executions: list[Execution] = []
        self.requests: list[list[str]] = []
        self.history_requests: list[tuple[str, ...]] = []
        self.queued = Queued()
        self.multiplier_override: dict[str, str] = {}
        self.next_order_id = 1
        self._perm = 9000
        self.hold_orders = False
        self.down = False
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # --- life -----------------------------------------------------------------------------------
    def start(self) -> FakeGateway:
        self._thread.start()
        self._server = self._run(self._loop.create_server(lambda: Session(self), "127.0.0.1", self.port))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def _call(self, function: Callable[[], Any]) -> Any:
        async def wrapper() -> Any:
            return function()
        return self._run(wrapper())

    def stop(self) -> None:
        self.drop_connections()
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    # --- controls for tests ---------------------------------------------------------------------
    def fail_next(self, request: str, code: int, message: str) -> None:
        """The next `request` ("historical", "contract_details", "executions", "order") gets IB
        error `code` instead of an answer."""
        self.queued.errors[request].append((code, message))

    def pop_error(self, request: str, session: Session, req_id: int) -> bool:
        queue = self.queued.errors.get(request)
        if not queue:
            return False
        code, message = queue.pop(0)
        session.error(req_id, code, message)
        return True

    def drop_connections(self) -> None:
        self._call(lambda: [s.transport.close() for s in list(self.sessions) if s.transport])

    def broadcast_error(self, code: int, message: str) -> None:
        self._call(lambda: [s.error(-1, code, message) for s in self.sessions])

    def go_silent(self) -> None:
        """Open connections stop answering (a half-dead socket); new ones work."""
        self._call(lambda: [setattr(s, "silent", True) for s in self.sessions])

    def restart(self, down_seconds: float) -> None:
        """The nightly restart: every connection dropped, new ones refused for a while."""
        self.down = True
        self.drop_connections()
        self._loop.call_soon_threadsafe(self._loop.call_later, down_seconds, setattr, self, "down", False)

    def client_ids(self) -> list[int]:
        return sorted(s.client_id for s in self.sessions if s.client_id is not None)

    def fill_held(self) -> None:
        """Fill resting orders (their clients may be gone: the executions wait for reqExecutions)."""
        def work() -> None:
            for order in list(self.orders.values()):
                if order.status == "Submitted":
                    self._try_fill(order, force=True)
        self._call(work)

    # --- market ---------------------------------------------------------------------------------
    def con_id(self, code: str, contract_id: str) -> int:
        con_id = zlib.crc32(f"{code}/{contract_id}".encode()) % 90_000_000 + 1_000_000
        self.contracts[con_id] = (code, contract_id)
        return con_id

    def local_symbol(self, code: str, contract_id: str) -> str:
        return f"{self.table.get(code).symbol}{contract_id[:6]}"

    def expiry(self, code: str, contract_id: str) -> dt.date:
        return self.market.contract_expiry(code, contract_id)

    def exists(self, code: str, contract_id: str) -> bool:
        """A month of the cycle up to five years ahead, or expired (IB keeps those with includeExpired)."""
        if contract_id in self.market.listed_contracts(code, self.now()):
            return True
        try:
            expiry = self.market.contract_expiry(code, contract_id)
        except Exception:
            return False  # not a month of the instrument's cycle
        return expiry < self.now().date() + dt.timedelta(days=5 * 365)  # IB lists some years ahead

    def mid(self, code: str, contract_id: str) -> float | None:
        now = self.now()
        bars = self.market.hourly_bars(code, contract_id, now)
        if bars.empty:
            bars = self.market.daily_bars(code, contract_id, now)
        finals = bars["FINAL"].dropna()
        return None if finals.empty else float(finals.iloc[-1])

    def quote(self, con_id: int) -> tuple[float, float] | None:
        if con_id not in self.contracts:
            return None
        code, contract_id = self.contracts[con_id]
        mid = self.mid(code, contract_id)
        if mid is None:
            return None
        spread = self.market.spread_cost(code)
        magnifier = self.table.get(code).price_magnifier
        return (mid - spread) / magnifier, (mid + spread) / magnifier

    def positions(self) -> dict[int, int]:
        held: dict[int, int] = defaultdict(int)
        for e in self.executions:
            held[e.con_id] += e.shares
        return {k: v for k, v in held.items() if v}

    def net_liquidation(self) -> float:
        now = self.now()
        by_ccy: dict[str, float] = defaultdict(float)
        by_ccy["USD"] += self.initial_cash
        for e in self.executions:
            code, _ = self.contracts[e.con_id]
            row = self.table.get(code)
            by_ccy[row.currency] -= e.shares * e.price * row.multiplier
            by_ccy[e.currency] -= e.commission
        for con_id, position in self.positions().items():
            code, contract_id = self.contracts[con_id]
            row = self.table.get(code)
            by_ccy[row.currency] += position * (self.mid(code, contract_id) or 0.0) / row.price_magnifier * row.multiplier
        return sum(v * latest_rate(self.market, ccy, "USD", now) for ccy, v in by_ccy.items() if v)

    # --- orders ---------------------------------------------------------------------------------
    def place(self, session: Session, f: list[str]) -> None:
        order_id = int(f[1])
        con_id, sec_type = int(f[2] or 0), f[4]
        action, quantity, order_type, limit, ref = f[16], int(float(f[17])), f[18], f[19], f[26]
        legs = [(con_id, 1)]
        if sec_type == "BAG":
            count = int(f[35])
            legs = []
            for i in range(count):
                leg = f[36 + 8 * i: 44 + 8 * i]
                legs.append((int(leg[0]), int(leg[1]) * (1 if leg[2] == "BUY" else -1)))
        key = (session.client_id, order_id)
        self.next_order_id = max(self.next_order_id, order_id + 1)
        if key in self.orders:  # a modification
            order = self.orders[key]
            order.quantity, order.limit = quantity, float(limit) if limit else None
            session.order_status(order)
            self._try_fill(order)
            return
        if self.pop_error("order", session, order_id):
            return
        unknown = [c for c, _ in legs if c not in self.contracts]
        if unknown:
            session.error(order_id, 200, "No security definition has been found for the request")
            return
        self._perm += 1
        order = FakeOrder(order_id, session.client_id, self._perm, legs, action, quantity, order_type,
                          float(limit) if limit else None, ref)
        self.orders[key] = order
        session.order_status(order)
        self._try_fill(order)

    def _try_fill(self, order: FakeOrder, force: bool = False) -> None:
        if order.status != "Submitted" or (self.hold_orders and not force):
            return
        quotes = [self.quote(con_id) for con_id, _ in order.legs]
        if any(q is None for q in quotes):
            return
        size = order.quantity - order.filled
        prices = []
        for (_, ratio), (bid, ask) in zip(order.legs, quotes, strict=True):
            buys = order.sign * ratio > 0
            prices.append(ask if buys else bid)
        combo = sum(ratio * price for (_, ratio), price in zip(order.legs, prices, strict=True))
        if order.order_type == "LMT" and order.limit is not None:
            if (order.sign > 0 and combo > order.limit + 1e-9) or (order.sign < 0 and combo < order.limit - 1e-9):
                return
        now = self.now()
        for (con_id, ratio), price in zip(order.legs, prices, strict=True):
            code, _ = self.contracts[con_id]
            shares = order.sign * ratio * size
            self.executions.append(Execution(
                f"0000e{len(self.executions) + 1:04d}.01", order, con_id, shares, price, now,
                COMMISSION_PER_CONTRACT * abs(shares), self.table.get(code).currency,
            ))
        order.avg = (order.avg * order.filled + combo * size) / (order.filled + size)
        order.filled += size
        order.status = "Filled"
        owner = next((s for s in self.sessions if s.client_id == order.client_id), None)
        if owner is not None:
            for execution in self.executions[-len(order.legs):]:
                owner.send_execution(-1, execution)
            owner.order_status(order)

    def cancel(self, session: Session, order_id: int) -> None:
        order = self.orders.get((session.client_id, order_id))
        if order is None or order.status != "Submitted":
            state = "unknown" if order is None else order.status
            session.error(order_id, 10148, f"OrderId {order_id} that needs to be cancelled cannot be cancelled, state: {state}.")
            return
        order.status = "Cancelled"
        session.order_status(order)
        session.error(order_id, 202, "Order Canceled - reason:")

    def reject_order_with(self, message: str) -> None:
        self.fail_next("order", 201, f"Order rejected - reason:{message}")


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.sysbrokers.ib.fake_gateway --port 4002 [--seed 42] [--history-start
    2012-01-02] [--at 2026-11-27T10:00]`: serve the synthetic market by hand (docs/brokers.md)."""
    import argparse
    import time

    from sysbrokers.sim.synthetic import SyntheticMarket

    parser = argparse.ArgumentParser(description="A fake IB Gateway serving the synthetic market")
    parser.add_argument("--port", type=int, default=4002)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--history-start", default="2012-01-02")
    parser.add_argument("--at", default=None, help="the market's time (default: now, UTC)")
    args = parser.parse_args(argv)
    at = dt.datetime.fromisoformat(args.at) if args.at else None
    market = SyntheticMarket(args.seed, dt.date.fromisoformat(args.history_start))
    gateway = FakeGateway(market, (lambda: at) if at else (lambda: dt.datetime.utcnow().replace(microsecond=0)))
    gateway.port = args.port
    gateway.start()
    print(f"fake IB Gateway on 127.0.0.1:{gateway.port} (account {ACCOUNT}); Ctrl-C ends it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        gateway.stop()


if __name__ == "__main__":
    main()
