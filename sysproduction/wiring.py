"""Wiring at the top: the one place a DataBlob is given its broker.

`sysdata` sits below the brokers and never names them; every process, command and test that
needs an installation's broker builds its blob here. The broker (simulated or IB, as config
says) is built on first use, so a blob used only for stored data never imports a broker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from syscore.clock import Clock
from syscore.config import Config
from sysdata.data_blob import DataBlob


def broker_for(blob: DataBlob) -> Any:
    """The broker the blob's config names (`sysbrokers.factory.broker_from_blob`)."""
    from sysbrokers.factory import broker_from_blob

    return broker_from_blob(blob)


def make_blob(
    data_root: Path | str | None = None, config: Config | None = None, clock: Clock | None = None,
    *, config_path: Path | None = None, must_exist: bool = False,
) -> DataBlob:
    """A DataBlob with its broker. Given `config` (already loaded), the blob is built on
    `data_root` as it is (tests, benchmarks); otherwise config is loaded from `config_path` or
    the data root's private config and the root is checked (`must_exist=True` for commands and
    processes: the root must already hold an installation)."""
    if config is not None:
        return DataBlob(Path(data_root) if data_root is not None else Path(config["data_root"]),
                        config, clock, broker_for)
    return DataBlob.from_data_root(
        Path(data_root) if data_root is not None else None, config_path, clock,
        must_exist=must_exist, broker_factory=broker_for,
    )

