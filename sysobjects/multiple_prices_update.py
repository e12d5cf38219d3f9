"""Extending multiple prices from contract prices, and rolling them onto the next contract.

All pure: the job reads the stored frames and calls these. Rows are re-derived only from the
earliest contract bar that is new since the last run (`earliest_change`, from the watermark
`bars_seen` left), never before the current contracts' first row, so a late bar fills its row
while history, and every roll with it, stays as it is.

A roll is priced from the two contracts' own prices at one timestamp (`price_roll`): a FORWARD
price is never taken from another contract, nor paired with a PRICE from another time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


def stretch_start(multiple: pd.DataFrame) -> pd.Timestamp:
    """Time of the first row of the last run of rows holding the last row's three contracts.

    Only rows after it can be re-derived from the current contracts' prices: the first row of the
    run is a roll row (bookkeeping, no bar was printed then) or a row of imported history."""
    columns = multiple[["PRICE_CONTRACT", "FORWARD_CONTRACT", "CARRY_CONTRACT"]].astype(object)
    values = columns.where(columns.notna(), "").to_numpy(dtype=object)
    same = (values == values[-1]).all(axis=1)
    different = np.flatnonzero(~same)
    first = 0 if len(different) == 0 else int(different[-1]) + 1
    return multiple.index[first]


def rederive_multiple_prices(
    multiple: pd.DataFrame, contract_finals: dict[str, pd.Series], since: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The whole multiple-prices frame with its rows from `since` on derived again from the current
    PRICE/FORWARD/CARRY contracts' prices, and the time re-derivation started at.

    Rows before that time are kept exactly as stored. The start is never later than just after the
    last row (so new bars always extend the frame) and never at or before the first row of the
    current contracts' run (`stretch_start`), so a roll and the history it adjusted stay as they
    are. Each re-derived row is a timestamp at which any of the three contracts has a FINAL price;
    a contract without a price at a timestamp leaves its column empty there.
    """
    after_last = multiple.index[-1] + pd.Timedelta(1, "ns")
    begin = after_last if since is None else min(pd.Timestamp(since), after_last)
    begin = max(begin, stretch_start(multiple) + pd.Timedelta(1, "ns"))
    contracts = current_contracts(multiple)
    columns: dict[str, pd.Series] = {}
    for role, contract in contracts.items():
        series = contract_finals.get(contract) if contract else None
        if series is None:
            series = pd.Series(dtype="float64", index=pd.DatetimeIndex([]))
        columns[role] = series[series.index >= begin].dropna()
    index = columns["PRICE"].index.union(columns["FORWARD"].index).union(columns["CARRY"].index)
    kept = multiple[multiple.index < begin]
    if index.empty:
        return kept, begin
    out = pd.DataFrame(index=index)
    for role in ("CARRY", "PRICE", "FORWARD"):
        out[role] = columns[role].reindex(index).astype("float64")
        out[f"{role}_CONTRACT"] = pd.Series(contracts[role], index=index, dtype=object)
    out.index.name = multiple.index.name
    return pd.concat([kept, out[MULTIPLE_PRICE_COLUMNS]]), begin


def extend_multiple_prices(
    multiple: pd.DataFrame, contract_finals: dict[str, pd.Series]
) -> pd.DataFrame:
    """New multiple-price rows after the last stored row, for the current three contracts."""
    rebuilt, _ = rederive_multiple_prices(multiple, contract_finals)
    new = rebuilt[rebuilt.index > multiple.index[-1]]
    return new if len(new) else multiple.iloc[0:0]


def rows_differing(old: pd.DataFrame, new: pd.DataFrame) -> int:
    """How many rows of `new` are absent from `old` or hold other values (NaN equals NaN)."""
    aligned = old.reindex(new.index)
    differs = ~aligned.index.isin(old.index)
    for column in new.columns:
        a = aligned[column].astype(object).where(aligned[column].notna(), None).to_numpy(dtype=object)
        b = new[column].astype(object).where(new[column].notna(), None).to_numpy(dtype=object)
        differs |= a != b
    return int(differs.sum())


def bars_seen(contract_finals: dict[str, pd.Series]) -> dict[str, dict[str, object]]:
    """What a run consumed of each contract's prices: its row count and last timestamp. Stored
    as the instrument's watermark, so the next run knows which bars arrived since."""
    return {
        contract: {"rows": len(series), "last": series.index[-1].isoformat() if len(series) else None}
        for contract, series in contract_finals.items()
    }


def earliest_change(
    contract_finals: dict[str, pd.Series], seen: dict[str, dict[str, object]]
) -> pd.Timestamp | None:
    """Earliest timestamp among bars not seen by the last run (None: nothing new).

    Contract prices only ever grow at the end, so what is new is what follows the rows seen; a
    contract never seen, or one whose seen rows changed (rewritten by a repair), counts from its
    first bar (the re-derivation then starts at the current contracts' first row)."""
    earliest: pd.Timestamp | None = None
    for contract, series in contract_finals.items():
        mark = seen.get(contract)
        rows = int(mark["rows"]) if mark else 0
        unchanged_prefix = (
            mark is not None and rows <= len(series)
            and (rows == 0 or series.index[rows - 1] == pd.Timestamp(str(mark["last"])))
        )
        start = rows if unchanged_prefix else 0
        if start < len(series):
            first_new = series.index[start]
            earliest = first_new if earliest is None else min(earliest, first_new)
    return earliest


@dataclass(frozen=True)
class RollPricing:
    """The two contracts' own prices at one timestamp, which price a roll."""

    old_contract: str
    new_contract: str
    time: pd.Timestamp
    old_price: float
    new_price: float

    @property
    def differential(self) -> float:
        """New-contract price minus old-contract price: the Panama shift of the history."""
        return self.new_price - self.old_price


def _known(series: pd.Series | None, now: pd.Timestamp) -> pd.Series:
    if series is None:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([]))
    clean = series.dropna()
    return clean[clean.index <= now]


def price_roll(
    instrument: str, old_contract: str, old_final: pd.Series | None, new_contract: str,
    new_final: pd.Series | None, now: dt.datetime, max_gap_days: float,
) -> RollPricing:
    """Price a roll from the latest bar at which both contracts traded, no older than
    `max_gap_days` before now. Refuses (naming the contract that lacks prices and since when)
    rather than pair prices from different times or contracts."""
    when = pd.Timestamp(now)
    old, new = _known(old_final, when), _known(new_final, when)
    common = old.index.intersection(new.index)
    cutoff = when - pd.Timedelta(days=max_gap_days)
    if len(common) and common[-1] >= cutoff:
        at = common[-1]
        return RollPricing(old_contract, new_contract, at, float(old.loc[at]), float(new.loc[at]))
    problems = []
    for contract, series in ((old_contract, old), (new_contract, new)):
        if series.empty:
            problems.append(f"{contract} has no stored prices")
        elif series.index[-1] < cutoff:
            problems.append(f"{contract} has no price since {series.index[-1]:%Y-%m-%d %H:%M}")
    if not problems:
        problems.append(
            f"{old_contract} (last {old.index[-1]:%Y-%m-%d %H:%M}) and {new_contract} "
            f"(last {new.index[-1]:%Y-%m-%d %H:%M}) have no bar at the same time since {cutoff:%Y-%m-%d}"
        )
    raise SysprodError(
        f"cannot roll {instrument} from {old_contract} to {new_contract}: {'; '.join(problems)}; "
        f"update prices (update_historical_prices) or raise roll_max_price_gap_days ({max_gap_days:g})"
    )


def _own_prices(multiple: pd.DataFrame, contract: str, contract_finals: dict[str, pd.Series]) -> pd.Series:
    """A contract's prices: its stored FINALs, else the FORWARD column where it was the forward
    contract (never another contract's FORWARD)."""
    if contract in contract_finals:
        return contract_finals[contract].dropna()
    return multiple["FORWARD"][multiple["FORWARD_CONTRACT"] == contract].dropna()


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

    Stamped one second after the last row: the old forward becomes the priced contract at its own
    last price; the new forward and carry contracts take their last known prices (or stay empty
    when they have none yet).
    """
    last_time = multiple.index[-1]
    old = current_contracts(multiple)
    new_price_contract = old["FORWARD"]
    if new_price_contract is None:
        raise SysprodError("cannot roll: the last multiple-prices row has no FORWARD contract")
    own = _own_prices(multiple, new_price_contract, contract_finals)
    own = own[own.index <= last_time]
    if own.empty:
        raise SysprodError(
            f"cannot roll: no FORWARD price of {new_price_contract} is stored; update prices first"
        )
    new_price = float(own.iloc[-1])
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
