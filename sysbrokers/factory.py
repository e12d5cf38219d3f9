"""The broker an installation's config names, built from its DataBlob (`data.broker`).

`broker: sim` is the embedded default: the simulated broker on the synthetic market
(`sim_market: synthetic`, from `sim_seed` and `sim_history_start`) or on a replayed real dataset
(`sim_market: replay`, from `sim_replay_source`). Markets are kept per process, so every blob of
one installation shares the generated (or loaded) prices.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syscore.exceptions import ConfigError

if TYPE_CHECKING:
    from sysbrokers.broker import Broker
    from sysbrokers.sim.market import SimMarket
    from sysdata.data_blob import DataBlob

_MARKETS: dict[tuple[Any, ...], SimMarket] = {}


def history_start(config: Any) -> dt.date:
    raw = config["sim_history_start"]
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ConfigError(
            f"{config.source_of('sim_history_start')}: 'sim_history_start' is {raw!r}; write a date YYYY-MM-DD"
        ) from None


def market_from_config(config: Any) -> SimMarket:
    """The simulated market the config names (one instance per process and settings)."""
    kind = config["sim_market"]
    if kind == "replay":
        source = config["sim_replay_source"]
        if not source:
            raise ConfigError(
                f"{config.source_of('sim_market')}: 'sim_replay_source' is required when sim_market is "
                "replay; set it to a pysystemtrade CSV tree"
            )
        key: tuple[Any, ...] = ("replay", str(Path(source).expanduser().resolve()))
    else:
        key = ("synthetic", int(config["sim_seed"]), history_start(config))
    if key not in _MARKETS:
        if key[0] == "replay":
            from sysbrokers.sim.replay import ReplayMarket

            _MARKETS[key] = ReplayMarket(Path(key[1]))
        else:
            from sysbrokers.sim.synthetic import SyntheticMarket

            _MARKETS[key] = SyntheticMarket(key[1], key[2])
    return _MARKETS[key]


def sim_broker_from_blob(blob: DataBlob) -> Broker:
    from sysbrokers.sim.broker import SimBroker, SimSettings

    config = blob.config
    settings = SimSettings(
        base_currency=config["base_currency"],
        initial_cash=float(config["sim_initial_cash"]),
        fill_latency_seconds=float(config["sim_fill_latency_seconds"]),
        partial_fill_fraction=float(config["sim_partial_fill_fraction"]),
    )
    if not 0 < settings.partial_fill_fraction <= 1:
        raise ConfigError(
            f"{config.source_of('sim_partial_fill_fraction')}: 'sim_partial_fill_fraction' is "
            f"{settings.partial_fill_fraction}; give a number above 0 and at most 1"
        )
    if settings.fill_latency_seconds < 0:
        raise ConfigError(
            f"{config.source_of('sim_fill_latency_seconds')}: 'sim_fill_latency_seconds' cannot be negative"
        )
    return SimBroker(blob.documents, market_from_config(config), blob.clock, settings)


_BUILDERS = {"sim": sim_broker_from_blob}


def broker_from_blob(blob: DataBlob) -> Broker:
    """The configured broker (config key `broker`)."""
    kind = blob.config["broker"]
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise ConfigError(
            f"{blob.config.source_of('broker')}: broker '{kind}' is not available in this installation; "
            f"choose one of {', '.join(sorted(_BUILDERS))}"
        )
    return builder(blob)
