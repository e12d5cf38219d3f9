"""Step: roll orders for instruments in Force / Force_Outright.

For each instrument in one of those states with a position in its priced contract (the
contract-position book), one roll order: a zero-size instrument order (type zero_roll, roll
flag set) under the roll pseudo-strategy, with its contract orders already attached (one spread
for Force, two outrights for Force_Outright: `sysexecution.spawning.roll_children`). The parent
and its children are stored in one transaction that first checks the instrument has no
unfinished roll order, so re-running the step (or two handlers at once) never doubles a roll.

Not rolled (listed as waiting): a locked instrument, and one with unfinished contract orders of
its own (their fills would change the position the roll is sized from).
"""

from __future__ import annotations

import logging

from syscore.job_summary import JobSummary
from sysdata.data_blob import DataBlob
from sysexecution.spawning import roll_children
from sysexecution.stack_handler.contracts import priced_and_forward
from sysobjects.orders import ROLL_PSEUDO_STRATEGY, ContractOrder, InstrumentOrder
from sysobjects.roll_state import RollState

log = logging.getLogger(__name__)


def generate_force_roll_orders(data: DataBlob) -> JobSummary:
    summary = JobSummary("generate_force_roll_orders")
    now = data.clock.now()
    waiting: list[str] = []
    instruments = sorted({instrument for instrument, _ in data.contract_positions.all()})
    for instrument in instruments:
        with summary.isolated(instrument, "roll orders"):
            state = data.roll_states.get(instrument).state
            if state not in (RollState.FORCE, RollState.FORCE_OUTRIGHT):
                continue
            priced, forward = priced_and_forward(data, instrument)
            position = data.contract_positions.get(instrument, priced)
            children = roll_children(state, priced, forward, position)
            if not children:
                summary.unchanged.append(instrument)
                continue
            if data.instrument_locks.is_locked(instrument):
                waiting.append(f"{instrument} (locked: {data.instrument_locks.reason(instrument)})")
                summary.unchanged.append(instrument)
                continue
            busy = [o for o in data.contract_orders.active(instrument) if not o.roll_order]
            if busy:
                waiting.append(f"{instrument} ({len(busy)} contract order(s) still working)")
                summary.unchanged.append(instrument)
                continue
            parent = InstrumentOrder(
                ROLL_PSEUDO_STRATEGY, instrument, 0, "zero_roll", None, None, roll_order=True,
                reason=f"{state.value}: roll {position} from {priced} to {forward}",
            )
            kids = [ContractOrder(ROLL_PSEUDO_STRATEGY, instrument, legs, None, order_type="best",
                                  roll_order=True, reason=parent.reason) for legs in children]
            made = data.instrument_orders.add_with_children(parent, kids, now, unless_active_roll=True)
            if made is None:
                summary.unchanged.append(instrument)  # a roll order is already working
                continue
            log.info("%s: %s (instrument order %d)", instrument, parent.reason, made[0])
            summary.updated[instrument] = (
                f"{parent.reason}: {'one spread order' if state is RollState.FORCE else 'two outright orders'}, "
                f"instrument order {made[0]}"
            )
    if waiting:
        summary.note = "waiting: " + "; ".join(waiting)
    return summary
