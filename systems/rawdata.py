"""Raw data stage: daily prices, returns volatility, annualised roll and raw carry.

Pure functions of one instrument's raw rows (spec sections 1 and 2). Holidays stay NaN: the
volatility never sees the move across a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from syscore.ewm import alpha_from_span, ewma, ewmstd
from sysobjects.contracts import contract_year_fraction
from systems.daily import Daily, align, daily_from_stamps, last_valid_by_key, sort_by_stamp
from systems.inputs import InstrumentInputs

BUSINESS_DAYS_PER_YEAR = 256
ROOT_BDAYS = 16.0  # sqrt(256)
MIN_CONTRACT_GAP_YEARS = 1.0 / 365.25


@dataclass(frozen=True)
class VolSettings:
    """`volatility_calculation` of the config (mixed fast/slow vol, spec section 1)."""

    days: int = 35
    min_periods: int = 10
    slow_vol_years: int = 10
    proportion_of_slow_vol: float = 0.3
    vol_abs_min: float = 1e-10
    multiplier_to_get_daily_vol: float = 1.0


def daily_price(stamps: np.ndarray, prices: np.ndarray) -> Daily:
    """P = DAILY(A, last): the last non-NaN price of each weekday bin, holidays NaN."""
    stamps, prices = sort_by_stamp(stamps, prices)
    return daily_from_stamps(stamps, prices, "last")


def daily_returns(price: Daily) -> Daily:
    """Differences of consecutive grid rows: a one-day holiday gives two NaN returns."""
    values = np.full(len(price), np.nan)
    values[1:] = price.values[1:] - price.values[:-1]
    return Daily(price.start, values)


def mixed_vol(returns: Daily, settings: VolSettings) -> Daily:
    """sigma = p*EWMA(sigmaS; span 256*years) + (1-p)*sigmaS, floored at vol_abs_min."""
    fast = ewmstd(returns.values, alpha_from_span(settings.days), settings.min_periods)
    slow_span = settings.slow_vol_years * BUSINESS_DAYS_PER_YEAR
    slow = ewma(fast, alpha_from_span(slow_span), 0)
    share = settings.proportion_of_slow_vol
    vol = share * slow + (1.0 - share) * fast
    vol = np.where(vol < settings.vol_abs_min, settings.vol_abs_min, vol)
    return Daily(returns.start, vol * settings.multiplier_to_get_daily_vol)


def annualised_roll_rows(
    stamps: np.ndarray,
    price: np.ndarray,
    carry: np.ndarray,
    price_contract: np.ndarray,
    carry_contract: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per raw row (deduplicated): (stamps, (PRICE - CARRY) / years between the contracts).

    The gap is floored at one day in magnitude but an exact 0 stays 0; a roll of exactly 0 is
    missing. Duplicate stamps keep the last non-NaN gap and roll separately.
    """
    stamps, price, carry, price_contract, carry_contract = sort_by_stamp(
        stamps, price, carry, price_contract, carry_contract
    )
    gap = contract_year_fraction(carry_contract) - contract_year_fraction(price_contract)
    gap = np.where((gap > 0) & (gap < MIN_CONTRACT_GAP_YEARS), MIN_CONTRACT_GAP_YEARS, gap)
    gap = np.where((gap < 0) & (gap > -MIN_CONTRACT_GAP_YEARS), -MIN_CONTRACT_GAP_YEARS, gap)
    roll = price - carry
    roll = np.where(roll == 0.0, np.nan, roll)
    keys, gap = last_valid_by_key(stamps, gap)
    _, roll = last_valid_by_key(stamps, roll)
    with np.errstate(divide="ignore", invalid="ignore"):
        return keys, roll / gap


def raw_carry(annualised_roll: Daily, vol: Daily) -> Daily:
    """RC = AR / (sigma * 16) on the union of the two grids."""
    start, (roll, sigma) = align(annualised_roll, vol)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Daily(start, roll / (sigma * ROOT_BDAYS))


class RawData:
    """The named daily data inputs of one instrument, each computed once on first use.

    Rules name these inputs in the config (`data:`); the names follow pysystemtrade's
    `rawdata.<method>` so configs carry over.
    """

    INPUTS = {
        "get_daily_prices": "daily_prices",
        "daily_prices": "daily_prices",
        "daily_returns": "daily_returns",
        "daily_returns_volatility": "daily_returns_volatility",
        "get_daily_returns_volatility": "daily_returns_volatility",
        "daily_annualised_roll": "daily_annualised_roll",
        "raw_carry": "raw_carry",
        "daily_denominator_price": "daily_denominator_price",
        "get_daily_denominator_price": "daily_denominator_price",
    }

    def __init__(self, instrument: InstrumentInputs, vol_settings: VolSettings):
        self.instrument = instrument
        self.vol_settings = vol_settings

    @classmethod
    def canonical(cls, name: str) -> str | None:
        """The attribute behind a data input name (`rawdata.` prefix optional), or None."""
        short = name[len("rawdata.") :] if name.startswith("rawdata.") else name
        return cls.INPUTS.get(short)

    def get(self, name: str) -> Daily:
        attr = self.canonical(name)
        if attr is None:
            raise KeyError(name)
        return getattr(self, attr)

    @cached_property
    def daily_prices(self) -> Daily:
        return daily_price(self.instrument.adjusted_stamps, self.instrument.adjusted)

    @cached_property
    def daily_returns(self) -> Daily:
        return daily_returns(self.daily_prices)

    @cached_property
    def daily_returns_volatility(self) -> Daily:
        return mixed_vol(self.daily_returns, self.vol_settings)

    @cached_property
    def daily_annualised_roll(self) -> Daily:
        i = self.instrument
        stamps, annroll = annualised_roll_rows(
            i.multiple_stamps, i.price, i.carry, i.price_contract, i.carry_contract
        )
        return daily_from_stamps(stamps, annroll, "mean")

    @cached_property
    def raw_carry(self) -> Daily:
        return raw_carry(self.daily_annualised_roll, self.daily_returns_volatility)

    @cached_property
    def daily_denominator_price(self) -> Daily:
        """D = DAILY(PRICE, last): the current contract's raw price (not the adjusted one)."""
        i = self.instrument
        stamps, price = sort_by_stamp(i.multiple_stamps, i.price)
        return daily_from_stamps(stamps, price, "last")

