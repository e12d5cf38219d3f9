"""Panama stitching: back-adjusted prices from multiple prices, vectorised.

At each change of PRICE_CONTRACT the whole history before it is shifted by the roll
differential, FORWARD − PRICE on the row before the change (the price gap between the contract we
roll into and the one we leave, seen on the same day). So the adjusted price on row t is PRICE_t
plus the sum of the differentials of every roll after t: a reversed cumulative sum, not a loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from syscore.exceptions import DataValidationError


def roll_rows(price_contract: pd.Series) -> np.ndarray:
    """Boolean mask: True on rows whose PRICE_CONTRACT differs from the row before."""
    contracts = price_contract.to_numpy(dtype=object)
    changed = np.zeros(len(contracts), dtype=bool)
    if len(contracts) > 1:
        changed[1:] = contracts[1:] != contracts[:-1]
    return changed


def roll_differentials(multiple: pd.DataFrame) -> pd.Series:
    """FORWARD − PRICE on the row before each roll (both forward-filled), indexed by the roll
    row's timestamp."""
    changed = roll_rows(multiple["PRICE_CONTRACT"])
    before = np.flatnonzero(changed) - 1
    forward = multiple["FORWARD"].ffill().to_numpy()
    price = multiple["PRICE"].ffill().to_numpy()
    diffs = forward[before] - price[before]
    result = pd.Series(diffs, index=multiple.index[before + 1], name="roll_differential")
    if result.isna().any():
        when = result.index[np.flatnonzero(result.isna().to_numpy())[0]]
        raise DataValidationError(
            f"cannot stitch: the row before the roll at {when} has no FORWARD or PRICE; "
            "fill in the forward price on the last day of the old contract"
        )
    return result


def panama_stitch(multiple: pd.DataFrame) -> pd.Series:
    """Back-adjusted price series (name `price`) from a validated multiple-prices frame.

    A row with no PRICE stays missing (no price is invented); the roll differential takes the
    last known FORWARD and PRICE before the roll, so a blank on the roll's eve does not break it.
    """
    if multiple.empty:
        return pd.Series(dtype="float64", name="price")
    price = multiple["PRICE"].to_numpy(dtype="float64")
    changed = roll_rows(multiple["PRICE_CONTRACT"])
    diffs = np.zeros(len(price))
    if changed.any():
        diffs[changed] = roll_differentials(multiple).to_numpy()
    # adjustment on row t = sum of differentials at roll rows strictly after t
    after = np.cumsum(diffs[::-1])[::-1]
    adjustment = np.concatenate([after[1:], [0.0]])
    return pd.Series(price + adjustment, index=multiple.index, name="price")


def panama_append(
    adjusted: pd.Series, old_multiple_last: pd.Series, new_multiple: pd.DataFrame
) -> pd.Series:
    """New adjusted rows for multiple-price rows appended without a roll.

    With no roll, the adjusted price moves exactly as PRICE does, so the new rows are PRICE plus
    the current offset between the adjusted series and the last priced row. Raises when the new
    rows hold a roll: that needs a full re-stitch (`panama_stitch`), done by the roll job.
    """
    if new_multiple.empty:
        return pd.Series(dtype="float64", name="price")
    contracts = new_multiple["PRICE_CONTRACT"]
    if (contracts != old_multiple_last["PRICE_CONTRACT"]).any():
        raise DataValidationError(
            "new multiple prices change PRICE_CONTRACT; a roll must be stitched with panama_stitch"
        )
    known = adjusted.dropna()
    offset = known.iloc[-1] - old_multiple_last["PRICE"] if len(known) else 0.0
    return (new_multiple["PRICE"] + offset).rename("price")


def extend_adjusted(adjusted: pd.Series, multiple: pd.DataFrame) -> pd.Series | None:
    """Adjusted-price rows for the multiple-price rows stamped after the last adjusted row.

    Without a roll since then the adjusted price moves exactly as PRICE does, so the new rows are
    PRICE plus the offset seen on the last row both series priced. Returns None when a roll lies
    among the new rows (or no common priced row exists): then the caller re-stitches the history
    with `panama_stitch`, which only a roll (or a repair) needs. Rows with no PRICE are left out.
    """
    known = adjusted.dropna()
    if known.empty:
        return None
    last_time = known.index[-1]
    new = multiple[multiple.index > last_time]
    if new.empty:
        return pd.Series(dtype="float64", name="price", index=pd.DatetimeIndex([], name=adjusted.index.name))
    upto = multiple[multiple.index <= last_time]
    if upto.empty or pd.isna(upto["PRICE"].iloc[-1]) or upto.index[-1] != last_time:
        return None
    anchor = upto.iloc[-1]
    if (new["PRICE_CONTRACT"] != anchor["PRICE_CONTRACT"]).any():
        return None
    offset = float(known.iloc[-1]) - float(anchor["PRICE"])
    return (new["PRICE"].dropna().astype("float64") + offset).rename("price")
