"""What the engine reads: raw price rows and instrument costs, as plain numpy arrays.

These are the engine's only inputs. `systems.data` fills them from a pysystemtrade CSV tree or
from the repositories; tests build them by hand. Timestamps are int64 epoch seconds (naive UTC),
sorted or not (the engine sorts stably when needed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InstrumentInputs:
    """Prices and cost parameters of one instrument."""

    code: str
    adjusted_stamps: np.ndarray  # int64 epoch seconds of the back-adjusted price rows
    adjusted: np.ndarray  # back-adjusted price
    multiple_stamps: np.ndarray  # int64 epoch seconds of the multiple-price rows
    price: np.ndarray  # PRICE (current contract, raw)
    carry: np.ndarray  # CARRY
    price_contract: np.ndarray  # PRICE_CONTRACT as yyyymmdd number (NaN when absent)
    carry_contract: np.ndarray  # CARRY_CONTRACT as yyyymmdd number (NaN when absent)
    pointsize: float
    currency: str
    per_block: float
    percentage: float
    per_trade: float
    spread_cost: float  # half bid/ask spread in price units
    rolls_per_year: int  # len(HoldRollCycle)


@dataclass(frozen=True)
class FxInputs:
    """Raw FX rows of one pair CCYUSD (epoch seconds, price), never resampled."""

    stamps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class BacktestInputs:
    """Everything one backtest reads: instruments by code and FX by currency (vs USD)."""

    instruments: dict[str, InstrumentInputs]
    fx_usd: dict[str, FxInputs]  # currency code -> its CCYUSD series
