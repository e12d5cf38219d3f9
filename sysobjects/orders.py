"""Orders as values: instrument orders, contract orders, broker order records, and the pure rules
by which broker fills roll up to them.

The family, top to bottom:

- an `InstrumentOrder` is what a strategy (or a person, or the roller) wants: trade N of an
  instrument, in no particular contract;
- its children are `ContractOrder`s: one or more legs (contract id and trade per leg; two legs
  with opposite trades make a calendar spread), the algo that works them, and the roll flag;
- their children are `BrokerOrderRecord`s: what we sent (or are about to send) to the broker,
  with the prices seen at creation and every fill the broker reported.

Every order knows its parent id and its children's ids. States (`OrderState`):

    new ──> in_progress ──> completed      (filled, or everything that will be done is done)
     │           │
     └───────────┴────────> cancelled / deactivated

"Partially filled" is not a state of its own: an in-progress order whose filled amount is not
yet its trade (`is_partially_filled`). `locked_by` names the process that has claimed the order
for work (set and cleared by compare-and-set in the stacks), so two processes never both act on
one order.

Fills roll up incrementally (`with_fill` on each level, applied exactly once per fill id by the
stack) and can be recomputed from scratch (`contract_legs_from_broker_orders`,
`instrument_fill_from_contract_orders`) to check the incremental book.

Everything here is a pure value with `to_dict`/`from_dict` (JSON-able, naive-UTC ISO datetimes).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from syscore.exceptions import DataValidationError

INSTRUMENT_ORDER_TYPES = ("best", "market", "limit", "zero_roll", "balance")
# The pseudo-strategy that owns roll orders: they move a position between contracts and never
# change what any real strategy holds.
ROLL_PSEUDO_STRATEGY = "_ROLL_PSEUDO_STRATEGY"


class OrderState(StrEnum):
    NEW = "new"  # stored, nothing done with it yet
    IN_PROGRESS = "in_progress"  # children spawned / sent to the broker, may be partly filled
    COMPLETED = "completed"  # filled, or all its children finished
    CANCELLED = "cancelled"  # stopped; any filled part stays filled
    DEACTIVATED = "deactivated"  # taken off the stack without trading (e.g. at stop)

    @property
    def is_finished(self) -> bool:
        return self in (OrderState.COMPLETED, OrderState.CANCELLED, OrderState.DEACTIVATED)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_iso(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _avg_price(old_price: float | None, old_qty: int, price: float, qty: int) -> float:
    """Quantity-weighted average price after adding `qty` at `price` to `old_qty` at `old_price`."""
    if old_price is None or old_qty == 0:
        return float(price)
    return (old_price * abs(old_qty) + price * abs(qty)) / (abs(old_qty) + abs(qty))


def _check_int(name: str, value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataValidationError(f"{what}: {name} must be a whole number of contracts, not {value!r}")


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InstrumentOrder:
    """What a strategy wants to trade in one instrument (any contract)."""

    strategy_name: str
    instrument_code: str
    trade: int
    order_type: str  # best | market | limit | zero_roll | balance
    reference_price: float | None
    reference_datetime: dt.datetime | None
    limit_price: float | None = None
    manual_trade: bool = False
    roll_order: bool = False
    reason: str = ""
    order_id: int | None = None
    reference_contract: str | None = None  # the contract reference/limit prices refer to
    state: OrderState = OrderState.NEW
    locked_by: str | None = None
    children: tuple[int, ...] = ()  # contract order ids
    filled_trade: int = 0  # signed, the net change this order made to the instrument position
    fill_price: float | None = None  # average over outright fills (None for roll orders)
    fill_datetime: dt.datetime | None = None  # of the latest fill
    created_datetime: dt.datetime | None = None
    completed_datetime: dt.datetime | None = None

    def __post_init__(self) -> None:
        what = f"instrument order {self.strategy_name}/{self.instrument_code}"
        if not self.strategy_name or not self.instrument_code:
            raise DataValidationError(f"{what}: name both the strategy and the instrument")
        _check_int("trade", self.trade, what)
        _check_int("filled_trade", self.filled_trade, what)
        if self.order_type not in INSTRUMENT_ORDER_TYPES:
            raise DataValidationError(
                f"{what}: order type '{self.order_type}' unknown; use one of {', '.join(INSTRUMENT_ORDER_TYPES)}"
            )
        if self.order_type == "limit" and self.limit_price is None:
            raise DataValidationError(f"{what}: a limit order needs a limit price")
        if self.order_type == "zero_roll" and self.trade != 0:
            raise DataValidationError(f"{what}: a zero_roll order has trade 0, not {self.trade}")
        object.__setattr__(self, "state", OrderState(self.state))
        object.__setattr__(self, "children", tuple(int(c) for c in self.children))

    @property
    def remaining(self) -> int:
        return self.trade - self.filled_trade

    @property
    def is_finished(self) -> bool:
        return self.state.is_finished

    @property
    def is_partially_filled(self) -> bool:
        return self.filled_trade != 0 and self.filled_trade != self.trade

    def with_fill(self, quantity: int, price: float, time: dt.datetime) -> InstrumentOrder:
        """This order after one more contract fill of its family (a spread leg counts too: the net
        change of a completed roll is zero)."""
        fill_price = self.fill_price
        if not self.roll_order:
            fill_price = _avg_price(self.fill_price, self.filled_trade, price, quantity)
        return replace(self, filled_trade=self.filled_trade + quantity, fill_price=fill_price,
                       fill_datetime=time)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy_name": self.strategy_name, "instrument_code": self.instrument_code,
            "trade": self.trade, "order_type": self.order_type,
            "reference_price": self.reference_price, "reference_datetime": _iso(self.reference_datetime),
            "limit_price": self.limit_price, "manual_trade": self.manual_trade,
            "roll_order": self.roll_order, "reason": self.reason, "order_id": self.order_id,
            "reference_contract": self.reference_contract, "state": self.state.value,
            "locked_by": self.locked_by, "children": list(self.children),
            "filled_trade": self.filled_trade, "fill_price": self.fill_price,
            "fill_datetime": _iso(self.fill_datetime), "created_datetime": _iso(self.created_datetime),
            "completed_datetime": _iso(self.completed_datetime),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> InstrumentOrder:
        d = dict(doc)
        for key in ("reference_datetime", "fill_datetime", "created_datetime", "completed_datetime"):
            d[key] = _from_iso(d.get(key))
        d["children"] = tuple(d.get("children", ()))
        d["state"] = OrderState(d.get("state", "new"))
        return cls(**d)


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ContractLeg:
    """One contract of an order: the signed trade wanted, how much of it is filled, at what price."""

    contract_id: str
    trade: int
    filled: int = 0
    fill_price: float | None = None

    def __post_init__(self) -> None:
        _check_int("trade", self.trade, f"leg {self.contract_id}")
        _check_int("filled", self.filled, f"leg {self.contract_id}")
        if not self.contract_id:
            raise DataValidationError("order leg: contract id is empty")

    @property
    def remaining(self) -> int:
        return self.trade - self.filled

    def with_fill(self, quantity: int, price: float) -> ContractLeg:
        new_filled = self.filled + quantity
        if self.trade == 0 or abs(new_filled) > abs(self.trade) or new_filled * self.trade < 0:
            raise DataValidationError(
                f"leg {self.contract_id}: a fill of {quantity} takes it to {new_filled} filled "
                f"of a trade of {self.trade}; the broker filled more than was asked"
            )
        return replace(self, filled=new_filled, fill_price=_avg_price(self.fill_price, self.filled, price, quantity))

    def to_dict(self) -> dict[str, Any]:
        return {"contract_id": self.contract_id, "trade": self.trade, "filled": self.filled,
                "fill_price": self.fill_price}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ContractLeg:
        return cls(**doc)


def _legs_with_fill(legs: tuple[ContractLeg, ...], contract_id: str, quantity: int, price: float,
                    what: str) -> tuple[ContractLeg, ...]:
    for i, leg in enumerate(legs):
        if leg.contract_id == contract_id:
            return legs[:i] + (leg.with_fill(quantity, price),) + legs[i + 1:]
    raise DataValidationError(
        f"{what}: a fill in contract {contract_id}, which is not one of its legs "
        f"({', '.join(leg.contract_id for leg in legs)})"
    )


def _check_legs(legs: tuple[ContractLeg, ...], what: str) -> None:
    if not legs:
        raise DataValidationError(f"{what}: an order needs at least one leg")
    ids = [leg.contract_id for leg in legs]
    if len(set(ids)) != len(ids):
        raise DataValidationError(f"{what}: a contract appears in two legs ({', '.join(ids)})")


def spread_quantity_and_ratios(legs: Iterable[ContractLeg]) -> tuple[int, tuple[int, ...]]:
    """The legs as a broker request sees them: a signed quantity and whole-number ratios with
    `quantity * ratio == leg trade` for every leg. The quantity is the greatest common divisor of
    the leg trades, signed like the first leg (so the first ratio is positive); an outright is
    (trade, (1,))."""
    trades = [leg.trade for leg in legs]
    size = math.gcd(*trades)
    if size == 0:
        return 0, tuple(1 for _ in trades)
    quantity = size if trades[0] > 0 else -size
    return quantity, tuple(t // quantity for t in trades)


@dataclass(frozen=True)
class ContractOrder:
    """The trade of one instrument order in specific contracts (one leg, or a spread)."""

    strategy_name: str
    instrument_code: str
    legs: tuple[ContractLeg, ...]
    parent_id: int | None
    order_type: str = "best"  # best | market | limit: how the parent wants it worked
    algo: str = ""  # the algo working it, set when broker orders are created
    reference_price: float | None = None
    limit_price: float | None = None
    roll_order: bool = False
    manual_trade: bool = False
    reason: str = ""
    order_id: int | None = None
    state: OrderState = OrderState.NEW
    locked_by: str | None = None
    children: tuple[int, ...] = ()  # broker order record ids
    fill_datetime: dt.datetime | None = None
    created_datetime: dt.datetime | None = None
    completed_datetime: dt.datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "legs", tuple(self.legs))
        _check_legs(self.legs, f"contract order {self.instrument_code}")
        object.__setattr__(self, "state", OrderState(self.state))
        object.__setattr__(self, "children", tuple(int(c) for c in self.children))

    @property
    def is_spread(self) -> bool:
        return len(self.legs) > 1

    @property
    def contract_ids(self) -> tuple[str, ...]:
        return tuple(leg.contract_id for leg in self.legs)

    @property
    def trade(self) -> int:
        """Signed quantity as one order (spreads: see `spread_quantity_and_ratios`)."""
        return spread_quantity_and_ratios(self.legs)[0]

    @property
    def is_filled(self) -> bool:
        return all(leg.filled == leg.trade for leg in self.legs)

    @property
    def is_partially_filled(self) -> bool:
        return any(leg.filled != 0 for leg in self.legs) and not self.is_filled

    @property
    def is_finished(self) -> bool:
        return self.state.is_finished

    def remaining_legs(self) -> tuple[ContractLeg, ...]:
        """What is left to trade, per leg (legs with nothing left dropped)."""
        return tuple(ContractLeg(leg.contract_id, leg.remaining) for leg in self.legs if leg.remaining)

    def with_fill(self, contract_id: str, quantity: int, price: float, time: dt.datetime) -> ContractOrder:
        legs = _legs_with_fill(self.legs, contract_id, quantity, price, f"contract order {self.order_id}")
        done = all(leg.filled == leg.trade for leg in legs)
        return replace(
            self, legs=legs, fill_datetime=time,
            state=OrderState.COMPLETED if done else self.state,
            completed_datetime=time if done else self.completed_datetime,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy_name": self.strategy_name, "instrument_code": self.instrument_code,
            "legs": [leg.to_dict() for leg in self.legs], "parent_id": self.parent_id,
            "order_type": self.order_type, "algo": self.algo, "reference_price": self.reference_price,
            "limit_price": self.limit_price, "roll_order": self.roll_order,
            "manual_trade": self.manual_trade, "reason": self.reason, "order_id": self.order_id,
            "state": self.state.value, "locked_by": self.locked_by, "children": list(self.children),
            "fill_datetime": _iso(self.fill_datetime), "created_datetime": _iso(self.created_datetime),
            "completed_datetime": _iso(self.completed_datetime),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ContractOrder:
        d = dict(doc)
        d["legs"] = tuple(ContractLeg.from_dict(leg) for leg in d["legs"])
        for key in ("fill_datetime", "created_datetime", "completed_datetime"):
            d[key] = _from_iso(d.get(key))
        d["children"] = tuple(d.get("children", ()))
        d["state"] = OrderState(d.get("state", "new"))
        return cls(**d)


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FillRecord:
    """One broker execution of one contract, as booked (a spread fill is one record per leg)."""

    fill_id: str
    contract_id: str
    quantity: int  # signed
    price: float
    time: dt.datetime
    commission: float = 0.0
    commission_currency: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"fill_id": self.fill_id, "contract_id": self.contract_id, "quantity": self.quantity,
                "price": self.price, "time": self.time.isoformat(), "commission": self.commission,
                "commission_currency": self.commission_currency}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> FillRecord:
        return cls(**{**doc, "time": dt.datetime.fromisoformat(doc["time"])})


@dataclass(frozen=True)
class BrokerOrderRecord:
    """A broker order as we keep it: stored BEFORE it is sent (so a crash between storing and
    sending is found on restart by its `order_id`, which the request carries as `reference`), then
    given the broker's id when sent, then its fills."""

    strategy_name: str
    instrument_code: str
    legs: tuple[ContractLeg, ...]  # the submitted trade per contract, and what filled
    parent_id: int | None  # contract order id
    order_type: str = "market"  # market | limit, as sent
    limit_price: float | None = None
    algo: str = ""  # market | best | limit: the algo working it
    aggressive: bool = False  # the best algo has switched to crossing the spread
    algo_comment: str = ""
    side_price: float | None = None  # at creation: the price we would pay crossing the spread
    mid_price: float | None = None
    offside_price: float | None = None  # the near side (where a passive limit sits)
    roll_order: bool = False
    broker_order_id: str | None = None  # the broker's id, once sent
    broker_status: str | None = None  # the broker's last status (sysbrokers OrderStatus value)
    reject_reason: str = ""
    submit_datetime: dt.datetime | None = None
    fills: tuple[FillRecord, ...] = ()
    order_id: int | None = None
    state: OrderState = OrderState.NEW
    locked_by: str | None = None
    created_datetime: dt.datetime | None = None
    completed_datetime: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # algo bookkeeping (JSON-able)

    def __post_init__(self) -> None:
        object.__setattr__(self, "legs", tuple(self.legs))
        _check_legs(self.legs, f"broker order {self.instrument_code}")
        object.__setattr__(self, "fills", tuple(self.fills))
        object.__setattr__(self, "state", OrderState(self.state))

    @property
    def trade(self) -> int:
        return spread_quantity_and_ratios(self.legs)[0]

    @property
    def is_filled(self) -> bool:
        return all(leg.filled == leg.trade for leg in self.legs)

    @property
    def is_finished(self) -> bool:
        return self.state.is_finished

    @property
    def fill_ids(self) -> frozenset[str]:
        return frozenset(f.fill_id for f in self.fills)

    @property
    def commission(self) -> float:
        return sum(f.commission for f in self.fills)

    def with_fill(self, fill: FillRecord) -> BrokerOrderRecord:
        """This record with one more fill; a fill id already here changes nothing."""
        if fill.fill_id in self.fill_ids:
            return self
        legs = _legs_with_fill(self.legs, fill.contract_id, fill.quantity, fill.price,
                               f"broker order {self.order_id}")
        done = all(leg.filled == leg.trade for leg in legs)
        return replace(
            self, legs=legs, fills=self.fills + (fill,),
            state=OrderState.COMPLETED if done else self.state,
            completed_datetime=fill.time if done else self.completed_datetime,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy_name": self.strategy_name, "instrument_code": self.instrument_code,
            "legs": [leg.to_dict() for leg in self.legs], "parent_id": self.parent_id,
            "order_type": self.order_type, "limit_price": self.limit_price,
            "algo": self.algo, "aggressive": self.aggressive,
            "algo_comment": self.algo_comment, "side_price": self.side_price,
            "mid_price": self.mid_price, "offside_price": self.offside_price,
            "roll_order": self.roll_order, "broker_order_id": self.broker_order_id,
            "broker_status": self.broker_status, "reject_reason": self.reject_reason,
            "submit_datetime": _iso(self.submit_datetime), "fills": [f.to_dict() for f in self.fills],
            "order_id": self.order_id, "state": self.state.value, "locked_by": self.locked_by,
            "created_datetime": _iso(self.created_datetime),
            "completed_datetime": _iso(self.completed_datetime), "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> BrokerOrderRecord:
        d = dict(doc)
        d["legs"] = tuple(ContractLeg.from_dict(leg) for leg in d["legs"])
        d["fills"] = tuple(FillRecord.from_dict(f) for f in d.get("fills", ()))
        for key in ("submit_datetime", "created_datetime", "completed_datetime"):
            d[key] = _from_iso(d.get(key))
        d["state"] = OrderState(d.get("state", "new"))
        d["extra"] = dict(d.get("extra") or {})
        return cls(**d)


# --- roll-up from scratch (checks of the incremental book) -----------------------------------
def contract_legs_from_broker_orders(
    order: ContractOrder, broker_orders: Iterable[BrokerOrderRecord]
) -> tuple[ContractLeg, ...]:
    """The contract order's legs with `filled`/`fill_price` recomputed from every fill of its
    broker orders (each fill id counted once)."""
    legs = tuple(replace(leg, filled=0, fill_price=None) for leg in order.legs)
    seen: set[str] = set()
    for record in broker_orders:
        for fill in record.fills:
            if fill.fill_id in seen:
                continue
            seen.add(fill.fill_id)
            legs = _legs_with_fill(legs, fill.contract_id, fill.quantity, fill.price,
                                   f"contract order {order.order_id}")
    return legs


def instrument_fill_from_contract_orders(contract_orders: Iterable[ContractOrder]) -> int:
    """An instrument order's filled trade: the net of every leg filled by its children (a filled
    calendar spread nets to zero, as the instrument position does not change in a roll)."""
    return sum(leg.filled for order in contract_orders for leg in order.legs)


def family_is_complete(
    parent: InstrumentOrder, children: Iterable[ContractOrder], grandchildren: Iterable[BrokerOrderRecord]
) -> bool:
    """Whether an instrument order and everything below it are done, so the family can move to
    the historic stores: every child and grandchild finished, and the parent either finished
    itself or in progress with children (all of which are finished: nothing more will happen)."""
    kids = list(children)
    if not all(c.is_finished for c in kids) or not all(b.is_finished for b in grandchildren):
        return False
    if parent.is_finished:
        return True
    return parent.state is OrderState.IN_PROGRESS and bool(kids)
