"""Which contracts to collect prices for.

We need prices for today's PRICE, FORWARD and CARRY contracts, and — before the roll comes — for
the contracts the roll will move to (the next FORWARD after the current one, and the CARRY that
goes with the new PRICE), so the roll row has prices to use. Older contracts stop being sampled
once they have expired or fall behind the priced contract.
"""

from __future__ import annotations

import datetime as dt

from sysobjects.contracts import ContractId
from sysobjects.roll_parameters import RollParameters


def contracts_to_sample(current: dict[str, str | None], roll: RollParameters) -> list[str]:
    """Contract ids to sample, sorted: current PRICE/FORWARD/CARRY and the next roll's contracts."""
    wanted = {c for c in current.values() if c}
    forward = current.get("FORWARD")
    if forward:
        forward_id = ContractId.parse(forward)
        wanted.add(str(roll.next_held(forward_id)))
        wanted.add(str(roll.carry_contract(forward_id)))
    return sorted(wanted)


def should_stop_sampling(
    contract: str, expiry: dt.date | None, priced: str, wanted: list[str], today: dt.date
) -> bool:
    """Stop when not wanted any more and either expired or older than the priced contract."""
    if contract in wanted:
        return False
    expired = expiry is not None and expiry < today
    return expired or ContractId.parse(contract) < ContractId.parse(priced)
