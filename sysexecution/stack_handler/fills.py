"""Step: book the broker's fills of our orders.

Each broker order we send carries our broker order id as the request's `reference`, so every
fill the broker reports is matched to its record by that id (active on the stack, or already
archived: a late fill after a cancel is still booked). Booking is
`BrokerOrderStack.apply_fill`: the record, its contract and instrument orders, the contract and
strategy positions and the fill ledger in one transaction, refused when the fill id is already in
the ledger. So a fill is counted once whatever is killed when: killed before the transaction
commits, nothing was written and the next poll books it; killed after, the next poll finds its id
booked and skips it.

After booking, a sent order the broker no longer works (cancelled or rejected there) and whose
fills are all booked is marked cancelled with the broker's reason; its contract order keeps what
is left to trade.
"""

from __future__ import annotations

import datetime as dt
import logging

from sysbrokers.broker import Fill, OrderStatus
from syscore.exceptions import SysprodError
from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob
from sysobjects.orders import BrokerOrderRecord, FillRecord, OrderState

log = logging.getLogger(__name__)

# How far back to ask the broker for fills when nothing on the stack is older: late fills of
# orders already finished and archived still reach their record.
FILL_LOOKBACK = dt.timedelta(days=1)


def _our_id(fill: Fill) -> int | None:
    return int(fill.reference) if fill.reference.isdigit() else None


def _record(fill: Fill) -> FillRecord:
    return FillRecord(fill.fill_id, fill.contract_id, fill.quantity, fill.price, fill.time,
                      fill.commission, fill.commission_currency)


def _finish_if_done_at_broker(data: DataBlob, record: BrokerOrderRecord, now: dt.datetime) -> str | None:
    """Mark a record cancelled when the broker has stopped working it and every fill it reports
    is booked; the broker's status text otherwise (None when nothing to do)."""
    assert record.broker_order_id is not None and record.order_id is not None
    at_broker = data.broker.get_order(record.broker_order_id)
    status = at_broker.status
    if status.is_open or status is OrderStatus.FILLED:
        return None  # still working, or its last fills are not reported yet
    booked = sum(leg.filled for leg in data.broker_orders.get(record.order_id).legs[:1])
    ratio = record.legs[0].trade // record.trade if record.trade else 1
    if at_broker.filled_quantity * ratio != booked:
        return None  # fills still to come in a later poll

    def change(order: BrokerOrderRecord) -> BrokerOrderRecord | None:
        if order.is_finished:
            return None
        return order.__class__.from_dict({
            **order.to_dict(), "state": OrderState.CANCELLED.value, "broker_status": status.value,
            "reject_reason": at_broker.reject_reason, "completed_datetime": now.isoformat(),
        })
    return status.value if data.broker_orders.modify(record.order_id, change) is not None else None


def process_fills_stack(data: DataBlob) -> JobSummary:
    summary = JobSummary("process_fills_stack")
    now = data.clock.now()
    on_stack = [r for r in data.broker_orders.all() if r.broker_order_id is not None]
    # Polled even with nothing on the stack: a late fill of an archived order is still booked.
    since = min([now - FILL_LOOKBACK] + [r.submit_datetime for r in on_stack if r.submit_datetime])
    try:
        open_ids = {o.broker_order_id for o in data.broker.open_orders()}
        fills = data.broker.fills(since)
    except SysprodError as error:
        summary.failed["broker"] = f"fills not read: {error}"
        log.error("fills not read: %s", error)
        return summary
    foreign = 0
    for fill in fills:
        order_id = _our_id(fill)
        if order_id is None:
            foreign += 1
            continue
        if data.broker_orders.fill_is_booked(fill.fill_id):
            continue
        item = f"{fill.instrument_code}/{fill.contract_id}/fill {fill.fill_id}"
        with summary.isolated(item, "fill"):
            if data.broker_orders.apply_fill(order_id, _record(fill), now):
                log.info("booked fill %s: %+d %s %s at %s (broker order %d)", fill.fill_id, fill.quantity,
                         fill.instrument_code, fill.contract_id, fill.price, order_id)
                summary.updated[item] = f"{fill.quantity:+d} at {fill.price} (broker order {order_id})"
    for record in data.broker_orders.working():
        if record.broker_order_id in open_ids:
            continue
        item = f"{record.instrument_code}/broker order {record.order_id}"
        with summary.isolated(item, "broker status"):
            status = _finish_if_done_at_broker(data, record, now)
            if status is not None:
                log.warning("%s: %s at the broker; marked cancelled", item, status)
                summary.updated[item] = f"{status} at the broker: cancelled"
    notes = [] if on_stack else ["no broker orders on the stack"]
    if foreign:
        notes.append(f"{foreign} fill(s) of orders not sent by the stack handler ignored")
    summary.note = "; ".join(notes)
    return summary
