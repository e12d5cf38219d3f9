"""Read a backtest's inputs: from a pysystemtrade CSV tree, or from the stores via a DataBlob.

This is the engine's only I/O module (and the only one of `systems` that imports `sysdata`). CSV
files are read by `sysdata.csv_io.columns` (pyarrow splits them into columns in C, several files at
once, so even hundreds of instruments load in about a second and pandas is never imported), with
numbers parsed by `sysdata.csv_io.numbers.parse_decimal_text`, the one parser of pysystemtrade CSV
numbers: as pysystemtrade's pandas reads them in compatible mode, correctly rounded in corrected
mode. Config rows become values by `InstrumentMeta.from_csv_row`, as in the importer.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from syscore.exceptions import BacktestConfigError, DataValidationError, MissingData
from sysdata.csv_io.columns import read_config_table, read_csv_columns
from sysdata.csv_io.layout import (
    ADJUSTED_FOLDER,
    CONFIG_FOLDER,
    FX_FOLDER,
    INSTRUMENT_CONFIG_FILE,
    MULTIPLE_FOLDER,
    ROLL_CONFIG_FILE,
    SPREAD_COSTS_FILE,
)
from sysobjects.instruments import InstrumentMeta, csv_number
from systems.config import BacktestConfig, parse_backtest_config
from systems.inputs import BacktestInputs, FxInputs, InstrumentInputs

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

MULTIPLE_COLUMNS = ("DATETIME", "PRICE", "CARRY", "PRICE_CONTRACT", "CARRY_CONTRACT")


# --- the config file ----------------------------------------------------------------------------
def load_backtest_config(path: Path, mode: str | None = None) -> BacktestConfig:
    """Read and validate a config file; `mode` overrides the file's `mode`."""
    import yaml

    path = Path(path)
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        raw = yaml.load(path.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    except FileNotFoundError:
        raise BacktestConfigError(f"{path}: no such config file; give the path of a YAML config") from None
    except OSError as exc:
        raise BacktestConfigError(f"{path}: cannot read the config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise BacktestConfigError(f"{path}: not valid YAML{line}; fix the syntax") from None
    return parse_backtest_config(raw, str(path), base_dir=path.parent, mode=mode)


def needed_currencies(currencies: set[str], base_currency: str) -> set[str]:
    """Currencies whose CCYUSD series the FX conversion reads."""
    needed = {c for c in currencies if c != base_currency and c != "USD"}
    if base_currency != "USD" and any(c != base_currency for c in currencies):
        needed.add(base_currency)
    return needed


# --- CSV tree -----------------------------------------------------------------------------------
def _meta(code: str, row: dict[str, str]) -> InstrumentMeta:
    try:
        return InstrumentMeta.from_csv_row(code, row)
    except DataValidationError as exc:
        raise DataValidationError(f"{CONFIG_FOLDER}/{INSTRUMENT_CONFIG_FILE}: {exc}") from None


def _config_number(row: dict[str, str], column: str, code: str) -> float:
    try:
        return csv_number(row, column, code)
    except DataValidationError as exc:
        raise DataValidationError(f"{CONFIG_FOLDER}/{SPREAD_COSTS_FILE}: {exc}") from None


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
    config_dir = root / CONFIG_FOLDER
    meta = read_config_table(config_dir / INSTRUMENT_CONFIG_FILE)
    spreads = read_config_table(config_dir / SPREAD_COSTS_FILE)
    rolls = read_config_table(config_dir / ROLL_CONFIG_FILE)
    rows = {i: _row(meta, i, f"{CONFIG_FOLDER}/{INSTRUMENT_CONFIG_FILE}") for i in instruments}
    metas = {code: _meta(code, row) for code, row in rows.items()}
    currencies = {metas[i].currency for i in instruments}
    fx_needed = sorted(needed_currencies(currencies, base_currency))
    costs = {
        code: (
            _config_number(_row(spreads, code, f"{CONFIG_FOLDER}/{SPREAD_COSTS_FILE}"), "SpreadCost", code),
            len(_row(rolls, code, f"{CONFIG_FOLDER}/{ROLL_CONFIG_FILE}")["HoldRollCycle"].strip()),
        )
        for code in instruments
    }
    for folder, code in [(ADJUSTED_FOLDER, i) for i in instruments] + [(MULTIPLE_FOLDER, i) for i in instruments]:
        if not (root / folder / f"{code}.csv").is_file():
            raise MissingData(f"{root / folder / code}.csv: file not found; every instrument needs "
                              f"{ADJUSTED_FOLDER}/ and {MULTIPLE_FOLDER}/ files")
    fx_inputs = {}
    for ccy in fx_needed:
        frame = read_csv_columns(root / FX_FOLDER / f"{ccy}USD.csv", ("DATETIME", "PRICE"), pandas_numbers)
        fx_inputs[ccy] = FxInputs(frame["DATETIME"], frame["PRICE"])

    def build(code: str) -> InstrumentInputs:
        adjusted = read_csv_columns(root / ADJUSTED_FOLDER / f"{code}.csv", ("DATETIME", "price"), pandas_numbers)
        multiple = read_csv_columns(root / MULTIPLE_FOLDER / f"{code}.csv", MULTIPLE_COLUMNS, pandas_numbers)
        meta = metas[code]
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
            pointsize=meta.pointsize,
            currency=meta.currency,
            per_block=meta.per_block,
            percentage=meta.percentage,
            per_trade=meta.per_trade,
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
    """yyyymmdd contract ids as numbers (NaN where missing or not a number). Arrow-backed text is
    cast by Arrow in C (pandas' to_numeric took ~0.1 s a column, most of a nightly run)."""
    import pandas as pd

    arrow = getattr(column.array, "_pa_array", None)
    if arrow is not None:
        import pyarrow as pa

        try:
            return np.asarray(arrow.cast(pa.float64()).to_numpy(), dtype=float)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # an empty or odd id: the slow path below makes it NaN
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def load_blob_inputs(blob: DataBlob, instruments: list[str], base_currency: str) -> BacktestInputs:
    """Read the same inputs from the repositories of an installation."""
    out = {code: _blob_instrument(blob, code) for code in instruments}
    return BacktestInputs(out, _blob_fx(blob, {i.currency for i in out.values()}, base_currency))


def stream_blob_inputs(
    blob: DataBlob, instruments: list[str], base_currency: str, workers: int = 3
) -> tuple[dict[str, FxInputs], Iterator[InstrumentInputs]]:
    """`load_blob_inputs` as `stream_csv_inputs` does it: FX now, and the instruments in the order
    their Parquet files finish reading on a small thread pool (pyarrow reads outside the GIL),
    so the engine computes on one while the next are read. The same values either way."""
    _use_returning_memory_pool()
    currencies = {blob.instruments.get(code).currency for code in instruments}  # checks names first
    fx = _blob_fx(blob, currencies, base_currency)
    for repo in ("adjusted_prices", "multiple_prices", "spread_costs", "roll_parameters"):
        getattr(blob, repo)  # built once here, not raced for by the threads

    def stream() -> Iterator[InstrumentInputs]:
        queue = list(instruments)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            running = {pool.submit(_blob_instrument, blob, queue.pop(0)) for _ in range(min(workers + 1, len(queue)))}
            try:
                while running:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for _ in range(min(len(done), len(queue))):
                        running.add(pool.submit(_blob_instrument, blob, queue.pop(0)))
                    for future in done:
                        yield future.result()
            finally:
                for future in running:
                    future.cancel()

    return fx, stream()


def _blob_instrument(blob: DataBlob, code: str) -> InstrumentInputs:
    meta = blob.instruments.get(code)
    adjusted = blob.adjusted_prices.get(code)
    multiple = blob.multiple_prices.get(code)
    return InstrumentInputs(
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


def _blob_fx(blob: DataBlob, currencies: set[str], base_currency: str) -> dict[str, FxInputs]:
    fx: dict[str, FxInputs] = {}
    for ccy in sorted(needed_currencies(currencies, base_currency)):
        series = blob.fx_prices.get(f"{ccy}USD")
        fx[ccy] = FxInputs(_stamps(series.index), series.to_numpy(dtype=float))
    return fx
