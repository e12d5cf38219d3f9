"""A backtest's results folder: OUT/<INSTRUMENT>.csv, OUT/summary.json, OUT/account_curve.arrow,
written by `sysprod backtest run` and read back by `sysprod backtest show`.

OUT is a symbolic link to one complete version of the results, kept in a hidden folder beside
it (`.OUT.versions/v<time>/`). A run writes a new version there, then points OUT at it by
renaming a new link over the old one: one atomic step, so there is no moment with no results,
and a reader that resolves OUT once (`results_dir`) reads one version whole, never a summary
from one run and files from another. The last few versions are kept (a slow reader's version
stays readable) and older ones removed. Columns and keys are a contract other tools read (see
docs/backtests.md).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from syscore.exceptions import MissingData, SysprodError
from systems.config import BacktestConfig
from systems.daily import day_of_bin
from systems.engine import BacktestResult, InstrumentResult
from systems.fixed_config import PARAMETERS, used_parameters

SUMMARY = "summary.json"
CONFIG_COPY = "config.yaml"  # the config as the run used it (systems.fixed_config.config_as_run)
KEEP_VERSIONS = 3  # the current results and the two before them
STAGING_PREFIX = ".staging-"
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


def summary_of(result: BacktestResult, seconds: float, config: BacktestConfig | None = None) -> dict:
    """The summary.json of a run; with its config, also the parameters it used (what
    `sysprod backtest export-fixed-config` writes back as fixed values)."""
    summary = {
        "sharpe": _finite(result.net.sharpe),
        "gross_sharpe": _finite(result.gross.sharpe),
        "ann_mean_pct": _finite(result.net.ann_mean_pct),
        "ann_std_pct": _finite(result.net.ann_std_pct),
        "instrument_sharpe": {c: _finite(s.sharpe) for c, s in result.instrument_net.items()},
        "instruments": list(result.instruments),
        "flagged": dict(result.flagged),  # degenerate instruments left out, with the reason
        "seconds": round(seconds, 3),
    }
    details = result.estimates.get("details", {})
    if details.get("never_trading"):  # no returns for the instrument-weight fit
        summary["never_trading"] = list(details["never_trading"])
    if details.get("expensive_rules"):  # left out of an instrument's forecast weights (ceiling_cost_SR)
        summary["expensive_rules"] = {
            code: {rule: round(cost, 6) for rule, cost in rules.items()}
            for code, rules in details["expensive_rules"].items()
        }
    if config is not None:
        summary[PARAMETERS] = used_parameters(config, result.estimates)
    return summary


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


def versions_dir(out: Path) -> Path:
    """Where the versions of OUT's results live: `.OUT.versions` beside OUT."""
    out = Path(out)
    return out.parent / f".{out.name}.versions"


def _absolute(out: Path) -> Path:
    """OUT made absolute without following OUT itself (it is usually a link)."""
    out = Path(os.path.abspath(out))
    return out.parent.resolve() / out.name


def _our_link(out: Path) -> bool:
    return out.is_symlink() and Path(os.readlink(out)).parent == Path(versions_dir(out).name)


def check_output_dir(out: Path) -> None:
    """Refuse to replace anything that is not previous backtest results (or an empty folder)."""
    out = _absolute(out)
    if out.is_symlink():
        if _our_link(out):
            return
        raise SysprodError(f"{out} is a link to somewhere else, not backtest results; give another --out")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SUMMARY).is_file())):
        raise SysprodError(
            f"{out} exists and is not a backtest output (no {SUMMARY}); give a new or empty --out"
        )


def results_dir(out: Path) -> Path:
    """The folder holding one complete version of OUT's results: resolve OUT once and read
    everything from the answer (a rerun then cannot mix versions under the reader)."""
    out = Path(out)
    return Path(os.path.realpath(out)) if out.is_symlink() else out


def _version_name() -> str:
    return f"v{time.time_ns():020d}"


def _point(out: Path, version: Path) -> None:
    """Make OUT a link to `version`, atomically (a new link renamed over the old one)."""
    link = out.parent / f".{out.name}.link-{os.getpid()}-{time.time_ns()}"
    os.symlink(Path(version.parent.name) / version.name, link)
    try:
        if out.is_dir() and not out.is_symlink():  # results written before versions: keep them
            os.replace(out, version.parent / f"v{0:020d}-{time.time_ns()}")
        os.replace(link, out)
    except BaseException:
        link.unlink(missing_ok=True)
        raise


def prune_versions(out: Path, keep: int = KEEP_VERSIONS) -> list[Path]:
    """Remove result versions beyond the newest `keep` (never the one OUT points at)."""
    out = _absolute(out)
    folder = versions_dir(out)
    if not folder.is_dir():
        return []
    current = Path(os.path.realpath(out)) if out.is_symlink() else None
    versions = sorted(p for p in folder.iterdir() if p.name.startswith("v") and p.is_dir())
    removed = []
    for version in versions[:-keep] if keep else versions:
        if version != current:
            shutil.rmtree(version, ignore_errors=True)
            removed.append(version)
    return removed


def remove_stale_staging(out: Path, older_than_seconds: float) -> list[Path]:
    """Remove staging folders of runs that died (not touched for `older_than_seconds`)."""
    folder = versions_dir(_absolute(out))
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    removed = []
    for path in folder.iterdir():
        if path.name.startswith(STAGING_PREFIX) and path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


class ResultsWriter:
    """Writes instrument files as soon as each is ready, then the summary, then points OUT at them.

    Files go to a staging directory in OUT's versions folder on a few threads (pyarrow formats
    and writes outside the GIL, so this overlaps with the engine still computing other
    instruments). Until `commit`, OUT is untouched; `abort` removes the staging directory.
    """

    def __init__(self, out: Path):
        self.out = _absolute(out)
        check_output_dir(self.out)
        folder = versions_dir(self.out)
        folder.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._jobs: list = []

    def add(self, instrument: InstrumentResult) -> None:
        self._jobs.append(self._pool.submit(_write_instrument, self.staging / f"{instrument.code}.csv", instrument))

    def write_text(self, name: str, text: str) -> None:
        """Another file of this version (the config copy...), published with the rest."""
        (self.staging / name).write_text(text)

    def commit(self, result: BacktestResult, seconds: float, config: BacktestConfig | None = None) -> dict:
        for job in self._jobs:
            job.result()
        for code, instrument in result.instruments.items():
            if not (self.staging / f"{code}.csv").exists():
                _write_instrument(self.staging / f"{code}.csv", instrument)
        _write_curve(self.staging / CURVE, result)
        summary = summary_of(result, seconds, config)
        (self.staging / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
        os.chmod(self.staging, 0o755)
        version = self.staging.parent / _version_name()
        os.replace(self.staging, version)
        _point(self.out, version)
        prune_versions(self.out)
        self._pool.shutdown()
        return summary

    def abort(self) -> None:
        self._pool.shutdown(cancel_futures=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):  # a first run that failed leaves nothing behind
            self.staging.parent.rmdir()


def write_results(out: Path, result: BacktestResult, seconds: float) -> dict:
    """Write every file into a new version, then point `out` at it."""
    writer = ResultsWriter(out)
    try:
        for instrument in result.instruments.values():
            writer.add(instrument)
        return writer.commit(result, seconds)
    except BaseException:
        writer.abort()
        raise


# --- reading results back (one version whole, even while a rerun swaps OUT) ---------------------
ATTEMPTS = 3


def load_results(out: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(summary, curve columns) of an output directory; a clear error when it is not one."""
    summary, curve, _ = load_results_from(out)
    return summary, curve


def load_results_from(out: Path) -> tuple[dict, dict[str, np.ndarray], Path]:
    """(summary, curve, the version folder they were read from), all from one version.

    OUT is resolved once per attempt; if that version is pruned by newer runs while we read
    (only a reader slower than several reruns), we start again on the new current version.
    """
    out = Path(out)
    folder = results_dir(out)
    for _ in range(ATTEMPTS - 1):
        try:
            return (*_load(out, folder), folder)
        except (FileNotFoundError, MissingData):
            newer = results_dir(out)
            if newer == folder:
                raise
            folder = newer
    return (*_load(out, folder), folder)


def _load(out: Path, folder: Path) -> tuple[dict, dict[str, np.ndarray]]:
    path = folder / SUMMARY
    if not path.is_file():
        raise MissingData(f"{out}: no {SUMMARY}; run 'sysprod backtest run CONFIG --out {out}' first")
    try:
        summary = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise MissingData(f"{path}: not valid JSON; re-run the backtest") from None
    curve_path = folder / CURVE
    if not curve_path.is_file():
        raise MissingData(f"{out}: no {CURVE}; re-run the backtest to write it")
    import pyarrow.ipc as ipc

    with ipc.open_file(curve_path) as reader:
        table = reader.read_all()
    curve = {
        "date": np.asarray(table.column("date").cast("int32").to_numpy(), dtype="int64").astype("datetime64[D]"),
        **{k: table.column(k).to_numpy() for k in ("gross_pct", "costs_pct", "net_pct")},
    }
    return summary, curve
