"""How our instrument codes map to Interactive Brokers futures (pysystemtrade's
`ib_config_futures.csv` shape), and the conversions between our contract ids and IB's.

The tracked table is `sysbrokers/ib/ib_config_futures.csv`. A user adds or corrects instruments
with a file of the same shape, `ib_config_futures.csv`, in the data root or in the project's
`private/` folder: its rows replace the tracked rows of the same Instrument (the data root's file
wins over private/'s). Columns:

Instrument, IBSymbol, IBExchange, IBCurrency, IBMultiplier, priceMagnifier, IBTradingClass,
IBignoreWeekly. Our price = IB's price x priceMagnifier; our pointsize = IBMultiplier /
priceMagnifier (pysystemtrade's "effective multiplier").
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from syscore.exceptions import BrokerError, BrokerNoData, ConfigError

CONFIG_NAME = "ib_config_futures.csv"
TRACKED = Path(__file__).with_name(CONFIG_NAME)
COLUMNS = ("Instrument", "IBSymbol", "IBExchange", "IBCurrency", "IBMultiplier", "priceMagnifier",
           "IBTradingClass", "IBignoreWeekly")
REQUIRED = COLUMNS[:5]


@dataclass(frozen=True)
class IBInstrument:
    """One row of the table: how IB names one of our instruments."""

    instrument_code: str
    symbol: str
    exchange: str
    currency: str
    multiplier: float  # IB's
    price_magnifier: float = 1.0
    trading_class: str = ""
    ignore_weekly: bool = False

    @property
    def pointsize(self) -> float:
        return self.multiplier / self.price_magnifier

    @property
    def multiplier_text(self) -> str:
        return f"{self.multiplier:g}"


def _row(row: dict[str, str], where: str) -> IBInstrument:
    code = (row.get("Instrument") or "").strip()
    missing = [c for c in REQUIRED if not (row.get(c) or "").strip()]
    if missing:
        raise ConfigError(f"{where}: instrument {code or '?'}: {', '.join(missing)} empty; fill them in")
    try:
        multiplier = float(row["IBMultiplier"])
        magnifier = float((row.get("priceMagnifier") or "").strip() or 1.0)
    except ValueError:
        raise ConfigError(
            f"{where}: instrument {code}: IBMultiplier/priceMagnifier must be numbers "
            f"(got {row['IBMultiplier']!r}, {row.get('priceMagnifier')!r})"
        ) from None
    if multiplier <= 0 or magnifier <= 0:
        raise ConfigError(f"{where}: instrument {code}: IBMultiplier and priceMagnifier must be > 0")
    return IBInstrument(
        code, row["IBSymbol"].strip(), row["IBExchange"].strip(), row["IBCurrency"].strip().upper(),
        multiplier, magnifier, (row.get("IBTradingClass") or "").strip(),
        (row.get("IBignoreWeekly") or "").strip().lower() in ("true", "1", "yes"),
    )


def read_table(path: Path) -> dict[str, IBInstrument]:
    """One config file's rows by instrument code (a ConfigError naming the file and row if bad)."""
    try:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            absent = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if absent:
                raise ConfigError(f"{path}: columns {', '.join(absent)} missing; the header is {', '.join(COLUMNS)}")
            rows = [_row(row, f"{path} line {number}") for number, row in enumerate(reader, start=2)]
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the IB instrument config ({exc.strerror})") from None
    return {row.instrument_code: row for row in rows if row.instrument_code}


def user_tables(data_root: Path | None, project_root: Path | None = None) -> list[Path]:
    """The user's own config files, lowest priority first."""
    project_root = project_root or Path(__file__).resolve().parents[2]
    candidates = [project_root / "private" / CONFIG_NAME]
    if data_root is not None:
        candidates.append(Path(data_root) / CONFIG_NAME)
    return [path for path in candidates if path.is_file()]


class IBInstrumentTable:
    """The tracked table plus the user's rows; lookups in both directions."""

    def __init__(self, rows: dict[str, IBInstrument], sources: list[Path]):
        self.rows = rows
        self.sources = sources

    @classmethod
    def load(cls, data_root: Path | None = None, tracked: Path = TRACKED) -> IBInstrumentTable:
        sources = [tracked, *user_tables(data_root)]
        rows: dict[str, IBInstrument] = {}
        for path in sources:
            rows.update(read_table(path))
        return cls(rows, sources)

    def get(self, instrument_code: str) -> IBInstrument:
        row = self.rows.get(instrument_code)
        if row is None:
            raise BrokerNoData(
                f"{instrument_code}: no IB mapping in {CONFIG_NAME}; add a row for it to "
                f"<data_root>/{CONFIG_NAME} (columns {', '.join(COLUMNS)})"
            )
        return row

    def code_for(self, symbol: str, exchange: str, trading_class: str, multiplier: str | float) -> str | None:
        """Our instrument code for an IB contract (None when no row matches)."""
        try:
            mult = float(multiplier) if multiplier not in ("", None) else None
        except ValueError:
            mult = None
        for row in self.rows.values():
            if row.symbol != symbol:
                continue
            if exchange and row.exchange != exchange:
                continue
            if row.trading_class and trading_class and row.trading_class != trading_class:
                continue
            if mult is not None and abs(row.multiplier - mult) > 1e-9:
                continue
            return row.instrument_code
        return None


def ib_month(instrument_code: str, contract_id: str) -> str:
    """Our contract id -> IB's lastTradeDateOrContractMonth: YYYYMM for a month (day 00), the
    full date otherwise."""
    if len(contract_id) != 8 or not contract_id.isdigit():
        raise BrokerError(f"{instrument_code}: contract id '{contract_id}' is not YYYYMMDD")
    return contract_id[:6] if contract_id.endswith("00") else contract_id


def our_contract_id(contract_month: str) -> str:
    """IB's contractMonth (YYYYMM) -> our contract id YYYYMM00."""
    return f"{contract_month[:6]}00"


def parse_ib_date(text: str) -> dt.date:
    return dt.datetime.strptime(text[:8], "%Y%m%d").date()
