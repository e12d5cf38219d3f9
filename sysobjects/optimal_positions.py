"""A strategy's optimal position in one instrument, with the buffer around it (pure values).

The nightly backtest of a strategy (run_systems) stores one per instrument; the order generator
trades a current position outside [lower, upper] to the nearest edge. The reference price and
time are the last price the backtest used (the multiple prices' PRICE of `reference_contract`),
so an order made from it carries the price its size was decided on.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

from syscore.exceptions import DataValidationError


@dataclass(frozen=True)
class BufferedOptimalPosition:
    instrument_code: str
    optimal: float  # the unrounded notional position, in contracts
    lower: float  # lower buffer edge, in contracts
    upper: float  # upper buffer edge, in contracts
    reference_price: float
    reference_contract: str  # yyyymmdd (or yyyymm00) of the priced contract
    reference_time: dt.datetime  # naive UTC stamp of the reference price
    run_time: dt.datetime  # when the backtest that produced it ran (the installation's clock)

    def __post_init__(self) -> None:
        for name in ("optimal", "lower", "upper"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
                raise DataValidationError(
                    f"optimal position {self.instrument_code}: {name} must be a number, not {value!r}"
                )
        if self.lower > self.upper:
            raise DataValidationError(
                f"optimal position {self.instrument_code}: lower buffer {self.lower} is above "
                f"upper {self.upper}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (times as ISO text)."""
        out = asdict(self)
        out["reference_time"] = self.reference_time.isoformat()
        out["run_time"] = self.run_time.isoformat()
        return out

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> BufferedOptimalPosition:
        try:
            return cls(
                instrument_code=str(doc["instrument_code"]),
                optimal=float(doc["optimal"]),
                lower=float(doc["lower"]),
                upper=float(doc["upper"]),
                reference_price=float(doc["reference_price"]),
                reference_contract=str(doc["reference_contract"]),
                reference_time=dt.datetime.fromisoformat(doc["reference_time"]),
                run_time=dt.datetime.fromisoformat(doc["run_time"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataValidationError(f"stored optimal position is incomplete ({exc!r}): {doc}") from None
