"""Extending multiple prices from contract prices, and rolling them onto the next contract.

Both are pure: the job reads the stored frames, calls these, and appends only what is new, so the
daily update never rewrites (or re-stitches) history.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from syscore.exceptions import SysprodError
from sysobjects.contracts import ContractId
from sysobjects.prices import MULTIPLE_PRICE_COLUMNS
from sysobjects.roll_parameters import RollParameters

ROLL_ROW_OFFSET = pd.Timedelta(seconds=1)


def current_contracts(multiple: pd.DataFrame) -> dict[str, str | None]:
    """The PRICE, FORWARD and CARRY contracts of the last row."""
    last = multiple.iloc[-1]
    return {
        "PRICE": last["PRICE_CONTRACT"],
        "FORWARD": last["FORWARD_CONTRACT"],
        "CARRY": last["CARRY_CONTRACT"],
    }


def extend_multiple_prices(
    multiple: pd.DataFrame, contract_finals: dict[str, pd.Series]
) -> pd.DataFrame:
    """New multiple-price rows after the last stored row, for the current three contracts.

    The rows are the union of the timestamps at which any of the three contracts has a new FINAL
    price; a contract without a price at a timestamp leaves its column empty there.
    """
    contracts = current_contracts(multiple)
    last_time = multiple.index[-1]
    columns: dict[str, pd.Series] = {}
    for role, contract in contracts.items():
        series = contract_finals.get(contract) if contract else None
        if series is None:
            series = pd.Series(dtype="float64", index=pd.DatetimeIndex([]))
        columns[role] = series[series.index > last_time].dropna()
    index = columns["PRICE"].index.union(columns["FORWARD"].index).union(columns["CARRY"].index)
    if index.empty:
        return multiple.iloc[0:0]
    out = pd.DataFrame(index=index)
    for role in ("CARRY", "PRICE", "FORWARD"):
        out[role] = columns[role].reindex(index).astype("float64")
        out[f"{role}_CONTRACT"] = pd.Series(contracts[role], index=index, dtype=object)
    out.index.name = multiple.index.name
    return out[MULTIPLE_PRICE_COLUMNS]


def _last_price_at(series: pd.Series | None, when: pd.Timestamp) -> float:
    if series is None:
        return np.nan
    known = series[series.index <= when].dropna()
    return float(known.iloc[-1]) if len(known) else np.nan


def roll_row(
    multiple: pd.DataFrame,
    roll_parameters: RollParameters,
    contract_finals: dict[str, pd.Series],
) -> pd.DataFrame:
    """The one row that rolls multiple prices onto the next contract.

    Stamped one second after the last row: the old forward becomes the priced contract at the price
    it had on the last row; the new forward and carry contracts take their last known prices (or
    stay empty when they have none yet).
    """
    last_time = multiple.index[-1]
    forward_known = multiple["FORWARD"].dropna()
    if forward_known.empty:
        raise SysprodError("cannot roll: no FORWARD price has ever been stored; update prices first")
    old = current_contracts(multiple)
    new_price_contract = old["FORWARD"]
    if new_price_contract is None:
        raise SysprodError("cannot roll: the last multiple-prices row has no FORWARD contract")
    new_price = float(forward_known.iloc[-1])
    priced = ContractId.parse(new_price_contract)
    new_forward = str(roll_parameters.next_held(priced))
    new_carry = str(roll_parameters.carry_contract(priced))
    finals = dict(contract_finals)
    if new_carry == old["PRICE"] and old["PRICE"] not in finals:
        finals[old["PRICE"]] = multiple["PRICE"]
    row = pd.DataFrame(
        {
            "CARRY": [_last_price_at(finals.get(new_carry), last_time)],
            "CARRY_CONTRACT": [new_carry],
            "PRICE": [new_price],
            "PRICE_CONTRACT": [new_price_contract],
            "FORWARD": [_last_price_at(finals.get(new_forward), last_time)],
            "FORWARD_CONTRACT": [new_forward],
        },
        index=pd.DatetimeIndex([last_time + ROLL_ROW_OFFSET], name=multiple.index.name),
    )
    row["CARRY_CONTRACT"] = row["CARRY_CONTRACT"].astype(object)
    row["PRICE_CONTRACT"] = row["PRICE_CONTRACT"].astype(object)
    row["FORWARD_CONTRACT"] = row["FORWARD_CONTRACT"].astype(object)
    return row


def panama_roll(adjusted: pd.Series, multiple: pd.DataFrame, rolled: pd.DataFrame) -> pd.Series:
    """Adjusted prices after a roll: history shifted by FORWARD − PRICE (last known, before the
    roll), plus the roll row's price. Equal to re-stitching the whole multiple-price history."""
    differential = float(multiple["FORWARD"].ffill().iloc[-1] - multiple["PRICE"].ffill().iloc[-1])
    shifted = adjusted + differential
    new = pd.Series(rolled["PRICE"].to_numpy(dtype="float64"), index=rolled.index, name="price")
    return pd.concat([shifted, new]).rename("price")


def days_until(when: dt.date, today: dt.date) -> int:
    """Calendar days from today to `when` (negative once passed)."""
    return (when - today).days
