"""The capital rules, as pure functions of values (no I/O): how a new broker account value
becomes total capital, maximum capital (the high-water mark) and accumulated P&L.

A valuation compares the new broker account value with the previous stored one: the difference
is the profit (or loss) since then. It is added to accumulated P&L, and
`production_capital_method` decides what it does to capital:

- ``full`` (default): capital += profit; max capital = capital.
- ``half``: capital += profit, but capital never goes above max capital, and max capital stays
  where it was. This is our reading of pysystemtrade's ``half`` (its ``totalCapitalUpdater``):
  max capital is the high-water mark set when capital was initialised (or last changed by hand);
  losses come off capital, profits are added back only up to that mark, and profits above it are
  never traded on (they count in accumulated P&L only).
- ``fixed``: capital does not change; max capital = capital.

Capital never goes below 0 (as in pysystemtrade).

A change of more than `max_capital_change` (a fraction of the previous broker account value,
default 0.10) is not applied: it is usually a broker glitch, a transfer not yet recorded, or a
real disaster, and a person should look before the strategies trade on it. The valuation says so
(`Valuation.large`); the job keeps it as a `PendingChange` for `update_capital_manual` to
confirm.

A withdrawal or deposit is not P&L. It is recorded as its own entry (pysystemtrade's
``adjust_broker_account_for_delta``): the stored broker account value moves by the amount, so
the next valuation measures profit from the adjusted value and the flow never reaches
accumulated P&L. Unlike pysystemtrade, the entry may also move capital (and max capital) by the
same amount, because under ``full`` a withdrawal usually means less money to trade; the caller
chooses (`apply_cash_flow(..., move_capital=...)`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

from syscore.exceptions import DataValidationError

CAPITAL_METHODS: tuple[str, ...] = ("full", "half", "fixed")
DEFAULT_MAX_CAPITAL_CHANGE = 0.10
COLUMNS: tuple[str, ...] = ("broker_account_value", "total_capital", "max_capital", "accumulated_pnl")

# Why an entry was written (shown in the history and the report).
SOURCE_BROKER = "broker"            # a valuation by update_total_capital
SOURCE_INITIALISED = "initialised"  # first run, or initialised by hand
SOURCE_CONFIRMED = "confirmed"      # a large change a person confirmed
SOURCE_CASH_FLOW = "cash flow"      # a withdrawal or deposit
SOURCE_EDITED = "edited"            # values changed by hand


@dataclass(frozen=True)
class CapitalValues:
    """The four numbers of one stored valuation, in base currency."""

    broker_account_value: float
    total_capital: float
    max_capital: float
    accumulated_pnl: float

    def __post_init__(self) -> None:
        values = (self.broker_account_value, self.total_capital, self.max_capital, self.accumulated_pnl)
        if (all(type(v) is float or type(v) is int for v in values) and math.isfinite(sum(values))
                and self.total_capital >= 0 and self.max_capital >= 0):
            return  # the usual case, checked cheaply (a book holds tens of thousands of entries)
        for name in COLUMNS:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise DataValidationError(f"capital: {name} is {value!r}; give a finite number")
        for name in ("total_capital", "max_capital"):
            if getattr(self, name) < 0:
                raise DataValidationError(f"capital: {name} is {getattr(self, name)}; it cannot be negative")

    def to_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in COLUMNS}

    @classmethod
    def from_dict(cls, values: dict[str, float]) -> CapitalValues:
        return cls(**{name: float(values[name]) for name in COLUMNS})


@dataclass(frozen=True)
class CapitalEntry:
    """One stored valuation: when, the values, and why it was written."""

    time: dt.datetime
    values: CapitalValues
    source: str


@dataclass(frozen=True)
class PendingChange:
    """A large change held back by the job, waiting for a person to confirm it."""

    time: dt.datetime
    broker_account_value: float
    previous_broker_account_value: float
    change: float  # fraction of the previous broker account value, signed

    def describe(self) -> str:
        return (
            f"broker account value {self.broker_account_value:,.2f} at {self.time:%Y-%m-%d %H:%M} "
            f"is {self.change:+.1%} from {self.previous_broker_account_value:,.2f}"
        )


@dataclass(frozen=True)
class Valuation:
    """The outcome of one valuation step: the values that would be stored, and whether the
    change is too large to apply without a person's confirmation."""

    previous: CapitalValues
    values: CapitalValues
    profit: float
    change: float  # profit as a fraction of the previous broker account value (inf from 0)
    large: bool


def check_method(method: str) -> str:
    if method not in CAPITAL_METHODS:
        raise DataValidationError(
            f"production_capital_method is {method!r}; set it to one of {', '.join(CAPITAL_METHODS)}"
        )
    return method


def initial_values(
    broker_account_value: float,
    total_capital: float | None = None,
    max_capital: float | None = None,
    accumulated_pnl: float = 0.0,
) -> CapitalValues:
    """The first valuation: capital and max capital default to the broker account value, P&L 0."""
    capital = broker_account_value if total_capital is None else total_capital
    return CapitalValues(
        broker_account_value=broker_account_value,
        total_capital=capital,
        max_capital=capital if max_capital is None else max_capital,
        accumulated_pnl=accumulated_pnl,
    )


def relative_change(previous_broker_value: float, profit: float) -> float:
    """Profit as a fraction of the previous broker account value; from 0, any profit is infinite."""
    if previous_broker_value > 0:
        return profit / previous_broker_value
    return 0.0 if profit == 0 else math.copysign(math.inf, profit)


def capital_after_profit(previous: CapitalValues, profit: float, method: str) -> tuple[float, float]:
    """(total capital, max capital) after `profit`, by `method` (see the module docstring)."""
    check_method(method)
    if method == "full":
        capital = max(previous.total_capital + profit, 0.0)
        return capital, capital
    if method == "half":
        capital = max(min(previous.total_capital + profit, previous.max_capital), 0.0)
        return capital, previous.max_capital
    return previous.total_capital, previous.total_capital  # fixed


def value_capital(
    previous: CapitalValues,
    new_broker_account_value: float,
    method: str = "full",
    max_change: float = DEFAULT_MAX_CAPITAL_CHANGE,
) -> Valuation:
    """One valuation step. `large` is True when |profit| is more than `max_change` of the
    previous broker account value: the caller must then not store `values` unless a person has
    confirmed them."""
    if not math.isfinite(new_broker_account_value):
        raise DataValidationError(
            f"broker account value is {new_broker_account_value!r}; the broker gave no usable value"
        )
    profit = new_broker_account_value - previous.broker_account_value
    capital, max_capital = capital_after_profit(previous, profit, method)
    values = CapitalValues(
        broker_account_value=new_broker_account_value,
        total_capital=capital,
        max_capital=max_capital,
        accumulated_pnl=previous.accumulated_pnl + profit,
    )
    change = relative_change(previous.broker_account_value, profit)
    return Valuation(previous, values, profit, change, large=abs(change) > max_change)


def apply_cash_flow(previous: CapitalValues, amount: float, move_capital: bool) -> CapitalValues:
    """A deposit (amount > 0) or withdrawal (amount < 0), which is not P&L: the stored broker
    account value moves by `amount`, accumulated P&L does not. With `move_capital`, total and
    max capital move by the same amount (never below 0)."""
    if not math.isfinite(amount) or amount == 0:
        raise DataValidationError(f"cash flow is {amount!r}; give a non-zero amount (negative to withdraw)")
    moved = replace(previous, broker_account_value=previous.broker_account_value + amount)
    if not move_capital:
        return moved
    return replace(
        moved,
        total_capital=max(previous.total_capital + amount, 0.0),
        max_capital=max(previous.max_capital + amount, 0.0),
    )


@dataclass(frozen=True)
class CapitalBook:
    """Everything stored about total capital: the entries in time order, and the large change
    waiting for confirmation (if any). Changed only through the methods below, which return a new
    book, so the repository can apply a change inside one transaction."""

    entries: tuple[CapitalEntry, ...] = ()
    pending: PendingChange | None = None

    @property
    def latest(self) -> CapitalEntry | None:
        return self.entries[-1] if self.entries else None

    def with_entry(self, entry: CapitalEntry, clear_pending: bool = True) -> CapitalBook:
        """Append an entry (not before the latest one); storing a valuation settles any pending
        change, since the next valuation is measured from the new entry."""
        latest = self.latest
        if latest is not None and entry.time < latest.time:
            raise DataValidationError(
                f"capital entry at {entry.time:%Y-%m-%d %H:%M:%S} is before the latest stored one "
                f"({latest.time:%Y-%m-%d %H:%M:%S}); delete the later entries first"
            )
        return CapitalBook(self.entries + (entry,), None if clear_pending else self.pending)

    def with_pending(self, pending: PendingChange | None) -> CapitalBook:
        return CapitalBook(self.entries, pending)

    def with_latest_values(self, values: CapitalValues) -> CapitalBook:
        """Replace the latest entry's values (a correction by hand), keeping its time."""
        latest = self.latest
        if latest is None:
            raise DataValidationError("no capital stored to change; initialise it first")
        return CapitalBook(self.entries[:-1] + (CapitalEntry(latest.time, values, SOURCE_EDITED),), self.pending)

    def without_since(self, since: dt.datetime) -> CapitalBook:
        """Drop the entries at or after `since` (and a pending change from then on)."""
        kept = tuple(e for e in self.entries if e.time < since)
        pending = self.pending if self.pending is not None and self.pending.time < since else None
        return CapitalBook(kept, pending)


def book_after_valuation(
    book: CapitalBook, time: dt.datetime, broker_account_value: float, method: str, max_change: float
) -> tuple[CapitalBook, Valuation | None]:
    """What one poll of the broker does to the book, and the valuation (None when it initialised):

    - nothing stored: initialise (capital = max capital = broker account value, P&L 0);
    - a change of at most `max_change`: store the valuation (settling any pending change);
    - a larger one: store nothing but the pending change (replacing an older pending one), for a
      person to confirm."""
    latest = book.latest
    if latest is None:
        return book.with_entry(CapitalEntry(time, initial_values(broker_account_value), SOURCE_INITIALISED)), None
    valuation = value_capital(latest.values, broker_account_value, method, max_change)
    if valuation.large:
        pending = PendingChange(time, broker_account_value, latest.values.broker_account_value, valuation.change)
        return book.with_pending(pending), valuation
    return book.with_entry(CapitalEntry(time, valuation.values, SOURCE_BROKER)), valuation


def confirm_valuation(
    book: CapitalBook, time: dt.datetime, broker_account_value: float, method: str
) -> tuple[CapitalBook, Valuation]:
    """A person's confirmation of a (large) change: store the valuation whatever its size."""
    latest = book.latest
    if latest is None:
        raise DataValidationError("no capital stored to value against; initialise it first")
    valuation = value_capital(latest.values, broker_account_value, method, math.inf)
    return book.with_entry(CapitalEntry(time, valuation.values, SOURCE_CONFIRMED)), valuation


def allocation_check(weights: dict[str, float]) -> dict[str, float]:
    """Strategy weights, checked: none negative or missing, at least one above 0."""
    if not weights:
        raise DataValidationError(
            "strategy_capital_allocation.strategy_weights is empty; give each strategy a weight"
        )
    checked: dict[str, float] = {}
    for name, weight in weights.items():
        try:
            value = float(weight)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise DataValidationError(
                f"strategy_capital_allocation.strategy_weights.{name} is {weight!r}; give a weight of 0 or more"
            )
        checked[str(name)] = value
    if sum(checked.values()) <= 0:
        raise DataValidationError(
            "strategy_capital_allocation.strategy_weights are all 0; give at least one strategy a weight"
        )
    return checked


def allocate_by_weights(total_capital: float, weights: dict[str, float]) -> dict[str, float]:
    """Each strategy's capital: total capital x its weight / the sum of the weights.

    Normalised as pysystemtrade's ``weighted_strategy_allocation`` does, so all of total capital
    is allocated and a pysystemtrade config works as it is: weights 0.6/0.4, 60/40 and 3/2 all
    give 60% and 40%."""
    checked = allocation_check(weights)
    total_weight = sum(checked.values())
    return {name: total_capital * weight / total_weight for name, weight in checked.items()}
