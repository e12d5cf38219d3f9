"""Position breaks: where the broker's contract positions and our book disagree.

The book (contract positions from booked fills) is what the roll rules and the order generator
trust; the broker is what we really hold. When they differ in any contract of an instrument, that
instrument has a break: nothing should trade it (and no roll should act on it) until a person
finds out why, or the difference goes away (a late fill booked, a balance trade recorded).

An instrument with orders in flight (a broker order sent or being sent, not yet finished) is not
judged: its fills may have reached the broker and not yet our book, which is a difference but not
a break. Pure: positions in, breaks out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

BREAK_PREFIX = "position break:"

Positions = Mapping[tuple[str, str], int]  # (instrument, contract) -> signed position


@dataclass(frozen=True)
class PositionBreak:
    """One instrument's differing contracts: contract -> (book, broker)."""

    instrument_code: str
    differences: tuple[tuple[str, int, int], ...]  # (contract, book, broker), by contract

    def describe(self) -> str:
        parts = [f"{contract} book {book} vs broker {broker}" for contract, book, broker in self.differences]
        return f"{BREAK_PREFIX} {self.instrument_code} " + "; ".join(parts)

    def to_dict(self) -> dict:
        return {"instrument_code": self.instrument_code,
                "differences": [list(d) for d in self.differences]}

    @classmethod
    def from_dict(cls, doc: dict) -> PositionBreak:
        return cls(doc["instrument_code"], tuple((str(c), int(b), int(k)) for c, b, k in doc["differences"]))


def position_breaks(book: Positions, broker: Positions, in_flight: Iterable[str] = ()) -> dict[str, PositionBreak]:
    """Instrument -> its break, for every instrument (not in flight) where a contract's book
    position differs from the broker's (a missing entry is 0)."""
    skip = set(in_flight)
    found: dict[str, list[tuple[str, int, int]]] = {}
    for instrument, contract in sorted(set(book) | set(broker)):
        if instrument in skip:
            continue
        ours, theirs = int(book.get((instrument, contract), 0)), int(broker.get((instrument, contract), 0))
        if ours != theirs:
            found.setdefault(instrument, []).append((contract, ours, theirs))
    return {code: PositionBreak(code, tuple(diffs)) for code, diffs in found.items()}


def is_break_reason(reason: str | None) -> bool:
    """Was a lock with this reason set by the position-break check?"""
    return reason is not None and reason.startswith(BREAK_PREFIX)
