"""The broker protocol: everything the production jobs ask of a broker, and nothing more.

Two implementations stand behind it: the simulated broker (`sysbrokers.sim`, the embedded default,
used by the sandbox and every test) and Interactive Brokers (`sysbrokers.ib`). Jobs only ever talk
to this protocol, so a job that works against the simulated broker works against IB.

Conventions (DESIGN §7): datetimes are timezone-naive UTC; contract ids are `YYYYMMDD` strings
(day `00` when the month is what matters); quantities are signed whole contracts (+ buy, - sell);
prices are in the instrument's own currency and units; FX pairs are six letters, e.g. `GBPUSD`
(units of USD per GBP). Every call may raise `syscore.exceptions.BrokerError` when the broker can't
answer (disconnected, rejected, malformed request); callers decide whether that stops them. When
the broker answers but has nothing for the item (an instrument it does not trade, a contract month
it does not list, a currency it does not quote) it raises the subclass `BrokerNoData`: expected in
daily work, so jobs record it as one line, never with a traceback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import pandas as pd


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class OrderStatus(StrEnum):
    SUBMITTED = "submitted"  # working at the broker, nothing filled yet
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"  # by us; any filled part stays filled
    REJECTED = "rejected"  # by the broker; nothing filled

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED)


class BarFrequency(StrEnum):
    DAILY = "D"
    HOURLY = "H"


@dataclass(frozen=True)
class ContractDetails:
    """What the broker knows about one futures contract."""

    instrument_code: str
    contract_id: str  # YYYYMMDD as we name it
    expiry: dt.date  # the broker's actual last trading/expiry date
    pointsize: float
    currency: str
    trading: bool  # currently listed and tradeable


@dataclass(frozen=True)
class OrderLeg:
    """One leg of an order: a contract and its ratio (+1/-1 for a calendar spread)."""

    contract_id: str
    ratio: int = 1


@dataclass(frozen=True)
class OrderRequest:
    """An order as we ask for it. A calendar spread has two legs with opposite ratios; `quantity`
    counts spreads (or contracts, for an outright) and each leg trades `quantity * ratio`. A spread's
    limit price is the price of the legs weighted by their ratios."""

    instrument_code: str
    legs: tuple[OrderLeg, ...]
    quantity: int
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    reference: str = ""  # our own id (the contract/broker order it came from), echoed back

    @property
    def is_spread(self) -> bool:
        return len(self.legs) > 1


@dataclass
class BrokerOrder:
    """An order as the broker holds it."""

    broker_order_id: str
    request: OrderRequest
    status: OrderStatus
    submitted_at: dt.datetime
    filled_quantity: int = 0  # signed like the request's quantity
    average_fill_price: float | None = None  # per spread/contract, ratio-weighted for spreads
    reject_reason: str = ""
    updated_at: dt.datetime | None = None

    @property
    def remaining(self) -> int:
        return self.request.quantity - self.filled_quantity

    def to_dict(self) -> dict[str, Any]:
        # written out rather than dataclasses.asdict (which deep-copies): the simulated broker
        # stores every order on each change, and the stack handler sends hundreds a pass
        request = self.request
        return {
            "broker_order_id": self.broker_order_id,
            "request": {
                "instrument_code": request.instrument_code,
                "legs": [{"contract_id": leg.contract_id, "ratio": leg.ratio} for leg in request.legs],
                "quantity": request.quantity, "order_type": request.order_type,
                "limit_price": request.limit_price, "reference": request.reference,
            },
            "status": self.status, "submitted_at": self.submitted_at.isoformat(),
            "filled_quantity": self.filled_quantity, "average_fill_price": self.average_fill_price,
            "reject_reason": self.reject_reason,
            "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> BrokerOrder:
        request = dict(doc["request"])
        request["legs"] = tuple(OrderLeg(**leg) for leg in request["legs"])
        request["order_type"] = OrderType(request["order_type"])
        return cls(
            broker_order_id=doc["broker_order_id"],
            request=OrderRequest(**request),
            status=OrderStatus(doc["status"]),
            submitted_at=dt.datetime.fromisoformat(doc["submitted_at"]),
            filled_quantity=int(doc["filled_quantity"]),
            average_fill_price=doc["average_fill_price"],
            reject_reason=doc["reject_reason"],
            updated_at=None if doc["updated_at"] is None else dt.datetime.fromisoformat(doc["updated_at"]),
        )


@dataclass(frozen=True)
class Fill:
    """One execution of one contract (a spread fill gives one Fill per leg)."""

    fill_id: str
    broker_order_id: str
    reference: str  # the order request's reference
    instrument_code: str
    contract_id: str
    quantity: int  # signed
    price: float
    time: dt.datetime
    commission: float  # in `commission_currency`
    commission_currency: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "fill_id": self.fill_id, "broker_order_id": self.broker_order_id, "reference": self.reference,
            "instrument_code": self.instrument_code, "contract_id": self.contract_id,
            "quantity": self.quantity, "price": self.price, "time": self.time.isoformat(),
            "commission": self.commission, "commission_currency": self.commission_currency,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Fill:
        return cls(**{**doc, "time": dt.datetime.fromisoformat(doc["time"])})


class Quote(Protocol):
    """The best bid and ask of one contract now (prices in the instrument's units)."""

    @property
    def bid(self) -> float: ...

    @property
    def ask(self) -> float: ...


@dataclass(frozen=True)
class BrokerPosition:
    instrument_code: str
    contract_id: str
    position: int


@dataclass(frozen=True)
class ConnectionHealth:
    connected: bool
    detail: str
    checked_at: dt.datetime
    extra: dict[str, Any] = field(default_factory=dict)


class Broker(Protocol):
    """What every broker implementation provides (see the module docstring for conventions)."""

    name: str

    # --- market data ------------------------------------------------------------------------
    def fx_prices(self, pair: str, start: dt.datetime | None = None) -> pd.Series:
        """Daily FX closes (index naive UTC timestamps, name `price`), from `start` (inclusive) to
        now; all available history when `start` is None."""
        ...

    def contract_bars(
        self,
        instrument_code: str,
        contract_id: str,
        frequency: BarFrequency = BarFrequency.DAILY,
        start: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """Bars with columns OPEN HIGH LOW FINAL VOLUME up to now (never in the future)."""
        ...

    def contract_details(self, instrument_code: str, contract_id: str) -> ContractDetails: ...

    def trading_contracts(self, instrument_code: str) -> list[str]:
        """Contract ids currently listed for the instrument, nearest first."""
        ...

    def quote(self, instrument_code: str, contract_id: str) -> Quote | None:
        """The contract's best bid and ask now; None when it has no price yet (the execution
        algos price limit orders from it)."""
        ...

    # --- account ----------------------------------------------------------------------------
    def account_value(self, base_currency: str) -> float:
        """Net liquidation value in `base_currency` (cash plus open positions marked to market)."""
        ...

    def positions(self) -> list[BrokerPosition]:
        """Every non-zero contract position the broker holds."""
        ...

    # --- orders -----------------------------------------------------------------------------
    def submit_order(self, request: OrderRequest) -> BrokerOrder: ...

    def modify_order(
        self, broker_order_id: str, limit_price: float | None = None, quantity: int | None = None
    ) -> BrokerOrder: ...

    def cancel_order(self, broker_order_id: str) -> BrokerOrder: ...

    def get_order(self, broker_order_id: str) -> BrokerOrder: ...

    def open_orders(self) -> list[BrokerOrder]: ...

    def fills(self, since: dt.datetime | None = None) -> list[Fill]:
        """Fills (with price, time and commission) at or after `since`, oldest first."""
        ...

    # --- connection -------------------------------------------------------------------------
    def health(self) -> ConnectionHealth: ...
