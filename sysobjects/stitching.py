"""Panama stitching: back-adjusted prices from multiple prices, vectorised.

At each change of PRICE_CONTRACT the whole history before it is shifted by the roll
differential, FORWARD − PRICE on the last row before the change where both are priced and the
FORWARD contract is the one rolled into (the price gap between the contract we roll into and the
one we leave, seen at the same time). So the adjusted price on row t is PRICE_t plus the sum of
the differentials of every roll after t: a reversed cumulative sum, not a loop.

A roll done by the daily job records its own differential (taken from the two contracts' stored
prices at one timestamp); `panama_stitch` and `extend_adjusted` take such recorded differentials
in preference to reading them off the multiple prices.

This is the one home of the Panama adjustment: `panama_stitch` for a whole history (the import,
the synthetic market, a re-stitch) and `extend_adjusted` for the daily job's new rows and rolls,
which stitches only the new rows (with `panama_stitch`) and shifts the stored ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from syscore.exceptions import DataValidationError


def roll_rows(price_contract: pd.Series) -> np.ndarray:
    """Boolean mask: True on rows whose PRICE_CONTRACT differs from the row before."""
    codes, _ = pd.factorize(price_contract, use_na_sentinel=True)
    changed = np.zeros(len(codes), dtype=bool)
    if len(codes) > 1:
        changed[1:] = codes[1:] != codes[:-1]
    return changed


def _contract_codes(multiple: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """PRICE_CONTRACT and FORWARD_CONTRACT as integer codes of one shared table (-1: missing), so
    comparing contracts is integer work, not Python string objects (a reference history has
    tens of thousands of rows)."""
    n = len(multiple)
    both = pd.concat([multiple["PRICE_CONTRACT"], multiple["FORWARD_CONTRACT"]], ignore_index=True)
    codes, _ = pd.factorize(both, use_na_sentinel=True)
    return codes[:n], codes[n:]


def roll_differentials(multiple: pd.DataFrame) -> pd.Series:
    """FORWARD − PRICE before each roll, indexed by the roll row's timestamp.

    Both prices come from one row (never a stale FORWARD paired with a later PRICE), the last row
    before the roll on which both are priced and whose FORWARD_CONTRACT is the contract rolled
    into (a FORWARD of an earlier forward contract is never used)."""
    price_contract, forward_contract = _contract_codes(multiple)
    changed = np.zeros(len(price_contract), dtype=bool)
    changed[1:] = price_contract[1:] != price_contract[:-1]
    rolls = np.flatnonzero(changed)
    forward = multiple["FORWARD"].to_numpy(dtype="float64")
    price = multiple["PRICE"].to_numpy(dtype="float64")
    diffs = np.full(len(rolls), np.nan)
    if len(rolls):
        # each row before a roll, compared with the contract that roll goes into (vectorised: the
        # rows of one segment all belong to the roll that ends it)
        segment = np.searchsorted(rolls, np.arange(rolls[-1]), side="right")
        usable = (
            ~np.isnan(forward[: rolls[-1]]) & ~np.isnan(price[: rolls[-1]])
            & (forward_contract[: rolls[-1]] == price_contract[rolls][segment])
        )
        # the last usable row at or before each row; a roll takes it if it lies in its segment
        last_usable = np.maximum.accumulate(np.where(usable, np.arange(rolls[-1]), -1))
        starts = np.r_[0, rolls[:-1]]
        candidate = last_usable[rolls - 1]
        found = candidate >= starts
        diffs[found] = forward[candidate[found]] - price[candidate[found]]
    result = pd.Series(diffs, index=multiple.index[rolls], name="roll_differential")
    if result.isna().any():
        n = int(np.flatnonzero(np.isnan(diffs))[0])
        raise DataValidationError(
            f"cannot stitch: before the roll at {result.index[n]} to "
            f"{multiple['PRICE_CONTRACT'].iloc[rolls[n]]} no row "
            "has both a PRICE and a FORWARD of that contract; fill in the forward price on the last "
            "day of the old contract"
        )
    return result


def panama_stitch(multiple: pd.DataFrame, recorded: pd.Series | None = None) -> pd.Series:
    """Back-adjusted price series (name `price`) from a validated multiple-prices frame.

    A row with no PRICE stays missing (no price is invented). `recorded` (roll row timestamp ->
    differential) overrides the differential of the rolls it names: those the daily roll priced
    from the contracts' own stored prices.
    """
    if multiple.empty:
        return pd.Series(dtype="float64", name="price")
    price = multiple["PRICE"].to_numpy(dtype="float64")
    changed = roll_rows(multiple["PRICE_CONTRACT"])
    diffs = np.zeros(len(price))
    if changed.any():
        diffs[changed] = _differentials(multiple, recorded).to_numpy()
    # adjustment on row t = sum of differentials at roll rows strictly after t
    after = np.cumsum(diffs[::-1])[::-1]
    adjustment = np.concatenate([after[1:], [0.0]])
    return pd.Series(price + adjustment, index=multiple.index, name="price")


def _differentials(multiple: pd.DataFrame, recorded: pd.Series | None) -> pd.Series:
    """Differential of every roll: recorded ones as recorded, the others read off the rows."""
    roll_times = multiple.index[roll_rows(multiple["PRICE_CONTRACT"])]
    known = recorded.reindex(roll_times) if recorded is not None and len(recorded) else None
    if known is not None and known.notna().all():
        return known
    computed = roll_differentials(multiple)
    return computed if known is None else known.fillna(computed)


def extend_adjusted(
    adjusted: pd.Series, multiple: pd.DataFrame, since: pd.Timestamp | None = None,
    recorded: pd.Series | None = None,
) -> pd.Series | None:
    """The whole adjusted series after re-deriving its rows from `since` on (all rows after the
    last stored one when `since` is None); rows before are kept exactly as stored.

    Without a roll the adjusted price moves exactly as PRICE does, so a re-derived row is PRICE
    plus the offset seen on the last kept row both series priced. A roll among the re-derived rows
    shifts everything before it by its recorded differential (`recorded`: roll row timestamp ->
    differential); a roll the stored series already covers is never re-derived (it was applied
    to the rows before it). Returns None when that is not possible (no common priced row, or a roll without
    a recorded differential): then the caller re-stitches the history with `panama_stitch`.
    Rows with no PRICE are left out.
    """
    if since is not None and len(adjusted.dropna()):
        # a roll the stored series already covers was applied to it: never apply it twice
        covered = multiple.index[roll_rows(multiple["PRICE_CONTRACT"])]
        covered = covered[covered <= adjusted.dropna().index[-1]]
        if len(covered) and since <= covered[-1]:
            since = covered[-1] + pd.Timedelta(1, "ns")
    kept = adjusted if since is None else adjusted[adjusted.index < since]
    known = kept.dropna()
    if known.empty:
        return None
    last_time = known.index[-1]
    upto = multiple[multiple.index <= last_time]
    if upto.empty or pd.isna(upto["PRICE"].iloc[-1]) or upto.index[-1] != last_time:
        return None
    anchor = upto.iloc[-1]
    tail = pd.concat([upto.iloc[[-1]], multiple[multiple.index > last_time]])
    new_rolls = tail.index[roll_rows(tail["PRICE_CONTRACT"])]
    if len(new_rolls) and (recorded is None or recorded.reindex(new_rolls).isna().any()):
        return None
    # the new rows are the tail stitched by itself; the kept rows shift by every new roll
    stitched = panama_stitch(tail, recorded)
    shift = float(recorded.reindex(new_rolls).sum()) if len(new_rolls) else 0.0
    offset = float(known.iloc[-1]) - float(anchor["PRICE"])
    kept = kept[kept.index <= last_time]
    result = pd.concat([kept + shift if shift else kept, stitched.iloc[1:].dropna() + offset])
    result.index.name = adjusted.index.name
    return result.rename("price")
