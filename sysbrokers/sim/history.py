"""The synthetic market's past as a pysystemtrade CSV tree (what `sysprod demo` imports).

Multiple prices follow the roll parameters exactly as the production pipeline will: on each day
the priced contract is the hold-cycle contract whose roll date is still ahead, the forward is the
next held contract and the carry is `carry_contract` of the priced one. Adjusted prices are the
Panama stitch of those. So the imported history and the live simulated broker agree bar for bar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sysbrokers.sim.synthetic import SyntheticMarket
from syscore.fileio import atomic_write_with
from sysdata.csv_io import layout
from sysobjects.contracts import ContractId
from sysobjects.instruments import INSTRUMENT_CSV_COLUMNS, ROLL_CSV_COLUMNS, SPREAD_CSV_COLUMNS
from sysobjects.prices import MULTIPLE_PRICE_COLUMNS
from sysobjects.roll_parameters import RollParameters, contracts_between
from sysobjects.stitching import panama_stitch


def multiple_prices_from_finals(roll: RollParameters, finals: dict[str, pd.Series]) -> pd.DataFrame:
    """PRICE/FORWARD/CARRY rows on every stamp where the priced contract has a FINAL price."""
    if not finals:
        return pd.DataFrame(columns=MULTIPLE_PRICE_COLUMNS)
    stamps = pd.DatetimeIndex(sorted(set().union(*(s.index for s in finals.values()))), name="DATETIME")
    first, last = stamps[0].date(), stamps[-1].date()
    held = contracts_between(first - dt.timedelta(days=800), last + dt.timedelta(days=800), roll.hold_roll_cycle)
    roll_dates = np.array([np.datetime64(roll.expected_roll_date(c)) for c in held])
    days = stamps.normalize().to_numpy().astype("datetime64[D]")
    position = np.searchsorted(roll_dates, days, side="right")
    price_ids = np.array([str(c) for c in held], dtype=object)[position]
    forward_ids = np.array([str(roll.next_held(c)) for c in held], dtype=object)[position]
    carry_ids = np.array([str(roll.carry_contract(c)) for c in held], dtype=object)[position]
    out = pd.DataFrame(index=stamps)
    for column, ids in (("CARRY", carry_ids), ("PRICE", price_ids), ("FORWARD", forward_ids)):
        values = np.full(len(stamps), np.nan)
        for contract in pd.unique(ids):
            rows = np.flatnonzero(ids == contract)
            series = finals.get(contract)
            if series is not None:
                values[rows] = series.reindex(stamps[rows]).to_numpy()
        out[column] = values
        out[f"{column}_CONTRACT"] = pd.Series(ids, index=stamps, dtype=object)
    out = out[out["PRICE"].notna()]
    return out[MULTIPLE_PRICE_COLUMNS]


def roll_calendar_from_multiple(roll: RollParameters, multiple: pd.DataFrame) -> pd.DataFrame:
    """One row per roll, stamped on the first row priced in the new contract."""
    contracts = multiple["PRICE_CONTRACT"].to_numpy(dtype=object)
    changed = np.flatnonzero(contracts[1:] != contracts[:-1]) + 1
    previous = contracts[changed - 1]
    return pd.DataFrame(
        {
            "current_contract": previous,
            "next_contract": contracts[changed],
            "carry_contract": [str(roll.carry_contract(ContractId.parse(c))) for c in previous],
        },
        index=pd.DatetimeIndex(multiple.index[changed], name="DATE_TIME"),
    )


@dataclass(frozen=True)
class TreeSummary:
    root: Path
    instruments: int
    fx_pairs: int
    multiple_rows: int
    contracts: int
    first: dt.datetime
    last: dt.datetime


def _write(path: Path, frame: pd.DataFrame, index_label: str | None) -> None:
    def write(tmp: Path) -> None:
        if index_label is None:
            frame.to_csv(tmp, index=False)
        else:
            frame.to_csv(tmp, index_label=index_label, date_format=layout.DATETIME_FORMAT)

    atomic_write_with(path, write, fsync=False)


def write_market_tree(market: SyntheticMarket, dest: Path, now: dt.datetime) -> TreeSummary:
    """Write the market's history up to `now` as a pysystemtrade CSV tree under `dest`."""
    dest = Path(dest)
    specs = market.instruments()
    config = dest / layout.CONFIG_FOLDER
    _write(config / layout.INSTRUMENT_CONFIG_FILE, pd.DataFrame(
        [[s.code, s.meta.description, s.meta.pointsize, s.meta.currency, s.meta.asset_class,
          s.meta.per_block, s.meta.percentage, s.meta.per_trade, s.meta.region] for s in specs],
        columns=INSTRUMENT_CSV_COLUMNS), None)
    _write(config / layout.ROLL_CONFIG_FILE, pd.DataFrame(
        [[s.code, s.roll.hold_roll_cycle, s.roll.roll_offset_days, s.roll.carry_offset,
          s.roll.priced_roll_cycle, s.roll.expiry_offset] for s in specs],
        columns=ROLL_CSV_COLUMNS), None)
    _write(config / layout.SPREAD_COSTS_FILE, pd.DataFrame(
        [[s.code, s.spread_cost] for s in specs], columns=SPREAD_CSV_COLUMNS), None)
    rows = contracts = 0
    first, last = None, None
    for spec in specs:
        bars = market.full_history(spec.code, now)
        finals = {contract: frame["FINAL"] for contract, frame in bars.items()}
        multiple = multiple_prices_from_finals(spec.roll, finals)
        _write(dest / layout.MULTIPLE_FOLDER / f"{spec.code}.csv", multiple, "DATETIME")
        _write(dest / layout.ADJUSTED_FOLDER / f"{spec.code}.csv", panama_stitch(multiple).to_frame("price"), "DATETIME")
        _write(dest / layout.ROLL_CALENDAR_FOLDER / f"{spec.code}.csv",
               roll_calendar_from_multiple(spec.roll, multiple), "DATE_TIME")
        rows += len(multiple)
        contracts += len(bars)
        if len(multiple):
            first = min(first or multiple.index[0], multiple.index[0])
            last = max(last or multiple.index[-1], multiple.index[-1])
    pairs = [c for c in market.currencies() if c != "USD"]
    for currency in pairs:
        _write(dest / layout.FX_FOLDER / f"{currency}USD.csv",
               market.usd_rates(currency, now).to_frame("PRICE"), "DATETIME")
    return TreeSummary(dest, len(specs), len(pairs), rows, contracts, first, last)
