"""Overrides per strategy, per instrument, or per strategy and instrument (DocumentStore).

One document per override, keyed by its scope, so setting or clearing one is one atomic write.
The rules (what an override does, how several combine) are pure, in sysobjects/overrides.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from syscore.exceptions import DataValidationError
from sysdata.stores.documents import DocumentStore
from sysobjects.overrides import Override, combine


@dataclass(frozen=True)
class OverrideEntry:
    """A stored override and what it applies to (None = every strategy / every instrument)."""

    strategy_name: str | None
    instrument_code: str | None
    override: Override
    time: dt.datetime

    @property
    def label(self) -> str:
        return scope_label(self.strategy_name, self.instrument_code)


def scope_label(strategy: str | None, instrument: str | None) -> str:
    if strategy and instrument:
        return f"strategy {strategy} / instrument {instrument}"
    return f"strategy {strategy}" if strategy else f"instrument {instrument}"


def _key(strategy: str | None, instrument: str | None) -> str:
    if not strategy and not instrument:
        raise DataValidationError("an override applies to a strategy, an instrument or both; name one")
    if strategy and instrument:
        return f"strategy_instrument:{strategy}/{instrument}"
    return f"strategy:{strategy}" if strategy else f"instrument:{instrument}"


class Overrides:
    COLLECTION = "overrides"

    def __init__(self, documents: DocumentStore):
        self._docs = documents

    def set(self, strategy: str | None, instrument: str | None, override: Override,
            when: dt.datetime) -> None:
        """Store (or replace) the override of a scope. An override that changes nothing
        (multiplier 1) is the same as none, so it clears the scope instead."""
        key = _key(strategy, instrument)
        if override.is_none:
            self._docs.delete(self.COLLECTION, key)
            return
        self._docs.put(self.COLLECTION, key, {
            "strategy_name": strategy or None, "instrument_code": instrument or None,
            **override.to_dict(), "time": when.isoformat(),
        })

    def clear(self, strategy: str | None, instrument: str | None) -> bool:
        """Remove the override of a scope; False when there was none."""
        return self._docs.delete(self.COLLECTION, _key(strategy, instrument))

    def get(self, strategy: str | None, instrument: str | None) -> Override | None:
        doc = self._docs.get(self.COLLECTION, _key(strategy, instrument))
        return None if doc is None else Override.from_dict(doc)

    @staticmethod
    def _entry(doc: dict) -> OverrideEntry:
        return OverrideEntry(doc.get("strategy_name"), doc.get("instrument_code"),
                             Override.from_dict(doc), dt.datetime.fromisoformat(doc["time"]))

    def all(self) -> list[OverrideEntry]:
        """Every stored override: instruments first, then strategies, then strategy/instrument pairs."""
        return [self._entry(doc) for _, doc in self._docs.items(self.COLLECTION)]

    def applying_to(self, strategy: str, instrument: str) -> list[OverrideEntry]:
        """The overrides that apply to one strategy's trading of one instrument."""
        out = []
        for key in (_key(strategy, None), _key(None, instrument), _key(strategy, instrument)):
            doc = self._docs.get(self.COLLECTION, key)
            if doc is not None:
                out.append(self._entry(doc))
        return out

    def cumulative(self, strategy: str, instrument: str) -> Override:
        """All overrides of the strategy, the instrument and the pair, combined."""
        return combine(entry.override for entry in self.applying_to(strategy, instrument))
