"""Contract ids: `YYYYMMDD`, with day `00` when only the month is known (pysystemtrade's form)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

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
        """This contract as a year number (20260900 -> 2026.75); see `contract_year_fraction`."""
        return float(contract_year_fraction(np.array([int(str(self))], dtype=float))[0])

    def month_key(self) -> tuple[int, int]:
        return (self.year, self.month)


def contract_year_fraction(contract: np.ndarray) -> np.ndarray:
    """`YYYYMMDD` contract ids (numbers, NaN where missing) as year numbers: 20260900 -> 2026.75.

    The carry rule's distance between two contracts, pysystemtrade's arithmetic (SYSTEM_SPEC §2):
    yf = floor(c / 10000) + ((c mod 10000) / 100) / 12. For a `YYYYMM00` id that is the year plus
    the month as twelfths; a day, when one is given, counts as hundredths of a month (20260915 ->
    2026 + 9.15/12), exactly as pysystemtrade computes it, so carry numbers stay identical.

    Contract columns change only at rolls, so the arithmetic runs once per run of equal ids.
    """
    contract = np.asarray(contract, dtype=float)
    if len(contract) == 0:
        return contract.copy()
    changes = np.flatnonzero(contract[1:] != contract[:-1]) + 1
    starts = np.concatenate(([0], changes))
    ids = contract[starts]
    fractions = np.floor(ids / 10000.0) + (np.mod(ids, 10000.0) / 100.0) / 12.0
    return np.repeat(fractions, np.diff(np.concatenate((starts, [len(contract)]))))
