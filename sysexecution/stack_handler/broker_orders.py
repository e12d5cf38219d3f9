"""Step: contract orders become broker orders, sent to the broker and managed while they work.

Each pass, in this order:

1. **Resolve unsent records.** A broker order record is stored BEFORE its order is sent (the
   request's `reference` is the record's id). A record still without a broker id was stored by a
   pass that did not finish sending (killed, broker disconnected): the broker is asked whether it
   holds an order with that reference (its open orders and its fills); found, the record takes
   the broker's id and is not sent again; not found, it is sent now. So an order is never sent
   twice, whatever is killed when.
2. **Manage working orders.** A `best` order is repriced by its algo (aggressive after a timeout
   or an adverse move; see `sysexecution.algos.best`). (An order the broker has finished without
   filling it all is marked cancelled by `process_fills_stack` once its fills are booked; what is
   left of its contract order is then sent again here.)
3. **New broker orders.** For every unfinished contract order with something left to trade and
   no broker order working: skip a locked instrument; apply the trade limits (cut back, or hold
   with the reason); let the algo price it; store the record (and count it against the limits);
   send it; record the broker's id. An order the broker rejects is cancelled (its limits given
   back); after `MAX_REJECTIONS` rejections the contract order itself is cancelled.

Storing a record is one transaction that refuses a contract order that is finished, claimed by
another process, or already has a broker order working, so two processes can never both make one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import defaultdict
from dataclasses import replace

from sysbrokers.broker import BrokerOrder, OrderLeg, OrderRequest, OrderStatus, OrderType
from syscore.exceptions import BrokerError
from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob
from sysexecution import algos
from sysexecution.algos import BestSettings, OrderPrices, Reprice
from sysobjects.orders import (
    BrokerOrderRecord,
    ContractLeg,
    ContractOrder,
    OrderState,
    spread_quantity_and_ratios,
)
from sysobjects.trade_limits import LimitedTrade

log = logging.getLogger(__name__)

STEP = "create_broker_orders_from_contract_orders"
MAX_REJECTIONS = 3
CLAIM_PREFIX = "stack_handler:"
TIMEOUT_KEY = "best_algo_passive_timeout_minutes"
# contract order id -> the trade-limit hold last logged by this process (a held order is looked at
# on every pass, many times a minute; its warning is logged when it starts or its reason changes)
_HELD_LOGGED: dict[int, str] = {}


def claimant() -> str:
    """Who this process is when it stores a broker order (the stacks' `locked_by`)."""
    return f"{CLAIM_PREFIX}{os.getpid()}"


def best_settings(data: DataBlob) -> BestSettings:
    """The best algo's passive timeout from config (`best_algo_passive_timeout_minutes`)."""
    return BestSettings(passive_timeout=dt.timedelta(minutes=float(data.config[TIMEOUT_KEY])))


def _item(record_or_order: BrokerOrderRecord | ContractOrder) -> str:
    return f"{record_or_order.strategy_name}/{record_or_order.instrument_code}/{record_or_order.order_id}"


def _log_extra(order: BrokerOrderRecord | ContractOrder) -> dict:
    return {"instrument_code": order.instrument_code, "strategy_name": order.strategy_name}


# --- the step -----------------------------------------------------------------------------------
def create_broker_orders_from_contract_orders(data: DataBlob) -> JobSummary:
    summary = JobSummary(STEP)
    now = data.clock.now()
    with summary.isolated("unsent broker orders", "resolve"):
        resolve_unsent(data, summary, now)
    quotes = Quotes(data)
    with summary.isolated("working broker orders", "manage"):
        manage_working(data, summary, now, quotes)
    records_by_parent: dict[int, list[BrokerOrderRecord]] = defaultdict(list)
    for record in data.broker_orders.all():
        if record.parent_id is not None:
            records_by_parent[record.parent_id].append(record)
    locked: dict[str, bool] = {}
    limited_instruments = {limit.instrument_code for limit in data.trade_limits.all()}  # read once a pass
    me = claimant()
    for order in data.contract_orders.active():
        item = _item(order)
        with summary.isolated(item, "broker order"):
            if order.locked_by is not None and order.locked_by != me:
                continue  # another process is working on it (a stale claim is cleared by hand)
            why_not = _why_no_new_order(order, records_by_parent.get(order.order_id, []))
            if why_not is not None:
                if why_not == "rejected":
                    _give_up(data, order, summary, now)
                continue
            if order.instrument_code not in locked:
                locked[order.instrument_code] = data.instrument_locks.is_locked(order.instrument_code)
            if locked[order.instrument_code]:
                summary.unchanged.append(item)
                continue
            _new_broker_order(data, order, summary, now, me, quotes, limited_instruments)
    return summary


def _why_no_new_order(order: ContractOrder, records: list[BrokerOrderRecord]) -> str | None:
    """None when the contract order needs a new broker order now; else a short reason."""
    if order.algo == "balance" or not order.remaining_legs():
        return "nothing to send"
    if any(not r.is_finished for r in records):
        return "a broker order is working"
    for record in records:
        broker_filled = record.extra.get("broker_filled")
        if broker_filled is not None and abs(_booked(record)) != abs(int(broker_filled)):
            return "waiting for the fills of a cancelled broker order to be booked"
    if sum(1 for r in records if r.broker_status == OrderStatus.REJECTED.value) >= MAX_REJECTIONS:
        return "rejected"
    return None


def _booked(record: BrokerOrderRecord) -> int:
    """Booked fills of the record as a whole order (spread units)."""
    quantity, ratios = spread_quantity_and_ratios(record.legs)
    if quantity == 0:
        return 0
    first = record.legs[0]
    return first.filled // ratios[0]


def _give_up(data: DataBlob, order: ContractOrder, summary: JobSummary, now: dt.datetime) -> None:
    item = _item(order)
    if data.contract_orders.cancel(order.order_id, now):
        why = f"cancelled after {MAX_REJECTIONS} rejections by the broker"
        log.error("%s: %s", item, why, extra=_log_extra(order))
        summary.failed[item] = why


class Quotes:
    """The broker's quotes for one pass, asked once per contract (a pass happens at one moment;
    ten orders in one contract need one quote, not ten)."""

    def __init__(self, data: DataBlob):
        self._data = data
        self._seen: dict[tuple[str, str], object] = {}

    def get(self, instrument: str, contract: str):
        key = (instrument, contract)
        if key not in self._seen:
            self._seen[key] = self._data.broker.quote(instrument, contract)
        return self._seen[key]


def _order_quote(quotes: Quotes, instrument: str, legs: tuple[ContractLeg, ...]) -> algos.SpreadQuote | None:
    _, ratios = spread_quantity_and_ratios(legs)
    leg_quotes = [quotes.get(instrument, leg.contract_id) for leg in legs]
    if any(q is None for q in leg_quotes):
        return None
    return algos.order_quote(ratios, leg_quotes)


def _new_broker_order(
    data: DataBlob, order: ContractOrder, summary: JobSummary, now: dt.datetime, me: str, quotes: Quotes,
    limited_instruments: set[str],
) -> None:
    item = _item(order)
    remaining = order.remaining_legs()
    quantity, ratios = spread_quantity_and_ratios(remaining)
    per_unit = sum(abs(r) for r in ratios)
    if order.instrument_code in limited_instruments:
        limited = data.trade_limits.allowed(order.strategy_name, order.instrument_code, quantity, now, per_unit)
    else:
        limited = LimitedTrade(quantity)
    if limited.held:
        if _HELD_LOGGED.get(order.order_id) != limited.reason:  # once, not on every pass
            log.warning("%s: %s", item, limited.reason, extra=_log_extra(order))
            _HELD_LOGGED[order.order_id] = limited.reason
        summary.unchanged.append(item)
        return
    _HELD_LOGGED.pop(order.order_id, None)
    if limited.reason:
        log.info("%s: %s", item, limited.reason, extra=_log_extra(order))
    quantity = limited.trade
    legs = tuple(ContractLeg(leg.contract_id, quantity * ratio) for leg, ratio in zip(remaining, ratios, strict=True))
    algo = order.algo or algos.algo_for(order.order_type)
    quote = _order_quote(quotes, order.instrument_code, legs)
    place = algos.place(algo, quantity, quote, order.limit_price)

    prices = place.prices
    record = BrokerOrderRecord(
        order.strategy_name, order.instrument_code, legs, order.order_id,
        order_type=place.order_type, limit_price=place.limit_price, algo=algo,
        algo_comment=place.comment + (f"; {limited.reason}" if limited.reason else ""),
        side_price=None if prices is None else prices.side_price,
        mid_price=None if prices is None else prices.mid_price,
        offside_price=None if prices is None else prices.offside_price,
        roll_order=order.roll_order, locked_by=me, created_datetime=now,
    )
    # One transaction stores the record under the contract order, refusing when the contract order
    # is finished, claimed by another process, or already has a broker order working: so two
    # makers can never both make one, and nothing is sent before it is stored.
    record_id = data.contract_orders.add_broker_order(order.order_id, record, now)
    if record_id is None:
        return
    data.trade_limits.record(str(record_id), order.strategy_name, order.instrument_code,
                             abs(quantity) * per_unit, now)
    _send(data, replace(record, order_id=record_id, parent_id=order.order_id, locked_by=None), summary, now)


def _request(record: BrokerOrderRecord) -> OrderRequest:
    quantity, ratios = spread_quantity_and_ratios(record.legs)
    return OrderRequest(
        instrument_code=record.instrument_code,
        legs=tuple(OrderLeg(leg.contract_id, ratio) for leg, ratio in zip(record.legs, ratios, strict=True)),
        quantity=quantity, order_type=OrderType(record.order_type), limit_price=record.limit_price,
        reference=str(record.order_id),
    )


def _send(data: DataBlob, record: BrokerOrderRecord, summary: JobSummary, now: dt.datetime) -> None:
    """Send a stored record and write down the broker's answer. A broker error leaves the record
    unsent: the next pass asks the broker before sending again."""
    item = _item(record)
    try:
        sent = data.broker.submit_order(_request(record))
    except BrokerError as error:
        log.error("%s: not confirmed sent (%s); the next pass asks the broker before sending again",
                  item, error, extra=_log_extra(record))
        summary.failed[item] = f"not confirmed sent: {error}"
        return
    _mark_sent(data, record, sent, summary, now)


def _mark_sent(data: DataBlob, record: BrokerOrderRecord, sent: BrokerOrder, summary: JobSummary,
               now: dt.datetime) -> None:
    item = _item(record)
    data.broker_orders.mark_submitted(record.order_id, sent.broker_order_id, sent.status.value, now)
    if sent.status is OrderStatus.REJECTED:
        _finish_unfilled(data, record, sent, now)
        log.error("%s: rejected by the broker: %s", item, sent.reject_reason, extra=_log_extra(record))
        summary.failed[item] = f"rejected by the broker: {sent.reject_reason}"
        return
    log.info("%s: sent %+d (%s) as broker order %s", item, record.trade, record.algo_comment,
             sent.broker_order_id, extra=_log_extra(record))
    summary.updated[item] = f"sent {record.trade:+d} ({record.algo_comment})"


def _finish_unfilled(data: DataBlob, record: BrokerOrderRecord, at_broker: BrokerOrder, now: dt.datetime) -> None:
    """The broker finished the order without filling all of it: cancel the record, keep what the
    broker filled (its fills are booked by process_fills_stack), give the rest back to the limits."""

    def change(current: BrokerOrderRecord) -> BrokerOrderRecord | None:
        if current.is_finished:
            return None
        return replace(
            current, state=OrderState.CANCELLED, completed_datetime=now,
            broker_status=at_broker.status.value, reject_reason=at_broker.reject_reason,
            extra={**current.extra, "broker_filled": int(at_broker.filled_quantity)},
        )

    data.broker_orders.modify(record.order_id, change)
    per_unit = sum(abs(r) for r in spread_quantity_and_ratios(record.legs)[1])
    data.trade_limits.release(str(record.order_id), abs(int(at_broker.filled_quantity)) * per_unit)


# --- 1. unsent records ------------------------------------------------------------------------
def resolve_unsent(data: DataBlob, summary: JobSummary, now: dt.datetime, send_missing: bool = True) -> None:
    """Find each unsent record at the broker (by reference) and record it as sent; one the broker
    does not have is sent now, or cancelled without sending when `send_missing` is False (at
    stop), its contract order was finished meanwhile (cancelled by hand) or its instrument is
    locked."""
    unsent = data.broker_orders.unsent()
    if not unsent:
        return
    broker = data.broker
    at_broker: dict[str, BrokerOrder] = {o.request.reference: o for o in broker.open_orders()}
    since = min((r.created_datetime for r in unsent if r.created_datetime is not None), default=None)
    filled_ids: dict[str, str] = {}
    for fill in broker.fills(since):
        filled_ids.setdefault(fill.reference, fill.broker_order_id)
    for record in unsent:
        item = _item(record)
        reference = str(record.order_id)
        found = at_broker.get(reference)
        if found is None and reference in filled_ids:
            found = broker.get_order(filled_ids[reference])
        if found is not None:
            log.warning("%s: stored but not confirmed sent; the broker has it as order %s, so it is not "
                        "sent again", item, found.broker_order_id, extra=_log_extra(record))
            _mark_sent(data, record, found, summary, now)
            continue
        why_not = _reason_not_to_send(data, record, send_missing)
        if why_not is not None:
            _finish_unfilled(data, record, _never_sent(record, now, why_not), now)
            log.warning("%s: stored but never sent, and %s; cancelled", item, why_not, extra=_log_extra(record))
            summary.updated[item] = f"never sent; cancelled ({why_not})"
            continue
        log.warning("%s: stored but never reached the broker; sending it now", item, extra=_log_extra(record))
        _send(data, record, summary, now)


def _reason_not_to_send(data: DataBlob, record: BrokerOrderRecord, send_missing: bool) -> str | None:
    """Why a record the broker never received must not be sent now (None: send it)."""
    if not send_missing:
        return "the stack handler is stopping"
    parent = None if record.parent_id is None else data.contract_orders.maybe_get(record.parent_id)
    if parent is None or parent.is_finished:
        return "its contract order is finished (cancelled meanwhile)"
    if data.instrument_locks.is_locked(record.instrument_code):
        return "the instrument is now locked"
    return None


def _never_sent(record: BrokerOrderRecord, now: dt.datetime, why: str) -> BrokerOrder:
    return BrokerOrder("", _request(record), OrderStatus.CANCELLED, now, reject_reason=f"never sent: {why}")


# --- 2. working orders --------------------------------------------------------------------------
def manage_working(data: DataBlob, summary: JobSummary, now: dt.datetime, quotes: Quotes) -> None:
    working = data.broker_orders.working()
    if not working:
        return
    broker = data.broker
    open_orders = {o.broker_order_id: o for o in broker.open_orders()}
    settings = best_settings(data)
    for record in working:
        with summary.isolated(_item(record), "working order"):
            if record.broker_order_id not in open_orders or record.algo != "best":
                continue  # finished at the broker: process_fills_stack books its fills and marks it
            _manage_best(data, record, settings, summary, now, quotes)


def _manage_best(data: DataBlob, record: BrokerOrderRecord, settings: BestSettings, summary: JobSummary,
                 now: dt.datetime, quotes: Quotes) -> None:
    reference = None
    if None not in (record.side_price, record.mid_price, record.offside_price):
        reference = OrderPrices(record.side_price, record.mid_price, record.offside_price)  # type: ignore[arg-type]
    quote = _order_quote(quotes, record.instrument_code, record.legs)
    decision = algos.manage("best", record.trade, record.limit_price, reference,
                            record.submit_datetime or now, record.aggressive, quote, now, settings)
    if not isinstance(decision, Reprice):
        return
    item = _item(record)
    try:
        data.broker.modify_order(record.broker_order_id, limit_price=decision.limit_price)
    except BrokerError:
        if not data.broker.get_order(record.broker_order_id).status.is_open:
            return  # it filled or finished meanwhile; the next pass sees how
        raise

    def change(current: BrokerOrderRecord) -> BrokerOrderRecord:
        return replace(current, limit_price=decision.limit_price, aggressive=decision.aggressive,
                       algo_comment=decision.comment)

    data.broker_orders.modify(record.order_id, change)
    log.info("%s: %s", item, decision.comment, extra=_log_extra(record))
    summary.updated[item] = decision.comment
