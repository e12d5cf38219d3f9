"""Step (at stop): `safe_stack_removal`, so no order state hangs over to the next day.

Run once when the stack handler ends (`run_on_completion_only`), as pysystemtrade does:
1. records stored but not confirmed sent are looked up at the broker (by reference): found, they
   are recorded as sent (and cancelled below); not found, they are cancelled without sending;
2. every working broker order is cancelled at the broker (what filled meanwhile stays filled);
3. the broker's fills are booked (`process_fills_stack`), including fills that arrived while the
   orders were being cancelled, and each cancelled order whose fills are all booked is marked
   cancelled; the contracts it did not use are given back to the trade limits;
4. every other unfinished contract order is cancelled, and every instrument order not done by
   its children (any filled part stays booked: positions are never touched here);
5. the finished families move to the historic stores (`handle_completed_orders`), which clears
   the stacks.

A family whose broker order could not be cancelled, or whose fills are not all booked (the broker
disconnected), is left on the stack, whole, and reported as failed: removing it would lose what
the broker may still do with it. The next run (or this step again) finishes the job.
"""

from __future__ import annotations

import logging

from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob
from sysexecution.stack_handler.broker_orders import resolve_unsent
from sysexecution.stack_handler.completed import handle_completed_orders
from sysexecution.stack_handler.fills import process_fills_stack
from sysobjects.orders import OrderState, spread_quantity_and_ratios

log = logging.getLogger(__name__)

STEP = "safe_stack_removal"


def safe_stack_removal(data: DataBlob) -> JobSummary:
    summary = JobSummary(STEP)
    now = data.clock.now()
    with summary.isolated("unsent broker orders", "resolve"):
        resolve_unsent(data, summary, now, send_missing=False)

    cancelled_at_broker = 0
    for record in data.broker_orders.working():
        item = f"{record.instrument_code}/broker order {record.order_id}"
        with summary.isolated(item, "cancel at the broker"):
            at_broker = data.broker.cancel_order(record.broker_order_id)
            cancelled_at_broker += 1
            per_unit = sum(abs(r) for r in spread_quantity_and_ratios(record.legs)[1])
            data.trade_limits.release(str(record.order_id), abs(at_broker.filled_quantity) * per_unit)
            what = f"cancelled at the broker ({at_broker.status.value}, {at_broker.filled_quantity:+d} of " \
                   f"{at_broker.request.quantity:+d} filled)"
            log.info("%s: %s", item, what, extra={"instrument_code": record.instrument_code})
            summary.updated[item] = what

    fills = process_fills_stack(data)
    summary.failed.update({f"fills: {item}": why for item, why in fills.failed.items()})

    stuck = {r.parent_id for r in data.broker_orders.active()}  # not cancelled or fills not booked
    stuck_parents: set[int] = set()
    cancelled = 0
    for order in data.contract_orders.active():
        if order.order_id in stuck:
            stuck_parents.add(order.parent_id)
            item = f"{order.strategy_name}/{order.instrument_code}/contract order {order.order_id}"
            summary.failed[item] = "its broker order is still working or has fills not yet booked; left on the stack"
            continue
        if data.contract_orders.cancel(order.order_id, now):
            cancelled += 1
            summary.updated[f"{order.strategy_name}/{order.instrument_code}/contract order {order.order_id}"] = "cancelled"
    for order in data.instrument_orders.active():
        if order.order_id in stuck_parents:
            continue
        children = data.contract_orders.children_of(order.order_id)
        if children and all(c.state is OrderState.COMPLETED for c in children):
            continue  # done: handle_completed_orders marks it completed
        if data.instrument_orders.cancel(order.order_id, now):
            cancelled += 1
            summary.updated[f"{order.strategy_name}/{order.instrument_code}/instrument order {order.order_id}"] = (
                f"cancelled ({order.filled_trade:+d} of {order.trade:+d} filled)"
            )

    archived = handle_completed_orders(data)
    summary.failed.update({f"archive: {item}": why for item, why in archived.failed.items()})
    left = len(data.instrument_orders.all())
    summary.note = (
        f"{cancelled_at_broker} broker order(s) cancelled at the broker, {len(fills.updated)} fill(s) and status change(s) "
        f"booked, {cancelled} order(s) cancelled, {len(archived.updated)} famil(ies) moved to history; "
        f"{left} instrument order(s) left on the stack"
    )
    log.info("%s: %s", STEP, summary.note)
    if left and not summary.failed:
        summary.failed["stacks"] = f"{left} instrument order(s) could not be cleared"
    return summary

