"""The jobs of run_cleaners: old log records, old echo files, old backtest result versions, and
temp files left by killed writers.

Log records are stamped by the installation's clock, so their age is measured by it; echo files
and temp files are ordinary files, so their age is their modification time against the wall
clock. Nothing a live process is using is removed: a series' temp file goes only while its lock
is free, a backtest's staging folder or another temp file only once it is old.

Each job returns a JobSummary (pysystemtrade's method names: `clean_log_files`,
`clean_echo_files`, `clean_backtest_states`; `clean_logs` is the earlier name of the first).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from syscore.fileio import LockBusy, file_lock
from sysproduction.control.paths import echo_path
from sysproduction.jobs.summary import JobSummary

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)

STALE_TEMP_SECONDS = 3600  # a temp file or staging folder untouched this long is a dead writer's
_SKIP_WHEN_SEARCHING = {"parquet", "csv", "echos", "backups"}  # big trees that hold no results


def clean_log_files(data: DataBlob) -> JobSummary:
    summary = JobSummary("clean_log_files")
    days = data.config["log_retention_days"]
    with summary.isolated("log records", "clean"):
        deleted = data.logs.delete_older_than(days, data.clock.now())
        summary.updated["log records"] = f"deleted {deleted} log record(s) older than {days} days"
    return summary


clean_logs = clean_log_files  # the name run_cleaners used before


def clean_echo_files(data: DataBlob) -> JobSummary:
    summary = JobSummary("clean_echo_files")
    days = data.config["echo_retention_days"]
    folder = echo_path(data)
    cutoff = time.time() - days * 86400
    deleted = 0
    with summary.isolated("echo files", "clean"):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
        summary.updated["echo files"] = f"deleted {deleted} echo file(s) in {folder} not written for {days} days"
    return summary


def _results_outputs(root: Path, depth: int = 3) -> Iterator[Path]:
    """Backtest outputs under the data root: OUT for every `.OUT.versions` folder found."""
    for folder, dirs, _ in os.walk(root):
        here = Path(folder)
        level = len(here.relative_to(root).parts)
        for name in dirs:
            if name.startswith(".") and name.endswith(".versions"):
                yield here / name[1 : -len(".versions")]
        dirs[:] = [d for d in dirs if level + 1 < depth and not d.startswith(".")
                   and not (level == 0 and d in _SKIP_WHEN_SEARCHING)]


def clean_backtest_states(data: DataBlob) -> JobSummary:
    """Old versions of backtest results under the data root (the newest few are kept, and the
    one each output points at always), staging folders of runs that died, and every other temp
    file a killed writer left (see clean_stale_temp_files)."""
    summary = JobSummary("clean_backtest_states")
    _clean_backtest_versions(data, summary)
    _clean_temp_files(data, summary)
    return summary


def _clean_backtest_versions(data: DataBlob, summary: JobSummary) -> None:
    from sysproduction.backtests.results import KEEP_VERSIONS, prune_versions, remove_stale_staging

    for out in _results_outputs(data.data_root):
        item = str(out.relative_to(data.data_root))
        with summary.isolated(item, "clean"):
            versions = prune_versions(out, KEEP_VERSIONS)
            staging = remove_stale_staging(out, STALE_TEMP_SECONDS)
            if versions or staging:
                summary.updated[item] = (f"removed {len(versions)} old version(s), "
                                         f"{len(staging)} dead run(s)' staging")
            else:
                summary.unchanged.append(item)
    if not summary.updated and not summary.unchanged:
        summary.note = f"no backtest results under {data.data_root}"


def _old_temp_files(paths: Iterator[Path], cutoff: float) -> Iterator[Path]:
    for path in paths:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                yield path
        except FileNotFoundError:
            continue


def clean_stale_temp_files(data: DataBlob) -> JobSummary:
    """Temp files of writes that were killed: a series' ones whenever its lock is free (see
    ParquetTimeSeriesStore.clean_temp_files), others once untouched for an hour; and partial
    backup generations when no backup is running."""
    summary = JobSummary("clean_stale_temp_files")
    _clean_temp_files(data, summary)
    return summary


def _record(summary: JobSummary, item: str, removed: int, text: str) -> None:
    if removed:
        summary.updated[item] = text
    else:
        summary.unchanged.append(item)


def _clean_temp_files(data: DataBlob, summary: JobSummary) -> None:
    from sysproduction.jobs.housekeeping.backups import (
        LOCK,
        checked_backup_path,
        recover_interrupted,
    )

    root = data.data_root
    with summary.isolated("time series", "clean"):
        cleaner = getattr(data.timeseries, "clean_temp_files", None)
        removed = cleaner() if cleaner is not None else 0
        _record(summary, "time series", removed, f"removed {removed} temp file(s) of killed writes")
    with summary.isolated("other files", "clean"):
        cutoff = time.time() - STALE_TEMP_SECONDS
        removed = 0
        for path in _old_temp_files(chain((root / "csv").rglob(".*.tmp"), root.glob(".*.tmp")), cutoff):
            path.unlink(missing_ok=True)
            removed += 1
        _record(summary, "other files", removed, f"removed {removed} temp file(s) untouched for an hour")
    with summary.isolated("backups", "clean"):
        dest = checked_backup_path(data)
        if dest.is_dir():
            try:
                with file_lock(dest / LOCK, blocking=False, create_dirs=False):
                    gone = recover_interrupted(dest)
                _record(summary, "backups", gone, f"removed {gone} partial generation(s) of killed backups")
            except LockBusy:
                summary.unchanged.append("backups")  # a backup is running: leave it alone
