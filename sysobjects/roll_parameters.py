"""Roll cycles and roll parameters: which contracts exist, which we hold, when they expire.

Month letters are the exchange codes FGHJKMNQUVXZ (Jan..Dec). The hold cycle is what we trade;
the priced cycle is every contract that trades (and so can be a carry contract).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from syscore.exceptions import DataValidationError
from sysobjects.contracts import ContractId
from sysobjects.instruments import csv_number

MONTH_LETTERS = "FGHJKMNQUVXZ"


def cycle_months(cycle: str) -> list[int]:
    """'HMUZ' -> [3, 6, 9, 12]; rejects unknown letters and repeats."""
    if not cycle or any(letter not in MONTH_LETTERS for letter in cycle):
        raise DataValidationError(
            f"roll cycle '{cycle}' must be month letters from {MONTH_LETTERS}, e.g. HMUZ"
        )
    months = sorted(MONTH_LETTERS.index(letter) + 1 for letter in cycle)
    if len(set(months)) != len(months):
        raise DataValidationError(f"roll cycle '{cycle}' repeats a month")
    return months


def month_letter(month: int) -> str:
    return MONTH_LETTERS[month - 1]


def step_in_cycle(contract: ContractId, cycle: str, steps: int) -> ContractId:
    """The contract `steps` places after (negative: before) `contract` in `cycle`.

    A contract not itself in the cycle steps from its position between cycle months.
    """
    months = cycle_months(cycle)
    year, month = contract.year, contract.month
    if steps == 0:
        return ContractId.from_month(year, month)
    for _ in range(abs(steps)):
        if steps > 0:
            later = [m for m in months if m > month]
            year, month = (year, later[0]) if later else (year + 1, months[0])
        else:
            earlier = [m for m in months if m < month]
            year, month = (year, earlier[-1]) if earlier else (year - 1, months[-1])
    return ContractId.from_month(year, month)


def contracts_between(start: dt.date, end: dt.date, cycle: str) -> list[ContractId]:
    """Every contract month in `cycle` from `start`'s month to `end`'s month inclusive."""
    months = set(cycle_months(cycle))
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        if month in months:
            out.append(ContractId.from_month(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass(frozen=True)
class RollParameters:
    """One instrument's roll config (pysystemtrade's rollconfig.csv row)."""

    hold_roll_cycle: str
    priced_roll_cycle: str
    roll_offset_days: int
    carry_offset: int
    expiry_offset: int

    def __post_init__(self) -> None:
        hold = set(cycle_months(self.hold_roll_cycle))
        priced = set(cycle_months(self.priced_roll_cycle))
        if not hold <= priced:
            raise DataValidationError(
                f"hold cycle {self.hold_roll_cycle} has months missing from the priced cycle "
                f"{self.priced_roll_cycle}; every held month must be priced"
            )

    @classmethod
    def from_csv_row(cls, code: str, row: Mapping[str, Any]) -> RollParameters:
        """One row of pysystemtrade's rollconfig.csv (text or parsed cells), the one reading of it."""
        def whole(column: str) -> int:
            value = csv_number(row, column, code, blank=None)
            if value != int(value):
                raise DataValidationError(f"instrument {code}: {column} {value:g} is not a whole number")
            return int(value)

        return cls(
            hold_roll_cycle=str(row.get("HoldRollCycle", "")).strip(),
            priced_roll_cycle=str(row.get("PricedRollCycle", "")).strip(),
            roll_offset_days=whole("RollOffsetDays"),
            carry_offset=whole("CarryOffset"),
            expiry_offset=whole("ExpiryOffset"),
        )

    def expected_expiry(self, contract: ContractId) -> dt.date:
        """Approximate expiry: the 1st of the contract month plus ExpiryOffset days."""
        return contract.month_start + dt.timedelta(days=self.expiry_offset)

    def expected_roll_date(self, contract: ContractId, expiry: dt.date | None = None) -> dt.date:
        """When we roll out of `contract`: expiry plus RollOffsetDays (usually negative)."""
        expiry = expiry or self.expected_expiry(contract)
        return expiry + dt.timedelta(days=self.roll_offset_days)

    def next_held(self, contract: ContractId) -> ContractId:
        return step_in_cycle(contract, self.hold_roll_cycle, 1)

    def previous_held(self, contract: ContractId) -> ContractId:
        return step_in_cycle(contract, self.hold_roll_cycle, -1)

    def carry_contract(self, priced: ContractId) -> ContractId:
        """CarryOffset steps through the priced cycle (-1: the nearer contract, 1: the next)."""
        return step_in_cycle(priced, self.priced_roll_cycle, self.carry_offset)
