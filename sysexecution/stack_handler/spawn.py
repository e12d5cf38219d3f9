"""Step: new instrument orders become contract orders, split by roll state
(`sysexecution.spawning.child_trades`).

A locked instrument (`data.instrument_locks`: by hand, or a position break) gets no children:
its orders stay new until the lock is cleared. Orders in an instrument being force-rolled wait the
same way. Children and the parent's move to in_progress are written in one transaction that
first checks the parent is still new, so two stack handlers never spawn one order twice.
"""

from __future__ import annotations

import logging

from syscore.exceptions import MissingData
from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob
from sysexecution.spawning import child_trades, price_in_other_contract
from sysexecution.stack_handler.contracts import priced_and_forward
from sysobjects.orders import ContractLeg, ContractOrder, InstrumentOrder
from sysobjects.roll_state import RollState

log = logging.getLogger(__name__)


def _moved_price(data: DataBlob, order: InstrumentOrder, price: float | None, contract: str) -> float | None:
    """A reference/limit price given for the order's reference contract, moved to `contract`."""
    if price is None or order.reference_contract in (None, contract):
        return price
    try:
        frames = [data.contract_prices.get(order.instrument_code, c)["FINAL"]
                  for c in (order.reference_contract, contract)]
    except (MissingData, KeyError):
        return None  # no prices stored for one of them
    return price_in_other_contract(price, frames[0], frames[1])


def _child(data: DataBlob, order: InstrumentOrder, legs: tuple[ContractLeg, ...], note: str) -> ContractOrder:
    contract = legs[0].contract_id
    limit = _moved_price(data, order, order.limit_price, contract)
    if order.limit_price is not None and limit is None:
        raise MissingData(
            f"limit price {order.limit_price} is for contract {order.reference_contract}; no common "
            f"price date with {contract} to move it by; cancel the order or give a limit for {contract}"
        )
    return ContractOrder(
        order.strategy_name, order.instrument_code, legs, order.order_id,
        order_type=order.order_type if order.order_type in ("best", "market", "limit") else "best",
        # the reference price is for cost analysis only: without a common price date it is left
        # out rather than holding up the trade
        reference_price=_moved_price(data, order, order.reference_price, contract),
        limit_price=limit, roll_order=order.roll_order, manual_trade=order.manual_trade, reason=note,
    )


def spawn_children_from_new_instrument_orders(data: DataBlob) -> JobSummary:
    summary = JobSummary("spawn_children_from_new_instrument_orders")
    now = data.clock.now()
    waiting: list[str] = []
    # Read once per instrument and pass: the contracts (a Parquet read) and the roll state do
    # not change while orders are spawned.
    where: dict[str, tuple[str, str | None]] = {}
    states: dict[str, RollState] = {}
    for order in data.instrument_orders.new_orders():
        item = f"{order.strategy_name}/{order.instrument_code}/{order.order_id}"
        with summary.isolated(item, "contract orders"):
            if data.instrument_locks.is_locked(order.instrument_code):
                reason = data.instrument_locks.reason(order.instrument_code)
                log.warning("%s: instrument locked (%s); no contract orders", item, reason)
                waiting.append(f"{item} (locked: {reason})")
                summary.unchanged.append(item)
                continue
            code = order.instrument_code
            if code not in states:
                where[code] = priced_and_forward(data, code)
                states[code] = data.roll_states.get(code).state
            state = states[code]
            priced, forward = where[code]
            decision = child_trades(
                state, order.trade, priced, forward,
                data.contract_positions.get(order.instrument_code, priced),
                data.contract_positions.get(order.instrument_code, forward) if forward else 0,
            )
            if decision.wait:
                waiting.append(f"{item} ({decision.note})")
                summary.unchanged.append(item)
                continue
            children = [_child(data, order, legs, decision.note) for legs in decision.children]
            ids = data.instrument_orders.spawn_children(
                order.order_id, children, now, finish_state=decision.finish_state, reason=decision.note
            )
            if ids is None:
                summary.unchanged.append(item)  # spawned or cancelled by another process first
                continue
            log.info("%s: trade %d -> %s", item, order.trade, decision.note)
            summary.updated[item] = f"trade {order.trade}: {decision.note}" + (
                f" (contract orders {', '.join(map(str, ids))})" if ids else "")
    if waiting:
        summary.note = "waiting: " + "; ".join(waiting)
    return summary
