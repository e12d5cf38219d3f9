"""Where an instrument trades now: its priced and forward contracts (from the multiple prices)."""

from __future__ import annotations

from sysdata.data_blob import DataBlob
from sysobjects.multiple_prices_update import current_contracts


def priced_and_forward(data: DataBlob, instrument: str) -> tuple[str, str | None]:
    contracts = current_contracts(data.multiple_prices.get(instrument))
    forward = contracts["FORWARD"]
    return str(contracts["PRICE"]), (None if forward is None or forward != forward else str(forward))
