"""Fault injection for the simulated broker, kept in the DocumentStore.

A fault added by `sysprod broker fault add` (or a test) in one process is seen by the broker in
every other process of the installation (cron jobs, the stack handler). Each fault fires a given
number of times and then removes itself; the countdown is one atomic `update`, so two processes
never both consume the last one.

Kinds:
- `reject`: the next N orders (optionally for one instrument) are rejected.
- `disconnect`: the next N broker calls raise BrokerError; health says disconnected meanwhile.
- `stale`: the next N data requests for an instrument (optionally one contract) or an FX pair
  return no bar newer than when the fault was added.
- `spike`: the next N data requests return the latest bar's prices (OPEN, HIGH, LOW, FINAL)
  multiplied by `factor`.
- `partial`: the next N orders fill only `fraction` of their quantity; the rest stays working,
  unfilled, until cancelled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from syscore.clock import Clock
from syscore.exceptions import BrokerError, SysprodError
from sysdata.stores.documents import DocumentStore

COLLECTION = "sim_broker_faults"
KINDS = ("reject", "disconnect", "stale", "spike", "partial")
DATA_KINDS = ("stale", "spike")
ORDER_KINDS = ("reject", "partial")


@dataclass(frozen=True)
class Fault:
    id: int
    kind: str
    remaining: int
    instrument: str | None = None
    contract: str | None = None
    pair: str | None = None
    factor: float | None = None
    fraction: float | None = None
    created_at: str = ""

    @property
    def key(self) -> str:
        return f"{self.id:06d}"

    def describe(self) -> str:
        target = self.pair or " ".join(x for x in (self.instrument, self.contract) if x) or "any"
        extra = ""
        if self.kind == "spike":
            extra = f" x{self.factor:g}"
        elif self.kind == "partial":
            extra = f" fraction {self.fraction:g}"
        unit = "call(s)" if self.kind in ("disconnect", *DATA_KINDS) else "order(s)"
        return f"#{self.id} {self.kind}{extra} on {target}: next {self.remaining} {unit}"

    def matches_order(self, instrument: str) -> bool:
        return self.instrument is None or self.instrument == instrument

    def matches_bars(self, instrument: str, contract: str) -> bool:
        return self.pair is None and self.instrument == instrument and self.contract in (None, contract)

    def matches_fx(self, pair: str) -> bool:
        return self.pair == pair


class FaultError(SysprodError):
    """A fault that cannot be set up as asked."""


def validate_new_fault(
    kind: str, count: int, instrument: str | None, contract: str | None, pair: str | None,
    factor: float | None, fraction: float | None,
) -> None:
    """One clear line for each way a fault can be asked for wrongly."""
    if kind not in KINDS:
        raise FaultError(f"fault kind '{kind}' is unknown; choose one of {', '.join(KINDS)}")
    if count < 1:
        raise FaultError(f"fault count must be at least 1, got {count}")
    if kind in DATA_KINDS and not (instrument or pair):
        raise FaultError(f"a {kind} fault needs --instrument (optionally --contract) or --pair")
    if instrument and pair:
        raise FaultError("give --instrument or --pair, not both")
    if contract and not instrument:
        raise FaultError("--contract needs --instrument")
    if kind in ("disconnect",) and (instrument or pair):
        raise FaultError("a disconnect fault affects every call; drop --instrument/--pair")
    if kind in ORDER_KINDS and pair:
        raise FaultError(f"a {kind} fault applies to orders; use --instrument, not --pair")
    if kind == "spike" and (factor is None or factor <= 0 or factor == 1):
        raise FaultError("a spike fault needs --factor, a positive number other than 1 (e.g. 10)")
    if kind == "partial" and (fraction is None or not 0 <= fraction < 1):
        raise FaultError("a partial fault needs --fraction between 0 and 1 (e.g. 0.5)")


class FaultBook:
    """The installation's active faults (the clock stamps when each was added: a stale fault
    freezes data at that time)."""

    def __init__(self, documents: DocumentStore, clock: Clock):
        self._docs = documents
        self._clock = clock

    def add(
        self, kind: str, count: int = 1, instrument: str | None = None, contract: str | None = None,
        pair: str | None = None, factor: float | None = None, fraction: float | None = None,
    ) -> Fault:
        validate_new_fault(kind, count, instrument, contract, pair, factor, fraction)
        fault_id = self._docs.next_id(COLLECTION)
        fault = Fault(
            id=fault_id, kind=kind, remaining=count, instrument=instrument, contract=contract,
            pair=pair, factor=factor, fraction=fraction,
            created_at=self._clock.now().isoformat(),
        )
        self._docs.put(COLLECTION, fault.key, asdict(fault))
        return fault

    def list(self, kind: str | None = None) -> list[Fault]:
        docs = self._docs.find(COLLECTION, kind=kind) if kind else [d for _, d in self._docs.items(COLLECTION)]
        return [Fault(**doc) for doc in docs]

    def clear(self, fault_id: int | None = None) -> int:
        """Remove one fault (by id) or all; returns how many were removed."""
        if fault_id is not None:
            if not self._docs.delete(COLLECTION, f"{fault_id:06d}"):
                raise FaultError(f"no fault #{fault_id}; see 'sysprod broker fault list'")
            return 1
        keys = self._docs.keys(COLLECTION)
        for key in keys:
            self._docs.delete(COLLECTION, key)
        return len(keys)

    def consume(self, kind: str, matches: Any = None) -> Fault | None:
        """Fire the first matching fault of `kind` once (atomically); None when none applies."""
        for fault in self.list(kind):
            if matches is not None and not matches(fault):
                continue
            fired: list[dict] = []

            def count_down(doc: dict | None, fired: list[dict] = fired) -> dict | None:
                if doc is None or doc["remaining"] < 1:
                    return None
                fired.append(doc)
                left = doc["remaining"] - 1
                return None if left < 1 else {**doc, "remaining": left}

            self._docs.update(COLLECTION, fault.key, count_down)
            if fired:
                return Fault(**{**fired[0], "remaining": fired[0]["remaining"] - 1})
        return None

    def check_connected(self) -> None:
        """Consume one call of a disconnect fault, raising BrokerError if there is one."""
        fault = self.consume("disconnect")
        if fault is not None:
            raise BrokerError(
                f"simulated broker disconnected (injected fault #{fault.id}; "
                f"{fault.remaining} more call(s) will fail)"
            )
