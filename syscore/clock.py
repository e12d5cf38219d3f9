"""The clock: wall time or a simulated time, used everywhere instead of `datetime.now()`.

A simulated clock lets a week of production run in seconds, and lets tests pin the date. Stored
datetimes are timezone-naive UTC (DESIGN §7), so the clock speaks naive UTC too.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class WallClock:
    """The real time, naive UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class FixedClock:
    """A clock that stays where it is put until moved; for tests and simulation."""

    def __init__(self, start: dt.datetime):
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def set(self, when: dt.datetime) -> None:
        self._now = when

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


_default: Clock = WallClock()


def get_clock() -> Clock:
    """The process-wide clock (wall clock unless a simulated one was installed)."""
    return _default


def set_clock(clock: Clock) -> None:
    global _default
    _default = clock


def now() -> dt.datetime:
    return _default.now()
