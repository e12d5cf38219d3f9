"""Job: bring multiple prices up to the contract prices of the current PRICE/FORWARD/CARRY
contracts, re-deriving the rows from the earliest bar that arrived since the last run (so a late
bar fills its row), then adjusted prices (rows move with PRICE; no re-stitch), and carry out the
Panama step for instruments in Roll_Adjusted (priced from both contracts at one timestamp).

The job's I/O and orchestration live here, around the pure steps in
`sysobjects.multiple_prices_update` and `sysobjects.stitching`. `extend_instrument` and
`roll_instrument` are also used by the auto-roller and the interactive roll tool, so a roll is done
one way only.

Each run re-derives the rows from the earliest contract bar that arrived since the last run (the
instrument's watermark: what the last run consumed of each current contract's prices), so a bar
that comes late (accepted after a spike check, or written while this job was running) fills its
row instead of leaving a hole for good. Rows before that point are kept exactly as stored, and the
watermark moves only after both series are written, so a killed run is simply done again.

A roll is priced from the two contracts' own stored prices at one timestamp (`price_roll`); its
differential is recorded before the roll row is written. Writes go: differential, multiple prices,
adjusted prices, roll state; every step checks what is already stored, so a run killed between two
writes is completed, never repeated, by the next run (an adjusted series that lags a roll is
shifted by the recorded differential; a roll already in the multiple prices is not rolled again).

Run: `sysprod run update_multiple_adjusted_prices` or
`python -m sysproduction.update_multiple_adjusted_prices`.
"""

from __future__ import annotations

import logging

import pandas as pd

from syscore.exceptions import MissingData, SysprodError
from sysdata.data_blob import DataBlob
from sysdata.repos.prices import PriceWatermarks
from sysdata.repos.roll_state import RollDifferentials
from syslogdiag import log_context
from sysobjects.contracts import ContractId
from sysobjects.multiple_prices_update import (
    bars_seen,
    current_contracts,
    earliest_change,
    price_roll,
    rederive_multiple_prices,
    roll_row,
    rows_differing,
)
from sysobjects.roll_state import RollState
from sysobjects.stitching import extend_adjusted, panama_stitch
from sysproduction.jobs.summary import JobSummary, traded_instruments

log = logging.getLogger(__name__)


def contract_finals(data: DataBlob, instrument: str, contracts: list[str | None]) -> dict[str, pd.Series]:
    stored = data.contract_prices.for_contracts(instrument, [c for c in contracts if c])
    return {contract: frame["FINAL"] for contract, frame in stored.items()}


def _write_series(data: DataBlob, instrument: str, old: pd.Series, new: pd.Series) -> int:
    """Store `new` adjusted prices: append when it only adds rows after `old`, else rewrite it
    whole (atomically). Returns the rows added or changed."""
    prefix = new.iloc[: len(old)]
    if len(new) >= len(old) and prefix.index.equals(old.index) and prefix.equals(old.astype("float64")):
        tail = new.iloc[len(old):]
        return data.adjusted_prices.append_newer(instrument, tail) if len(tail) else 0
    data.adjusted_prices.write(instrument, new)
    aligned = old.reindex(new.index)
    return int((~(aligned == new) & ~(aligned.isna() & new.isna())).sum())


def sync_adjusted(
    data: DataBlob, instrument: str, multiple: pd.DataFrame, since: pd.Timestamp | None = None
) -> int:
    """Bring adjusted prices up to the multiple prices, re-deriving rows from `since` on: rows move
    with PRICE, a roll shifts the history by its recorded differential; a full re-stitch only when
    neither is possible (an adjusted series missing, or a roll with no recorded differential).
    Returns rows added or changed."""
    try:
        adjusted = data.adjusted_prices.get(instrument)
    except MissingData:
        adjusted = pd.Series(dtype="float64", name="price", index=pd.DatetimeIndex([]))
    recorded = RollDifferentials(data.documents).for_instrument(instrument)
    new = extend_adjusted(adjusted, multiple, since, recorded)
    if new is None:
        stitched = panama_stitch(multiple, recorded).dropna()
        data.adjusted_prices.write(instrument, stitched)
        log.info("%s: adjusted prices re-stitched (%d rows)", instrument, len(stitched))
        return len(stitched) - len(adjusted.dropna())
    return _write_series(data, instrument, adjusted, new)


def _extend(data: DataBlob, instrument: str) -> tuple[pd.DataFrame, int, int]:
    """Re-derive multiple-price rows from the earliest contract bar new since the last run (only
    the rows after the last one when no run has left a watermark yet), then adjusted rows; move
    the watermark. Returns the multiple prices and the rows added or changed in each series."""
    multiple = data.multiple_prices.get(instrument)
    finals = contract_finals(data, instrument, list(current_contracts(multiple).values()))
    watermarks = PriceWatermarks(data.documents)
    seen = watermarks.get(instrument)
    since = None if seen is None else earliest_change(finals, seen)
    rebuilt, begin = rederive_multiple_prices(multiple, finals, since)
    stored_tail, new_tail = multiple[multiple.index >= begin], rebuilt[rebuilt.index >= begin]
    changed = rows_differing(stored_tail, new_tail)
    head = new_tail.iloc[: len(stored_tail)]
    if head.index.equals(stored_tail.index) and rows_differing(stored_tail, head) == 0:
        if len(new_tail) > len(stored_tail):  # only new rows after the last one
            data.multiple_prices.append_newer(instrument, new_tail.iloc[len(stored_tail):])
    else:  # rows filled or corrected: rewrite (atomically), the rows before `begin` as they were
        data.multiple_prices.write(instrument, rebuilt)
        log.info("%s: multiple prices re-derived from %s (%d row(s) changed)", instrument, begin, changed)
    adjusted = sync_adjusted(data, instrument, rebuilt, begin)
    watermarks.set(instrument, bars_seen(finals))
    return rebuilt, changed, adjusted


def extend_instrument(data: DataBlob, instrument: str) -> tuple[int, int]:
    """Bring multiple and adjusted prices up to the contract prices. (rows, rows)"""
    _, added, adjusted = _extend(data, instrument)
    return added, adjusted


def priced_position(data: DataBlob, instrument: str) -> int:
    priced = current_contracts(data.multiple_prices.get(instrument))["PRICE"]
    return data.contract_positions.get(instrument, str(priced))


def _roll(data: DataBlob, instrument: str, multiple: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Price the roll at one timestamp, record its differential, append the roll row."""
    contracts = current_contracts(multiple)
    priced, forward = str(contracts["PRICE"]), str(contracts["FORWARD"])
    roll = data.roll_parameters.get(instrument)
    forward_id = ContractId.parse(forward)
    wanted = [priced, forward, str(roll.next_held(forward_id)), str(roll.carry_contract(forward_id))]
    finals = contract_finals(data, instrument, wanted)
    pricing = price_roll(
        instrument, priced, finals.get(priced), forward, finals.get(forward), data.clock.now(),
        float(data.config["roll_max_price_gap_days"]),
    )
    row = roll_row(multiple, roll, finals)
    RollDifferentials(data.documents).record(instrument, row.index[0], pricing)
    data.multiple_prices.append_newer(instrument, row)
    message = (
        f"rolled from {priced} to {forward} at {row.index[0]} (differential {pricing.differential:g}: "
        f"{forward} {pricing.new_price:g} - {priced} {pricing.old_price:g} at {pricing.time})"
    )
    return pd.concat([multiple, row]), message


def roll_instrument(data: DataBlob, instrument: str) -> str:
    """The Panama step of Roll_Adjusted: extend with what is stored, add the roll row, shift
    adjusted prices, and return to No_Roll. Refuses while a position is held in the priced
    contract, or when the two contracts have no recent prices at the same time."""
    record = data.roll_states.get(instrument)
    if record.state is not RollState.ROLL_ADJUSTED:
        raise SysprodError(f"{instrument} is in {record.state.value}, not Roll_Adjusted; nothing to roll")
    multiple, _, _ = _extend(data, instrument)
    priced = str(current_contracts(multiple)["PRICE"])
    if record.roll_from is not None and priced != record.roll_from:
        message = f"already rolled from {record.roll_from} to {priced}"
    else:
        held = data.contract_positions.get(instrument, priced)
        if held:
            raise SysprodError(
                f"{instrument}: {held} contract(s) still held in the priced contract {priced}; roll "
                "the position first (Force or Force_Outright), then Roll_Adjusted"
            )
        multiple, message = _roll(data, instrument, multiple)
    sync_adjusted(data, instrument, multiple)
    data.roll_states.set(instrument, RollState.NO_ROLL, data.clock.now(), f"after roll: {message}")
    log.info("%s: %s; roll state back to No_Roll", instrument, message)
    return message


def update_multiple_adjusted_prices(data: DataBlob, instruments: list[str] | None = None) -> JobSummary:
    summary = JobSummary("update_multiple_adjusted_prices")
    for instrument in traded_instruments(data, summary):
        if instruments is not None and instrument not in instruments:
            continue
        with log_context(instrument_code=instrument, type="multiple_adjusted_prices"), \
                summary.isolated(instrument, "multiple/adjusted prices"):
            rows, adjusted = extend_instrument(data, instrument)
            notes = [f"{rows} multiple row(s), {adjusted} adjusted row(s)"] if rows or adjusted else []
            if data.roll_states.get(instrument).state is RollState.ROLL_ADJUSTED:
                notes.append(roll_instrument(data, instrument))
            if notes:
                summary.updated[instrument] = "; ".join(notes)
            else:
                summary.unchanged.append(instrument)
    return summary
