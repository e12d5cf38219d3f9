"""`python -m sysproduction.interactive_order_stack` (or `sysprod run interactive_order_stack`).

The order stacks and positions by hand: view the instrument, contract and broker order stacks
and the strategy and contract positions; create a manual instrument order; record a balance
trade; cancel an order; clear an instrument lock or an order's stale claim; reconcile the
strategy positions, the contract-position book and the broker.

Numbered menus; piped input works (one answer per line), e.g.
`printf '9\\n0\\n' | python -m sysproduction.interactive_order_stack` prints the reconciliation.

Every change shows what it is about to do and the state before, asks for confirmation (Y; the
default, N, changes nothing), then shows the state after. Orders go through the stacks (the stack
handler picks a manual order up like any other); a balance trade records a trade that happened
outside the system (a fill the broker has and we missed): it is booked with its positions in one
transaction and is never sent to the broker.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from syscore.exceptions import BrokerError, DataValidationError, SysprodError
from sysexecution.stack_handler.contracts import priced_and_forward
from sysobjects.orders import (
    ROLL_PSEUDO_STRATEGY,
    BrokerOrderRecord,
    ContractOrder,
    InstrumentOrder,
)
from sysobjects.position_breaks import is_break_reason, position_breaks
from sysproduction.control.views import Row, format_rows
from sysproduction.interactive.menu import Prompter, run_menu
from sysproduction.jobs.strategies.strategy_config import strategy_names

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

MANUAL_ORDER_TYPES = ("best", "market", "limit")
MAX_TRADE = 100_000  # contracts in one order typed by hand
BREAK = "BREAK"
ROLL_CHOICE = f"{ROLL_PSEUDO_STRATEGY} (contract position only: no strategy position changes)"
STACKS = ("instrument", "contract", "broker")
_STRATEGY_NAME = re.compile(r"[A-Za-z0-9_]+")


# --- rows (what the views print) -----------------------------------------------------------------
def _legs(legs: Iterable[Any]) -> str:
    return " ".join(f"{leg.contract_id}:{leg.filled}/{leg.trade}" for leg in legs)


def _flags(order: InstrumentOrder | ContractOrder) -> str:
    return ",".join(name for name, on in (("manual", order.manual_trade), ("roll", order.roll_order)) if on)


def instrument_rows(orders: Iterable[InstrumentOrder]) -> list[Row]:
    return [{
        "id": o.order_id, "strategy": o.strategy_name, "instrument": o.instrument_code,
        "trade": o.trade, "filled": o.filled_trade, "type": o.order_type, "state": o.state.value,
        "flags": _flags(o), "claimed_by": o.locked_by, "children": ",".join(map(str, o.children)),
        "reason": o.reason, "created": o.created_datetime,
    } for o in orders]


def contract_rows(orders: Iterable[ContractOrder]) -> list[Row]:
    return [{
        "id": o.order_id, "parent": o.parent_id, "strategy": o.strategy_name,
        "instrument": o.instrument_code, "legs filled/trade": _legs(o.legs), "type": o.order_type,
        "algo": o.algo, "state": o.state.value, "flags": _flags(o), "claimed_by": o.locked_by,
        "children": ",".join(map(str, o.children)), "created": o.created_datetime,
    } for o in orders]


def broker_rows(orders: Iterable[BrokerOrderRecord]) -> list[Row]:
    return [{
        "id": o.order_id, "parent": o.parent_id, "instrument": o.instrument_code,
        "legs filled/trade": _legs(o.legs), "type": o.order_type, "limit": o.limit_price,
        "broker_id": o.broker_order_id if o.broker_order_id is not None else "(not confirmed sent)",
        "broker_status": o.broker_status, "state": o.state.value, "fills": len(o.fills),
        "comment": o.algo_comment, "submitted": o.submit_datetime,
    } for o in orders]


def strategy_position_rows(positions: Mapping[tuple[str, str], int]) -> list[Row]:
    return [{"strategy": s, "instrument": i, "position": p} for (s, i), p in sorted(positions.items())]


def contract_position_rows(positions: Mapping[tuple[str, str], int]) -> list[Row]:
    return [{"instrument": i, "contract": c, "position": p} for (i, c), p in sorted(positions.items())]


def reconcile_instrument_rows(
    strategy: Mapping[tuple[str, str], int], book: Mapping[tuple[str, str], int],
    broker: Mapping[tuple[str, str], int],
) -> list[Row]:
    """Per instrument: the strategies' positions summed, the contract book summed, the broker
    summed; BREAK where the strategies and the book differ (a fill booked to one and not the
    other, or a balance trade of one kind only) or the book and the broker differ."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for column, positions, part in ((0, strategy, 1), (1, book, 0), (2, broker, 0)):
        for key, position in positions.items():
            totals[key[part]][column] += int(position)
    rows = []
    for instrument, (strategies, contracts, at_broker) in sorted(totals.items()):
        if strategies == contracts == at_broker == 0:
            continue
        why = []
        if strategies != contracts:
            why.append("strategies vs book")
        if contracts != at_broker:
            why.append("book vs broker")
        rows.append({"instrument": instrument, "strategies": strategies, "book": contracts,
                     "broker": at_broker, "break": f"{BREAK}: {', '.join(why)}" if why else ""})
    return rows


def reconcile_contract_rows(book: Mapping[tuple[str, str], int], broker: Mapping[tuple[str, str], int]) -> list[Row]:
    """Per contract: our book against the broker, BREAK where they differ."""
    breaks = position_breaks(book, broker)
    differing = {(b.instrument_code, c) for b in breaks.values() for c, _, _ in b.differences}
    return [{"instrument": i, "contract": c, "book": int(book.get((i, c), 0)),
             "broker": int(broker.get((i, c), 0)), "break": BREAK if (i, c) in differing else ""}
            for i, c in sorted(set(book) | set(broker))]


# --- reading ----------------------------------------------------------------------------------------
def broker_positions(data: DataBlob) -> dict[tuple[str, str], int]:
    return {(p.instrument_code, p.contract_id): int(p.position) for p in data.broker.positions()}


def _show(p: Prompter, title: str, rows: Sequence[Row], empty: str = "(none)") -> None:
    p.write(title)
    p.write(format_rows(rows, empty=empty))


def _confirm(p: Prompter, question: str) -> bool:
    return p.ask_word(f"{question} (Y/N)", ("Y", "N"), "N") == "Y"


def _instrument(data: DataBlob, p: Prompter) -> str:
    code = p.ask("instrument code").upper()
    known = data.multiple_prices.list()
    if code not in known:
        raise DataValidationError(
            f"no instrument '{code}' with prices here; one of {', '.join(known) or '(none: import prices first)'}"
        )
    return code


def _nonzero_trade(p: Prompter, prompt: str) -> int:
    while True:
        trade = p.ask_int(prompt, 0, -MAX_TRADE, MAX_TRADE)
        if trade != 0:
            return trade
        p.write("a trade of 0 does nothing: give a whole number of contracts, negative to sell")


def _strategies(data: DataBlob) -> list[str]:
    named = set(strategy_names(data.config)) | {s for s, _ in data.strategy_positions.all()}
    named |= {o.strategy_name for o in data.instrument_orders.all()}
    named.discard(ROLL_PSEUDO_STRATEGY)
    return sorted(named)


def _strategy(data: DataBlob, p: Prompter, with_roll: bool = False) -> str:
    """A strategy picked from those configured or holding positions; typed when there are none."""
    options = _strategies(data) + ([ROLL_CHOICE] if with_roll else [])
    if not options:
        name = p.ask("strategy name (none configured in strategy_list)")
        if not _STRATEGY_NAME.fullmatch(name):
            raise DataValidationError(
                f"strategy name '{name}' is not allowed: use letters, digits and _ (or configure strategy_list)"
            )
        return name
    chosen = p.choose("strategy (number or name)", options, allow_empty=False)
    assert chosen is not None
    return ROLL_PSEUDO_STRATEGY if chosen == ROLL_CHOICE else chosen


def _instrument_state(data: DataBlob, strategy: str, instrument: str) -> list[str]:
    lines = [
        f"  {strategy} position in {instrument}: {data.strategy_positions.get(strategy, instrument)}",
        f"  still to trade on the stack for {strategy}/{instrument}: "
        f"{data.instrument_orders.outstanding_trade(strategy, instrument)}",
    ]
    reason = data.instrument_locks.reason(instrument)
    if reason is not None:
        lines.append(f"  {instrument} is LOCKED ({reason}): no orders are made for it until the lock is cleared")
    return lines


# --- views ---------------------------------------------------------------------------------------------
def view_instrument_stack(data: DataBlob, p: Prompter) -> None:
    _show(p, "Instrument order stack", instrument_rows(data.instrument_orders.all()), "(empty)")


def view_contract_stack(data: DataBlob, p: Prompter) -> None:
    _show(p, "Contract order stack", contract_rows(data.contract_orders.all()), "(empty)")


def view_broker_stack(data: DataBlob, p: Prompter) -> None:
    _show(p, "Broker order stack", broker_rows(data.broker_orders.all()), "(empty)")


def view_positions(data: DataBlob, p: Prompter) -> None:
    _show(p, "Strategy positions", strategy_position_rows(data.strategy_positions.all()))
    _show(p, "Contract positions (our book)", contract_position_rows(data.contract_positions.all()))


# --- changes -------------------------------------------------------------------------------------------
def create_manual_order(data: DataBlob, p: Prompter) -> None:
    """An instrument order typed by hand (manual flag set); the stack handler works it like any
    other (spawning, trade limits, algo)."""
    strategy = _strategy(data, p)
    instrument = _instrument(data, p)
    trade = _nonzero_trade(p, "trade (contracts; negative sells)")
    order_type = p.choose("order type", MANUAL_ORDER_TYPES, allow_empty=False)
    assert order_type is not None
    limit = None
    if order_type == "limit":
        limit = p.ask_number("limit price", lambda v: True, "a number")
    reason = p.ask("reason", "manual trade")
    order = InstrumentOrder(strategy, instrument, trade, order_type, None, None, limit_price=limit,
                            manual_trade=True, reason=reason)
    p.write("Before:")
    for line in _instrument_state(data, strategy, instrument):
        p.write(line)
    limit_text = f" at {limit:.10g}" if limit is not None else ""
    p.write(f"New manual instrument order: {strategy} {instrument} {trade:+d} {order_type}{limit_text} ({reason})")
    if not _confirm(p, "put it on the instrument order stack?"):
        p.write("not created")
        return
    order_id = data.instrument_orders.add(order, data.clock.now())
    p.write(f"created instrument order {order_id}")
    p.write("After:")
    for line in _instrument_state(data, strategy, instrument):
        p.write(line)


def _contract_choices(data: DataBlob, instrument: str) -> list[str]:
    held = {c for (i, c) in data.contract_positions.all() if i == instrument}
    return sorted(held | {c for c in priced_and_forward(data, instrument) if c})


def _positions_text(data: DataBlob, strategy: str, instrument: str, contract: str,
                    at_broker: dict[tuple[str, str], int] | None) -> list[str]:
    lines = []
    if strategy != ROLL_PSEUDO_STRATEGY:
        lines.append(f"  strategy position {strategy}/{instrument}: {data.strategy_positions.get(strategy, instrument)}")
    lines.append(f"  contract position {instrument}/{contract}: {data.contract_positions.get(instrument, contract)}")
    if at_broker is not None:
        lines.append(f"  broker position {instrument}/{contract}: {at_broker.get((instrument, contract), 0)}")
    return lines


def create_balance_trade(data: DataBlob, p: Prompter) -> None:
    """Record a trade that happened outside the system, to mend a position: the fill is booked to
    the strategy and contract positions (the roll pseudo-strategy: the contract position only) in
    one transaction, as a completed order family with a balance record. Nothing is sent to the
    broker."""
    strategy = _strategy(data, p, with_roll=True)
    instrument = _instrument(data, p)
    contract = p.choose("contract (number or id)", _contract_choices(data, instrument), allow_empty=False)
    assert contract is not None
    trade = _nonzero_trade(p, "traded (contracts; negative for a sale)")
    price = p.ask_number("fill price", lambda v: True, "a number")
    reason = p.ask("reason", "balance trade")
    try:
        at_broker: dict[tuple[str, str], int] | None = broker_positions(data)
    except BrokerError as error:
        p.write(f"(broker positions not available: {error})")
        at_broker = None
    p.write("Before:")
    for line in _positions_text(data, strategy, instrument, contract, at_broker):
        p.write(line)
    changes = "the contract position" if strategy == ROLL_PSEUDO_STRATEGY else "the strategy and contract positions"
    p.write(f"Balance trade: {strategy} {instrument} {contract} {trade:+d} at {price:.10g} ({reason}); "
            f"changes {changes} by {trade:+d}; nothing is sent to the broker")
    if not _confirm(p, "record it?"):
        p.write("not recorded")
        return
    order = InstrumentOrder(strategy, instrument, trade, "balance", None, None, manual_trade=True,
                            roll_order=strategy == ROLL_PSEUDO_STRATEGY, reason=reason)
    order_id = data.instrument_orders.book_balance_trade(order, contract, price, data.clock.now())
    p.write(f"recorded balance trade as instrument order {order_id}")
    p.write("After:")
    for line in _positions_text(data, strategy, instrument, contract, at_broker):
        p.write(line)


def _family(data: DataBlob, stack: str, order_id: int) -> tuple[list[InstrumentOrder], list[ContractOrder], list[BrokerOrderRecord]]:
    """The unfinished orders a cancel of (stack, order_id) acts on: the order and what hangs below it."""
    if stack == "instrument":
        parent = data.instrument_orders.get(order_id)
        kids = [c for c in (data.contract_orders.maybe_get(i) for i in parent.children) if c is not None]
        instruments = [parent]
    elif stack == "contract":
        kids = [data.contract_orders.get(order_id)]
        instruments = []
    else:
        return [], [], [data.broker_orders.get(order_id)]
    records = [b for k in kids for b in (data.broker_orders.maybe_get(i) for i in k.children) if b is not None]
    return ([o for o in instruments if not o.is_finished], [k for k in kids if not k.is_finished],
            [r for r in records if not r.is_finished])


def cancel_order(data: DataBlob, p: Prompter) -> None:
    """Cancel an order and everything working below it: its unfinished contract orders, and its
    broker orders at the broker. Filled parts stay filled; the stack handler books any late fill.
    Cancelling only a broker order leaves its contract order to be sent again."""
    stack = p.choose("which stack", STACKS, allow_empty=False)
    assert stack is not None
    order_id = p.ask_int(f"{stack} order id", 0, 1, 10**12)
    instruments, contracts, records = _family(data, stack, order_id)
    if not (instruments or contracts or records):
        p.write(f"{stack} order {order_id} is already finished; nothing to cancel")
        return
    unsent = [r for r in records if r.broker_order_id is None]
    if unsent:
        raise SysprodError(
            f"broker order(s) {', '.join(str(r.order_id) for r in unsent)} are stored but not confirmed "
            "sent; let the stack handler find them at the broker first, then cancel again"
        )
    p.write("Before:")
    _show_family(p, instruments, contracts, records)
    what = {"instrument": "the instrument order, its contract orders and their broker orders",
            "contract": "the contract order and its broker orders",
            "broker": "the broker order at the broker (its contract order stays, and is sent again)"}[stack]
    if not _confirm(p, f"cancel {what}?"):
        p.write("nothing cancelled")
        return
    now = data.clock.now()
    for record in records:  # at the broker first: a broker that can't be reached stops it here
        answer = data.broker.cancel_order(record.broker_order_id)
        p.write(f"broker order {record.order_id} (broker id {record.broker_order_id}): {answer.status.value} at the broker")
    for order in contracts:
        data.contract_orders.cancel(order.order_id, now)
    for order in instruments:
        data.instrument_orders.cancel(order.order_id, now)
    p.write("After:")
    _show_family(p, [data.instrument_orders.get(o.order_id) for o in instruments],
                 [data.contract_orders.get(o.order_id) for o in contracts],
                 [data.broker_orders.get(o.order_id) for o in records])
    if records:
        p.write("(the stack handler books any fill that came before the cancel, then marks the broker "
                "orders cancelled)")


def _show_family(p: Prompter, instruments: list[InstrumentOrder], contracts: list[ContractOrder],
                 records: list[BrokerOrderRecord]) -> None:
    if instruments:
        p.write(format_rows(instrument_rows(instruments)))
    if contracts:
        p.write(format_rows(contract_rows(contracts)))
    if records:
        p.write(format_rows(broker_rows(records)))


def clear_instrument_lock(data: DataBlob, p: Prompter) -> None:
    locks = data.instrument_locks.all()
    if not locks:
        p.write("no instrument is locked")
        return
    rows = [{"instrument": i, "reason": lock["reason"], "since": lock["time"]} for i, lock in locks.items()]
    p.write(format_rows(rows))
    instrument = p.choose("instrument to unlock (number or code)", list(locks))
    if instrument is None:
        return
    reason = locks[instrument]["reason"]
    p.write(f"Before: {instrument} locked ({reason})")
    if is_break_reason(reason):
        p.write("  this lock was set by the position-break check: while the break lasts it locks the "
                "instrument again on its next pass (mend the position first: reconcile, balance trade)")
    if not _confirm(p, f"clear the lock on {instrument}?"):
        p.write("lock kept")
        return
    data.instrument_locks.unlock(instrument)
    after = data.instrument_locks.reason(instrument)
    p.write(f"After: {instrument} " + ("unlocked" if after is None else f"locked ({after})"))


def release_claim(data: DataBlob, p: Prompter) -> None:
    """Clear an order's claim (`claimed_by`) left by a process that died mid-change."""
    stacks = {"instrument": data.instrument_orders, "contract": data.contract_orders, "broker": data.broker_orders}
    claimed = [(name, o) for name, stack in stacks.items() for o in stack.all() if o.locked_by is not None]
    if not claimed:
        p.write("no order is claimed")
        return
    labels = [f"{name} order {o.order_id} ({o.instrument_code}) claimed by {o.locked_by}" for name, o in claimed]
    chosen = p.choose("order whose claim to clear", labels)
    if chosen is None:
        return
    name, order = claimed[labels.index(chosen)]
    p.write(f"Before: {chosen}")
    p.write("  only clear a claim whose process has died: a live stack handler holding it may act on the order")
    if not _confirm(p, "clear the claim?"):
        p.write("claim kept")
        return
    stacks[name].force_release(order.order_id)
    after = stacks[name].get(order.order_id).locked_by
    p.write(f"After: {name} order {order.order_id} " + ("unclaimed" if after is None else f"claimed by {after}"))


def reconcile(data: DataBlob, p: Prompter) -> None:
    strategy = data.strategy_positions.all()
    book = data.contract_positions.all()
    at_broker = broker_positions(data)
    _show(p, "Positions by instrument (strategies summed | contract book | broker)",
          reconcile_instrument_rows(strategy, book, at_broker), "(no positions anywhere)")
    _show(p, "Positions by contract (contract book | broker)",
          reconcile_contract_rows(book, at_broker), "(no positions anywhere)")
    in_flight = sorted({o.instrument_code for o in data.broker_orders.all() if not o.is_finished})
    if in_flight:
        p.write(f"orders in flight (a difference there may be a fill not yet booked): {', '.join(in_flight)}")
    locks = data.instrument_locks.all()
    if locks:
        p.write("locked: " + "; ".join(f"{i} ({lock['reason']})" for i, lock in locks.items()))


def interactive_order_stack(data: DataBlob, prompter: Prompter | None = None) -> None:
    items = [
        ("view the instrument order stack", view_instrument_stack),
        ("view the contract order stack", view_contract_stack),
        ("view the broker order stack", view_broker_stack),
        ("view strategy and contract positions", view_positions),
        ("create a manual instrument order", create_manual_order),
        ("create a balance trade (recorded, not sent to the broker)", create_balance_trade),
        ("cancel an order", cancel_order),
        ("clear an instrument lock", clear_instrument_lock),
        ("reconcile positions: strategies, contract book, broker", reconcile),
        ("clear an order's stale claim", release_claim),
    ]
    run_menu(
        f"interactive order stack ({data.data_root})",
        [(label, lambda p, fn=fn: fn(data, p)) for label, fn in items],
        prompter or Prompter(),
    )
