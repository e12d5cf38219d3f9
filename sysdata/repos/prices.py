"""Price repositories: FX, per-contract, multiple and adjusted prices (TimeSeriesStore), and the
per-instrument watermark of the multiple/adjusted update (DocumentStore)."""

from __future__ import annotations

import pandas as pd

from sysdata.stores.documents import DocumentStore
from sysdata.stores.timeseries import TimeSeriesStore
from sysobjects.prices import (
    MULTIPLE_PRICE_COLUMNS,
    validate_contract_prices,
    validate_multiple_prices,
    validate_price_series,
)


def _series_frame(series: pd.Series, column: str) -> pd.DataFrame:
    return series.rename(column).to_frame()


class FxPrices:
    """Spot FX per pair (e.g. GBPUSD), one column `PRICE`."""

    KIND = "fx_prices"

    def __init__(self, store: TimeSeriesStore):
        self._store = store

    def get(self, pair: str) -> pd.Series:
        return self._store.read(self.KIND, pair)["PRICE"]

    def list(self) -> list[str]:
        return self._store.keys(self.KIND)

    def write(self, pair: str, prices: pd.Series) -> None:
        checked = validate_price_series(prices, f"FX {pair}", positive=True)
        self._store.write(self.KIND, pair, _series_frame(checked, "PRICE"))

    def append_newer(self, pair: str, prices: pd.Series) -> int:
        checked = validate_price_series(prices, f"FX {pair}", positive=True)
        return self._store.merge(self.KIND, pair, _series_frame(checked, "PRICE"))


class ContractPrices:
    """Daily OPEN HIGH LOW FINAL VOLUME per contract, keyed `INSTRUMENT/YYYYMMDD`."""

    KIND = "contract_prices"

    def __init__(self, store: TimeSeriesStore):
        self._store = store

    @staticmethod
    def _key(instrument: str, contract: str) -> str:
        return f"{instrument}/{contract}"

    def get(self, instrument: str, contract: str) -> pd.DataFrame:
        return self._store.read(self.KIND, self._key(instrument, contract))

    def exists(self, instrument: str, contract: str) -> bool:
        return self._store.exists(self.KIND, self._key(instrument, contract))

    def contracts(self, instrument: str) -> list[str]:
        prefix = f"{instrument}/"
        return [k[len(prefix):] for k in self._store.keys(self.KIND) if k.startswith(prefix)]

    def instruments(self) -> list[str]:
        return sorted({key.split("/")[0] for key in self._store.keys(self.KIND)})

    def for_contracts(self, instrument: str, contracts: list[str]) -> dict[str, pd.DataFrame]:
        """Prices of each listed contract that is stored (missing ones are left out)."""
        return {c: self.get(instrument, c) for c in contracts if self.exists(instrument, c)}

    def write(self, instrument: str, contract: str, prices: pd.DataFrame) -> None:
        checked = validate_contract_prices(prices, f"contract prices {instrument} {contract}")
        self._store.write(self.KIND, self._key(instrument, contract), checked)

    def append_newer(self, instrument: str, contract: str, prices: pd.DataFrame) -> int:
        checked = validate_contract_prices(prices, f"contract prices {instrument} {contract}")
        return self._store.merge(self.KIND, self._key(instrument, contract), checked)

    def delete(self, instrument: str, contract: str) -> None:
        self._store.delete(self.KIND, self._key(instrument, contract))


class MultiplePrices:
    """PRICE / FORWARD / CARRY prices and contracts per instrument."""

    KIND = "multiple_prices"

    def __init__(self, store: TimeSeriesStore):
        self._store = store

    def get(self, instrument: str) -> pd.DataFrame:
        return self._store.read(self.KIND, instrument)[MULTIPLE_PRICE_COLUMNS]

    def list(self) -> list[str]:
        return self._store.keys(self.KIND)

    def write(self, instrument: str, prices: pd.DataFrame) -> None:
        checked = validate_multiple_prices(prices, f"multiple prices {instrument}")
        self._store.write(self.KIND, instrument, checked)

    def append_newer(self, instrument: str, prices: pd.DataFrame) -> int:
        checked = validate_multiple_prices(prices, f"multiple prices {instrument}")
        return self._store.merge(self.KIND, instrument, checked)


class AdjustedPrices:
    """Back-adjusted price per instrument (one series, column `price`)."""

    KIND = "adjusted_prices"

    def __init__(self, store: TimeSeriesStore):
        self._store = store

    def get(self, instrument: str) -> pd.Series:
        return self._store.read(self.KIND, instrument)["price"]

    def list(self) -> list[str]:
        return self._store.keys(self.KIND)

    def write(self, instrument: str, prices: pd.Series) -> None:
        checked = validate_price_series(prices, f"adjusted prices {instrument}")
        self._store.write(self.KIND, instrument, _series_frame(checked, "price"))

    def append_newer(self, instrument: str, prices: pd.Series) -> int:
        checked = validate_price_series(prices, f"adjusted prices {instrument}")
        return self._store.merge(self.KIND, instrument, _series_frame(checked, "price"))


class PriceWatermarks:
    """Per instrument, what the last multiple/adjusted update consumed of each current contract's
    prices (row count and last timestamp, DocumentStore). The next run re-derives its rows from
    the earliest bar that arrived since, so a late or accepted-after-a-spike bar fills its row."""

    COLLECTION = "multiple_price_watermarks"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def get(self, instrument: str) -> dict[str, dict[str, object]] | None:
        """Contract -> {"rows", "last"}; None when no run has recorded one yet."""
        doc = self._docs.get(self.COLLECTION, instrument)
        return None if doc is None else doc["contracts"]

    def set(self, instrument: str, seen: dict[str, dict[str, object]]) -> None:
        self._docs.put(self.COLLECTION, instrument, {"contracts": seen})
