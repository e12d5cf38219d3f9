"""Spawning rules: which contract orders an instrument order becomes, given the roll state.

Pure functions of values (no I/O); the stack handler's steps read the roll state, the priced and
forward contracts and the contract positions, and store what these rules return.

Our reading of pysystemtrade's behaviour (its stack handler splits an instrument order by roll
state in the same way), with the two states it added later made precise here:

| roll state | children of a strategy's instrument order (trade `t`, priced position `p`) |
|---|---|
| No_Roll | all of `t` in the priced contract |
| Passive | no position in priced, or `t` increases it: all in the forward. A reducing `t` that leaves `p` at zero or the same side: all in priced. One that crosses zero: `-p` in priced (closing it) and the rest in the forward (opening there) |
| Force, Force_Outright, Roll_Adjusted | none yet: the order waits on the stack (new) while the position is rolled (the roll orders of `roll_children`); it is spawned once the state allows trading again |
| Close | only the closing part, in the priced contract: at most `-p`, never past zero; an order with nothing to close is cancelled; the opening part is dropped (said in the reason) |
| No_Open | only reducing trades, nothing opened: the reducing part goes first to the priced contract (up to `-p`), then to the forward (up to minus the forward position); what would open or grow a position is dropped |

A zero trade has nothing to spawn: the order is completed as it is.

Roll orders (`roll_children`): Force → one calendar-spread contract order (sell the priced
position, buy it in the forward, or the reverse for a short), Force_Outright → the same two legs as
two outright contract orders, each worked on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from syscore.exceptions import DataValidationError
from sysobjects.orders import ContractLeg, OrderState
from sysobjects.roll_state import RollState

_WAITING_STATES = (RollState.FORCE, RollState.FORCE_OUTRIGHT, RollState.ROLL_ADJUSTED)


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


@dataclass(frozen=True)
class SpawnDecision:
    """What to do with one new instrument order."""

    children: tuple[tuple[ContractLeg, ...], ...]  # the legs of each contract order to create
    note: str  # why, for the log and the order's reason
    wait: bool = False  # leave the order new and try again later
    finish_state: OrderState | None = None  # with no children: how the order ends

    @property
    def trades(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for legs in self.children:
            for leg in legs:
                out[leg.contract_id] = out.get(leg.contract_id, 0) + leg.trade
        return out


def _outrights(*pairs: tuple[str, int]) -> tuple[tuple[ContractLeg, ...], ...]:
    return tuple((ContractLeg(contract, trade),) for contract, trade in pairs if trade != 0)


def _closing_part(trade: int, position: int) -> int:
    """The part of `trade` that reduces `position` toward zero, never past it."""
    if position == 0 or _sign(trade) == _sign(position) or trade == 0:
        return 0
    return _sign(trade) * min(abs(trade), abs(position))


def _need_forward(state: RollState, priced: str, forward: str | None) -> str:
    if not forward or forward == priced:
        raise DataValidationError(
            f"roll state {state.value} trades the forward contract, but there is none distinct from "
            f"the priced contract {priced}; check the multiple prices or set the roll state to No_Roll"
        )
    return forward


def child_trades(
    state: RollState, trade: int, priced: str, forward: str | None,
    priced_position: int, forward_position: int = 0,
) -> SpawnDecision:
    """Split an instrument order's `trade` into contract orders by roll `state` (module docstring)."""
    if trade == 0:
        return SpawnDecision((), "zero trade: nothing to spawn", finish_state=OrderState.COMPLETED)
    if state in _WAITING_STATES:
        return SpawnDecision((), f"roll state {state.value}: waiting until the roll is done", wait=True)
    if state is RollState.NO_ROLL:
        return SpawnDecision(_outrights((priced, trade)), f"No_Roll: all in priced {priced}")
    if state is RollState.PASSIVE:
        fwd = _need_forward(state, priced, forward)
        p = priced_position
        if p == 0 or _sign(trade) == _sign(p):
            return SpawnDecision(_outrights((fwd, trade)), f"Passive: opening trade in forward {fwd}")
        if abs(trade) <= abs(p):
            return SpawnDecision(_outrights((priced, trade)), f"Passive: closing trade in priced {priced}")
        return SpawnDecision(
            _outrights((priced, -p), (fwd, trade + p)),
            f"Passive: close {-p} in priced {priced}, open {trade + p} in forward {fwd}",
        )
    if state is RollState.CLOSE:
        closing = _closing_part(trade, priced_position)
        if closing == 0:
            return SpawnDecision((), f"Close: nothing to close in priced {priced} (position {priced_position})",
                                 finish_state=OrderState.CANCELLED)
        dropped = trade - closing
        note = f"Close: {closing} closing in priced {priced}"
        return SpawnDecision(_outrights((priced, closing)),
                             note + (f"; opening part {dropped} not traded" if dropped else ""))
    if state is RollState.NO_OPEN:
        in_priced = _closing_part(trade, priced_position)
        in_forward = 0
        if forward and forward != priced:
            in_forward = _closing_part(trade - in_priced, forward_position)
        if in_priced == 0 and in_forward == 0:
            return SpawnDecision((), "No_Open: nothing to reduce; opening trades are not allowed",
                                 finish_state=OrderState.CANCELLED)
        dropped = trade - in_priced - in_forward
        parts = [f"{t} in {c}" for c, t in ((priced, in_priced), (forward, in_forward)) if t]
        note = "No_Open: reducing " + ", ".join(parts)
        return SpawnDecision(_outrights((priced, in_priced), (forward or priced, in_forward)),
                             note + (f"; opening part {dropped} not traded" if dropped else ""))
    raise DataValidationError(f"roll state {state.value} is not one orders can be spawned in")


def roll_children(
    state: RollState, priced: str, forward: str | None, priced_position: int,
) -> tuple[tuple[ContractLeg, ...], ...]:
    """The contract orders that roll `priced_position` from the priced to the forward contract:
    one spread for Force, two outrights for Force_Outright, none in other states or when flat."""
    if state not in (RollState.FORCE, RollState.FORCE_OUTRIGHT) or priced_position == 0:
        return ()
    fwd = _need_forward(state, priced, forward)
    legs = (ContractLeg(priced, -priced_position), ContractLeg(fwd, priced_position))
    if state is RollState.FORCE:
        return (legs,)
    return tuple((leg,) for leg in legs)


def price_in_other_contract(
    price: float, from_prices: pd.Series, to_prices: pd.Series,
) -> float | None:
    """A price quoted for one contract, moved to another by their differential on the latest
    date both have a price (as pysystemtrade adjusts reference and limit prices for a child in a
    different contract). None when they share no priced date."""
    both = pd.concat([from_prices, to_prices], axis=1, join="inner").dropna()
    if both.empty:
        return None
    last = both.iloc[-1]
    moved = float(price) + float(last.iloc[1]) - float(last.iloc[0])
    return None if math.isnan(moved) else moved
