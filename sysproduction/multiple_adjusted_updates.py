"""Extending and rolling one instrument's multiple and adjusted prices (stored I/O around the pure
steps in `sysobjects.multiple_prices_update` and `sysobjects.stitching`).

Shared by the nightly job, the auto-roller and the interactive roll tool, so a roll is done one way
only. Writes go multiple prices first, then adjusted prices, then the roll state; every step
checks what is already stored, so a run killed between two writes is completed, never repeated,
by the next run (an adjusted series that lags a roll is re-stitched; a roll already in the
multiple prices is not rolled again).
"""

from __future__ import annotations

import logging

import pandas as pd

from syscore.exceptions import MissingData, SysprodError
from sysdata.data_blob import DataBlob
from sysobjects.contracts import ContractId
from sysobjects.multiple_prices_update import current_contracts, extend_multiple_prices, roll_row
from sysobjects.roll_state import RollState
from sysobjects.stitching import extend_adjusted, panama_stitch

log = logging.getLogger(__name__)


def contract_finals(data: DataBlob, instrument: str, contracts: list[str | None]) -> dict[str, pd.Series]:
    stored = data.contract_prices.for_contracts(instrument, [c for c in contracts if c])
    return {contract: frame["FINAL"] for contract, frame in stored.items()}


def sync_adjusted(data: DataBlob, instrument: str, multiple: pd.DataFrame) -> int:
    """Bring adjusted prices up to the multiple prices: append when no roll lies between, else
    re-stitch (only after a roll, or to repair an interrupted one). Returns rows added."""
    try:
        adjusted = data.adjusted_prices.get(instrument)
    except MissingData:
        adjusted = pd.Series(dtype="float64", name="price")
    new = extend_adjusted(adjusted, multiple)
    if new is None:
        stitched = panama_stitch(multiple).dropna()
        data.adjusted_prices.write(instrument, stitched)
        log.info("%s: adjusted prices re-stitched (%d rows)", instrument, len(stitched))
        return len(stitched) - len(adjusted.dropna())
    if new.empty:
        return 0
    return data.adjusted_prices.append_newer(instrument, new)


def _extend(data: DataBlob, instrument: str) -> tuple[pd.DataFrame, int, int]:
    """Append new multiple-price rows from contract prices, then adjusted rows; returns the
    extended multiple prices and the rows added to each series."""
    multiple = data.multiple_prices.get(instrument)
    finals = contract_finals(data, instrument, list(current_contracts(multiple).values()))
    new_rows = extend_multiple_prices(multiple, finals)
    added = data.multiple_prices.append_newer(instrument, new_rows) if len(new_rows) else 0
    if added:
        multiple = pd.concat([multiple, new_rows])
    return multiple, added, sync_adjusted(data, instrument, multiple)


def extend_instrument(data: DataBlob, instrument: str) -> tuple[int, int]:
    """Append new multiple-price rows from contract prices, then adjusted rows. (rows, rows)"""
    _, added, adjusted = _extend(data, instrument)
    return added, adjusted


def priced_position(data: DataBlob, instrument: str) -> int:
    priced = current_contracts(data.multiple_prices.get(instrument))["PRICE"]
    return data.contract_positions.get(instrument, str(priced))


def roll_instrument(data: DataBlob, instrument: str) -> str:
    """The Panama step of Roll_Adjusted: extend with what is stored, add the roll row, re-stitch
    adjusted prices, and return to No_Roll. Refuses while a position is held in the priced
    contract."""
    record = data.roll_states.get(instrument)
    if record.state is not RollState.ROLL_ADJUSTED:
        raise SysprodError(f"{instrument} is in {record.state.value}, not Roll_Adjusted; nothing to roll")
    multiple, _, _ = _extend(data, instrument)
    contracts = current_contracts(multiple)
    priced = str(contracts["PRICE"])
    if record.roll_from is not None and priced != record.roll_from:
        message = f"already rolled from {record.roll_from} to {priced}"
    else:
        held = data.contract_positions.get(instrument, priced)
        if held:
            raise SysprodError(
                f"{instrument}: {held} contract(s) still held in the priced contract {priced}; roll "
                "the position first (Force or Force_Outright), then Roll_Adjusted"
            )
        roll = data.roll_parameters.get(instrument)
        forward = ContractId.parse(str(contracts["FORWARD"]))
        wanted = [str(roll.next_held(forward)), str(roll.carry_contract(forward))]
        row = roll_row(multiple, roll, contract_finals(data, instrument, wanted))
        data.multiple_prices.append_newer(instrument, row)
        multiple = pd.concat([multiple, row])
        message = f"rolled from {priced} to {row['PRICE_CONTRACT'].iloc[0]} at {row.index[0]}"
    sync_adjusted(data, instrument, multiple)
    data.roll_states.set(instrument, RollState.NO_ROLL, data.clock.now(), f"after roll: {message}")
    log.info("%s: %s; roll state back to No_Roll", instrument, message)
    return message
