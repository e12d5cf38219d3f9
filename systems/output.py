"""Write a backtest's results: OUT/<INSTRUMENT>.csv, OUT/summary.json, OUT/account_curve.arrow.

The directory is built beside OUT under a temporary name and swapped in by renames, so a reader
sees the previous complete results or the new complete results, never a mix. Columns and keys
are a contract other tools read (see docs/backtests.md).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from syscore.exceptions import SysprodError
from systems.daily import day_of_bin
from systems.engine import BacktestResult, InstrumentResult

SUMMARY = "summary.json"
CURVE = "account_curve.arrow"  # Arrow IPC file (pandas.read_feather reads it)
TAIL_COLUMNS = (
    "combined_forecast", "subsystem_position", "notional_position",
    "buffer_lower", "buffer_upper", "buffered_position",
)


def instrument_columns(result: InstrumentResult) -> dict[str, np.ndarray]:
    """Output columns (after `date`) in their contract order."""
    columns = {"price": result.price, "volatility": result.volatility}
    columns.update(result.forecasts)
    for name in TAIL_COLUMNS:
        columns[name] = getattr(result, name)
    return columns


def _float_array(values: np.ndarray):  # noqa: ANN202 - pyarrow array, imported lazily
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.float64) + 0.0  # no "-0" in the file
    valid = ~np.isnan(values)
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.float64(), len(values), [bitmap, pa.py_buffer(values)])


def _date_array(first_bin: int, length: int):  # noqa: ANN202
    import pyarrow as pa

    days = day_of_bin(np.arange(first_bin, first_bin + length)).astype(np.int32)
    return pa.Array.from_buffers(pa.date32(), length, [None, pa.py_buffer(days)])


def _write_instrument(path: Path, result: InstrumentResult) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = instrument_columns(result)
    table = pa.table(
        {"date": _date_array(result.start, len(result)), **{k: _float_array(v) for k, v in columns.items()}}
    )
    with open(path, "wb") as handle:
        handle.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, handle, write_options=pacsv.WriteOptions(include_header=False))


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else float(value)


def summary_of(result: BacktestResult, seconds: float) -> dict:
    return {
        "sharpe": _finite(result.net.sharpe),
        "gross_sharpe": _finite(result.gross.sharpe),
        "ann_mean_pct": _finite(result.net.ann_mean_pct),
        "ann_std_pct": _finite(result.net.ann_std_pct),
        "instrument_sharpe": {c: _finite(s.sharpe) for c, s in result.instrument_net.items()},
        "instruments": list(result.instruments),
        "seconds": round(seconds, 3),
    }


def _write_curve(path: Path, result: BacktestResult) -> None:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    curve = result.curve
    table = pa.table(
        {
            "date": _date_array(curve.start, len(curve.gross_pct)),
            "gross_pct": _float_array(curve.gross_pct),
            "costs_pct": _float_array(curve.costs_pct),
            "net_pct": _float_array(curve.net_pct),
        }
    )
    with ipc.new_file(path, table.schema) as writer:
        writer.write_table(table)


def check_output_dir(out: Path) -> None:
    """Refuse to replace a directory that is not a previous backtest output."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SUMMARY).is_file())):
        raise SysprodError(
            f"{out} exists and is not a backtest output (no {SUMMARY}); give a new or empty --out"
        )


class ResultsWriter:
    """Writes instrument files as soon as each is ready, then the summary, then swaps OUT in.

    Files go to a staging directory beside OUT on a few threads (pyarrow formats and writes
    outside the GIL, so this overlaps with the engine still computing other instruments). Until
    `commit`, OUT is untouched; `abort` removes the staging directory.
    """

    def __init__(self, out: Path):
        self.out = Path(out).resolve()
        check_output_dir(self.out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", dir=self.out.parent))
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._jobs: list = []

    def add(self, instrument: InstrumentResult) -> None:
        self._jobs.append(self._pool.submit(_write_instrument, self.staging / f"{instrument.code}.csv", instrument))

    def commit(self, result: BacktestResult, seconds: float) -> dict:
        for job in self._jobs:
            job.result()
        for code, instrument in result.instruments.items():
            if not (self.staging / f"{code}.csv").exists():
                _write_instrument(self.staging / f"{code}.csv", instrument)
        _write_curve(self.staging / CURVE, result)
        summary = summary_of(result, seconds)
        (self.staging / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
        os.chmod(self.staging, 0o755)
        if self.out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old.", dir=self.out.parent))
            os.replace(self.out, retired / self.out.name)
            os.replace(self.staging, self.out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(self.staging, self.out)
        self._pool.shutdown()
        return summary

    def abort(self) -> None:
        self._pool.shutdown(cancel_futures=True)
        shutil.rmtree(self.staging, ignore_errors=True)


def write_results(out: Path, result: BacktestResult, seconds: float) -> dict:
    """Write every file under a temp directory, then swap it in place of `out`."""
    writer = ResultsWriter(out)
    try:
        for instrument in result.instruments.values():
            writer.add(instrument)
        return writer.commit(result, seconds)
    except BaseException:
        writer.abort()
        raise
