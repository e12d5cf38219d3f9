"""`python -m sysproduction.update_capital_manual` (pysystemtrade's name; also `sysprod run
update_capital_manual`): look at and correct total capital by hand.

Numbered menu (piped input works, one answer per line): view the stored capital; initialise it
with chosen values; record a withdrawal or deposit so it is not counted as P&L; poll the broker
again and confirm a large change the nightly job held back; delete the entries since a time;
delete everything; change a value of the latest entry. Every change shows the values before and
after and is stored only after a yes; each is one transaction (rules: sysobjects/capital.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from syscore.exceptions import DataValidationError, SysprodError
from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysobjects.capital import (
    COLUMNS,
    SOURCE_CASH_FLOW,
    SOURCE_INITIALISED,
    CapitalBook,
    CapitalEntry,
    CapitalValues,
    apply_cash_flow,
    confirm_valuation,
    initial_values,
)
from sysproduction.interactive.menu import Prompter, run_menu

SHOWN_ENTRIES = 10


def _values_frame(before: CapitalValues | None, after: CapitalValues | None) -> str:
    def column(values: CapitalValues | None) -> list[str]:
        return ["-" if values is None else f"{getattr(values, name):,.2f}" for name in COLUMNS]

    frame = pd.DataFrame({"before": column(before), "after": column(after)}, index=list(COLUMNS))
    return frame.to_string()


def _latest(data: DataBlob) -> CapitalEntry | None:
    return data.total_capital.latest_entry()


def _require_latest(data: DataBlob) -> CapitalEntry:
    latest = _latest(data)
    if latest is None:
        raise DataValidationError("no capital stored yet; initialise it first (menu item 2)")
    return latest


def _apply(
    data: DataBlob, p: Prompter, what: str, before: CapitalValues | None, after: CapitalValues | None,
    change: Callable[[CapitalBook], CapitalBook], expected: CapitalEntry | None,
) -> None:
    """Show before/after, ask, and store `change` only if the latest entry is still the one the
    user saw (the nightly job may have written one meanwhile)."""
    p.write(what)
    p.write(_values_frame(before, after))
    if not p.confirm("apply this change?"):
        p.write("nothing changed")
        return

    def guarded(book: CapitalBook) -> CapitalBook:
        if book.latest != expected:
            raise DataValidationError(
                "capital changed while you were deciding (another process stored an entry); "
                "nothing stored: look again and repeat"
            )
        return change(book)

    with log_context(type="capital"):
        data.total_capital.change(guarded)
    p.write("done")


def view(data: DataBlob, p: Prompter) -> None:
    entries = data.total_capital.entries()
    if entries.empty:
        p.write("no capital stored")
    else:
        shown = entries.tail(SHOWN_ENTRIES)
        shown.index = shown.index.strftime("%Y-%m-%d %H:%M:%S")
        p.write(f"total capital, last {len(shown)} of {len(entries)} entries "
                f"({data.config['base_currency']}, method {data.config['production_capital_method']}):")
        p.write(shown.to_string(float_format=lambda v: f"{v:,.2f}"))
    pending = data.total_capital.pending()
    p.write("pending large change: " + ("none" if pending is None else pending.describe()))


def initialise(data: DataBlob, p: Prompter) -> None:
    book = data.total_capital.book()
    if book.entries:
        p.write(f"{len(book.entries)} entries are stored: initialising replaces all of them")
    try:
        broker_now: float | None = data.broker.account_value(data.config["base_currency"])
    except SysprodError as exc:  # no broker now: the values can still be typed
        p.write(f"the broker's account value is not available ({exc}); type it")
        broker_now = None
    non_negative = (lambda v: v >= 0, "a number of 0 or more")
    broker = p.ask_number("broker account value", lambda v: True, "a number", default=broker_now)
    capital = p.ask_number("total capital", *non_negative, default=max(broker, 0.0))
    maximum = p.ask_number("max capital", *non_negative, default=capital)
    pnl = p.ask_number("accumulated P&L", lambda v: True, "a number", default=0.0)
    values = initial_values(broker, capital, maximum, pnl)
    now = data.clock.now()
    latest = book.latest
    _apply(
        data, p, f"initialise total capital at {now:%Y-%m-%d %H:%M:%S}",
        None if latest is None else latest.values, values,
        lambda _: CapitalBook().with_entry(CapitalEntry(now, values, SOURCE_INITIALISED)), latest,
    )


def cash_flow(data: DataBlob, p: Prompter) -> None:
    latest = _require_latest(data)
    base = data.config["base_currency"]
    amount = p.ask_number(
        f"amount in {base} (positive: deposit, negative: withdrawal)", lambda v: v != 0, "a non-zero number"
    )
    move = p.confirm("change total capital and max capital by the same amount too?")
    values = apply_cash_flow(latest.values, amount, move_capital=move)
    now = data.clock.now()
    kind = "deposit" if amount > 0 else "withdrawal"
    _apply(
        data, p, f"{kind} of {abs(amount):,.2f} {base} (not P&L) at {now:%Y-%m-%d %H:%M:%S}",
        latest.values, values,
        lambda book: book.with_entry(CapitalEntry(now, values, SOURCE_CASH_FLOW)),
        latest,
    )


def confirm_large_change(data: DataBlob, p: Prompter) -> None:
    latest = _require_latest(data)
    pending = data.total_capital.pending()
    p.write("pending large change: " + ("none" if pending is None else pending.describe()))
    base = data.config["base_currency"]
    broker = data.broker.account_value(base)
    now = data.clock.now()
    method = data.config["production_capital_method"]
    _, valuation = confirm_valuation(CapitalBook((latest,)), now, broker, method)
    _apply(
        data, p,
        f"broker account value now {broker:,.2f} {base}: {valuation.change:+.1%} from "
        f"{latest.values.broker_account_value:,.2f}, profit {valuation.profit:+,.2f} ({method})",
        latest.values, valuation.values,
        lambda book: confirm_valuation(book, now, broker, method)[0], latest,
    )


def delete_since(data: DataBlob, p: Prompter) -> None:
    latest = _require_latest(data)
    since = p.ask_datetime("delete the entries at or after")
    book = data.total_capital.book()
    kept = book.without_since(since)
    count = len(book.entries) - len(kept.entries)
    if count == 0:
        p.write(f"no entries at or after {since:%Y-%m-%d %H:%M:%S}; nothing to delete")
        return
    after = kept.latest
    _apply(
        data, p, f"delete {count} of {len(book.entries)} entries (at or after {since:%Y-%m-%d %H:%M:%S}); "
        "the latest entry becomes:",
        latest.values, None if after is None else after.values,
        lambda current: current.without_since(since), latest,
    )


def delete_all(data: DataBlob, p: Prompter) -> None:
    latest = _require_latest(data)
    count = len(data.total_capital.book().entries)
    _apply(
        data, p, f"delete all {count} entries and any pending change (the next run initialises "
        "from the broker)", latest.values, None, lambda _: CapitalBook(), latest,
    )


def change_value(data: DataBlob, p: Prompter) -> None:
    latest = _require_latest(data)
    name = p.choose("which value", list(COLUMNS))
    if name is None:
        return
    current = getattr(latest.values, name)
    allowed = (lambda v: v >= 0, "a number of 0 or more") if name in ("total_capital", "max_capital") \
        else (lambda v: True, "a number")
    new = p.ask_number(f"new {name}", *allowed, default=current)
    values = CapitalValues.from_dict({**latest.values.to_dict(), name: new})
    _apply(
        data, p, f"change {name} of the latest entry ({latest.time:%Y-%m-%d %H:%M:%S})",
        latest.values, values, lambda book: book.with_latest_values(values), latest,
    )


def update_capital_manual(data: DataBlob, prompter: Prompter | None = None) -> None:
    items: list[tuple[str, Callable[[DataBlob, Prompter], None]]] = [
        ("view capital", view),
        ("initialise capital with chosen values", initialise),
        ("record a withdrawal or deposit (not P&L)", cash_flow),
        ("poll the broker and confirm a large change", confirm_large_change),
        ("delete the entries since a time", delete_since),
        ("delete all capital entries", delete_all),
        ("change a value of the latest entry", change_value),
    ]
    run_menu(
        f"update capital manually ({data.data_root})",
        [(label, lambda p, fn=fn: fn(data, p)) for label, fn in items],
        prompter or Prompter(),
    )

