"""IBBroker: the `Broker` protocol on Interactive Brokers through ib_async.

Our orders are kept in the installation's DocumentStore (`ib_broker_orders`, keyed by our broker
order id `<client id>-<IB order id>`), and so are the executions matched to them
(`ib_broker_fills`, keyed by IB's execId, with the commission once IB reports it). A fill that
arrives while we are disconnected is picked up on reconnect (reqExecutions) or by the next
`fills()`, which always asks IB for the day's executions first. Executions are matched to our
orders by client id and order id, and checked against the orderRef we sent (our reference).

Prices: ours = IB's x priceMagnifier (sysbrokers/ib/instruments.py). Daily bars are stamped at the
session close (`sysbrokers.sim.market.SESSION_CLOSE`, the project's one daily stamp), hourly bars
at the end of their hour (IB stamps the start), both naive UTC.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import replace
from typing import Any

import pandas as pd
from ib_async import IB, ComboLeg, Contract, Forex, Future, LimitOrder, MarketOrder, Trade
from ib_async import Fill as IBFill

from sysbrokers.broker import (
    BarFrequency,
    BrokerOrder,
    BrokerPosition,
    ConnectionHealth,
    ContractDetails,
    Fill,
    OrderRequest,
    OrderStatus,
    OrderType,
)
from sysbrokers.ib.connection import IBConnection, NoBars
from sysbrokers.ib.instruments import (
    IBInstrument,
    IBInstrumentTable,
    ib_month,
    our_contract_id,
    parse_ib_date,
)
from sysbrokers.sim.fills import Quote
from sysbrokers.sim.market import SESSION_CLOSE
from syscore.clock import Clock
from syscore.exceptions import BrokerError, BrokerNoData
from sysdata.stores.documents import DocumentStore

log = logging.getLogger(__name__)

ORDERS = "ib_broker_orders"
FILLS = "ib_broker_fills"
_PAIR = re.compile(r"^[A-Z]{3}[A-Z]{3}$")
_DONE = {"Cancelled", "ApiCancelled", "Inactive", "Filled"}
_HOURLY_CHUNK_DAYS = 30
_ACK_SECONDS = 5.0


def _naive_utc(when: dt.datetime | dt.date) -> dt.datetime:
    if not isinstance(when, dt.datetime):
        return dt.datetime.combine(when, dt.time())
    if when.tzinfo is None:
        return when
    return when.astimezone(dt.UTC).replace(tzinfo=None)


def _duration(start: dt.datetime | None, now: dt.datetime, default: str) -> str:
    if start is None:
        return default
    days = max((now - start).days + 2, 1)
    return f"{days} D" if days <= 365 else f"{math.ceil(days / 365)} Y"


class IBBroker:
    """Interactive Brokers (see the module docstring)."""

    name = "ib"

    def __init__(self, connection: IBConnection, table: IBInstrumentTable, documents: DocumentStore,
                 clock: Clock, base_currency: str = "USD"):
        self.connection = connection
        self.table = table
        self._docs = documents
        self._clock = clock
        self.base_currency = base_currency
        self._contracts: dict[tuple[str, str], tuple[Contract, Any]] = {}
        self._months: dict[int, str] = {}  # conId -> contract month (positions name only the expiry)
        connection.on_reconnect.append(self._catch_up)

    # --- helpers ------------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return self._clock.now()

    def _call(self, what: str, request: Any, history: Any = None) -> Any:
        return self.connection.call(what, request, history=history)

    def _catch_up(self) -> None:
        """After a reconnect: executions that happened meanwhile."""
        try:
            self._sync_fills(self.connection.ib.reqExecutions())
        except Exception as exc:  # the next fills() asks again
            log.warning("asking IB for executions after reconnecting failed: %s", exc)

    def _future(self, row: IBInstrument, month: str = "", include_expired: bool = False) -> Future:
        return Future(symbol=row.symbol, lastTradeDateOrContractMonth=month, exchange=row.exchange,
                      currency=row.currency, multiplier=row.multiplier_text,
                      tradingClass=row.trading_class, includeExpired=include_expired)

    def _pick(self, row: IBInstrument, details: list[Any], what: str) -> Any:
        matching = [d for d in details if abs(float(d.contract.multiplier or 0) - row.multiplier) < 1e-9]
        if not matching:
            found = sorted({d.contract.multiplier for d in details})
            raise BrokerError(
                f"{row.instrument_code}: IB's {what} has multiplier {', '.join(found)} but ib_config_futures.csv "
                f"says {row.multiplier_text}; fix the instrument's row"
            )
        # a monthly contract rather than a weekly one in the same month: the latest expiry
        return max(matching, key=lambda d: d.contract.lastTradeDateOrContractMonth)

    def _resolve(self, instrument_code: str, contract_id: str) -> tuple[Contract, Any]:
        key = (instrument_code, contract_id)
        if key not in self._contracts:
            row = self.table.get(instrument_code)
            month = ib_month(instrument_code, contract_id)
            what = f"{instrument_code} {contract_id} ({row.symbol} {row.exchange} {month})"
            details = self._call(what, lambda ib: ib.reqContractDetails(self._future(row, month, True)))
            if not details:
                raise BrokerNoData(f"{what}: IB lists no such contract; check the instrument's row in ib_config_futures.csv")
            chosen = self._pick(row, details, what)
            self._contracts[key] = (chosen.contract, chosen)
            self._months[chosen.contract.conId] = chosen.contractMonth
        return self._contracts[key]

    # --- market data --------------------------------------------------------------------------
    def _bars(self, what: str, contract: Contract, duration: str, bar_size: str, show: str,
              end: dt.datetime | None = None) -> list[Any]:
        end_text = "" if end is None else end.strftime("%Y%m%d-%H:%M:%S")

        def ask(ib: IB) -> list[Any]:
            return list(ib.reqHistoricalData(contract, endDateTime=end_text, durationStr=duration,
                                             barSizeSetting=bar_size, whatToShow=show, useRTH=False,
                                             formatDate=2))

        try:
            return self._call(what, ask, history=contract.conId or contract.symbol + contract.currency)
        except NoBars:
            return []  # a listed contract that has not traded in the period

    @staticmethod
    def _daily_stamp(day: Any) -> pd.Timestamp:
        date = day.date() if isinstance(day, dt.datetime) else day
        return pd.Timestamp(dt.datetime.combine(date, SESSION_CLOSE))

    def fx_prices(self, pair: str, start: dt.datetime | None = None) -> pd.Series:
        if not isinstance(pair, str) or not _PAIR.match(pair):
            raise BrokerError(f"FX pair '{pair}' is not six capital letters such as GBPUSD")
        now = self._now()
        bars = self._bars(f"FX {pair}", Forex(pair), _duration(start, now, "5 Y"), "1 day", "MIDPOINT")
        series = pd.Series({self._daily_stamp(b.date): float(b.close) for b in bars}, dtype="float64")
        series.index = pd.DatetimeIndex(series.index, name="DATETIME").as_unit("ns")
        series = series[series.index <= pd.Timestamp(now)]
        if start is not None:
            series = series[series.index >= pd.Timestamp(start)]
        return series.sort_index().rename("price")

    def contract_bars(
        self, instrument_code: str, contract_id: str, frequency: BarFrequency = BarFrequency.DAILY,
        start: dt.datetime | None = None,
    ) -> pd.DataFrame:
        row = self.table.get(instrument_code)
        contract, _ = self._resolve(instrument_code, contract_id)
        now = self._now()
        what = f"{instrument_code} {contract_id} bars"
        rows: dict[pd.Timestamp, tuple[float, ...]] = {}
        mag = row.price_magnifier
        if BarFrequency(frequency) is BarFrequency.HOURLY:
            end: dt.datetime | None = None
            for _ in range(24):  # 30-day chunks back to `start` (IB serves hourly bars in pieces)
                bars = self._bars(what, contract, f"{_HOURLY_CHUNK_DAYS} D", "1 hour", "TRADES", end)
                if not bars:
                    break
                for b in bars:
                    stamp = pd.Timestamp(_naive_utc(b.date) + dt.timedelta(hours=1))
                    rows[stamp] = (b.open * mag, b.high * mag, b.low * mag, b.close * mag, float(b.volume))
                earliest = _naive_utc(bars[0].date)
                if start is None or earliest <= start:
                    break
                end = earliest
        else:
            for b in self._bars(what, contract, _duration(start, now, "2 Y"), "1 day", "TRADES"):
                rows[self._daily_stamp(b.date)] = (b.open * mag, b.high * mag, b.low * mag, b.close * mag, float(b.volume))
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=["OPEN", "HIGH", "LOW", "FINAL", "VOLUME"])
        frame.index = pd.DatetimeIndex(frame.index, name="DATETIME").as_unit("ns")
        frame = frame.sort_index().astype("float64")
        frame = frame[frame.index <= pd.Timestamp(now)]
        if start is not None:
            frame = frame[frame.index >= pd.Timestamp(start)]
        return frame

    def contract_details(self, instrument_code: str, contract_id: str) -> ContractDetails:
        row = self.table.get(instrument_code)
        contract, details = self._resolve(instrument_code, contract_id)
        expiry_text = details.realExpirationDate or contract.lastTradeDateOrContractMonth
        expiry = parse_ib_date(expiry_text)
        return ContractDetails(instrument_code, contract_id, expiry, row.pointsize, row.currency,
                               expiry >= self._now().date())

    def trading_contracts(self, instrument_code: str) -> list[str]:
        row = self.table.get(instrument_code)
        what = f"{instrument_code} contracts ({row.symbol} {row.exchange})"
        details = self._call(what, lambda ib: ib.reqContractDetails(self._future(row)))
        if not details:
            raise BrokerNoData(f"{what}: IB lists none; check the instrument's row in ib_config_futures.csv")
        self._pick(row, details, what)  # a wrong multiplier is one clear line
        today = self._now().date()
        by_month: dict[str, dt.date] = {}
        for d in details:
            if abs(float(d.contract.multiplier or 0) - row.multiplier) > 1e-9:
                continue
            expiry = parse_ib_date(d.realExpirationDate or d.contract.lastTradeDateOrContractMonth)
            if expiry >= today and d.contractMonth:
                contract_id = our_contract_id(d.contractMonth)
                by_month[contract_id] = max(expiry, by_month.get(contract_id, expiry))
        return sorted(by_month, key=lambda c: (by_month[c], c))

    def quote(self, instrument_code: str, contract_id: str) -> Quote | None:
        row = self.table.get(instrument_code)
        contract, _ = self._resolve(instrument_code, contract_id)
        tickers = self._call(f"{instrument_code} {contract_id} quote", lambda ib: ib.reqTickers(contract))
        if not tickers:
            return None
        bid, ask = tickers[0].bid, tickers[0].ask
        if any(x is None or not math.isfinite(x) or x <= 0 for x in (bid, ask)):
            return None
        return Quote(bid * row.price_magnifier, ask * row.price_magnifier)

    # --- account ------------------------------------------------------------------------------
    def account_value(self, base_currency: str) -> float:
        account = self.connection.settings.account

        def ask(ib: IB) -> list[Any]:
            req_id = ib.client.getReqId()
            future = ib.wrapper.startReq(req_id)
            ib.client.reqAccountSummary(req_id, "All", "NetLiquidation")
            try:
                ib.run(future, timeout=ib.RequestTimeout or None)
            finally:
                ib.client.cancelAccountSummary(req_id)
            return [v for v in ib.wrapper.acctSummary.values()
                    if v.tag == "NetLiquidation" and (not account or v.account == account)]

        values = self._call("account value", ask)
        if not values:
            raise BrokerNoData("account value: IB sent no NetLiquidation; check broker_account")
        total = 0.0
        for value in values:
            amount = float(value.value)
            if value.currency != base_currency:
                rates = self.fx_prices(f"{value.currency}{base_currency}", self._now() - dt.timedelta(days=10))
                if rates.empty:
                    raise BrokerNoData(f"account value: no {value.currency}{base_currency} rate from IB")
                amount *= float(rates.iloc[-1])
            total += amount
        return total

    def _month_of(self, contract: Contract) -> str:
        if contract.conId not in self._months:
            details = self._call(f"contract {contract.conId}", lambda ib: ib.reqContractDetails(Contract(conId=contract.conId)))
            if not details:
                raise BrokerNoData(f"IB has no details for the contract {contract.localSymbol} ({contract.conId}) of a position")
            self._months[contract.conId] = details[0].contractMonth
        return self._months[contract.conId]

    def positions(self) -> list[BrokerPosition]:
        account = self.connection.settings.account
        held = self._call("positions", lambda ib: ib.reqPositions())
        out: dict[tuple[str, str], int] = {}
        for p in held:
            if p.position == 0 or p.contract.secType != "FUT" or (account and p.account != account):
                continue
            c = p.contract
            code = self.table.code_for(c.symbol, c.exchange, c.tradingClass, c.multiplier)
            if code is None:
                log.warning("IB position in %s %s (%s) is not in ib_config_futures.csv: left out", c.symbol, c.localSymbol, c.conId)
                continue
            key = (code, our_contract_id(self._month_of(c)))
            out[key] = out.get(key, 0) + int(round(p.position))
        return [BrokerPosition(i, c, q) for (i, c), q in sorted(out.items()) if q != 0]

    # --- orders -------------------------------------------------------------------------------
    def _check(self, request: OrderRequest) -> None:
        if not isinstance(request.quantity, int) or request.quantity == 0:
            raise BrokerError(f"order for {request.instrument_code}: quantity must be a non-zero whole number")
        if not request.legs or any(leg.ratio == 0 for leg in request.legs):
            raise BrokerError(f"order for {request.instrument_code}: needs legs with non-zero ratios")
        if len({leg.contract_id for leg in request.legs}) != len(request.legs):
            raise BrokerError(f"order for {request.instrument_code}: a spread cannot trade the same contract in two legs")
        if request.order_type is OrderType.LIMIT and request.limit_price is None:
            raise BrokerError(f"limit order for {request.instrument_code} has no limit price")

    def _ib_order(self, request: OrderRequest, row: IBInstrument) -> Any:
        action = "BUY" if request.quantity > 0 else "SELL"
        if request.order_type is OrderType.LIMIT:
            order = LimitOrder(action, abs(request.quantity), float(request.limit_price) / row.price_magnifier)
        else:
            order = MarketOrder(action, abs(request.quantity))
        order.orderRef = request.reference
        order.account = self.connection.settings.account
        order.tif = "DAY"
        return order

    def _ib_contract(self, request: OrderRequest, row: IBInstrument) -> tuple[Contract, list[dict]]:
        legs = []
        for leg in request.legs:
            contract, _ = self._resolve(request.instrument_code, leg.contract_id)
            legs.append({"contract_id": leg.contract_id, "con_id": contract.conId, "ratio": leg.ratio})
        if not request.is_spread:
            return self._resolve(request.instrument_code, request.legs[0].contract_id)[0], legs
        bag = Contract(secType="BAG", symbol=row.symbol, exchange=row.exchange, currency=row.currency)
        bag.comboLegs = [ComboLeg(conId=leg["con_id"], ratio=abs(leg["ratio"]),
                                  action="BUY" if leg["ratio"] > 0 else "SELL", exchange=row.exchange)
                         for leg in legs]
        return bag, legs

    def _wait_ack(self, trade: Trade, still: set[str]) -> None:
        ib = self.connection.ib
        waited = 0.0
        while trade.orderStatus.status in still and waited < _ACK_SECONDS and ib.isConnected():
            self.connection.pause(0.05)
            waited += 0.05

    def submit_order(self, request: OrderRequest) -> BrokerOrder:
        self._check(request)
        row = self.table.get(request.instrument_code)
        contract, legs = self._ib_contract(request, row)
        order = self._ib_order(request, row)

        def place(ib: IB) -> Trade:
            return ib.placeOrder(contract, order)

        trade = self._call(f"order for {request.instrument_code}", place)
        client_id = self.connection.client_id
        broker_order_id = f"{client_id}-{trade.order.orderId}"
        now = self._now()
        record = BrokerOrder(broker_order_id, request, OrderStatus.SUBMITTED, now, updated_at=now)
        self._docs.put(ORDERS, broker_order_id, {
            **record.to_dict(), "open": True,
            "ib": {"client_id": client_id, "order_id": trade.order.orderId, "legs": legs,
                   "magnifier": row.price_magnifier, "cancel_requested": False},
        })
        self._wait_ack(trade, {"PendingSubmit", "ApiPending"})
        return self._refresh(broker_order_id)

    def _load(self, broker_order_id: str) -> dict[str, Any]:
        doc = self._docs.get(ORDERS, str(broker_order_id))
        if doc is None:
            raise BrokerError(f"no broker order '{broker_order_id}' placed through IB by this installation")
        return doc

    def _own(self, doc: dict[str, Any]) -> bool:
        """Placed by this connection (IB syncs its status to us, and lets us change it)."""
        return self.connection.ib.isConnected() and doc["ib"]["client_id"] == self.connection.client_id

    def _trade(self, doc: dict[str, Any]) -> Trade | None:
        if not self._own(doc):
            return None
        return self.connection.ib.wrapper.trades.get((doc["ib"]["client_id"], doc["ib"]["order_id"]))

    def _order_fills(self, broker_order_id: str) -> list[Fill]:
        return sorted((Fill.from_dict(d["fill"]) for d in self._docs.find(FILLS, broker_order_id=broker_order_id)),
                      key=lambda f: (f.time, f.fill_id))

    def _filled(self, request: OrderRequest, fills: list[Fill]) -> tuple[int, float | None]:
        """Filled quantity (spreads or contracts) and ratio-weighted average price, from the fills."""
        first = request.legs[0]
        filled = int(sum(f.quantity for f in fills if f.contract_id == first.contract_id) / first.ratio)
        if not filled:
            return 0, None
        price = 0.0
        for leg in request.legs:
            mine = [f for f in fills if f.contract_id == leg.contract_id]
            total = sum(abs(f.quantity) for f in mine)
            if total:
                price += leg.ratio * sum(abs(f.quantity) * f.price for f in mine) / total
        return filled, price

    def _ib_open(self) -> set[tuple[int, int]] | None:
        """(client id, order id) of every order working at IB, when we hold open orders this
        connection has no live status for (placed by another connection, or before a reconnect);
        None when there are none."""
        others = [doc for doc in self._docs.find(ORDERS, open=True) if self._trade(doc) is None]
        if not others:
            return None
        trades = self._call("open orders", lambda ib: ib.reqAllOpenOrders())
        return {(t.order.clientId, t.order.orderId) for t in trades if t.orderStatus.status not in _DONE}

    def _refresh(self, broker_order_id: str, ib_open: set[tuple[int, int]] | None = None) -> BrokerOrder:
        """Our order as IB now has it: fills from the stored executions; status from IB's for our
        own connection's orders, and for another connection's from whether IB still works it."""
        self._sync_fills(self.connection.ib.fills() if self.connection.ib.isConnected() else [])
        doc = self._load(broker_order_id)
        stored = BrokerOrder.from_dict(doc)
        order = BrokerOrder.from_dict(doc)
        request = order.request
        order.filled_quantity, order.average_fill_price = self._filled(request, self._order_fills(broker_order_id))
        if order.filled_quantity == 0:
            order.average_fill_price = stored.average_fill_price
        trade = self._trade(doc)
        status = order.status
        if order.filled_quantity == request.quantity:
            status = OrderStatus.FILLED
        elif not order.status.is_open:
            pass  # ended earlier; a late execution only adds to what was filled
        elif trade is not None and trade.orderStatus.status in ("Cancelled", "ApiCancelled", "Inactive"):
            errors = [e for e in trade.log if e.errorCode and e.errorCode not in (202, 10148)]
            if doc["ib"]["cancel_requested"] or order.filled_quantity:
                status = OrderStatus.CANCELLED
            else:
                status = OrderStatus.REJECTED
                order.reject_reason = errors[-1].message if errors else f"IB: {trade.orderStatus.status}"
        elif trade is None and ib_open is not None and (doc["ib"]["client_id"], doc["ib"]["order_id"]) not in ib_open:
            status = OrderStatus.CANCELLED
            order.reject_reason = "no longer working at IB (cancelled there, or a DAY order that expired)"
        else:
            status = OrderStatus.PARTIALLY_FILLED if order.filled_quantity else OrderStatus.SUBMITTED
        order.status = status
        if (status, order.filled_quantity) != (stored.status, stored.filled_quantity):
            order.updated_at = self._now()
            self._docs.put(ORDERS, broker_order_id, {**order.to_dict(), "open": status.is_open, "ib": doc["ib"]})
            return order
        return stored

    def _session_trade(self, broker_order_id: str, doing: str) -> tuple[dict[str, Any], Trade]:
        self.connection.ensure_connected()
        doc = self._load(broker_order_id)
        trade = self._trade(doc)
        if trade is None:
            raise BrokerError(
                f"broker order {broker_order_id} was placed by IB client id {doc['ib']['client_id']} (another "
                f"connection); {doing} it from TWS, or it ends with the day (orders are DAY orders)"
            )
        return doc, trade

    def modify_order(
        self, broker_order_id: str, limit_price: float | None = None, quantity: int | None = None
    ) -> BrokerOrder:
        current = self._refresh(broker_order_id)
        if not current.status.is_open:
            raise BrokerError(f"broker order {broker_order_id} is {current.status.value}; it cannot be modified")
        doc, trade = self._session_trade(broker_order_id, "modify")
        changes: dict[str, Any] = {}
        magnifier = float(doc["ib"]["magnifier"])
        if limit_price is not None:
            if current.request.order_type is not OrderType.LIMIT:
                raise BrokerError(f"broker order {broker_order_id} is a market order; it has no limit to modify")
            trade.order.lmtPrice = float(limit_price) / magnifier
            changes["limit_price"] = float(limit_price)
        if quantity is not None:
            if quantity * current.request.quantity <= 0 or abs(quantity) < abs(current.filled_quantity):
                raise BrokerError(
                    f"broker order {broker_order_id}: new quantity {quantity} must keep the sign of "
                    f"{current.request.quantity} and be at least the {current.filled_quantity} filled"
                )
            trade.order.totalQuantity = abs(int(quantity))
            changes["quantity"] = int(quantity)
        self._call(f"modify broker order {broker_order_id}", lambda ib: ib.placeOrder(trade.contract, trade.order))
        order = BrokerOrder.from_dict(doc)
        order.request = replace(order.request, **changes)
        order.updated_at = self._now()
        self._docs.put(ORDERS, broker_order_id, {**order.to_dict(), "open": True, "ib": doc["ib"]})
        self.connection.pause(0.1)
        return self._refresh(broker_order_id)

    def cancel_order(self, broker_order_id: str) -> BrokerOrder:
        current = self._refresh(broker_order_id)
        if not current.status.is_open:
            return current
        doc, trade = self._session_trade(broker_order_id, "cancel")
        doc["ib"]["cancel_requested"] = True
        self._docs.put(ORDERS, broker_order_id, doc)
        self._call(f"cancel broker order {broker_order_id}", lambda ib: ib.cancelOrder(trade.order))
        self._wait_ack(trade, {"PendingCancel", "PreSubmitted", "Submitted", "PendingSubmit", "ApiPending"})
        return self._refresh(broker_order_id)

    def get_order(self, broker_order_id: str) -> BrokerOrder:
        self._load(broker_order_id)
        self._sync_fills(self._call("executions", lambda ib: ib.reqExecutions()))
        return self._refresh(broker_order_id, self._ib_open())

    def open_orders(self) -> list[BrokerOrder]:
        open_ids = [doc["broker_order_id"] for doc in self._docs.find(ORDERS, open=True)]
        if not open_ids:
            return []
        self._sync_fills(self._call("executions", lambda ib: ib.reqExecutions()))
        ib_open = self._ib_open()
        orders = [self._refresh(order_id, ib_open) for order_id in open_ids]
        return [order for order in orders if order.status.is_open]

    def all_orders(self) -> list[BrokerOrder]:
        """Every order this installation placed through IB, oldest first (for the CLI)."""
        self.open_orders()
        orders = [BrokerOrder.from_dict(doc) for _, doc in self._docs.items(ORDERS)]
        return sorted(orders, key=lambda o: (o.submitted_at, o.broker_order_id))

    def _sync_fills(self, ib_fills: list[IBFill]) -> None:
        """Store the executions of our orders (and their commissions once reported)."""
        for f in ib_fills:
            ex, contract = f.execution, f.contract
            if contract.secType == "BAG":
                continue  # the combo's own line: its legs come as executions of their own
            broker_order_id = f"{ex.clientId}-{ex.orderId}"
            doc = self._docs.get(ORDERS, broker_order_id)
            if doc is None:
                continue  # not placed through this installation
            reference = doc["request"]["reference"]
            if ex.orderRef != reference:
                log.warning("IB execution %s of order %s has orderRef %r, not %r: left out",
                            ex.execId, broker_order_id, ex.orderRef, reference)
                continue
            leg = next((leg for leg in doc["ib"]["legs"] if leg["con_id"] == contract.conId), None)
            if leg is None:
                continue
            report = f.commissionReport
            sign = 1 if ex.side in ("BOT", "BUY") else -1
            fill = Fill(
                fill_id=ex.execId, broker_order_id=broker_order_id, reference=reference,
                instrument_code=doc["request"]["instrument_code"], contract_id=leg["contract_id"],
                quantity=sign * int(round(ex.shares)), price=float(ex.price) * float(doc["ib"]["magnifier"]),
                time=_naive_utc(ex.time), commission=float(report.commission or 0.0),
                commission_currency=report.currency or "",
            )
            stored = self._docs.get(FILLS, ex.execId)
            if stored is not None and stored["fill"]["commission_currency"] and not fill.commission_currency:
                continue  # keep the reported commission
            new = {"broker_order_id": broker_order_id, "fill": fill.to_dict()}
            if stored != new:
                self._docs.put(FILLS, ex.execId, new)

    def fills(self, since: dt.datetime | None = None) -> list[Fill]:
        self._sync_fills(self._call("executions", lambda ib: ib.reqExecutions()))
        self._sync_fills(self.connection.ib.fills())  # commissions reported after the executions
        ib_open = self._ib_open()
        for doc in self._docs.find(ORDERS, open=True):
            self._refresh(doc["broker_order_id"], ib_open)
        found = [Fill.from_dict(doc["fill"]) for _, doc in self._docs.items(FILLS)]
        return sorted((f for f in found if since is None or f.time >= since), key=lambda f: (f.time, f.fill_id))

    # --- connection ---------------------------------------------------------------------------
    def health(self) -> ConnectionHealth:
        """Never raises: connects if need be and says how that went."""
        now = self._now()
        conn = self.connection
        extra: dict[str, Any] = {"reconnects": conn.reconnects, "last_error": conn.last_error,
                                 "open_orders": len(self._docs.find(ORDERS, open=True))}
        try:
            conn.ensure_connected()
        except BrokerError as exc:
            return ConnectionHealth(False, str(exc), now, extra)
        extra.update(client_id=conn.client_id, server_version=conn.ib.client.serverVersion(),
                     accounts=conn.ib.client.getAccounts(), servers_connected=conn.servers_connected)
        if not conn.servers_connected:
            return ConnectionHealth(False, f"{conn.where} is up but has lost its connection to IB (1100)", now, extra)
        return ConnectionHealth(True, f"connected to the {conn.where} as client id {conn.client_id}", now, extra)

    def close(self) -> None:
        self.connection.close()
