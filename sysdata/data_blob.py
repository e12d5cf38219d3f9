"""DataBlob: everything a process needs, built once from config.

Jobs take a DataBlob; tests build one on a temp directory. Repositories are made on first use so a
process that needs only one of them pays for only one. Every member is a typed attribute (a type
checker sees it); a later data kind is one more cached property here.

The broker is not named here: storage sits below the brokers, so the blob is given a broker
factory by the production layer above (its wiring module's `make_blob`, which every process,
command and test that needs a broker uses). A blob built without one says so when its broker is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from syscore.clock import Clock, clock_for_installation
from syscore.config import Config, default_private_config_path, load_config
from syscore.exceptions import ConfigError
from sysdata.repos.capital import StrategyCapital, TotalCapital
from sysdata.repos.contract_positions import ContractPositions
from sysdata.repos.contracts import Contracts
from sysdata.repos.instrument_config import Instruments, RollParametersRepo
from sysdata.repos.instrument_locks import InstrumentLocks
from sysdata.repos.logs import LogRecords
from sysdata.repos.optimal_positions import OptimalPositions
from sysdata.repos.order_stacks import (
    BrokerOrderStack,
    ContractOrderStack,
    HistoricOrders,
    InstrumentOrderStack,
)
from sysdata.repos.overrides import Overrides
from sysdata.repos.position_breaks import PositionBreaks
from sysdata.repos.position_limits import PositionLimits
from sysdata.repos.prices import AdjustedPrices, ContractPrices, FxPrices, MultiplePrices
from sysdata.repos.process_control import ProcessControl
from sysdata.repos.roll_calendars import RollCalendars
from sysdata.repos.roll_state import RollStates
from sysdata.repos.spread_costs import SpreadCosts
from sysdata.repos.strategy_positions import StrategyPositions
from sysdata.repos.trade_limits import TradeLimits
from sysdata.stores.csv_tables import CsvTableStore
from sysdata.stores.documents import DocumentStore, SqliteDocumentStore
from sysdata.stores.timeseries import ParquetTimeSeriesStore, TimeSeriesStore

SQLITE_FILE = "sysprod.sqlite"

# Builds the installation's broker from the blob (its config names which one); given by the
# wiring layer above sysdata.
BrokerFactory = Callable[["DataBlob"], Any]


def resolve_data_root(data_root: Path | None, config: Config | None = None) -> Path:
    if data_root is not None:
        return Path(data_root).expanduser().resolve()
    if config is not None:
        return Path(config["data_root"]).expanduser().resolve()
    return Path(load_config()["data_root"]).expanduser().resolve()


class DataBlob:
    """Stores, repositories, broker and clock of one installation (one data root)."""

    def __init__(self, data_root: Path, config: Config | None = None, clock: Clock | None = None,
                 broker_factory: BrokerFactory | None = None):
        self.config = config if config is not None else load_config(default_private_config_path(data_root))
        self.data_root = Path(data_root).expanduser().resolve()
        self._clock = clock
        self._broker_factory = broker_factory

    @classmethod
    def from_data_root(
        cls, data_root: Path | None = None, config_path: Path | None = None, clock: Clock | None = None,
        *, must_exist: bool = False, broker_factory: BrokerFactory | None = None,
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
        return cls(root, config, clock, broker_factory)

    @property
    def clock(self) -> Clock:
        """The clock given at construction, else the one the config names (wall or simulated)."""
        if self._clock is None:
            self._clock = clock_for_installation(self.config["clock"], self.data_root)
        return self._clock

    # --- stores -----------------------------------------------------------------------------
    @cached_property
    def timeseries(self) -> TimeSeriesStore:
        if self.config["timeseries_store"] == "arctic":
            from sysdata.stores.arctic_timeseries import arctic_store_for

            return arctic_store_for(self.config, self.data_root, self.documents)
        return ParquetTimeSeriesStore(self.data_root, fsync=self.config["fsync_writes"])

    @cached_property
    def documents(self) -> DocumentStore:
        if self.config["document_store"] == "mongo":
            from sysdata.stores.mongo_documents import connect_mongo

            return connect_mongo(self.config)
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
        """Spread cost per instrument, in the document store with its change history."""
        return SpreadCosts(self.documents, self.csv, lambda: self.clock.now())

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
        """Positions per contract, moved only by booked fills (the roll rules read this book)."""
        return ContractPositions(self.documents)

    @cached_property
    def strategy_positions(self) -> StrategyPositions:
        """Positions per strategy and instrument, moved only by booked fills."""
        return StrategyPositions(self.documents)

    @cached_property
    def instrument_orders(self) -> InstrumentOrderStack:
        return InstrumentOrderStack(self.documents)

    @cached_property
    def contract_orders(self) -> ContractOrderStack:
        return ContractOrderStack(self.documents)

    @cached_property
    def broker_orders(self) -> BrokerOrderStack:
        return BrokerOrderStack(self.documents)

    @cached_property
    def historic_orders(self) -> HistoricOrders:
        """Finished order families and the fill ledger (for reports)."""
        return HistoricOrders(self.documents)

    @cached_property
    def total_capital(self) -> TotalCapital:
        return TotalCapital(self.documents)

    @cached_property
    def strategy_capital(self) -> StrategyCapital:
        return StrategyCapital(self.documents)

    @cached_property
    def logs(self) -> LogRecords:
        return LogRecords(self)

    @cached_property
    def process_control(self) -> ProcessControl:
        return ProcessControl(self)

    @cached_property
    def optimal_positions(self) -> OptimalPositions:
        """Each strategy's optimal positions and buffers, from its nightly backtest."""
        return OptimalPositions(self.documents)

    @cached_property
    def instrument_locks(self) -> InstrumentLocks:
        """Locked instruments get no new orders (set by hand or by a position break)."""
        return InstrumentLocks(self.documents)

    @cached_property
    def overrides(self) -> Overrides:
        """Overrides per strategy, instrument or both, applied by the strategy order generator."""
        return Overrides(self.documents)

    @cached_property
    def position_limits(self) -> PositionLimits:
        """Absolute position limits per instrument and per strategy and instrument."""
        return PositionLimits(self.documents)

    @cached_property
    def position_breaks(self) -> PositionBreaks:
        """Open breaks between the broker's positions and the book (set by the stack handler)."""
        return PositionBreaks(self.documents)

    @cached_property
    def trade_limits(self) -> TradeLimits:
        """Most contracts traded per instrument (and per strategy and instrument) over N days."""
        return TradeLimits(self.documents)

    # --- broker -----------------------------------------------------------------------------
    @cached_property
    def broker(self) -> Any:
        """The installation's broker (the broker layer's `Broker` protocol), built on first use by
        the factory the wiring layer gave this blob."""
        if self._broker_factory is None:
            raise ConfigError(
                f"this DataBlob ({self.data_root}) was built without a broker; build it with "
                "the production wiring's make_blob"
            )
        return self._broker_factory(self)
