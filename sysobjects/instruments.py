"""Instrument metadata and spread costs (pysystemtrade's instrumentconfig.csv / spreadcosts.csv)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from syscore.exceptions import DataValidationError


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
        """Commission of one fill, pysystemtrade's rule: the largest of per block, per trade and
        percentage of notional."""
        size = abs(quantity)
        return max(size * self.per_block, self.per_trade, self.percentage * size * abs(price) * self.pointsize)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> InstrumentMeta:
        return cls(**doc)


INSTRUMENT_CSV_COLUMNS = [
    "Instrument", "Description", "Pointsize", "Currency", "AssetClass",
    "PerBlock", "Percentage", "PerTrade", "Region",
]
ROLL_CSV_COLUMNS = [
    "Instrument", "HoldRollCycle", "RollOffsetDays", "CarryOffset", "PricedRollCycle", "ExpiryOffset",
]
SPREAD_CSV_COLUMNS = ["Instrument", "SpreadCost"]
