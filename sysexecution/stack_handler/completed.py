"""Step: move finished order families (instrument order, its contract orders, their broker
orders) from the stacks to the historic stores, each family in one transaction
(`HistoricOrders.archive_family`, which checks inside the transaction that every member is
finished). The stacks are read once to find the candidates, so a loop over a busy stack opens a
write transaction only for families that are done."""

from __future__ import annotations

from collections import defaultdict

from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob
from sysobjects.orders import BrokerOrderRecord, ContractOrder, OrderState, family_is_complete


def handle_completed_orders(data: DataBlob) -> JobSummary:
    summary = JobSummary("handle_completed_orders")
    now = data.clock.now()
    contracts: dict[int, list[ContractOrder]] = defaultdict(list)
    for order in data.contract_orders.all():
        if order.parent_id is not None:
            contracts[order.parent_id].append(order)
    brokers: dict[int, list[BrokerOrderRecord]] = defaultdict(list)
    for record in data.broker_orders.all():
        if record.parent_id is not None:
            brokers[record.parent_id].append(record)
    for order in data.instrument_orders.all():
        if order.state is OrderState.NEW or order.order_id is None:
            continue
        kids = contracts[order.order_id]
        if not family_is_complete(order, kids, [b for k in kids for b in brokers[k.order_id or 0]]):
            continue
        item = f"{order.strategy_name}/{order.instrument_code}/{order.order_id}"
        with summary.isolated(item, "archive"):
            if data.historic_orders.archive_family(order.order_id, now):
                summary.updated[item] = f"{order.state.value if order.is_finished else 'completed'}: moved to historic orders"
    return summary
