"""SimBroker: the `Broker` protocol on a simulated market, with its state in the DocumentStore.

Orders (with their fills), the opening deposit and the id counter live in the installation's
DocumentStore, so cron jobs and the stack handler, each in its own process, trade with one broker.
Every change to an order is a compare-and-set on that order's document, so two processes that
both try to fill the same order never both succeed; positions and cash are sums over the stored
fills, so they can never disagree with them.

Orders fill at the then-current price: when submitted, and again whenever orders, fills,
positions or the account are asked for (each call first works the open orders). Market orders
fill at the ask (buy) or bid (sell); limit orders only when that price is at or better than the
limit; commission follows the instrument config. Optional latency (clock time before a fill) and
partial fills come from config; faults from `sysbrokers.sim.faults`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

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
from sysbrokers.sim.faults import FaultBook
from sysbrokers.sim.fills import (
    Quote,
    average_price,
    cash_flow,
    leg_prices,
    limit_allows,
    next_fill_size,
    order_price,
    partial_fault_cap,
)
from sysbrokers.sim.market import SimMarket, fx_pair_prices, latest_rate
from syscore.clock import Clock
from syscore.exceptions import BrokerError
from sysdata.stores.documents import DocumentStore
from sysobjects.contracts import ContractId

ORDERS = "sim_broker_orders"
ACCOUNT = "sim_broker_account"
ORDER_COUNTER = "sim_broker_order_id"
_CAS_ATTEMPTS = 20


@dataclass(frozen=True)
class SimSettings:
    """The simulated broker's behaviour, from config (`sim_*` keys)."""

    base_currency: str = "USD"
    initial_cash: float = 1_000_000.0
    fill_latency_seconds: float = 0.0
    partial_fill_fraction: float = 1.0


def _iso(when: dt.datetime) -> str:
    return when.isoformat()


class SimBroker:
    """The simulated broker (see the module docstring)."""

    name = "sim"

    def __init__(self, documents: DocumentStore, market: SimMarket, clock: Clock, settings: SimSettings):
        if not 0 < settings.partial_fill_fraction <= 1:
            raise BrokerError(
                f"sim_partial_fill_fraction is {settings.partial_fill_fraction}; give a number in (0, 1]"
            )
        self._docs = documents
        self.market = market
        self._clock = clock
        self.settings = settings
        self.faults = FaultBook(documents, clock)
        # The market at one moment never changes: each (instrument, contract, time) is priced once
        # (a stack handler pass sends many orders in one contract at one time).
        self._mids: dict[tuple[str, str, dt.datetime], float | None] = {}
        self._listings: dict[tuple[str, dt.datetime], list[str]] = {}

    # --- helpers ------------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return self._clock.now()

    def _guard(self) -> None:
        self.faults.check_connected()

    def _contract_key(self, instrument: str, contract_id: str) -> str:
        try:
            return str(ContractId.parse(contract_id))
        except Exception:
            raise BrokerError(f"{instrument}: contract id '{contract_id}' is not YYYYMMDD") from None

    def mid_price(self, instrument: str, contract_id: str, now: dt.datetime | None = None) -> float | None:
        """The latest traded price at `now` (hourly close when there is one), None before any bar."""
        now = now or self._now()
        key = (instrument, contract_id, now)
        if key in self._mids:
            return self._mids[key]
        bars = self.market.hourly_bars(instrument, contract_id, now)
        if bars.empty:
            bars = self.market.daily_bars(instrument, contract_id, now)
        finals = bars["FINAL"].dropna()
        mid = None if finals.empty else float(finals.iloc[-1])
        if len(self._mids) >= 4096:
            self._mids.clear()
        self._mids[key] = mid
        return mid

    def _listed(self, instrument: str, now: dt.datetime) -> list[str]:
        """The contracts listed at `now`, worked out once per (instrument, time) like the mids."""
        key = (instrument, now)
        if key not in self._listings:
            if len(self._listings) >= 4096:
                self._listings.clear()
            self._listings[key] = self.market.listed_contracts(instrument, now)
        return self._listings[key]

    def quote(self, instrument: str, contract_id: str, now: dt.datetime | None = None) -> Quote | None:
        mid = self.mid_price(instrument, contract_id, now)
        return None if mid is None else Quote.around(mid, self.market.spread_cost(instrument))

    # --- market data --------------------------------------------------------------------------
    def fx_prices(self, pair: str, start: dt.datetime | None = None) -> pd.Series:
        self._guard()
        now = self._now()
        series = fx_pair_prices(self.market, pair, now)
        series = self._apply_data_faults(series.to_frame("FINAL"), lambda f: f.matches_fx(pair), now)["FINAL"]
        if start is not None:
            series = series[series.index >= pd.Timestamp(start)]
        return series.rename("price").copy()

    def contract_bars(
        self, instrument_code: str, contract_id: str, frequency: BarFrequency = BarFrequency.DAILY,
        start: dt.datetime | None = None,
    ) -> pd.DataFrame:
        self._guard()
        now = self._now()
        contract = self._contract_key(instrument_code, contract_id)
        if BarFrequency(frequency) is BarFrequency.HOURLY:
            bars = self.market.hourly_bars(instrument_code, contract, now)
        else:
            bars = self.market.daily_bars(instrument_code, contract, now)
        bars = self._apply_data_faults(bars, lambda f: f.matches_bars(instrument_code, contract), now)
        if start is not None:
            bars = bars[bars.index >= pd.Timestamp(start)]
        return bars.copy()

    def _apply_data_faults(self, frame: pd.DataFrame, matches: Any, now: dt.datetime) -> pd.DataFrame:
        stale = self.faults.consume("stale", matches)
        if stale is not None:
            frozen = pd.Timestamp(dt.datetime.fromisoformat(stale.created_at))
            frame = frame[frame.index <= frozen]
        spike = self.faults.consume("spike", matches)
        if spike is not None and len(frame):
            # the whole bar is off (as with a wrong price multiplier), not just its close
            frame = frame.copy()
            prices = [frame.columns.get_loc(c) for c in ("OPEN", "HIGH", "LOW", "FINAL") if c in frame.columns]
            frame.iloc[-1, prices] *= spike.factor
        return frame

    def contract_details(self, instrument_code: str, contract_id: str) -> ContractDetails:
        self._guard()
        contract = self._contract_key(instrument_code, contract_id)
        meta = self.market.instrument_meta(instrument_code)
        expiry = self.market.contract_expiry(instrument_code, contract)
        trading = contract in self.market.listed_contracts(instrument_code, self._now())
        return ContractDetails(instrument_code, contract, expiry, meta.pointsize, meta.currency, trading)

    def trading_contracts(self, instrument_code: str) -> list[str]:
        self._guard()
        return self.market.listed_contracts(instrument_code, self._now())

    # --- orders -------------------------------------------------------------------------------
    def submit_order(self, request: OrderRequest) -> BrokerOrder:
        self._guard()
        self._check_request(request)
        now = self._now()
        order_id = str(self._docs.next_id(ORDER_COUNTER))
        order = BrokerOrder(order_id, request, OrderStatus.SUBMITTED, now, updated_at=now)
        sim: dict[str, Any] = {
            "fills": [],
            "next_fill_at": _iso(now + dt.timedelta(seconds=self.settings.fill_latency_seconds)),
            "fill_cap": abs(request.quantity),
        }
        reason = self._reject_reason(request, now)
        if reason is None and self.faults.consume("reject", lambda f: f.matches_order(request.instrument_code)):
            reason = "rejected by the simulated broker (injected fault)"
        if reason is not None:
            order.status, order.reject_reason = OrderStatus.REJECTED, reason
        else:
            partial = self.faults.consume("partial", lambda f: f.matches_order(request.instrument_code))
            if partial is not None:
                sim["fill_cap"] = partial_fault_cap(request.quantity, partial.fraction)
                sim["partial_fault"] = partial.id
        doc = self._to_doc(order, sim)
        if order.status.is_open:
            # what can fill now is filled before the order is first stored: no other process
            # knows the order yet, so this is the same as storing it and then working it, in one
            # write instead of three
            doc = self._filled_doc(doc, now) or doc
        self._docs.put(ORDERS, self._order_key(order_id), doc)
        return BrokerOrder.from_dict(doc)

    def _check_request(self, request: OrderRequest) -> None:
        if not isinstance(request.quantity, int) or request.quantity == 0:
            raise BrokerError(f"order for {request.instrument_code}: quantity must be a non-zero whole number")
        if not request.legs:
            raise BrokerError(f"order for {request.instrument_code}: an order needs at least one leg")
        if any(leg.ratio == 0 for leg in request.legs):
            raise BrokerError(f"order for {request.instrument_code}: a leg ratio cannot be 0")
        if request.order_type is OrderType.LIMIT and request.limit_price is None:
            raise BrokerError(f"limit order for {request.instrument_code} has no limit price")

    def _reject_reason(self, request: OrderRequest, now: dt.datetime) -> str | None:
        try:
            listed = self._listed(request.instrument_code, now)
        except BrokerError as exc:
            return str(exc)
        for leg in request.legs:
            if leg.contract_id not in listed:
                return f"{request.instrument_code} {leg.contract_id} is not trading (listed: {', '.join(listed)})"
        if len({leg.contract_id for leg in request.legs}) != len(request.legs):
            return "a spread cannot trade the same contract in two legs"
        return None

    @staticmethod
    def _order_key(order_id: str) -> str:
        return f"{int(order_id):012d}"

    @staticmethod
    def _to_doc(order: BrokerOrder, sim: dict[str, Any]) -> dict[str, Any]:
        return {**order.to_dict(), "open": order.status.is_open, "sim": sim}

    def _load(self, order_id: str) -> dict[str, Any]:
        try:
            key = self._order_key(order_id)
        except (TypeError, ValueError):
            raise BrokerError(f"no broker order '{order_id}'") from None
        doc = self._docs.get(ORDERS, key)
        if doc is None:
            raise BrokerError(f"no broker order '{order_id}' at the simulated broker")
        return doc

    def _work(self, order_id: str, now: dt.datetime) -> BrokerOrder:
        """Fill what can fill now; a compare-and-set so a concurrent process cannot double-fill."""
        for _ in range(_CAS_ATTEMPTS):
            doc = self._load(order_id)
            new = self._filled_doc(doc, now)
            if new is None or self._docs.compare_and_set(ORDERS, self._order_key(order_id), doc, new):
                return BrokerOrder.from_dict(new or doc)
        raise BrokerError(f"broker order {order_id} kept changing under us; try again")

    def _filled_doc(self, doc: dict[str, Any], now: dt.datetime) -> dict[str, Any] | None:
        """The order document after filling what it can at `now`, or None when nothing changes."""
        order = BrokerOrder.from_dict(doc)
        sim = dict(doc["sim"])
        request = order.request
        if not order.status.is_open or now < dt.datetime.fromisoformat(sim["next_fill_at"]):
            return None
        today = now.date()
        for leg in request.legs:
            if self.market.contract_expiry(request.instrument_code, leg.contract_id) < today:
                order.status, order.reject_reason, order.updated_at = (
                    OrderStatus.CANCELLED, f"{leg.contract_id} expired with the order working", now,
                )
                return self._to_doc(order, sim)
        room = sim["fill_cap"] - abs(order.filled_quantity)
        if room <= 0:
            return None
        quotes = [self.quote(request.instrument_code, leg.contract_id, now) for leg in request.legs]
        if any(q is None for q in quotes):
            return None
        size = next_fill_size(order.remaining, self.settings.partial_fill_fraction)
        size = size if abs(size) <= room else (room if size > 0 else -room)
        ratios = [leg.ratio for leg in request.legs]
        prices = leg_prices(ratios, quotes, size)
        price = order_price(ratios, prices)
        if request.order_type is OrderType.LIMIT and not limit_allows(price, request.limit_price, size):
            return None
        meta = self.market.instrument_meta(request.instrument_code)
        fills = list(sim["fills"])
        for leg, leg_price in zip(request.legs, prices, strict=True):
            quantity = size * leg.ratio
            fills.append(
                Fill(
                    fill_id=f"{order.broker_order_id}-{len(fills) + 1}",
                    broker_order_id=order.broker_order_id, reference=request.reference,
                    instrument_code=request.instrument_code, contract_id=leg.contract_id,
                    quantity=quantity, price=leg_price, time=now,
                    commission=meta.commission(quantity, leg_price), commission_currency=meta.currency,
                ).to_dict()
            )
        order.average_fill_price = average_price(order.filled_quantity, order.average_fill_price, size, price)
        order.filled_quantity += size
        order.updated_at = now
        order.status = OrderStatus.FILLED if order.remaining == 0 else OrderStatus.PARTIALLY_FILLED
        sim["fills"] = fills
        sim["next_fill_at"] = _iso(now + dt.timedelta(seconds=self.settings.fill_latency_seconds))
        return self._to_doc(order, sim)

    def _work_open_orders(self, now: dt.datetime) -> list[BrokerOrder]:
        return [self._work(doc["broker_order_id"], now) for doc in self._docs.find(ORDERS, open=True)]

    def modify_order(
        self, broker_order_id: str, limit_price: float | None = None, quantity: int | None = None
    ) -> BrokerOrder:
        self._guard()
        now = self._now()
        for _ in range(_CAS_ATTEMPTS):
            doc = self._load(broker_order_id)
            order = BrokerOrder.from_dict(doc)
            if not order.status.is_open:
                raise BrokerError(f"broker order {broker_order_id} is {order.status.value}; it cannot be modified")
            changes: dict[str, Any] = {}
            if limit_price is not None:
                if order.request.order_type is not OrderType.LIMIT:
                    raise BrokerError(f"broker order {broker_order_id} is a market order; it has no limit to modify")
                changes["limit_price"] = float(limit_price)
            if quantity is not None:
                if quantity * order.request.quantity <= 0 or abs(quantity) < abs(order.filled_quantity):
                    raise BrokerError(
                        f"broker order {broker_order_id}: new quantity {quantity} must keep the sign of "
                        f"{order.request.quantity} and be at least the {order.filled_quantity} filled"
                    )
                changes["quantity"] = int(quantity)
            order.request = dataclasses.replace(order.request, **changes)
            order.updated_at = now
            sim = dict(doc["sim"])
            if quantity is not None and "partial_fault" not in sim:
                sim["fill_cap"] = abs(int(quantity))
            if order.remaining == 0:
                order.status = OrderStatus.FILLED
            if self._docs.compare_and_set(ORDERS, self._order_key(broker_order_id), doc, self._to_doc(order, sim)):
                return self._work(broker_order_id, now)
        raise BrokerError(f"broker order {broker_order_id} kept changing under us; try again")

    def cancel_order(self, broker_order_id: str) -> BrokerOrder:
        """Cancel what is still working (after filling what could fill up to now); an order that
        is no longer open is returned as it is."""
        self._guard()
        now = self._now()
        self._work(broker_order_id, now)
        for _ in range(_CAS_ATTEMPTS):
            doc = self._load(broker_order_id)
            order = BrokerOrder.from_dict(doc)
            if not order.status.is_open:
                return order
            order.status, order.updated_at = OrderStatus.CANCELLED, now
            if self._docs.compare_and_set(ORDERS, self._order_key(broker_order_id), doc, self._to_doc(order, doc["sim"])):
                return order
        raise BrokerError(f"broker order {broker_order_id} kept changing under us; try again")

    def get_order(self, broker_order_id: str) -> BrokerOrder:
        self._guard()
        return self._work(broker_order_id, self._now())

    def open_orders(self) -> list[BrokerOrder]:
        self._guard()
        return [order for order in self._work_open_orders(self._now()) if order.status.is_open]

    def all_orders(self) -> list[BrokerOrder]:
        """Every order the broker has seen, oldest first (for the CLI)."""
        self._guard()
        self._work_open_orders(self._now())
        return [BrokerOrder.from_dict(doc) for _, doc in self._docs.items(ORDERS)]

    def _all_fills(self) -> list[Fill]:
        fills = [Fill.from_dict(f) for _, doc in self._docs.items(ORDERS) for f in doc["sim"]["fills"]]
        return sorted(fills, key=lambda f: (f.time, int(f.broker_order_id), int(f.fill_id.split("-")[1])))

    def fills(self, since: dt.datetime | None = None) -> list[Fill]:
        self._guard()
        self._work_open_orders(self._now())
        return [f for f in self._all_fills() if since is None or f.time >= since]

    # --- account ------------------------------------------------------------------------------
    def _opening_deposit(self) -> dict[str, float]:
        def open_account(doc: dict | None) -> dict:
            if doc is not None:
                return doc
            return {"deposits": {self.settings.base_currency: float(self.settings.initial_cash)}}

        return dict(self._docs.update(ACCOUNT, "account", open_account)["deposits"])

    def deposit(self, amount: float, currency: str | None = None) -> dict[str, float]:
        """Pay cash in (amount > 0) or take it out (amount < 0): the simulated account's only
        change of value besides fills and market moves, so capital's handling of withdrawals and
        deposits can be tried. Returns the deposits per currency afterwards."""
        if not math.isfinite(amount) or amount == 0:
            raise BrokerError(f"deposit of {amount!r}: give a non-zero amount (negative to withdraw)")
        ccy = (currency or self.settings.base_currency).upper()
        self._opening_deposit()  # the account exists before it changes

        def change(doc: dict | None) -> dict:
            deposits = dict((doc or {}).get("deposits", {}))
            deposits[ccy] = float(deposits.get(ccy, 0.0)) + float(amount)
            return {**(doc or {}), "deposits": deposits}

        return dict(self._docs.update(ACCOUNT, "account", change)["deposits"])

    def _positions_from(self, fills: list[Fill]) -> dict[tuple[str, str], int]:
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for fill in fills:
            totals[(fill.instrument_code, fill.contract_id)] += fill.quantity
        return {key: qty for key, qty in totals.items() if qty != 0}

    def positions(self) -> list[BrokerPosition]:
        self._guard()
        self._work_open_orders(self._now())
        held = self._positions_from(self._all_fills())
        return [BrokerPosition(i, c, q) for (i, c), q in sorted(held.items())]

    def cash_balances(self) -> dict[str, float]:
        """Cash per currency: the opening deposit plus every fill's cash flow (see fills.cash_flow)."""
        balances: dict[str, float] = defaultdict(float, self._opening_deposit())
        for fill in self._all_fills():
            meta = self.market.instrument_meta(fill.instrument_code)
            balances[meta.currency] += cash_flow(fill.quantity, fill.price, meta.pointsize, 0.0)
            balances[fill.commission_currency] -= fill.commission
        return dict(balances)

    def account_parts(self) -> dict[str, tuple[float, float]]:
        """Per currency: (cash, positions marked at the current mid x pointsize)."""
        now = self._now()
        cash = self.cash_balances()
        market: dict[str, float] = defaultdict(float)
        for (instrument, contract), quantity in self._positions_from(self._all_fills()).items():
            meta = self.market.instrument_meta(instrument)
            mid = self.mid_price(instrument, contract, now)
            if mid is None:
                raise BrokerError(f"no price for {instrument} {contract} at {now:%Y-%m-%d %H:%M}")
            market[meta.currency] += quantity * mid * meta.pointsize
        return {ccy: (cash.get(ccy, 0.0), market.get(ccy, 0.0)) for ccy in sorted({*cash, *market})}

    def account_value(self, base_currency: str) -> float:
        self._guard()
        now = self._now()
        self._work_open_orders(now)
        return float(
            sum((cash + market) * latest_rate(self.market, currency, base_currency, now)
                for currency, (cash, market) in self.account_parts().items() if cash + market != 0.0)
        )

    # --- connection ---------------------------------------------------------------------------
    def health(self) -> ConnectionHealth:
        """Never raises: a disconnect fault shows here as connected=False (without using it up)."""
        now = self._now()
        disconnects = self.faults.list("disconnect")
        extra = {
            "market": self.market.kind,
            "open_orders": len(self._docs.find(ORDERS, open=True)),
            "faults": [fault.describe() for fault in self.faults.list()],
        }
        if disconnects:
            calls = sum(f.remaining for f in disconnects)
            return ConnectionHealth(False, f"disconnected (injected fault: {calls} more call(s) will fail)", now, extra)
        return ConnectionHealth(True, f"connected to the {self.market.describe()}", now, extra)
