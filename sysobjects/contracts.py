"""Contract ids: `YYYYMMDD`, with day `00` when only the month is known (pysystemtrade's form)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from syscore.exceptions import DataValidationError

_CONTRACT_ID = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass(frozen=True, order=True)
class ContractId:
    """A futures contract month (and optional day), printed as `YYYYMMDD`."""

    year: int
    month: int
    day: int = 0

    @classmethod
    def parse(cls, text: str | int | float) -> ContractId:
        if isinstance(text, float):
            if text != text or text != int(text):
                raise DataValidationError(f"contract id {text!r} is not YYYYMMDD; write e.g. 20230900")
            text = int(text)
        raw = str(text).strip()
        match = _CONTRACT_ID.match(raw)
        if match is None:
            raise DataValidationError(f"contract id '{raw}' is not YYYYMMDD; write e.g. 20230900")
        year, month, day = (int(part) for part in match.groups())
        if not 1 <= month <= 12 or not 0 <= day <= 31 or year < 1900:
            raise DataValidationError(f"contract id '{raw}' has an impossible date; write e.g. 20230900")
        if day:
            try:
                dt.date(year, month, day)
            except ValueError:
                raise DataValidationError(f"contract id '{raw}' has an impossible day") from None
        return cls(year, month, day)

    @classmethod
    def from_month(cls, year: int, month: int) -> ContractId:
        return cls(year, month, 0)

    def __str__(self) -> str:
        return f"{self.year:04d}{self.month:02d}{self.day:02d}"

    @property
    def month_start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def year_fraction(self) -> float:
        """Year as a fraction (20260900 -> 2026.75), the carry rule's contract distance unit."""
        return self.year + self.month / 12.0

    def month_key(self) -> tuple[int, int]:
        return (self.year, self.month)
