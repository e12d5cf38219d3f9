"""Per-contract price histories derived from multiple prices.

Each multiple-prices row prices up to three contracts (PRICE, FORWARD and CARRY), so a fresh
install can start with a history for every contract it has ever priced. Only a closing price is
known: OPEN, HIGH and LOW repeat FINAL and VOLUME is unknown (NaN), which later cleaning treats as
"no volume information" rather than "no trades".

A roll done in production adds a bookkeeping row one second after the last row: its PRICE repeats
the old FORWARD price and its FORWARD/CARRY repeat last known prices. Nothing traded at that
instant, so such rows are not observations of any contract and are left out (otherwise replaying
the history would see a bar one second after the close that no market printed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sysobjects.prices import CONTRACT_PRICE_COLUMNS

_PAIRS = (("PRICE", "PRICE_CONTRACT"), ("FORWARD", "FORWARD_CONTRACT"), ("CARRY", "CARRY_CONTRACT"))
# A roll row stamped closer than this to the row before is production bookkeeping, not a price.
BOOKKEEPING_ROLL_GAP = np.timedelta64(60, "s")


def bookkeeping_roll_rows(multiple: pd.DataFrame) -> np.ndarray:
    """True on rows where PRICE_CONTRACT changes less than a minute after the row before."""
    contracts = multiple["PRICE_CONTRACT"].to_numpy(dtype=object)
    times = multiple.index.to_numpy()
    mask = np.zeros(len(contracts), dtype=bool)
    if len(contracts) > 1:
        mask[1:] = (contracts[1:] != contracts[:-1]) & ((times[1:] - times[:-1]) < BOOKKEEPING_ROLL_GAP)
    return mask


def contract_prices_from_multiple(multiple: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Contract id -> OPEN HIGH LOW FINAL VOLUME frame, from a validated multiple-prices frame.

    When a row prices the same contract twice (FORWARD and CARRY are often the same contract) the
    first non-missing value in PRICE, FORWARD, CARRY order wins. Production roll rows are skipped.
    """
    multiple = multiple[~bookkeeping_roll_rows(multiple)]
    times, contracts, prices, order = [], [], [], []
    index_values = multiple.index.to_numpy()
    for rank, (value_col, contract_col) in enumerate(_PAIRS):
        contract = multiple[contract_col].to_numpy(dtype=object)
        value = multiple[value_col].to_numpy(dtype="float64")
        keep = ~pd.isna(contract) & ~np.isnan(value)
        times.append(index_values[keep])
        contracts.append(contract[keep])
        prices.append(value[keep])
        order.append(np.full(int(keep.sum()), rank))
    time = np.concatenate(times)
    contract = np.concatenate(contracts).astype(str)
    price = np.concatenate(prices)
    rank = np.concatenate(order)
    if len(time) == 0:
        return {}
    # sort by contract, then time, then PRICE/FORWARD/CARRY rank; keep the first of each pair
    by = np.lexsort((rank, time, contract))
    time, contract, price = time[by], contract[by], price[by]
    first = np.ones(len(time), dtype=bool)
    first[1:] = (contract[1:] != contract[:-1]) | (time[1:] != time[:-1])
    time, contract, price = time[first], contract[first], price[first]
    starts = np.flatnonzero(np.r_[True, contract[1:] != contract[:-1]])
    ends = np.r_[starts[1:], len(contract)]
    result: dict[str, pd.DataFrame] = {}
    for start, end in zip(starts, ends, strict=True):
        block = np.empty((end - start, 5))
        block[:, :4] = price[start:end, None]
        block[:, 4] = np.nan
        result[str(contract[start])] = pd.DataFrame(
            block,
            index=pd.DatetimeIndex(time[start:end], name="DATETIME"),
            columns=CONTRACT_PRICE_COLUMNS,
        )
    return result
