"""The broker an installation's config names, built from its DataBlob (`data.broker`).

There is no default broker: an installation chooses one when it is made (`sysprod init DIR
--broker sim|ib`). `broker: sim` is the simulated broker on the synthetic market
(`sim_market: synthetic`, from `sim_seed` and `sim_history_start`) or on a replayed real dataset
(`sim_market: replay`, from `sim_replay_source`). Markets are kept per process, so every blob of
one installation shares the generated (or loaded) prices. `broker: ib` is Interactive Brokers
(`sysbrokers.ib`, the `sysprod[ib]` extra) on the gateway `ib_ipaddress`/`ib_port`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syscore.exceptions import ConfigError, InstallationError

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


def market_identity(config: Any) -> dict[str, Any]:
    """Which market the config's simulated broker serves, as recorded in the installation."""
    if config["sim_market"] == "replay":
        return {"kind": "replay", "path": str(Path(str(config["sim_replay_source"])).expanduser().resolve())}
    return {"kind": "synthetic", "seed": int(config["sim_seed"]), "history_start": history_start(config).isoformat()}


def check_market_matches_prices(blob: DataBlob) -> None:
    """Refuse a simulated market that is not where the stored prices came from (its bars would be
    appended to another market's contracts), and record the market in the installation.

    A fresh installation's prices will come from this market, so that is recorded as their
    source; an older installation with prices of unknown origin is left as it is."""
    from sysdata.installation import describe_source, read_record, same_market, update_record

    market = market_identity(blob.config)
    record = read_record(blob.data_root)
    prices = record.get("prices_source")
    if prices is not None and not same_market(prices, market):
        fix = (
            f"set sim_market: replay and sim_replay_source: {prices['path']}"
            if prices.get("kind") in ("imported", "replay")
            else f"set sim_market: synthetic, sim_seed: {prices.get('seed')} and sim_history_start: "
            f"{prices.get('history_start')}"
        )
        raise InstallationError(
            f"the simulated broker serves {describe_source(market)} but the stored prices in "
            f"{blob.data_root} are {describe_source(prices)}; {fix} in the private config, or use "
            "another data root"
        )
    values: dict[str, Any] = {"sim_market": market}
    if prices is None and not blob.multiple_prices.list():
        values["prices_source"] = market
    update_record(blob.data_root, **values)


def sim_broker_from_blob(blob: DataBlob) -> Broker:
    from sysbrokers.sim.broker import SimBroker, SimSettings

    config = blob.config
    check_market_matches_prices(blob)
    settings = SimSettings(
        base_currency=config["base_currency"],
        initial_cash=float(config["sim_initial_cash"]),
        fill_latency_seconds=float(config["sim_fill_latency_seconds"]),
        partial_fill_fraction=float(config["sim_partial_fill_fraction"]),
    )
    # Ranges of the settings are checked when the config is loaded (syscore.config.RANGES).
    try:
        market = market_from_config(config)
    except ConfigError as exc:
        raise InstallationError(str(exc)) from None  # e.g. a replay tree without its csvconfig
    return SimBroker(blob.documents, market, blob.clock, settings)


def ib_broker_from_blob(blob: DataBlob) -> Broker:
    """Interactive Brokers through ib_async (sysbrokers/ib; docs/brokers.md)."""
    from sysbrokers.ib.build import ib_broker_from_blob as build

    return build(blob)


_BUILDERS = {"sim": sim_broker_from_blob, "ib": ib_broker_from_blob}


def broker_from_blob(blob: DataBlob) -> Broker:
    """The configured broker (config key `broker`)."""
    kind = blob.config["broker"]
    if kind is None:
        raise InstallationError(
            f"no broker chosen for the installation {blob.data_root}; choose one: "
            f"sysprod init {blob.data_root} --broker sim (or ib)"
        )
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise InstallationError(
            f"{blob.config.source_of('broker')}: broker '{kind}' is not available in this version of "
            f"sysprod; choose one of {', '.join(sorted(_BUILDERS))}"
        )
    return builder(blob)
