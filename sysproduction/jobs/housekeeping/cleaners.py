"""The jobs of run_cleaners (pysystemtrade's names): `clean_backtest_states`, `clean_echo_files`,
`clean_log_files` (`clean_logs` is the earlier name of the last), and `clean_stale_temp_files`.

Log records and backtest runs are stamped by the installation's clock, so their age is measured
by it; echo files and temp files are ordinary files, so their age is their modification time
against the wall clock. Nothing a live process is using is removed or lost: a backtest run folder
is renamed away before it is deleted (never half there), the newest run of a strategy always
stays, an echo file being appended to is cut in place without losing a line (see
`cut_to_last_lines`), and a temp file goes only once its writer is provably gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import errno
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from syscore.fileio import LockBusy, file_lock
from sysproduction.control.paths import backtest_store_path, echo_path
from sysproduction.jobs.summary import JobSummary

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)

STALE_TEMP_SECONDS = 3600  # a temp file or staging folder untouched this long is a dead writer's
ECHO_KEEP_LINES = 20_000
_SKIP_WHEN_SEARCHING = {"parquet", "csv", "echos", "backups", "backtests", "reports"}
RUN_FOLDER = re.compile(r"^(\d{8}_\d{6})(?:-(\d+))?$")  # <YYYYmmdd_HHMMSS>[-N], as run_systems names them
RUN_STAGING = ".run-"  # a run being written
REMOVING = ".removing-"  # a run being deleted


# --- logs ---------------------------------------------------------------------------------------
def clean_log_files(data: DataBlob) -> JobSummary:
    """Stored log records older than `log_retention_days` (by the installation's clock)."""
    summary = JobSummary("clean_log_files")
    days = data.config["log_retention_days"]
    with summary.isolated("log records", "clean"):
        deleted = data.logs.delete_older_than(days, data.clock.now())
        summary.updated["log records"] = f"deleted {deleted} log record(s) older than {days} days"
    return summary


clean_logs = clean_log_files  # the name run_cleaners used before


# --- echo files -----------------------------------------------------------------------------------
_FALLOC_FL_COLLAPSE_RANGE = 0x08
CUT_MARK = "[clean_echo_files: earlier lines removed]"


class CannotCutInPlace(Exception):
    """The file system cannot remove the head of a file in place (tmpfs, NFS, not Linux...)."""


def _collapse(fd: int, length: int) -> None:
    """Remove the first `length` bytes of the open file in place (Linux fallocate
    FALLOC_FL_COLLAPSE_RANGE: ext4, XFS); `length` is a multiple of the block size."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    fallocate = getattr(libc, "fallocate", None)
    if fallocate is None:
        raise CannotCutInPlace("this system has no fallocate")
    fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong]
    if fallocate(fd, _FALLOC_FL_COLLAPSE_RANGE, 0, length) != 0:
        code = ctypes.get_errno()
        if code in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            raise CannotCutInPlace(os.strerror(code))
        raise OSError(code, os.strerror(code))


def _start_of_last_lines(fd: int, size: int, keep: int) -> int | None:
    """Offset where the last `keep` lines of the first `size` bytes begin (a last line without
    its newline yet counts as a line); None when there are no more than `keep` lines."""
    # the last byte is either the last line's newline or part of an unfinished last line:
    # either way it is not the end of an earlier line, so the scan starts before it
    end, seen, chunk = size - 1, 0, 1 << 20
    while end > 0:
        start = max(0, end - chunk)
        block = os.pread(fd, end - start, start)
        position = len(block)
        while True:
            position = block.rfind(b"\n", 0, position)
            if position < 0:
                break
            seen += 1  # the end of the seen-th line before the last one
            if seen == keep:
                return start + position + 1
        end = start
    return None


def cut_to_last_lines(path: Path, keep: int = ECHO_KEEP_LINES) -> int:
    """Cut the file to its last `keep` lines in place; returns the bytes removed (0: short
    enough already). Raises CannotCutInPlace where the file system cannot do it safely.

    The process wrappers append to echo files with `>>` (O_APPEND) and keep them open for the
    whole run, so the file must stay the same inode (a copy renamed over it would leave the
    writer appending to the old, unlinked file) and no byte appended while we cut may be lost
    (a truncate after copying the tail would drop whatever arrived after the copy). So the head
    is removed by the kernel: fallocate(FALLOC_FL_COLLAPSE_RANGE) takes the inode lock that
    every O_APPEND write also takes, so each write lands wholly after the cut, at the new end;
    nothing we did not read is touched. It removes whole file-system blocks only, so the few
    bytes of older lines left before the kept ones (less than one block) are overwritten in
    place with one marker line of the same length, which changes no offset and no size."""
    fd = os.open(path, os.O_RDWR)  # not O_APPEND: pwrite must write where it is told
    try:
        size = os.fstat(fd).st_size
        start = _start_of_last_lines(fd, size, keep)
        if start is None:
            return 0
        block = os.fstatvfs(fd).f_frsize or os.fstatvfs(fd).f_bsize
        whole = (start // block) * block
        if whole:
            _collapse(fd, whole)
        rest = start - whole
        if rest:
            os.pwrite(fd, _mark(rest), 0)
        return start
    finally:
        os.close(fd)


def _mark(length: int) -> bytes:
    """A marker line exactly `length` bytes long (newline included)."""
    text = CUT_MARK[: length - 1] if length - 1 < len(CUT_MARK) else CUT_MARK.ljust(length - 1)
    return (text + "\n").encode()[:length]


def clean_echo_files(data: DataBlob) -> JobSummary:
    """Echo files not written for `echo_retention_days` are removed; each other one is cut to
    its last 20,000 lines in place (see cut_to_last_lines), also while a process writes it."""
    summary = JobSummary("clean_echo_files")
    days = data.config["echo_retention_days"]
    folder = echo_path(data)
    cutoff = time.time() - days * 86400
    deleted = 0
    with summary.isolated("echo files", "clean"):
        if folder.is_dir():
            with file_lock(folder / ".clean_echo_files.lock"):  # one cleaner at a time
                for path in sorted(folder.iterdir()):
                    if path.name.startswith(".") or not path.is_file():
                        continue
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        deleted += 1
                        continue
                    _cut(path, summary)
        summary.updated["echo files"] = f"deleted {deleted} echo file(s) in {folder} not written for {days} days"
    return summary


def _cut(path: Path, summary: JobSummary) -> None:
    with summary.isolated(path.name, "cut"):
        try:
            removed = cut_to_last_lines(path)
        except CannotCutInPlace as exc:
            summary.updated[path.name] = (f"NOT cut: the file system cannot remove its head in "
                                          f"place ({exc}); it goes once not written for "
                                          "echo_retention_days")
            log.warning("%s not cut: %s", path, exc)
            return
        if removed:
            summary.updated[path.name] = f"cut to its last {ECHO_KEEP_LINES:,} lines ({removed:,} bytes removed)"
        else:
            summary.unchanged.append(path.name)


# --- backtest states ------------------------------------------------------------------------------
def _run_time(name: str) -> tuple[dt.datetime, int] | None:
    match = RUN_FOLDER.match(name)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match.group(1), "%Y%m%d_%H%M%S"), int(match.group(2) or 1)
    except ValueError:
        return None


def _remove_folder(folder: Path) -> None:
    """Rename away first, so a reader never finds a half-deleted run under its real name."""
    gone = folder.with_name(f"{REMOVING}{folder.name}")
    os.replace(folder, gone)
    shutil.rmtree(gone)


def _clean_strategy_runs(data: DataBlob, summary: JobSummary) -> None:
    store = backtest_store_path(data)
    days = data.config["backtest_state_retention_days"]
    cutoff = data.clock.now() - dt.timedelta(days=days)
    if not store.is_dir():
        return
    for strategy in sorted(p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")):
        item = f"{strategy.name} backtests"
        with summary.isolated(item, "clean"):
            for leftover in strategy.glob(f"{REMOVING}*"):  # a killed cleaner's
                shutil.rmtree(leftover, ignore_errors=True)
            runs = sorted((stamp, p) for p in strategy.iterdir()
                          if p.is_dir() and (stamp := _run_time(p.name)) is not None)
            old = [path for (when, _), path in runs[:-1] if when < cutoff]  # never the newest
            for path in old:
                _remove_folder(path)
            stale = [p for p in strategy.glob(f"{RUN_STAGING}*")
                     if p.is_dir() and p.stat().st_mtime < time.time() - STALE_TEMP_SECONDS]
            for path in stale:
                shutil.rmtree(path, ignore_errors=True)
            if old or stale:
                summary.updated[item] = (f"removed {len(old)} run(s) older than {days} days"
                                         + (f" ({old[0].name} to {old[-1].name})" if old else "")
                                         + f", {len(stale)} dead run(s)' staging; {len(runs) - len(old)} kept")
            else:
                summary.unchanged.append(item)


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
    """Each strategy's backtest runs under `backtest_store_path` older than
    `backtest_state_retention_days` (by the installation's clock; the newest run of a strategy
    always stays) and its dead runs' staging folders; old versions of `sysprod backtest run`
    results under the data root (the newest few are kept, and the one each output points at);
    and every other temp file a killed writer left (see clean_stale_temp_files)."""
    summary = JobSummary("clean_backtest_states")
    _clean_strategy_runs(data, summary)
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


# --- temp files -----------------------------------------------------------------------------------
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


__all__ = [
    "clean_backtest_states", "clean_echo_files", "clean_log_files", "clean_logs",
    "clean_stale_temp_files", "cut_to_last_lines",
]
