"""Overrides: a person's brake on what the strategies trade, per strategy, instrument, or both.

An override is one of
- a multiplier in [0, 1] (pysystemtrade's float override): the position the trade leads to is
  scaled, `new position = desired position * multiplier`, cut towards zero to whole contracts.
  0 is pysystemtrade's "close": every trade then heads to a flat position (a position inside its
  buffer is closed too, because the override applies to the buffered trade even when that is 0);
- reduce-only: a trade that would grow the position is dropped, one that would flip its sign is
  cut to a closing trade, one that reduces it passes;
- no trading: every trade becomes 0.

Several overrides can apply to one strategy and instrument (the strategy's, the instrument's and
the pair's). pysystemtrade multiplies them (its `Override.__mul__`): no-trading wins over all, then
close (0.0), then reduce-only, then the floats multiply. Here they combine the same way, but
without losing anything: multipliers multiply, and reduce-only / no-trading are flags that hold if
any override sets them. So 0.5 with reduce-only scales the position by 0.5 AND then forbids
growth, where pysystemtrade would keep only reduce-only; 0 with reduce-only closes (reduce-only
allows closing), as pysystemtrade's close does.

Two choices differ from pysystemtrade on purpose, and both can only trade less:
- pysystemtrade cuts a scaled position with `floor`, which for a short position moves away from
  zero (-3 * 0.5 = -1.5 -> -2, so a halving override leaves a larger short than a long). Here the
  cut is towards zero in both directions (-1.5 -> -1), so a multiplier never grows a position.
- the scaled product is rounded to 9 decimals before the cut, so binary float noise never costs
  a whole contract (overrides 0.35 and 0.2 combine to 0.06999999999999999, and 100 contracts
  times that is 6.999999999999999: 7, not 6).

Pure: values in, (trade, reason) out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from syscore.exceptions import DataValidationError

REDUCE_ONLY = "reduce_only"
NO_TRADING = "no_trading"
CLOSE = "close"

# What a user may type for an override (the CLI and the interactive tool).
OVERRIDE_HELP = "a multiplier from 0 to 1, close (= 0), reduce_only or no_trading"


@dataclass(frozen=True)
class Override:
    """An override (stored: exactly one of the three set), or several combined."""

    multiplier: float = 1.0
    reduce_only: bool = False
    no_trading: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.multiplier, int | float) and math.isfinite(self.multiplier)
                and 0.0 <= self.multiplier <= 1.0):
            raise DataValidationError(
                f"override multiplier {self.multiplier} is outside [0, 1]; give {OVERRIDE_HELP}"
            )

    @classmethod
    def parse(cls, text: str) -> Override:
        """An override from what a user typed: `0.5`, `close`, `reduce_only`, `no_trading`
        (dashes or spaces for the underscore, any case)."""
        raw = str(text).strip()
        try:
            value = float(raw)
        except ValueError:
            value = None
        if value is not None:
            return cls(multiplier=value)
        word = raw.lower().replace("-", "_").replace(" ", "_")
        if word == REDUCE_ONLY:
            return cls(reduce_only=True)
        if word == NO_TRADING:
            return cls(no_trading=True)
        if word == CLOSE:
            return cls(multiplier=0.0)
        raise DataValidationError(f"override '{text}' is not {OVERRIDE_HELP}")

    @property
    def is_none(self) -> bool:
        """True when it changes nothing (multiplier 1, no flags)."""
        return self.multiplier == 1.0 and not self.reduce_only and not self.no_trading

    def __mul__(self, other: Override) -> Override:
        return Override(
            multiplier=self.multiplier * other.multiplier,
            reduce_only=self.reduce_only or other.reduce_only,
            no_trading=self.no_trading or other.no_trading,
        )

    def describe(self) -> str:
        parts = []
        if self.no_trading:
            parts.append(NO_TRADING)
        if self.reduce_only:
            parts.append(REDUCE_ONLY)
        if self.multiplier != 1.0 or not parts:
            parts.append("close (x0)" if self.multiplier == 0.0 else f"x{self.multiplier:g}")
        return " + ".join(parts)

    def to_dict(self) -> dict:
        return {"multiplier": self.multiplier, "reduce_only": self.reduce_only,
                "no_trading": self.no_trading}

    @classmethod
    def from_dict(cls, doc: dict) -> Override:
        return cls(float(doc.get("multiplier", 1.0)), bool(doc.get("reduce_only", False)),
                   bool(doc.get("no_trading", False)))


NO_OVERRIDE = Override()


def combine(overrides: Iterable[Override]) -> Override:
    """All the overrides that apply to one strategy and instrument, as one."""
    result = NO_OVERRIDE
    for override in overrides:
        result = result * override
    return result


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _scaled(position: int, multiplier: float) -> int:
    """`position * multiplier` cut towards zero to whole contracts."""
    return int(math.trunc(round(position * multiplier, 9)))


def apply_override(override: Override, position: int, trade: int) -> tuple[int, str]:
    """The trade after `override`, for a strategy holding `position` (including orders already on
    the stack) that wants `trade`; and why (empty reason when the override changes nothing)."""
    position, trade = int(position), int(trade)
    if override.is_none:
        return trade, ""
    if override.no_trading:
        return 0, f"override {override.describe()}: trade {trade:+d} -> 0"
    desired = position + trade
    new_trade = trade
    steps = []
    if override.multiplier != 1.0:
        scaled = _scaled(desired, override.multiplier)
        new_trade = scaled - position
        steps.append(f"position {desired} x{override.multiplier:g} -> {scaled}")
        desired = scaled
    if override.reduce_only:
        if _sign(desired) != _sign(position):
            if position != 0 or desired != 0:
                steps.append("reduce-only: no new or flipped position, close only")
            new_trade = -position
        elif abs(desired) > abs(position):
            steps.append(f"reduce-only: {position} -> {desired} would grow the position")
            new_trade = 0
    reason = f"override {override.describe()}: trade {trade:+d} -> {new_trade:+d}"
    if steps:
        reason += f" ({'; '.join(steps)})"
    return new_trade, reason
