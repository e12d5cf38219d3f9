"""The clock: wall time or a simulated time, used everywhere instead of `datetime.now()`.

A simulated clock lets a week of production run in seconds, and lets tests pin the date. Stored
datetimes are timezone-naive UTC (DESIGN §7), so the clock speaks naive UTC too. There is no
process-wide clock: the DataBlob carries its installation's clock, and code that needs the time
is given one.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Protocol

from syscore.exceptions import SysprodError
from syscore.fileio import atomic_write_text


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


class SharedSimClock:
    """A simulated time kept in a small JSON file, so every process of one installation agrees.

    Cron jobs and the stack handler are separate processes; when an installation runs on simulated
    time (config `clock: simulated`), they must all see the same "now", and a command
    (`sysprod control clock advance 1d`) moves it for all of them. Until first set, the file is
    absent and the clock reads the wall time, so a fresh sandbox starts "today".
    """

    def __init__(self, path: Path):
        self.path = Path(path)

    def now(self) -> dt.datetime:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return WallClock().now()
        except OSError as exc:
            raise SysprodError(
                f"cannot read the simulated clock {self.path} ({exc.strerror}); check the data root"
            ) from None
        return dt.datetime.fromisoformat(json.loads(text)["now"])

    def set(self, when: dt.datetime) -> None:
        try:
            atomic_write_text(self.path, json.dumps({"now": when.isoformat()}), fsync=False)
        except OSError as exc:
            raise SysprodError(
                f"cannot move the simulated clock: {self.path} is not writable ({exc.strerror}); "
                "make the data root writable"
            ) from None

    def advance(self, delta: dt.timedelta) -> None:
        self.set(self.now() + delta)


SIM_CLOCK_FILE = "sim_clock.json"


def clock_for_installation(kind: str, data_root: Path) -> Clock:
    """The clock an installation's config names: `wall` or `simulated` (shared via a file)."""
    if kind == "simulated":
        return SharedSimClock(Path(data_root) / SIM_CLOCK_FILE)
    return WallClock()
