"""The spike-checked write shared by the FX and contract price jobs.

New values are judged against the stored history (`sysobjects.spikes.find_spikes`); if any is a
spike nothing of that series is written, and a CRITICAL record (which emails the user) names the
item, the time, the value and the threshold, so the user can run the manual check.
"""

from __future__ import annotations

import logging

import pandas as pd

from sysobjects.spikes import Spike, find_spikes

log = logging.getLogger(__name__)


def newer_than(frame: pd.DataFrame | pd.Series, existing: pd.DataFrame | pd.Series | None):
    """Rows of `frame` stamped after the last stored row (all of them when nothing is stored)."""
    if existing is None or len(existing) == 0:
        return frame
    return frame[frame.index > existing.index[-1]]


def spikes_in(existing: pd.Series | None, new: pd.Series, max_spike: float) -> list[Spike]:
    if existing is None:
        return []
    return find_spikes(existing, new, max_spike)


def report_spikes(what: str, spikes: list[Spike], max_spike: float) -> str:
    """Log each spike at CRITICAL (emailed) and return a one-line summary."""
    for spike in spikes:
        log.critical(
            "price spike in %s, not written: %s (max_price_spike %g); check it with the manual "
            "price check", what, spike.describe(), max_spike,
        )
    first = spikes[0]
    return f"{len(spikes)} spike(s), first {first.value:g} at {first.time:%Y-%m-%d %H:%M:%S} > threshold {first.threshold:.6g}"
