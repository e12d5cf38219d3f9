"""Read a backtest's inputs: from a pysystemtrade CSV tree, or from the stores via a DataBlob.

This is the engine's only I/O module. CSV files are split into columns by pyarrow (in C, several
files at once), so even hundreds of instruments load in about a second and pandas is never
imported. Numbers are read from their text by `sysdata.csv_io.numbers.parse_decimal_text`, the one
parser of pysystemtrade CSV numbers: as pysystemtrade's pandas reads them in compatible mode,
correctly rounded in corrected mode.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from syscore.exceptions import DataValidationError, MissingData
from sysdata.csv_io.numbers import PANDAS_NA_TEXT, NotANumber, arrow_to_numpy, parse_decimal_text
from systems.inputs import BacktestInputs, FxInputs, InstrumentInputs

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

ADJUSTED = "adjusted_prices_csv"
MULTIPLE = "multiple_prices_csv"
FX = "fx_prices_csv"
CONFIG = "csvconfig"
MULTIPLE_COLUMNS = ("DATETIME", "PRICE", "CARRY", "PRICE_CONTRACT", "CARRY_CONTRACT")


def needed_currencies(currencies: set[str], base_currency: str) -> set[str]:
    """Currencies whose CCYUSD series the FX conversion reads."""
    needed = {c for c in currencies if c != base_currency and c != "USD"}
    if base_currency != "USD" and any(c != base_currency for c in currencies):
        needed.add(base_currency)
    return needed


# --- CSV tree -----------------------------------------------------------------------------------
def _read_columns(path: Path, columns: tuple[str, ...], pandas_numbers: bool) -> dict[str, np.ndarray]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not path.is_file():
        raise MissingData(f"{path}: file not found; check --csv-data points at a pysystemtrade CSV tree")
    types = {c: pa.string() for c in columns[1:]}
    types[columns[0]] = pa.timestamp("s")
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=types, include_columns=list(columns), strings_can_be_null=True,
                null_values=list(PANDAS_NA_TEXT),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
        first = str(exc).splitlines()[0]
        raise DataValidationError(f"{path}: cannot read ({first}); expected columns {', '.join(columns)}") from None
    if table.num_rows == 0:
        raise DataValidationError(f"{path}: no rows; a backtest needs prices in every file it reads")
    stamps = table.column(columns[0])
    if stamps.null_count:
        raise DataValidationError(f"{path}: {stamps.null_count} row(s) without a {columns[0]}; fix the file")
    out = {columns[0]: arrow_to_numpy(stamps, np.int64)}
    for name in columns[1:]:
        try:
            out[name] = parse_decimal_text(table.column(name), pandas_compatible=pandas_numbers)
        except NotANumber as exc:
            raise DataValidationError(f"{path}: column {name} {exc}; fix or blank it") from None
    return out


def _read_table(path: Path, key: str) -> dict[str, dict[str, str]]:
    if not path.is_file():
        raise MissingData(f"{path}: file not found; the CSV tree needs csvconfig/{path.name}")
    with open(path, newline="") as handle:
        return {row[key].strip(): row for row in csv.DictReader(handle, skipinitialspace=True)}


def _number(row: dict[str, str], column: str, table: str, instrument: str) -> float:
    raw = (row.get(column) or "").strip()
    if raw == "":
        return 0.0
    try:
        return float(raw)
    except ValueError:
        raise DataValidationError(
            f"{table}: {instrument} has {column} '{raw}', not a number; fix the file"
        ) from None


def _row(table: dict[str, dict[str, str]], instrument: str, name: str) -> dict[str, str]:
    if instrument not in table:
        raise MissingData(f"instrument {instrument} has no row in {name}; add one")
    return table[instrument]


def load_csv_inputs(
    root: Path, instruments: list[str], base_currency: str, pandas_numbers: bool = True
) -> BacktestInputs:
    """Read the instruments' prices, costs and the FX they need from a pysystemtrade CSV tree.

    `pandas_numbers` reads decimal text as pysystemtrade does (compatible mode); False reads it
    correctly rounded (corrected mode). See `sysdata.csv_io.numbers`.
    """
    fx, stream = stream_csv_inputs(root, instruments, base_currency, pandas_numbers=pandas_numbers)
    return BacktestInputs({i.code: i for i in stream}, fx)


def _use_returning_memory_pool() -> None:
    """Prefer an Arrow allocator that gives freed memory back (peak RSS ~40% lower than mimalloc
    when hundreds of files are parsed one after another)."""
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError):
        return  # a pyarrow built without jemalloc: its default pool serves, with a higher peak


def stream_csv_inputs(
    root: Path, instruments: list[str], base_currency: str, workers: int = 3, pandas_numbers: bool = True
) -> tuple[dict[str, FxInputs], Iterator[InstrumentInputs]]:
    """FX rows now, and an iterator of instruments in the order their files finish reading.

    Files are parsed on a small thread pool (pyarrow releases the GIL), so the caller can compute
    on one instrument while the next ones are still being read. Config tables are checked first:
    a missing row fails before any price file is opened.
    """
    root = Path(root)
    if not root.is_dir():
        raise MissingData(f"{root}: not a directory; --csv-data takes the root of a pysystemtrade CSV tree")
    _use_returning_memory_pool()
    config_dir = root / CONFIG
    meta = _read_table(config_dir / "instrumentconfig.csv", "Instrument")
    spreads = _read_table(config_dir / "spreadcosts.csv", "Instrument")
    rolls = _read_table(config_dir / "rollconfig.csv", "Instrument")
    rows = {i: _row(meta, i, "csvconfig/instrumentconfig.csv") for i in instruments}
    currencies = {rows[i]["Currency"].strip() for i in instruments}
    fx_needed = sorted(needed_currencies(currencies, base_currency))
    costs = {
        code: (
            _number(_row(spreads, code, "csvconfig/spreadcosts.csv"), "SpreadCost", "spreadcosts.csv", code),
            len(_row(rolls, code, "csvconfig/rollconfig.csv")["HoldRollCycle"].strip()),
        )
        for code in instruments
    }
    for folder, code in [(ADJUSTED, i) for i in instruments] + [(MULTIPLE, i) for i in instruments]:
        if not (root / folder / f"{code}.csv").is_file():
            raise MissingData(f"{root / folder / code}.csv: file not found; every instrument needs "
                              f"{ADJUSTED}/ and {MULTIPLE}/ files")
    fx_inputs = {}
    for ccy in fx_needed:
        frame = _read_columns(root / FX / f"{ccy}USD.csv", ("DATETIME", "PRICE"), pandas_numbers)
        fx_inputs[ccy] = FxInputs(frame["DATETIME"], frame["PRICE"])

    def build(code: str) -> InstrumentInputs:
        adjusted = _read_columns(root / ADJUSTED / f"{code}.csv", ("DATETIME", "price"), pandas_numbers)
        multiple = _read_columns(root / MULTIPLE / f"{code}.csv", MULTIPLE_COLUMNS, pandas_numbers)
        row = rows[code]
        spread, rolls_per_year = costs[code]
        return InstrumentInputs(
            code=code,
            adjusted_stamps=adjusted["DATETIME"],
            adjusted=adjusted["price"],
            multiple_stamps=multiple["DATETIME"],
            price=multiple["PRICE"],
            carry=multiple["CARRY"],
            price_contract=multiple["PRICE_CONTRACT"],
            carry_contract=multiple["CARRY_CONTRACT"],
            pointsize=_number(row, "Pointsize", "instrumentconfig.csv", code),
            currency=row["Currency"].strip(),
            per_block=_number(row, "PerBlock", "instrumentconfig.csv", code),
            percentage=_number(row, "Percentage", "instrumentconfig.csv", code),
            per_trade=_number(row, "PerTrade", "instrumentconfig.csv", code),
            spread_cost=spread,
            rolls_per_year=rolls_per_year,
        )

    def stream() -> Iterator[InstrumentInputs]:
        # At most `workers + 1` instruments are read ahead of the consumer, so raw rows of a
        # few instruments (not all of them) are in memory at any time.
        queue = list(instruments)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            running = {pool.submit(build, queue.pop(0)) for _ in range(min(workers + 1, len(queue)))}
            try:
                while running:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for _ in range(min(len(done), len(queue))):
                        running.add(pool.submit(build, queue.pop(0)))
                    for future in done:
                        yield future.result()
                    del done, future
            finally:
                for future in running:
                    future.cancel()

    return fx_inputs, stream()


# --- stores (DataBlob) --------------------------------------------------------------------------
def _stamps(index) -> np.ndarray:  # noqa: ANN001 - a pandas DatetimeIndex
    return index.to_numpy().astype("datetime64[s]").astype(np.int64)


def _contract_numbers(column) -> np.ndarray:  # noqa: ANN001 - a pandas Series of ids
    import pandas as pd

    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def load_blob_inputs(blob: DataBlob, instruments: list[str], base_currency: str) -> BacktestInputs:
    """Read the same inputs from the repositories of an installation."""
    out: dict[str, InstrumentInputs] = {}
    currencies: set[str] = set()
    for code in instruments:
        meta = blob.instruments.get(code)
        adjusted = blob.adjusted_prices.get(code)
        multiple = blob.multiple_prices.get(code)
        currencies.add(meta.currency)
        out[code] = InstrumentInputs(
            code=code,
            adjusted_stamps=_stamps(adjusted.index),
            adjusted=adjusted.to_numpy(dtype=float),
            multiple_stamps=_stamps(multiple.index),
            price=multiple["PRICE"].to_numpy(dtype=float),
            carry=multiple["CARRY"].to_numpy(dtype=float),
            price_contract=_contract_numbers(multiple["PRICE_CONTRACT"]),
            carry_contract=_contract_numbers(multiple["CARRY_CONTRACT"]),
            pointsize=meta.pointsize,
            currency=meta.currency,
            per_block=meta.per_block,
            percentage=meta.percentage,
            per_trade=meta.per_trade,
            spread_cost=blob.spread_costs.get(code),
            rolls_per_year=len(blob.roll_parameters.get(code).hold_roll_cycle),
        )
    fx: dict[str, FxInputs] = {}
    for ccy in sorted(needed_currencies(currencies, base_currency)):
        series = blob.fx_prices.get(f"{ccy}USD")
        fx[ccy] = FxInputs(_stamps(series.index), series.to_numpy(dtype=float))
    return BacktestInputs(out, fx)
