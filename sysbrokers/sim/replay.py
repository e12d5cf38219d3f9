"""Replay market: a real dataset in pysystemtrade's CSV layout served as if it were live.

Per-contract bars are derived from the multiple prices (PRICE, FORWARD and CARRY contracts) with
their original timestamps; only closes are known, so OPEN/HIGH/LOW repeat FINAL and VOLUME is
unknown (NaN). FX comes from `fx_prices_csv/<CCY>USD.csv`. Nothing later than the time asked for
is ever returned.

A daily pipeline replayed over weeks calls this thousands of times, so each instrument's file is
read once per process, on first use (a 41-instrument tree is never read whole up front), and
answers are slices of cached frames.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sysbrokers.sim.market import empty_bars
from syscore.exceptions import BrokerError, BrokerNoData, ConfigError, DataValidationError
from sysdata.csv_io import layout
from sysdata.csv_io.reader import read_fx_csv, read_multiple_csv, read_raw_csv
from sysobjects.contracts import ContractId
from sysobjects.derived_contract_prices import contract_prices_from_multiple
from sysobjects.instruments import InstrumentMeta
from sysobjects.roll_parameters import RollParameters


class ReplayMarket:
    kind = "replay"

    def __init__(self, source: Path):
        self.source = Path(source).expanduser()
        if not (self.source / layout.MULTIPLE_FOLDER).is_dir() or not (self.source / layout.CONFIG_FOLDER).is_dir():
            raise ConfigError(
                f"sim_replay_source {self.source} is not a pysystemtrade CSV tree (needs "
                f"{layout.CONFIG_FOLDER}/ and {layout.MULTIPLE_FOLDER}/); point it at one"
            )
        self._contracts = lru_cache(maxsize=None)(self._load_contracts)
        self._fx = lru_cache(maxsize=None)(self._load_fx)
        self._spans = lru_cache(maxsize=None)(self._contract_spans)

    def describe(self) -> str:
        return f"replay market of {self.source}"

    # --- config ---------------------------------------------------------------------------------
    def _table(self, filename: str) -> pd.DataFrame:
        path = self.source / layout.CONFIG_FOLDER / filename
        if not path.is_file():
            raise ConfigError(f"replay source {self.source} has no {layout.CONFIG_FOLDER}/{filename}")
        frame = read_raw_csv(path, string_columns=["Instrument"])
        return frame.drop_duplicates("Instrument", keep="last").set_index("Instrument")

    @cached_property
    def _instrument_table(self) -> pd.DataFrame:
        return self._table(layout.INSTRUMENT_CONFIG_FILE)

    @cached_property
    def _roll_table(self) -> pd.DataFrame:
        return self._table(layout.ROLL_CONFIG_FILE)

    @cached_property
    def _spread_table(self) -> pd.DataFrame:
        return self._table(layout.SPREAD_COSTS_FILE)

    @cached_property
    def _codes(self) -> list[str]:
        files = sorted(p.stem for p in (self.source / layout.MULTIPLE_FOLDER).glob("*.csv"))
        return [code for code in files if code in self._instrument_table.index and code in self._roll_table.index]

    def instrument_codes(self) -> list[str]:
        return list(self._codes)

    def _check(self, code: str) -> None:
        if code not in self._codes:
            raise BrokerNoData(
                f"instrument {code} is not in the replay source {self.source} (multiple prices and config needed)"
            )

    def instrument_meta(self, code: str) -> InstrumentMeta:
        self._check(code)
        return InstrumentMeta.from_csv_row(code, self._instrument_table.loc[code])

    def roll_parameters(self, code: str) -> RollParameters:
        self._check(code)
        return RollParameters.from_csv_row(code, self._roll_table.loc[code])

    def spread_cost(self, code: str) -> float:
        self._check(code)
        if code not in self._spread_table.index:
            return 0.0
        return float(self._spread_table.loc[code, "SpreadCost"])

    # --- contracts ------------------------------------------------------------------------------
    def _load_contracts(self, code: str) -> dict[str, pd.DataFrame]:
        self._check(code)
        path = self.source / layout.MULTIPLE_FOLDER / f"{code}.csv"
        try:
            multiple = read_multiple_csv(path)
        except DataValidationError as exc:
            raise BrokerError(f"replay source: {exc}") from None
        return contract_prices_from_multiple(multiple)

    def _bars(self, code: str, contract_id: str) -> pd.DataFrame:
        bars = self._contracts(code).get(str(contract_id))
        if bars is None:
            try:
                ContractId.parse(contract_id)
            except DataValidationError:
                raise BrokerError(f"{code}: contract id '{contract_id}' is not YYYYMMDD") from None
            return empty_bars()
        return bars

    def contract_expiry(self, code: str, contract_id: str) -> dt.date:
        try:
            contract = ContractId.parse(contract_id)
        except DataValidationError:
            raise BrokerError(f"{code}: contract id '{contract_id}' is not YYYYMMDD") from None
        return self.roll_parameters(code).expected_expiry(contract)

    def _contract_spans(self, code: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Contract ids (sorted), their first bar and their expected expiry, for quick listing."""
        items = sorted((c, b.index[0]) for c, b in self._contracts(code).items() if len(b))
        contracts = np.array([c for c, _ in items], dtype=object)
        firsts = np.array([f.to_datetime64() for _, f in items], dtype="datetime64[ns]")
        expiries = np.array([np.datetime64(self.contract_expiry(code, c)) for c, _ in items], dtype="datetime64[D]")
        return contracts, firsts, expiries

    def listed_contracts(self, code: str, now: dt.datetime) -> list[str]:
        """Contracts the data has priced by `now` that have not yet expired, nearest first."""
        contracts, firsts, expiries = self._spans(code)
        live = (firsts <= np.datetime64(now, "ns")) & (expiries >= np.datetime64(now.date(), "D"))
        return [str(c) for c in contracts[live]]

    def daily_bars(self, code: str, contract_id: str, now: dt.datetime) -> pd.DataFrame:
        bars = self._bars(code, contract_id)
        return bars.iloc[: bars.index.searchsorted(pd.Timestamp(now), side="right")]

    def hourly_bars(self, code: str, contract_id: str, now: dt.datetime) -> pd.DataFrame:
        """The replayed data holds closes only (some days with intraday rows): the same bars."""
        return self.daily_bars(code, contract_id, now)

    # --- FX -------------------------------------------------------------------------------------
    @cached_property
    def _fx_files(self) -> dict[str, Path]:
        folder = self.source / layout.FX_FOLDER
        files = sorted(folder.glob("*USD.csv")) if folder.is_dir() else []
        return {path.stem[:3]: path for path in files if len(path.stem) == 6}

    def currencies(self) -> list[str]:
        return sorted({"USD", *self._fx_files})

    def _load_fx(self, currency: str) -> pd.Series:
        try:
            return read_fx_csv(self._fx_files[currency]).dropna().rename("price")
        except DataValidationError as exc:
            raise BrokerError(f"replay source: {exc}") from None

    def usd_rates(self, currency: str, now: dt.datetime) -> pd.Series:
        if currency == "USD":
            any_currency = next(iter(self._fx_files), None)
            if any_currency is None:
                return pd.Series(dtype="float64", name="price")
            index = self.usd_rates(any_currency, now).index
            return pd.Series(np.ones(len(index)), index=index, name="price")
        if currency not in self._fx_files:
            raise BrokerNoData(f"the replay source has no {currency}USD FX prices")
        series = self._fx(currency)
        return series.iloc[: series.index.searchsorted(pd.Timestamp(now), side="right")]

