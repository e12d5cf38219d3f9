"""Orders, fills and positions as the reports read them: flat frames, one row per thing.

The order stacks keep families (instrument order -> contract orders -> broker orders, each with
its parent's id). The reports want one row per fill with everything that fill is measured
against: its broker order's side/mid/offside prices at creation and submit time, the contract
order's reference price and the instrument order's decision price and time. `fill_rows` joins
them once for every report. When the stacks are not part of this installation yet, each function
says so instead of failing (`Missing`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from sysproduction.reports.report_data import repository

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

NO_STACKS = "the order stacks are not available in this installation yet (they come with the stack handler)"
NO_POSITIONS = "strategy positions are not available in this installation yet (they come with the stack handler)"

FILL_COLUMNS = [
    "time", "strategy", "instrument", "contract", "quantity", "price", "commission",
    "commission_currency", "broker_order", "contract_order", "instrument_order", "roll_order",
    "side_price", "mid_price", "offside_price", "submit_time", "reference_price",
    "reference_time", "order_created",
]


@dataclass(frozen=True)
class Missing:
    """Data a report cannot show, and why."""

    why: str


def _orders(source: Any, method: str, *args: Any) -> list:
    function = getattr(source, method, None)
    return [] if function is None else list(function(*args))


def active_orders(data: DataBlob) -> dict[str, list] | Missing:
    """The orders still on each stack (instrument, contract, broker)."""
    stacks = {level: repository(data, attr) for level, attr in
              (("instrument", "instrument_orders"), ("contract", "contract_orders"), ("broker", "broker_orders"))}
    if stacks["instrument"] is None:
        return Missing(NO_STACKS)
    return {level: _orders(stack, "active") if stack is not None else [] for level, stack in stacks.items()}


def open_orders_frame(data: DataBlob) -> pd.DataFrame | Missing:
    """One row per order still working, top level first."""
    active = active_orders(data)
    if isinstance(active, Missing):
        return active
    rows = []
    for level, orders in active.items():
        for order in orders:
            legs = getattr(order, "legs", None)
            contract = "/".join(leg.contract_id for leg in legs) if legs else ""
            filled = sum(leg.filled for leg in legs) if legs else order.filled_trade
            rows.append({
                "level": level, "id": order.order_id, "strategy": order.strategy_name,
                "instrument": order.instrument_code, "contract": contract, "trade": order.trade,
                "filled": filled, "state": order.state.value,
                "created": getattr(order, "created_datetime", None),
            })
    columns = ["level", "id", "strategy", "instrument", "contract", "trade", "filled", "state", "created"]
    return pd.DataFrame(rows, columns=columns)


class _Orders:
    """Orders of one level by id: the historic ones completed since a time, the stack's own, and
    any other asked for by id (a parent still on its stack)."""

    def __init__(self, historic: list, stack: Any):
        self._known = {o.order_id: o for o in historic if o.order_id is not None}
        self._stack = stack

    def get(self, order_id: int | None) -> Any | None:
        if order_id is None:
            return None
        if order_id not in self._known:
            maybe_get = getattr(self._stack, "maybe_get", None)
            self._known[order_id] = maybe_get(order_id) if maybe_get is not None else None
        return self._known[order_id]


def fill_rows(data: DataBlob, since: dt.datetime) -> pd.DataFrame | Missing:
    """One row per booked fill at or after `since`, oldest first, with the prices it is measured
    against (from its broker order record and its parents)."""
    historic = repository(data, "historic_orders")
    if historic is None or getattr(historic, "fills", None) is None:
        return Missing(NO_STACKS)
    broker = _Orders(_orders(historic, "broker_orders", since), repository(data, "broker_orders"))
    contract = _Orders(_orders(historic, "contract_orders", since), repository(data, "contract_orders"))
    instrument = _Orders(_orders(historic, "instrument_orders", since), repository(data, "instrument_orders"))
    rows = []
    for fill in historic.fills(since):
        record = broker.get(fill.get("broker_order"))
        contract_order = contract.get(fill.get("contract_order"))
        instrument_order = instrument.get(fill.get("instrument_order"))
        reference_price = getattr(instrument_order, "reference_price", None)
        if reference_price is None:
            reference_price = getattr(contract_order, "reference_price", None)
        roll = any(bool(getattr(o, "roll_order", False)) for o in (record, contract_order, instrument_order))
        rows.append({
            "time": dt.datetime.fromisoformat(fill["time"]), "strategy": fill.get("strategy_name"),
            "instrument": fill["instrument_code"], "contract": fill["contract_id"],
            "quantity": int(fill["quantity"]), "price": float(fill["price"]),
            "commission": float(fill.get("commission") or 0.0),
            "commission_currency": fill.get("commission_currency") or "",
            "broker_order": fill.get("broker_order"), "contract_order": fill.get("contract_order"),
            "instrument_order": fill.get("instrument_order"),
            "roll_order": roll or (record is not None and len(record.legs) > 1),
            "side_price": getattr(record, "side_price", None), "mid_price": getattr(record, "mid_price", None),
            "offside_price": getattr(record, "offside_price", None),
            "submit_time": getattr(record, "submit_datetime", None), "reference_price": reference_price,
            "reference_time": getattr(instrument_order, "reference_datetime", None),
            "order_created": getattr(instrument_order, "created_datetime", None),
        })
    frame = pd.DataFrame(rows, columns=FILL_COLUMNS)
    return frame.sort_values(["time", "broker_order"], kind="stable").reset_index(drop=True)


def strategy_positions(data: DataBlob) -> dict[tuple[str, str], int] | Missing:
    repo = repository(data, "strategy_positions")
    if repo is None:
        return Missing(NO_POSITIONS)
    return {key: int(value) for key, value in repo.all().items()}


def contract_positions(data: DataBlob) -> dict[tuple[str, str], int]:
    """(instrument, contract) -> position booked from fills (non-zero only)."""
    everything = getattr(data.contract_positions, "all", None)
    if everything is not None:
        return {key: int(v) for key, v in everything().items() if int(v) != 0}
    out: dict[tuple[str, str], int] = {}
    for _, doc in data.documents.items(data.contract_positions.COLLECTION):
        if int(doc["position"]) != 0:
            out[(doc["instrument_code"], doc["contract_date"])] = int(doc["position"])
    return out
