"""The manual price check shared by the historical-price and FX tools.

When the nightly job holds back a series because of a spike, the user goes through the new data
spike by spike: accept the value, use the previous value instead, or type one (a typed value is
spike-checked again, so a typo can't slip through). Everything before the first spike is fine by
definition; after each decision the check continues from the decided value.

A typed value must be a finite number (an FX rate also positive): `nan` or `inf` would be stored
as a price, or, for a contract bar, leave the spike itself in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from syscore.exceptions import DataValidationError
from sysobjects.spikes import Spike, find_spikes
from sysproduction.interactive.menu import Prompter

ACCEPT, PREVIOUS, TYPE = "accept the new value", "use the previous value", "type a value"


def any_finite(value: float) -> bool:
    """A futures price may be zero or negative (spreads, and oil in April 2020)."""
    return math.isfinite(value)


def positive_finite(value: float) -> bool:
    """An FX rate is always above zero."""
    return math.isfinite(value) and value > 0


FUTURES_VALUE = (any_finite, "a finite number, e.g. 2231.5")
FX_VALUE = (positive_finite, "a finite number above 0, e.g. 1.2716")


def ask_about_spike(
    prompter: Prompter, what: str, spike: Spike, typed: tuple[Callable[[float], bool], str] = FUTURES_VALUE
) -> float:
    """One decision for one spike: returns the value the user wants at that time. A typed value
    must pass `typed` (a check and the words for it); anything else is asked again."""
    prompter.write(f"SPIKE in {what}: {spike.describe()}")
    choice = prompter.choose("what to keep", [ACCEPT, PREVIOUS, TYPE], allow_empty=False)
    if choice == ACCEPT:
        return spike.value
    if choice == PREVIOUS:
        return spike.previous_value
    allowed, rule = typed
    return prompter.ask_number("value", allowed, rule)


def _finite(value: float, spike: Spike) -> float:
    """A decision is stored as a price, so it must be a number (a NaN would also pass the spike
    check, since nothing is compared with it)."""
    if not math.isfinite(value):
        raise DataValidationError(f"the value decided for {spike.time} is {value}; a price must be a finite number")
    return float(value)


def review_new_values(
    existing: pd.Series, new: pd.Series, max_spike: float, decide
) -> pd.Series:
    """`new` with every spike resolved by `decide(spike) -> value`; a decided value that is itself
    a spike (only a typed one can be) is put to `decide` again."""
    accepted = existing.dropna()
    pending = new.dropna().astype("float64")
    parts: list[pd.Series] = []
    while len(pending):
        spikes = find_spikes(accepted, pending, max_spike)
        if not spikes:
            parts.append(pending)
            break
        spike = spikes[0]
        before = pending[pending.index < pd.Timestamp(spike.time)]
        history = pd.concat([accepted, before])
        value = _finite(decide(spike), spike)
        while value not in (spike.value, spike.previous_value):
            again = find_spikes(history, pd.Series([value], index=[pd.Timestamp(spike.time)]), max_spike)
            if not again:
                break
            spike = again[0]
            value = _finite(decide(spike), spike)
        resolved = pd.concat([before, pd.Series([value], index=pd.DatetimeIndex([spike.time]))])
        parts.append(resolved)
        accepted = pd.concat([accepted, resolved])
        pending = pending[pending.index > pd.Timestamp(spike.time)]
    if not parts:
        return pending
    out = pd.concat(parts)
    out.index.name = new.index.name
    return out.rename(new.name)
