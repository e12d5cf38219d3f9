"""The manual price check shared by the historical-price and FX tools.

When the nightly job holds back a series because of a spike, the user goes through the new data
spike by spike: accept the value, use the previous value instead, or type one (a typed value is
spike-checked again, so a typo can't slip through). Everything before the first spike is fine by
definition; after each decision the check continues from the decided value.
"""

from __future__ import annotations

import pandas as pd

from sysobjects.spikes import Spike, find_spikes
from sysproduction.control.menu import Prompter

ACCEPT, PREVIOUS, TYPE = "accept the new value", "use the previous value", "type a value"


def ask_about_spike(prompter: Prompter, what: str, spike: Spike) -> float:
    """One decision for one spike: returns the value the user wants at that time."""
    while True:
        prompter.write(f"SPIKE in {what}: {spike.describe()}")
        choice = prompter.choose("what to keep", [ACCEPT, PREVIOUS, TYPE])
        if choice == ACCEPT:
            return spike.value
        if choice == PREVIOUS:
            return spike.previous_value
        if choice == TYPE:
            text = prompter.ask("value")
            try:
                return float(text)
            except ValueError:
                prompter.write(f"'{text}' is not a number")


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
        value = decide(spike)
        while value not in (spike.value, spike.previous_value):
            again = find_spikes(history, pd.Series([value], index=[pd.Timestamp(spike.time)]), max_spike)
            if not again:
                break
            spike = again[0]
            value = decide(spike)
        resolved = pd.concat([before, pd.Series([value], index=pd.DatetimeIndex([spike.time]))])
        parts.append(resolved)
        accepted = pd.concat([accepted, resolved])
        pending = pending[pending.index > pd.Timestamp(spike.time)]
    if not parts:
        return pending
    out = pd.concat(parts)
    out.index.name = new.index.name
    return out.rename(new.name)
