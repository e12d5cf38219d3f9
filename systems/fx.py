"""FX rate of an instrument's currency in the base currency, as of each daily label.

The raw series is never resampled: labels are midnights and take the rate at the latest stamp at
or before them, so a rate stamped 23:00 the day before is what a midnight label sees (quirk 1).
"""

from __future__ import annotations

import numpy as np

from syscore.exceptions import MissingData
from systems.daily import SECONDS_PER_DAY, asof_stamps, sort_by_stamp
from systems.inputs import FxInputs

USD = "USD"


def _clean(fx: FxInputs) -> tuple[np.ndarray, np.ndarray]:
    stamps, values = sort_by_stamp(fx.stamps, fx.values)
    if len(stamps) > 1 and bool(np.any(stamps[1:] == stamps[:-1])):
        keep = np.concatenate((stamps[1:] != stamps[:-1], [True]))
        stamps, values = stamps[keep], values[keep]
    return stamps, values


class FxRates:
    """Rates of each currency against a base, as raw stamped series."""

    def __init__(self, fx_usd: dict[str, FxInputs], base_currency: str, today_seconds: int):
        self._fx = fx_usd
        self._base = base_currency
        self._today = today_seconds
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _usd(self, currency: str) -> tuple[np.ndarray, np.ndarray]:
        if currency not in self._fx:
            raise MissingData(
                f"no FX prices {currency}USD for an instrument in {currency}; "
                f"add fx_prices_csv/{currency}USD.csv (or import it into the store)"
            )
        return _clean(self._fx[currency])

    def series(self, currency: str) -> tuple[np.ndarray, np.ndarray]:
        """(stamps, rates) converting `currency` into the base currency."""
        if currency in self._cache:
            return self._cache[currency]
        if currency == self._base:
            # 1.0 on every weekday from 1970-01-01 to today, like the reference method.
            days = np.arange(0, self._today // SECONDS_PER_DAY + 1, dtype=np.int64)
            days = days[(days + 3) % 7 < 5]
            result = (days * SECONDS_PER_DAY, np.ones(len(days)))
        elif self._base == USD:
            result = self._usd(currency)
        elif currency == USD:
            stamps, values = self._usd(self._base)
            result = (stamps, 1.0 / values)
        else:
            own_stamps, own = self._usd(currency)
            base_stamps, base = self._usd(self._base)
            stamps = np.union1d(own_stamps, base_stamps)
            own_on = asof_stamps(own_stamps, own, stamps)
            base_on = asof_stamps(base_stamps, base, stamps)
            result = (stamps, own_on / base_on)
        self._cache[currency] = result
        return result

    def asof(self, currency: str, label_seconds: np.ndarray) -> np.ndarray:
        stamps, values = self.series(currency)
        return asof_stamps(stamps, values, label_seconds)
