"""The auto-roller's rules: which roll state an instrument should be in, and why.

Rules, in order (every change is logged with its reason):

1. Nothing held in the priced contract, and the roll date has come (days to roll <= 0), or the
   forward contract already trades at least `volume_ratio` x the priced contract's volume within
   the passive window → **Roll_Adjusted** (roll the prices; then back to No_Roll).
2. A position held, and expiry is near (days to expiry <= `force_outright_days_to_expiry`), or the
   instrument has been in Force for `max_days_in_force` days without the spread filling →
   **Force_Outright**.
3. A position held and the roll date has come → **Force** (roll it with calendar spreads).
4. A position held and the roll date is within `passive_days` → **Passive** (trade out of the
   priced contract only to reduce; open new positions in the forward).
5. Otherwise the state stays. The roller never steps back (Force never returns to Passive), and it
   leaves a user's Close or No_Open alone except to escalate to Force_Outright near expiry.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sysobjects.roll_state import RollState


@dataclass(frozen=True)
class AutoRollSettings:
    """The roller's thresholds, from the `auto_roll_*` config keys (rules 1-4 above)."""

    passive_days: int = 10  # days before the roll date when a held position goes Passive
    force_outright_days_to_expiry: int = 3
    max_days_in_force: int = 5
    volume_ratio: float = 1.0


@dataclass(frozen=True)
class RollSituation:
    """What the roller knows about one instrument today."""

    state: RollState
    days_to_roll: int
    days_to_expiry: int
    priced_position: int
    days_in_state: int
    priced_volume: float = math.nan
    forward_volume: float = math.nan


_ESCALATION = {
    RollState.NO_ROLL: 0, RollState.PASSIVE: 1, RollState.FORCE: 2, RollState.FORCE_OUTRIGHT: 3,
}


def decide_roll_state(now: RollSituation, settings: AutoRollSettings) -> tuple[RollState, str] | None:
    """The state to move to and the reason, or None to stay."""
    flat = now.priced_position == 0
    if now.state is RollState.ROLL_ADJUSTED:
        return None  # already waiting for the price roll
    if flat:
        if now.days_to_roll <= 0:
            return RollState.ROLL_ADJUSTED, f"no position in the priced contract and roll date reached ({now.days_to_roll} days)"
        volume_moved = (
            not math.isnan(now.priced_volume) and not math.isnan(now.forward_volume)
            and now.forward_volume >= settings.volume_ratio * now.priced_volume
        )
        if volume_moved and now.days_to_roll <= settings.passive_days:
            return RollState.ROLL_ADJUSTED, (
                f"no position in the priced contract and forward volume {now.forward_volume:g} >= "
                f"{settings.volume_ratio:g} x priced volume {now.priced_volume:g}"
            )
        return None
    target: RollState | None = None
    reason = ""
    if now.days_to_expiry <= settings.force_outright_days_to_expiry:
        target, reason = RollState.FORCE_OUTRIGHT, f"{now.priced_position} held with {now.days_to_expiry} days to expiry"
    elif now.state is RollState.FORCE and now.days_in_state >= settings.max_days_in_force:
        target, reason = RollState.FORCE_OUTRIGHT, f"spread roll not done after {now.days_in_state} days in Force"
    elif now.days_to_roll <= 0:
        target, reason = RollState.FORCE, f"{now.priced_position} held and roll date reached ({now.days_to_roll} days)"
    elif now.days_to_roll <= settings.passive_days:
        target, reason = RollState.PASSIVE, f"{now.priced_position} held and {now.days_to_roll} days to roll"
    if target is None or target is now.state:
        return None
    if now.state in (RollState.CLOSE, RollState.NO_OPEN) and target is not RollState.FORCE_OUTRIGHT:
        return None
    if _ESCALATION.get(target, 0) < _ESCALATION.get(now.state, 0):
        return None
    return target, reason


def stale_reason(prices_end: dt.date | None, today: dt.date, max_stale_days: int) -> str | None:
    """Why an instrument's stored prices are too old to act on, or None when they are fresh.

    Prices that stopped years ago make every roll date look "reached" (-1172 days): that is a
    sign the data is not being updated (wrong broker, a dead feed, an old import), not a signal to
    roll. The auto-roller leaves such an instrument alone; a person decides.
    """
    if prices_end is None:
        return None
    age = (today - prices_end).days
    if age <= max_stale_days:
        return None
    return (
        f"stale prices: they end {prices_end:%Y-%m-%d}, {age} days before today "
        f"(max_stale_days {max_stale_days})"
    )
