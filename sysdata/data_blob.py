"""DataBlob: everything a process needs, built once from config.

Jobs take a DataBlob; tests build one on a temp directory. Repositories are made on first use so a
process that needs only one of them pays for only one. Repositories added by later parts of the
system register themselves in `REPOSITORIES` (name -> "module:Class", the class taking the blob).
"""

from __future__ import annotations

import importlib
from functools import cached_property
from pathlib import Path
from typing import Any

from syscore.clock import Clock, clock_for_installation
from syscore.config import Config, default_private_config_path, load_config
from sysdata.repos.contract_positions import ContractPositions
from sysdata.repos.contracts import Contracts
from sysdata.repos.instrument_config import Instruments, RollParametersRepo, SpreadCosts
from sysdata.repos.prices import AdjustedPrices, ContractPrices, FxPrices, MultiplePrices
from sysdata.repos.roll_calendars import RollCalendars
from sysdata.repos.roll_state import RollStates
from sysdata.stores.csv_tables import CsvTableStore
from sysdata.stores.documents import DocumentStore, SqliteDocumentStore
from sysdata.stores.timeseries import ParquetTimeSeriesStore, TimeSeriesStore

SQLITE_FILE = "sysprod.sqlite"

# Repositories built from the blob itself: name -> "module:Class" (constructor takes the blob).
REPOSITORIES: dict[str, str] = {}
REPOSITORIES["logs"] = "sysdata.repos.logs:LogRecords"
REPOSITORIES["process_control"] = "sysdata.repos.process_control:ProcessControl"
REPOSITORIES["broker"] = "sysbrokers.factory:broker_from_blob"


def resolve_data_root(data_root: Path | None, config: Config | None = None) -> Path:
    if data_root is not None:
        return Path(data_root).expanduser().resolve()
    if config is not None:
        return Path(config["data_root"]).expanduser().resolve()
    return Path(load_config()["data_root"]).expanduser().resolve()


class DataBlob:
    """Stores, repositories, broker and clock of one installation (one data root)."""

    def __init__(self, data_root: Path, config: Config | None = None, clock: Clock | None = None):
        self.config = config if config is not None else load_config(default_private_config_path(data_root))
        self.data_root = Path(data_root).expanduser().resolve()
        self._clock = clock

    @classmethod
    def from_data_root(
        cls, data_root: Path | None = None, config_path: Path | None = None, clock: Clock | None = None,
        *, must_exist: bool = False,
    ) -> DataBlob:
        """Load config (named file, else the data root's or project's private config) and build.

        Commands and processes pass `must_exist=True`: the data root must already hold an
        installation (is it writable is checked then too), so a mistyped SYSPROD_DATA_ROOT never
        becomes a new empty installation. Either way a root below a file fails here, in one line,
        before any store is opened. (Tests and benchmarks build blobs on fresh temp dirs.)"""
        from sysdata.installation import check_installation, check_placeable

        if data_root is not None:
            root = Path(data_root).expanduser().resolve()
            check_placeable(root)
            config = load_config(config_path or default_private_config_path(root))
        else:
            config = load_config(config_path or default_private_config_path(None))
            root = resolve_data_root(None, config)
        if must_exist:
            check_installation(root)
        else:
            check_placeable(root)
        return cls(root, config, clock)

    @property
    def clock(self) -> Clock:
        """The clock given at construction, else the one the config names (wall or simulated)."""
        if self._clock is None:
            self._clock = clock_for_installation(self.config["clock"], self.data_root)
        return self._clock

    # --- stores -----------------------------------------------------------------------------
    @cached_property
    def timeseries(self) -> TimeSeriesStore:
        return ParquetTimeSeriesStore(self.data_root, fsync=self.config["fsync_writes"])

    @cached_property
    def documents(self) -> DocumentStore:
        return SqliteDocumentStore(
            self.data_root / SQLITE_FILE, self.config["sqlite_busy_timeout_seconds"]
        )

    @cached_property
    def csv(self) -> CsvTableStore:
        return CsvTableStore(self.data_root, fsync=self.config["fsync_writes"])

    # --- repositories -----------------------------------------------------------------------
    @cached_property
    def fx_prices(self) -> FxPrices:
        return FxPrices(self.timeseries)

    @cached_property
    def contract_prices(self) -> ContractPrices:
        return ContractPrices(self.timeseries)

    @cached_property
    def multiple_prices(self) -> MultiplePrices:
        return MultiplePrices(self.timeseries)

    @cached_property
    def adjusted_prices(self) -> AdjustedPrices:
        return AdjustedPrices(self.timeseries)

    @cached_property
    def instruments(self) -> Instruments:
        return Instruments(self.csv)

    @cached_property
    def roll_parameters(self) -> RollParametersRepo:
        return RollParametersRepo(self.csv)

    @cached_property
    def spread_costs(self) -> SpreadCosts:
        return SpreadCosts(self.csv)

    @cached_property
    def roll_calendars(self) -> RollCalendars:
        return RollCalendars(self.csv)

    @cached_property
    def contracts(self) -> Contracts:
        return Contracts(self.documents)

    @cached_property
    def roll_states(self) -> RollStates:
        return RollStates(self.documents)

    @cached_property
    def contract_positions(self) -> ContractPositions:
        return ContractPositions(self.documents)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not defined above: registered repositories, built once.
        target = REPOSITORIES.get(name)
        if target is None:
            raise AttributeError(name)
        module_name, class_name = target.split(":")
        repo = getattr(importlib.import_module(module_name), class_name)(self)
        self.__dict__[name] = repo
        return repo
