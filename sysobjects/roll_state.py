"""Roll states: how the system may trade an instrument around a roll.

| state | meaning |
|---|---|
| No_Roll | normal trading in the priced contract |
| Passive | reduce-only in the priced contract; new positions open in the forward |
| Force | roll the position with calendar-spread orders |
| Force_Outright | roll with two outright orders (when spreads will not fill) |
| Close | only close the priced position; open nothing |
| No_Open | trade only to reduce; no new positions |
| Roll_Adjusted | roll prices onto the next contract (a Panama step), then back to No_Roll |

Roll_Adjusted is only allowed with no position in the priced contract: rolling the prices with a
position left there would leave it in a contract the system no longer prices.
"""

from __future__ import annotations

from enum import StrEnum

from syscore.exceptions import SysprodError


class RollState(StrEnum):
    NO_ROLL = "No_Roll"
    PASSIVE = "Passive"
    FORCE = "Force"
    FORCE_OUTRIGHT = "Force_Outright"
    ROLL_ADJUSTED = "Roll_Adjusted"
    CLOSE = "Close"
    NO_OPEN = "No_Open"

    @classmethod
    def parse(cls, text: str) -> RollState:
        for state in cls:
            if state.value.lower() == text.strip().lower():
                return state
        names = ", ".join(s.value for s in cls)
        raise SysprodError(f"unknown roll state '{text}'; choose one of {names}")


_TRADING_STATES = (
    RollState.NO_ROLL, RollState.PASSIVE, RollState.FORCE, RollState.FORCE_OUTRIGHT,
    RollState.CLOSE, RollState.NO_OPEN,
)


def allowed_next_states(current: RollState, priced_position: int) -> list[RollState]:
    """States a user or the auto-roller may move to from `current`, the recommended one first.

    From Roll_Adjusted the only way is back to No_Roll. Without a position in the priced contract
    Roll_Adjusted is allowed (and recommended); with one it is not.
    """
    if current is RollState.ROLL_ADJUSTED:
        return [RollState.NO_ROLL]
    others = [s for s in _TRADING_STATES if s is not current]
    if priced_position == 0:
        return [RollState.ROLL_ADJUSTED, *others]
    return others


def check_transition(current: RollState, new: RollState, priced_position: int) -> None:
    if new is current:
        return
    if new not in allowed_next_states(current, priced_position):
        if new is RollState.ROLL_ADJUSTED and priced_position != 0:
            raise SysprodError(
                f"cannot go to Roll_Adjusted with {priced_position} contract(s) still held in the "
                "priced contract; roll the position first (Force or Force_Outright)"
            )
        raise SysprodError(f"roll state cannot go from {current.value} to {new.value}")
