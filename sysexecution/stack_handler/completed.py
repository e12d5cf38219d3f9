"""Step: move finished order families (instrument order, its contract orders, their broker
orders) from the stacks to the historic stores, each family in one transaction
(`HistoricOrders.archive_family`: only when every member is finished)."""

from __future__ import annotations

from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob


def handle_completed_orders(data: DataBlob) -> JobSummary:
    summary = JobSummary("handle_completed_orders")
    now = data.clock.now()
    for order in data.instrument_orders.all():
        if order.state.value == "new":
            continue
        item = f"{order.strategy_name}/{order.instrument_code}/{order.order_id}"
        with summary.isolated(item, "archive"):
            if data.historic_orders.archive_family(order.order_id, now):
                summary.updated[item] = f"{order.state.value}: moved to historic orders"
    return summary
