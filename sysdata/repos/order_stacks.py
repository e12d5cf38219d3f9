"""The order stacks (instrument, contract, broker orders), the historic stores, and the fill
ledger, in the DocumentStore.

Concurrency rules, so two processes can never both act on one order:

- a change to ONE order is a compare-and-set against the document as it was read (`modify`,
  `claim`, `release`, `cancel`...): if another process changed it in between, the change is
  recomputed from the fresh document, and a change whose precondition no longer holds (already
  claimed, already spawned, already finished) is refused (returns None / False);
- a change to SEVERAL documents (spawning children, storing a broker order under its contract
  order, booking a fill, archiving a family) is one `DocumentStore.transaction()`, which checks
  its precondition inside the transaction: all of it happens once, or nothing does;
- a fill is booked with its id in the fill ledger (`applied_fills`), in the same transaction as
  the orders it rolls up to and the positions it changes: a fill seen again (a replayed poll, a
  restart after a kill) finds its id there and changes nothing.

Ids: each stack numbers its orders from its own counter (strictly increasing across processes);
the key of an order document is its id as 12 digits, so key order is id order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Generic, TypeVar

from syscore.exceptions import ConcurrencyError, DataValidationError, MissingData
from sysdata.repos.contract_positions import ContractPositions
from sysdata.repos.strategy_positions import StrategyPositions
from sysdata.stores.documents import DocumentStore, Transaction
from sysobjects.orders import (
    ROLL_PSEUDO_STRATEGY,
    BrokerOrderRecord,
    ContractLeg,
    ContractOrder,
    FillRecord,
    InstrumentOrder,
    OrderState,
    family_is_complete,
)

INSTRUMENT = "instrument_orders"
CONTRACT = "contract_orders"
BROKER = "broker_orders"
HISTORIC_INSTRUMENT = "historic_instrument_orders"
HISTORIC_CONTRACT = "historic_contract_orders"
HISTORIC_BROKER = "historic_broker_orders"
FILL_LEDGER = "applied_fills"
ID_FIELD = "order_id"
_CAS_ATTEMPTS = 200

Order = TypeVar("Order", InstrumentOrder, ContractOrder, BrokerOrderRecord)


def order_key(order_id: int) -> str:
    return f"{int(order_id):012d}"


def _new_doc(order: Any, when: dt.datetime | None) -> dict[str, Any]:
    doc = order.to_dict()
    doc.pop(ID_FIELD, None)
    if doc.get("created_datetime") is None and when is not None:
        doc["created_datetime"] = when.isoformat()
    return doc


class _OrderStack(Generic[Order]):
    COLLECTION: str
    HISTORIC: str
    KIND: str
    ORDER: Any

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    # --- reading ----------------------------------------------------------------------------
    def get(self, order_id: int) -> Order:
        doc = self._docs.get(self.COLLECTION, order_key(order_id))
        if doc is None:
            raise MissingData(
                f"no {self.KIND} order {order_id} on the stack (a finished one is in the historic "
                "orders); list the stack with interactive_order_stack"
            )
        return self.ORDER.from_dict(doc)

    def maybe_get(self, order_id: int) -> Order | None:
        doc = self._docs.get(self.COLLECTION, order_key(order_id))
        return None if doc is None else self.ORDER.from_dict(doc)

    def all(self) -> list[Order]:
        return [self.ORDER.from_dict(doc) for _, doc in self._docs.items(self.COLLECTION)]

    def ids(self) -> list[int]:
        return [int(key) for key in self._docs.keys(self.COLLECTION)]

    def _find(self, **equals: Any) -> list[Order]:
        equals = {k: v for k, v in equals.items() if v is not None}
        return [self.ORDER.from_dict(doc) for doc in self._docs.find(self.COLLECTION, **equals)]

    def in_state(self, state: OrderState) -> list[Order]:
        return self._find(state=state.value)

    # --- one-order changes (compare-and-set) ------------------------------------------------
    def add(self, order: Order, when: dt.datetime | None = None) -> int:
        """Store a new order (atomic insert); returns its id."""
        if order.order_id is not None:
            raise DataValidationError(f"{self.KIND} order already has id {order.order_id}; add a new order")
        return self._docs.insert_with_id(self.COLLECTION, _new_doc(order, when), ID_FIELD)

    def modify(self, order_id: int, change: Callable[[Order], Order | None]) -> Order | None:
        """Replace the order by `change(order)` with one compare-and-set; `change` returning None
        refuses (precondition not met) and nothing is written. If another process changed the
        order in between, `change` is applied again to the fresh order."""
        key = order_key(order_id)
        for _ in range(_CAS_ATTEMPTS):
            raw = self._docs.get(self.COLLECTION, key)
            if raw is None:
                raise MissingData(f"no {self.KIND} order {order_id} on the stack")
            new = change(self.ORDER.from_dict(raw))
            if new is None:
                return None
            if new.order_id != order_id:
                raise DataValidationError(f"{self.KIND} order {order_id}: a change may not alter its id")
            if self._docs.compare_and_set(self.COLLECTION, key, raw, new.to_dict()):
                return new
        raise ConcurrencyError(f"{self.KIND} order {order_id}: changed by others {_CAS_ATTEMPTS} times in a row")

    def claim(self, order_id: int, by: str) -> bool:
        """Take the order for work (e.g. `by="stack_handler:1234"`). Exactly one of several
        claimants succeeds; a finished order can't be claimed."""
        def change(order: Order) -> Order | None:
            if order.locked_by is not None or order.is_finished:
                return None
            return replace(order, locked_by=by)
        return self.modify(order_id, change) is not None

    def release(self, order_id: int, by: str) -> bool:
        """Give back a claim; only its holder can."""
        def change(order: Order) -> Order | None:
            return replace(order, locked_by=None) if order.locked_by == by else None
        return self.modify(order_id, change) is not None

    def force_release(self, order_id: int) -> bool:
        """Clear a claim whatever holds it (after its process died: a person's or restart's call)."""
        def change(order: Order) -> Order | None:
            return replace(order, locked_by=None) if order.locked_by is not None else None
        return self.modify(order_id, change) is not None

    def set_state(
        self, order_id: int, state: OrderState, when: dt.datetime, *,
        from_states: Iterable[OrderState] | None = None,
    ) -> bool:
        """Move the order to `state` if it is in one of `from_states` (default: any unfinished)."""
        allowed = set(from_states) if from_states is not None else {
            s for s in OrderState if not s.is_finished
        }

        def change(order: Order) -> Order | None:
            if order.state not in allowed or order.state is state:
                return None
            done = when if state.is_finished else order.completed_datetime
            return replace(order, state=state, completed_datetime=done)
        return self.modify(order_id, change) is not None

    def cancel(self, order_id: int, when: dt.datetime) -> bool:
        """Cancel an unfinished order (any filled part stays filled); False if already finished."""
        return self.set_state(order_id, OrderState.CANCELLED, when)

    def deactivate(self, order_id: int, when: dt.datetime) -> bool:
        return self.set_state(order_id, OrderState.DEACTIVATED, when)


# --------------------------------------------------------------------------------------------
class InstrumentOrderStack(_OrderStack[InstrumentOrder]):
    COLLECTION = INSTRUMENT
    HISTORIC = HISTORIC_INSTRUMENT
    KIND = "instrument"
    ORDER = InstrumentOrder

    def active(self, strategy: str | None = None, instrument: str | None = None) -> list[InstrumentOrder]:
        """Orders not yet finished (completed, cancelled or deactivated)."""
        return [o for o in self._find(strategy_name=strategy, instrument_code=instrument) if not o.is_finished]

    def outstanding_trade(self, strategy: str, instrument: str) -> int:
        """What active orders of the strategy still want to trade: sum of trade - filled."""
        return sum(o.remaining for o in self.active(strategy, instrument))

    def new_orders(self) -> list[InstrumentOrder]:
        return self.in_state(OrderState.NEW)

    def spawn_children(
        self, order_id: int, children: list[ContractOrder], when: dt.datetime, *,
        finish_state: OrderState | None = None, reason: str = "",
    ) -> list[int] | None:
        """Store `children` under a NEW instrument order and move it to in_progress, in one
        transaction. With no children, `finish_state` (completed or cancelled, with `reason`)
        finishes the order instead. None when the order is no longer new (another process
        spawned or cancelled it first): nothing is written."""
        key = order_key(order_id)
        with self._docs.transaction() as tx:
            raw = tx.get(INSTRUMENT, key)
            if raw is None:
                raise MissingData(f"no instrument order {order_id} on the stack")
            parent = InstrumentOrder.from_dict(raw)
            if parent.state is not OrderState.NEW or parent.locked_by is not None:
                return None
            ids = [tx.insert_with_id(CONTRACT, _new_doc(replace(c, parent_id=order_id), when), ID_FIELD)
                   for c in children]
            if ids:
                new = replace(parent, children=parent.children + tuple(ids), state=OrderState.IN_PROGRESS)
            elif finish_state is not None:
                new = replace(parent, state=finish_state, completed_datetime=when,
                              reason=(f"{parent.reason}; {reason}" if parent.reason else reason))
            else:
                return []
            tx.put(INSTRUMENT, key, new.to_dict())
        return ids

    def add_with_children(
        self, order: InstrumentOrder, children: list[ContractOrder], when: dt.datetime, *,
        unless_active_roll: bool = False,
    ) -> tuple[int, list[int]] | None:
        """Store an instrument order already split into contract orders (roll orders), all in
        one transaction. With `unless_active_roll`, None (nothing written) when the instrument
        already has an unfinished roll order: running the roll step twice never doubles a roll."""
        with self._docs.transaction() as tx:
            if unless_active_roll:
                existing = tx.find(INSTRUMENT, instrument_code=order.instrument_code, roll_order=True)
                if any(not OrderState(d["state"]).is_finished for d in existing):
                    return None
            state = OrderState.IN_PROGRESS if children else order.state
            parent_id = tx.insert_with_id(INSTRUMENT, _new_doc(replace(order, state=state), when), ID_FIELD)
            ids = [tx.insert_with_id(CONTRACT, _new_doc(replace(c, parent_id=parent_id), when), ID_FIELD)
                   for c in children]
            doc = tx.get(INSTRUMENT, order_key(parent_id))
            assert doc is not None
            tx.put(INSTRUMENT, order_key(parent_id), {**doc, "children": ids})
        return parent_id, ids

    def book_balance_trade(
        self, order: InstrumentOrder, contract_id: str, price: float, when: dt.datetime,
    ) -> int:
        """Record a trade that happened outside the system (to mend a position): a completed
        family (instrument, contract and broker order with one fill) and the position changes,
        in one transaction. Nothing is sent to a broker. Returns the instrument order id.
        A roll-order balance (roll pseudo-strategy) changes the contract position only."""
        if order.order_type != "balance":
            raise DataValidationError(f"balance trade in {order.instrument_code}: order type must be 'balance'")
        if order.trade == 0:
            raise DataValidationError(f"balance trade in {order.instrument_code}: trade is zero; nothing to record")
        with self._docs.transaction() as tx:
            parent_id = tx.insert_with_id(INSTRUMENT, _new_doc(order, when), ID_FIELD)
            fill = FillRecord(f"balance-{parent_id}", contract_id, order.trade, float(price), when)
            contract = ContractOrder(order.strategy_name, order.instrument_code,
                                     (ContractLeg(contract_id, order.trade),), parent_id,
                                     order_type="market", algo="balance", roll_order=order.roll_order,
                                     manual_trade=True, reason=order.reason)
            contract_id_ = tx.insert_with_id(CONTRACT, _new_doc(contract, when), ID_FIELD)
            record = BrokerOrderRecord(order.strategy_name, order.instrument_code,
                                       (ContractLeg(contract_id, order.trade),), contract_id_,
                                       algo_comment="balance trade: not sent to a broker",
                                       roll_order=order.roll_order, submit_datetime=when)
            broker_id = tx.insert_with_id(BROKER, _new_doc(record, when), ID_FIELD)
            tx.put(CONTRACT, order_key(contract_id_),
                   replace(contract, order_id=contract_id_, children=(broker_id,),
                           state=OrderState.IN_PROGRESS, created_datetime=when).to_dict())
            tx.put(INSTRUMENT, order_key(parent_id),
                   replace(order, order_id=parent_id, children=(contract_id_,),
                           state=OrderState.IN_PROGRESS, created_datetime=when).to_dict())
            _book_fill(tx, broker_id, fill, when)
        return parent_id


# --------------------------------------------------------------------------------------------
class ContractOrderStack(_OrderStack[ContractOrder]):
    COLLECTION = CONTRACT
    HISTORIC = HISTORIC_CONTRACT
    KIND = "contract"
    ORDER = ContractOrder

    def active(self, instrument: str | None = None) -> list[ContractOrder]:
        return [o for o in self._find(instrument_code=instrument) if not o.is_finished]

    def children_of(self, instrument_order_id: int) -> list[ContractOrder]:
        return self._find(parent_id=int(instrument_order_id))

    def add_broker_order(
        self, contract_order_id: int, record: BrokerOrderRecord, when: dt.datetime,
    ) -> int | None:
        """Store a broker order record (not yet sent: no broker id) under its contract order, and
        mark the contract order in progress, in one transaction, BEFORE anything goes to the
        broker. None (nothing written) when the contract order is finished, claimed by another
        process than `record.locked_by`, or still has an unfinished broker order: a contract
        order is worked by one broker order at a time, so two makers can't both send one."""
        key = order_key(contract_order_id)
        with self._docs.transaction() as tx:
            raw = tx.get(CONTRACT, key)
            if raw is None:
                raise MissingData(f"no contract order {contract_order_id} on the stack")
            parent = ContractOrder.from_dict(raw)
            if parent.is_finished or parent.locked_by not in (None, record.locked_by):
                return None
            for child in parent.children:
                doc = tx.get(BROKER, order_key(child))
                if doc is not None and not OrderState(doc["state"]).is_finished:
                    return None
            new_id = tx.insert_with_id(
                BROKER, _new_doc(replace(record, parent_id=contract_order_id, locked_by=None), when), ID_FIELD
            )
            tx.put(CONTRACT, key, replace(parent, children=parent.children + (new_id,),
                                          state=OrderState.IN_PROGRESS).to_dict())
        return new_id


# --------------------------------------------------------------------------------------------
class BrokerOrderStack(_OrderStack[BrokerOrderRecord]):
    COLLECTION = BROKER
    HISTORIC = HISTORIC_BROKER
    KIND = "broker"
    ORDER = BrokerOrderRecord

    def active(self, instrument: str | None = None) -> list[BrokerOrderRecord]:
        return [o for o in self._find(instrument_code=instrument) if not o.is_finished]

    def children_of(self, contract_order_id: int) -> list[BrokerOrderRecord]:
        return self._find(parent_id=int(contract_order_id))

    def working(self) -> list[BrokerOrderRecord]:
        """Unfinished records that were sent (have a broker id): the ones whose fills to poll."""
        return [o for o in self.active() if o.broker_order_id is not None]

    def unsent(self) -> list[BrokerOrderRecord]:
        """Unfinished records with no broker id: stored, and maybe sent before a crash (find them
        at the broker by reference = our order id before sending again)."""
        return [o for o in self.active() if o.broker_order_id is None]

    def mark_submitted(
        self, order_id: int, broker_order_id: str, status: str, when: dt.datetime,
    ) -> BrokerOrderRecord | None:
        """Record the broker's id and status once sent; None if it already has a different id."""
        def change(order: BrokerOrderRecord) -> BrokerOrderRecord | None:
            if order.broker_order_id not in (None, broker_order_id):
                return None
            state = OrderState.IN_PROGRESS if order.state is OrderState.NEW else order.state
            return replace(order, broker_order_id=broker_order_id, broker_status=status,
                           submit_datetime=order.submit_datetime or when, state=state)
        return self.modify(order_id, change)

    def fill_is_booked(self, fill_id: str) -> bool:
        return self._docs.get(FILL_LEDGER, fill_id) is not None

    def apply_fill(self, order_id: int, fill: FillRecord, when: dt.datetime) -> bool:
        """Book one broker fill: the broker record, its contract order and instrument order, the
        contract position and the strategy position (not for roll orders), and the fill ledger,
        in ONE transaction. False (nothing changes) when this fill id was booked before.
        Orders already moved to the historic stores (a late fill after a cancel) are updated
        where they are, so no fill is ever lost."""
        with self._docs.transaction() as tx:
            return _book_fill(tx, order_id, fill, when)


def _locate(tx: Transaction, active: str, historic: str, order_id: int, kind: str) -> tuple[str, dict[str, Any]]:
    key = order_key(order_id)
    for collection in (active, historic):
        doc = tx.get(collection, key)
        if doc is not None:
            return collection, doc
    raise MissingData(f"no {kind} order {order_id}, active or historic")


def _book_fill(tx: Transaction, order_id: int, fill: FillRecord, when: dt.datetime) -> bool:
    if tx.get(FILL_LEDGER, fill.fill_id) is not None:
        return False
    where, doc = _locate(tx, BROKER, HISTORIC_BROKER, order_id, "broker")
    record = BrokerOrderRecord.from_dict(doc).with_fill(fill)
    tx.put(where, order_key(order_id), record.to_dict())
    if record.parent_id is None:
        raise DataValidationError(f"broker order {order_id} has no contract order; can't book fill {fill.fill_id}")
    where, doc = _locate(tx, CONTRACT, HISTORIC_CONTRACT, record.parent_id, "contract")
    contract = ContractOrder.from_dict(doc).with_fill(fill.contract_id, fill.quantity, fill.price, fill.time)
    tx.put(where, order_key(record.parent_id), contract.to_dict())
    parent_id = contract.parent_id
    strategy = contract.strategy_name
    roll = contract.roll_order
    if parent_id is not None:
        where, doc = _locate(tx, INSTRUMENT, HISTORIC_INSTRUMENT, parent_id, "instrument")
        parent = InstrumentOrder.from_dict(doc).with_fill(fill.quantity, fill.price, fill.time)
        tx.put(where, order_key(parent_id), parent.to_dict())
        strategy, roll = parent.strategy_name, parent.roll_order
    contract_position = ContractPositions.change_in(
        tx, record.instrument_code, fill.contract_id, fill.quantity, fill.fill_id
    )
    if not roll and strategy != ROLL_PSEUDO_STRATEGY:
        StrategyPositions.change_in(tx, strategy, record.instrument_code, fill.quantity, fill.fill_id)
    tx.put(FILL_LEDGER, fill.fill_id, {
        **fill.to_dict(), "broker_order": order_id, "contract_order": record.parent_id,
        "instrument_order": parent_id, "instrument_code": record.instrument_code,
        "strategy_name": strategy, "contract_position_after": contract_position,
        "booked_datetime": when.isoformat(),
    })
    return True


# --------------------------------------------------------------------------------------------
class HistoricOrders:
    """Finished order families, moved off the stacks whole (for reports and checks)."""

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def _since(self, collection: str, order_class: Any, since: dt.datetime | None) -> list[Any]:
        out = []
        for _, doc in self._docs.items(collection):
            done = doc.get("completed_datetime")
            if since is None or (done is not None and dt.datetime.fromisoformat(done) >= since):
                out.append(order_class.from_dict(doc))
        return out

    def instrument_orders(self, since: dt.datetime | None = None) -> list[InstrumentOrder]:
        return self._since(HISTORIC_INSTRUMENT, InstrumentOrder, since)

    def contract_orders(self, since: dt.datetime | None = None) -> list[ContractOrder]:
        return self._since(HISTORIC_CONTRACT, ContractOrder, since)

    def broker_orders(self, since: dt.datetime | None = None) -> list[BrokerOrderRecord]:
        return self._since(HISTORIC_BROKER, BrokerOrderRecord, since)

    def fills(self, since: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Every booked fill (the ledger), oldest first, with the orders it rolled up to."""
        rows = [doc for _, doc in self._docs.items(FILL_LEDGER)
                if since is None or dt.datetime.fromisoformat(doc["time"]) >= since]
        return sorted(rows, key=lambda d: (d["time"], d["fill_id"]))

    def archive_family(self, instrument_order_id: int, when: dt.datetime) -> bool:
        """Move a complete family (see `sysobjects.orders.family_is_complete`) from the stacks to
        the historic stores in one transaction; an in-progress parent whose children are all
        finished is marked completed. False (nothing moved) when the family is not complete."""
        key = order_key(instrument_order_id)
        with self._docs.transaction() as tx:
            raw = tx.get(INSTRUMENT, key)
            if raw is None:
                return False
            parent = InstrumentOrder.from_dict(raw)
            kids = [ContractOrder.from_dict(d) for d in
                    (tx.get(CONTRACT, order_key(c)) for c in parent.children) if d is not None]
            grandkids = [BrokerOrderRecord.from_dict(d) for d in
                         (tx.get(BROKER, order_key(b)) for k in kids for b in k.children) if d is not None]
            if not family_is_complete(parent, kids, grandkids):
                return False
            if not parent.is_finished:
                parent = replace(parent, state=OrderState.COMPLETED)
            if parent.completed_datetime is None:
                parent = replace(parent, completed_datetime=when)
            parent = replace(parent, locked_by=None)
            for active, historic, order in (
                [(INSTRUMENT, HISTORIC_INSTRUMENT, parent)]
                + [(CONTRACT, HISTORIC_CONTRACT, k) for k in kids]
                + [(BROKER, HISTORIC_BROKER, g) for g in grandkids]
            ):
                if order.completed_datetime is None:
                    order = replace(order, completed_datetime=when)
                tx.put(historic, order_key(order.order_id), order.to_dict())
                tx.delete(active, order_key(order.order_id))
        return True
