"""Instrument metadata and spread costs (pysystemtrade's instrumentconfig.csv / spreadcosts.csv)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from syscore.exceptions import DataValidationError


def commission(
    quantity: float | np.ndarray, price: float | np.ndarray, pointsize: float,
    per_block: float, percentage: float, per_trade: float,
) -> float | np.ndarray:
    """Commission of fills (scalars or arrays), pysystemtrade's rule: the largest of per block
    (|q| x PerBlock), per trade (PerTrade) and percentage of the traded value
    (Percentage x |q| x price x Pointsize). The price is taken as given, not made absolute, as
    pysystemtrade does: the backtest prices costs at the back-adjusted price, which can be
    negative, and must reproduce pysystemtrade's numbers (SYSTEM_SPEC section 8)."""
    size = np.abs(quantity)
    return np.maximum(np.maximum(size * per_block, per_trade), percentage * size * price * pointsize)


@dataclass(frozen=True)
class InstrumentMeta:
    """What we need to size and cost trades in one instrument."""

    instrument_code: str
    description: str
    pointsize: float
    currency: str
    asset_class: str
    per_block: float
    percentage: float
    per_trade: float
    region: str

    def __post_init__(self) -> None:
        if not self.pointsize > 0:
            raise DataValidationError(
                f"instrument {self.instrument_code}: Pointsize must be positive, got {self.pointsize}"
            )
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise DataValidationError(
                f"instrument {self.instrument_code}: Currency '{self.currency}' is not a 3-letter code"
            )
        for name in ("per_block", "percentage", "per_trade"):
            if getattr(self, name) < 0:
                raise DataValidationError(
                    f"instrument {self.instrument_code}: {name} commission cannot be negative"
                )

    def commission(self, quantity: float, price: float) -> float:
        """Commission of one fill at `price`, by the one rule (`commission`)."""
        return float(commission(quantity, price, self.pointsize, self.per_block, self.percentage, self.per_trade))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_csv_row(cls, code: str, row: Mapping[str, Any]) -> InstrumentMeta:
        """One row of pysystemtrade's instrumentconfig.csv (text or parsed cells; the one reading
        of that row, for the importer, the repository, the replay broker and the backtest loader).
        A blank commission cell is 0, as pysystemtrade reads it; a blank Pointsize is an error."""
        return cls(
            instrument_code=code,
            description=_text(row.get("Description")),
            pointsize=csv_number(row, "Pointsize", code, blank=None),
            currency=_text(row.get("Currency")),
            asset_class=_text(row.get("AssetClass")),
            per_block=csv_number(row, "PerBlock", code),
            percentage=csv_number(row, "Percentage", code),
            per_trade=csv_number(row, "PerTrade", code),
            region=_text(row.get("Region")),
        )

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> InstrumentMeta:
        return cls(**doc)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _text(value: Any) -> str:
    return "" if _blank(value) else str(value).strip()


def csv_number(row: Mapping[str, Any], column: str, code: str, blank: float | None = 0.0) -> float:
    """A number cell of a pysystemtrade config row; `blank` is what an empty cell means (None:
    it must be given). Bad text is one line naming the instrument, the column and the text."""
    value = row.get(column)
    if _blank(value):
        if blank is None:
            raise DataValidationError(f"instrument {code}: {column} is blank; give a number")
        return blank
    try:
        return float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise DataValidationError(f"instrument {code}: {column} '{value}' is not a number; fix the file") from None


INSTRUMENT_CSV_COLUMNS = [
    "Instrument", "Description", "Pointsize", "Currency", "AssetClass",
    "PerBlock", "Percentage", "PerTrade", "Region",
]
ROLL_CSV_COLUMNS = [
    "Instrument", "HoldRollCycle", "RollOffsetDays", "CarryOffset", "PricedRollCycle", "ExpiryOffset",
]
SPREAD_CSV_COLUMNS = ["Instrument", "SpreadCost"]
