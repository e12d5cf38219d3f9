"""`sysprod broker`: inspect and drive the configured broker; inject faults into the simulated one."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from sysproduction.cli.common import blob_from_context, print_frame

if TYPE_CHECKING:
    import pandas as pd

    from sysbrokers.broker import BrokerOrder

_csv_option = click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout instead of a table.")


def _frame(rows: list[dict], index: str) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows).set_index(index) if rows else pd.DataFrame()


def _legs(order: BrokerOrder) -> str:
    """`20261200` for an outright, `20261200-20270300` for a +1/-1 spread."""
    parts = []
    for leg in order.request.legs:
        ratio = "" if abs(leg.ratio) == 1 else str(abs(leg.ratio))
        sign = "" if not parts else ("+" if leg.ratio > 0 else "-")
        parts.append(f"{sign}{ratio}{leg.contract_id}")
    return "".join(parts)


def _order_row(order: BrokerOrder, full: bool = True) -> dict:
    request = order.request
    row = {
        "id": order.broker_order_id, "instrument": request.instrument_code, "contracts": _legs(order),
        "type": request.order_type.value, "limit": request.limit_price, "qty": request.quantity,
        "filled": order.filled_quantity, "avg_price": order.average_fill_price, "status": order.status.value,
    }
    if full:
        row.update({"submitted": f"{order.submitted_at:%Y-%m-%d %H:%M:%S}", "reason": order.reject_reason,
                    "reference": request.reference})
    return row


@click.group()
def broker() -> None:
    """Inspect and drive the broker (the simulated one by default)."""


@broker.command()
@click.pass_context
def health(ctx: click.Context) -> None:
    """Connection health; exit code 1 when disconnected."""
    state = blob_from_context(ctx).broker.health()
    click.echo(f"{'connected' if state.connected else 'DISCONNECTED'}: {state.detail} (at {state.checked_at:%Y-%m-%d %H:%M:%S})")
    for key, value in state.extra.items():
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value) or "none"
        click.echo(f"  {key}: {value}")
    if not state.connected:
        ctx.exit(1)


@broker.command()
@_csv_option
@click.pass_context
def positions(ctx: click.Context, as_csv: bool) -> None:
    """Every non-zero contract position at the broker."""
    rows = [{"instrument": p.instrument_code, "contract": p.contract_id, "position": p.position}
            for p in blob_from_context(ctx).broker.positions()]
    print_frame(_frame(rows, "instrument"), f"Broker positions ({len(rows)})", as_csv, "instrument")


@broker.command()
@click.option("--all", "show_all", is_flag=True, help="Every order, not only the open ones.")
@_csv_option
@click.pass_context
def orders(ctx: click.Context, show_all: bool, as_csv: bool) -> None:
    """Open orders (or every order with --all)."""
    blob = blob_from_context(ctx)
    found = blob.broker.all_orders() if show_all else blob.broker.open_orders()
    rows = [_order_row(order, full=as_csv) for order in found]
    title = f"{'All' if show_all else 'Open'} broker orders ({len(rows)})"
    print_frame(_frame(rows, "id"), title, as_csv, "id")


@broker.command()
@click.option("--since", type=click.DateTime(), default=None, help="Only fills at or after this time.")
@_csv_option
@click.pass_context
def fills(ctx: click.Context, since: dt.datetime | None, as_csv: bool) -> None:
    """Fills with price, time and commission."""
    rows = [
        {"fill": f.fill_id, "instrument": f.instrument_code, "contract": f.contract_id, "qty": f.quantity,
         "price": f.price, "time": f"{f.time:%Y-%m-%d %H:%M}", "commission": f.commission,
         "ccy": f.commission_currency, **({"reference": f.reference} if as_csv else {})}
        for f in blob_from_context(ctx).broker.fills(since)
    ]
    print_frame(_frame(rows, "fill"), f"Fills ({len(rows)})", as_csv, "fill")


@broker.command()
@click.option("--currency", default=None, help="Report in this currency (default: base_currency).")
@click.pass_context
def account(ctx: click.Context, currency: str | None) -> None:
    """Account value (cash plus positions marked to market), and its parts per currency."""
    blob = blob_from_context(ctx)
    currency = (currency or blob.config["base_currency"]).upper()
    value = blob.broker.account_value(currency)
    click.echo(f"account value: {value:,.2f} {currency} (at {blob.clock.now():%Y-%m-%d %H:%M:%S})")
    parts = getattr(blob.broker, "account_parts", None)
    if parts is not None:
        for ccy, (cash, market) in sorted(parts().items()):
            click.echo(f"  {ccy}: cash {cash:,.2f} + positions at market {market:,.2f} = {cash + market:,.2f}")


@broker.group()
def cash() -> None:
    """Pay cash into or out of the simulated account (a real broker's money moves at the broker)."""


def _move_cash(ctx: click.Context, amount: float, currency: str | None) -> None:
    from syscore.exceptions import ConfigError

    blob = blob_from_context(ctx)
    if blob.config["broker"] != "sim":
        raise ConfigError(
            f"cash moves only in the simulated broker; this installation uses '{blob.config['broker']}'"
        )
    currency = (currency or blob.config["base_currency"]).upper()
    before = blob.broker.account_value(currency)
    blob.broker.deposit(amount, currency)
    after = blob.broker.account_value(currency)
    click.echo(f"account value: {before:,.2f} -> {after:,.2f} {currency}")
    click.echo("record it with update_capital_manual (withdrawal or deposit) so it is not counted as P&L")


_amount = click.argument("amount", type=click.FloatRange(min=0, min_open=True))
_cash_currency = click.option("--currency", default=None, help="Currency of the cash (default: base_currency).")


@cash.command("deposit")
@_amount
@_cash_currency
@click.pass_context
def cash_deposit(ctx: click.Context, amount: float, currency: str | None) -> None:
    """Pay AMOUNT into the simulated account."""
    _move_cash(ctx, amount, currency)


@cash.command("withdraw")
@_amount
@_cash_currency
@click.pass_context
def cash_withdraw(ctx: click.Context, amount: float, currency: str | None) -> None:
    """Take AMOUNT out of the simulated account."""
    _move_cash(ctx, -amount, currency)


@broker.command()
@click.argument("instrument")
@_csv_option
@click.pass_context
def contracts(ctx: click.Context, instrument: str, as_csv: bool) -> None:
    """Contracts of INSTRUMENT trading now, nearest first, with their expiries."""
    live = blob_from_context(ctx).broker
    rows = []
    for contract in live.trading_contracts(instrument):
        details = live.contract_details(instrument, contract)
        rows.append({"contract": contract, "expiry": details.expiry.isoformat(),
                     "pointsize": details.pointsize, "currency": details.currency})
    print_frame(_frame(rows, "contract"), f"{instrument}: contracts trading ({len(rows)})", as_csv, "contract")


@broker.command()
@click.argument("instrument")
@click.argument("contract")
@click.option("--hourly", is_flag=True, help="Hourly bars instead of daily.")
@click.option("--tail", type=int, default=10, show_default=True, help="Last N bars (0 = all).")
@_csv_option
@click.pass_context
def bars(ctx: click.Context, instrument: str, contract: str, hourly: bool, tail: int, as_csv: bool) -> None:
    """Price bars of one contract as the broker serves them (never later than now)."""
    from sysbrokers.broker import BarFrequency

    frequency = BarFrequency.HOURLY if hourly else BarFrequency.DAILY
    frame = blob_from_context(ctx).broker.contract_bars(instrument, contract, frequency)
    frame = frame if tail <= 0 else frame.tail(tail)
    print_frame(frame, f"{instrument} {contract} {'hourly' if hourly else 'daily'} bars", as_csv, "DATETIME")


@broker.command(context_settings={"ignore_unknown_options": True})
@click.argument("instrument")
@click.argument("contract")
@click.argument("quantity", type=int)
@click.option("--limit", "limit_price", type=float, default=None, help="Limit price (default: market order).")
@click.option("--spread-with", "far_contract", default=None,
              help="Make it a calendar spread: +1 CONTRACT, -1 this contract.")
@click.option("--reference", default="manual", show_default=True, help="Your reference, echoed on fills.")
@click.pass_context
def submit(ctx: click.Context, instrument: str, contract: str, quantity: int, limit_price: float | None,
           far_contract: str | None, reference: str) -> None:
    """Submit an order by hand (negative QUANTITY sells), e.g. `broker submit SP500 20261200 2`."""
    from sysbrokers.broker import OrderLeg, OrderRequest, OrderType

    legs = (OrderLeg(contract, 1),) if far_contract is None else (OrderLeg(contract, 1), OrderLeg(far_contract, -1))
    order_type = OrderType.MARKET if limit_price is None else OrderType.LIMIT
    order = blob_from_context(ctx).broker.submit_order(
        OrderRequest(instrument, legs, quantity, order_type, limit_price, reference)
    )
    row = _order_row(order)
    click.echo(
        f"order {row['id']} {row['status']}: {row['qty']} {instrument} {row['contracts']}, filled {row['filled']}"
        + (f" at {row['avg_price']:g}" if row["avg_price"] is not None else "")
        + (f" ({row['reason']})" if row["reason"] else "")
    )


@broker.command()
@click.argument("order_id")
@click.pass_context
def cancel(ctx: click.Context, order_id: str) -> None:
    """Cancel what is left of an open order."""
    order = blob_from_context(ctx).broker.cancel_order(order_id)
    click.echo(f"order {order.broker_order_id}: {order.status.value}, filled {order.filled_quantity} of {order.request.quantity}")


# --- faults -----------------------------------------------------------------------------------
def _fault_book(ctx: click.Context):
    from sysbrokers.sim.faults import FaultBook
    from syscore.exceptions import ConfigError

    blob = blob_from_context(ctx)
    if blob.config["broker"] != "sim":
        raise ConfigError(f"faults exist only for the simulated broker; this installation uses '{blob.config['broker']}'")
    return FaultBook(blob.documents, blob.clock)


@broker.group()
def fault() -> None:
    """Inject faults into the simulated broker (seen by every process of this data root)."""


@fault.command("add")
@click.argument("kind", type=click.Choice(["reject", "disconnect", "stale", "spike", "partial"]))
@click.option("--count", type=int, default=1, show_default=True, help="Orders (reject, partial) or calls it affects.")
@click.option("--instrument", default=None, help="Only this instrument.")
@click.option("--contract", default=None, help="Only this contract (with --instrument).")
@click.option("--pair", default=None, help="An FX pair (stale, spike), e.g. GBPUSD.")
@click.option("--factor", type=float, default=None, help="spike: multiply the latest FINAL by this.")
@click.option("--fraction", type=float, default=None, help="partial: share of each order that fills.")
@click.pass_context
def fault_add(ctx: click.Context, kind: str, count: int, instrument: str | None, contract: str | None,
              pair: str | None, factor: float | None, fraction: float | None) -> None:
    """Add a fault: reject | disconnect | stale | spike | partial."""
    book = _fault_book(ctx)
    added = book.add(kind, count, instrument, contract, pair.upper() if pair else None, factor, fraction)
    click.echo(f"added fault {added.describe()}")


@fault.command("list")
@click.pass_context
def fault_list(ctx: click.Context) -> None:
    """Active faults."""
    book = _fault_book(ctx)
    active = book.list()
    if not active:
        click.echo("no active faults")
    for item in active:
        click.echo(item.describe())


@fault.command("clear")
@click.argument("fault_id", type=int, required=False)
@click.pass_context
def fault_clear(ctx: click.Context, fault_id: int | None) -> None:
    """Remove one fault by id, or every fault when no id is given."""
    book = _fault_book(ctx)
    removed = book.clear(fault_id)
    click.echo(f"removed {removed} fault(s)")
