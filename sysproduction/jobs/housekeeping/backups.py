"""The jobs of run_backups: dated backup generations of an installation in `backup_path`.

A generation is a folder `backup_path/<YYYY-MM-DD>/` (the date by the installation's clock),
laid out like a data root so that `sysprod data restore` can rebuild the installation from it:

| in the generation | written by (pysystemtrade's names) | what |
|---|---|---|
| `parquet/` | `backup_arctic_to_csv` | the time-series store, file for file (what restore uses) |
| `csv_export/` | `backup_arctic_to_csv` | the same series in pysystemtrade's CSV layout (`sysprod data import-csv` reads it back), with the config tables |
| `sysprod.sqlite` | `backup_mongo_data_as_dump` | the document store (SQLite's online backup API) |
| `documents.jsonl`, `mongodump/` | `backup_mongo_data_as_dump` | instead, with `document_store: mongo`: a JSON export taken under the store's write lock (restore reads it), and `mongodump`'s output when that tool is on PATH |
| `csv/`, `backtests/`, `reports/`, `private_config.yaml`... | `backup_files` | every other entry of the data root: CSV tables (instrument and roll config, roll calendars), backtest states (`backtest_store_path`; kept as `backtest_store/` when it is outside the data root), stored reports, private config, clock, installation record (not the echo files, nor the backups) |
| `backup_manifest.json` | each job | per part: when, what, the series and documents it holds; every file's size |

Incremental: a series whose Parquet file (inode, size, modification time) is as the previous
generation's manifest recorded is hard-linked to that generation, CSV file and all; only changed
series are copied and exported. Other files unchanged since the previous generation are
hard-linked too. A file in a generation is never written in place, so sharing is safe.

Consistency: each series is copied through ONE open of its file (writers replace a series by
renaming a new file over it), and its CSV export is made from that copy, so a series and its CSV
are one version of the series as some writer left it. The document store is copied in one step
of SQLite's backup API: one instant for all documents. Different series, and the series against
the documents, are copied at different moments: a job writing during the backup may have one
series' new rows in and another's not yet (each part's manifest says when it was taken, and each
series how many rows it held and its last time).

A generation is built under a hidden name (`.partial-...`) and renamed into place only when every
part worked, so a date-named folder is always complete; a killed or failed backup publishes
nothing and prunes nothing. The newest `backup_generations` good ones are kept.
`backup_path/backup_manifest.json` names the newest good generation.

Restore: `sysprod data restore BACKUP --data-root EMPTY_DIR` (sysproduction.jobs.housekeeping.
restore; `python -m sysproduction.jobs.housekeeping.backups restore GENERATION NEW_DATA_ROOT` runs
the same code).
"""

from __future__ import annotations

import contextlib
import filecmp
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syscore.exceptions import ConfigError, SysprodError
from syscore.fileio import atomic_path, atomic_write_text, file_lock
from sysproduction.control.paths import backtest_store_path, backup_path, echo_path
from sysproduction.jobs.summary import JobSummary

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)

FORMAT = 2  # generations written before the parts were split have no "format"
PARQUET = "parquet"
CSV_EXPORT = "csv_export"
SQLITE_NAME = "sysprod.sqlite"
MONGO_EXPORT = "documents.jsonl"  # a MongoDB document store's JSON export (restore reads it)
MONGO_DUMP = "mongodump"  # and its mongodump, when that tool is installed (for mongorestore)
EXTERNAL_BACKTESTS = "backtest_store"  # backtest_store_path when it is outside the data root
STORE_FOLDERS = ("arctic", "locks")  # a local ArcticDB store (the timeseries part) and lock files
INSIDE_DATA = ("csv", "reports")  # a backup_path inside these (or the series) would copy itself
MANIFEST = "backup_manifest.json"  # in each generation, and the index in backup_path
LOCK = ".backup.lock"
PARTIAL = ".partial-"  # a generation being written
RETIRED = ".retired-"  # a generation being replaced by a newer one of the same day
_GENERATION = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Details = dict[str, Any]


@dataclass
class CopyCount:
    """How a tree or file set went into a generation."""

    copied: int = 0
    linked: int = 0  # unchanged since the previous generation: hard-linked to it
    deleted: int = 0  # in the previous generation, gone from the data root

    def add(self, other: CopyCount) -> None:
        self.copied += other.copied
        self.linked += other.linked
        self.deleted += other.deleted

    def text(self) -> str:
        return f"{self.copied} file(s) copied, {self.linked} unchanged, {self.deleted} deleted"


# --- copying into a generation ---------------------------------------------------------------
def snapshot_copy(src: Path, dest: Path) -> list[int] | None:
    """Copy one version of `src` to the new file `dest` through one open of it, and give `dest`
    that version's modification time. Returns that version's [inode, size, mtime_ns] (from the
    open file, so it describes exactly what was copied), or None when `src` is gone.

    `dest` is unlinked first: it may be a hard link into an older generation, which must never
    be written through."""
    try:
        source = open(src, "rb")  # noqa: SIM115 - closed below, after fstat
    except FileNotFoundError:
        return None
    with source:
        stat = os.fstat(source.fileno())
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)
        with open(dest, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    os.utime(dest, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def _same(src: Path, previous: Path) -> bool:
    try:
        a, b = src.stat(), previous.stat()
    except FileNotFoundError:
        return False
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _link_or_copy(src: Path, dest: Path) -> bool:
    """Hard-link `dest` to `src`; on a filesystem without hard links (or at a file's link limit)
    copy instead. True when linked."""
    src, dest = Path(src), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
        return True
    except OSError:
        shutil.copy2(src, dest)
        return False


def _put(src: Path, dest: Path, previous: Path | None, count: CopyCount) -> None:
    """Link `dest` to the previous generation's copy when unchanged, else copy `src`."""
    if previous is not None and _same(src, previous) and _link_or_copy(previous, dest):
        count.linked += 1
    elif snapshot_copy(src, dest) is not None:  # None: deleted meanwhile, so not in this one
        count.copied += 1


def copy_tree(src: Path, dest: Path, previous: Path | None, skip: tuple[Path, ...] = ()) -> CopyCount:
    """Every file of `src` (hidden lock/temp/staging files, and the trees in `skip`, excepted)
    into the new `dest`."""
    count = CopyCount()
    wanted: set[Path] = set()
    if src.is_dir():
        for path in sorted(src.rglob("*")):
            relative = path.relative_to(src)
            if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                continue
            if any(path == s or s in path.parents for s in skip):
                continue
            wanted.add(relative)
            _put(path, dest / relative, previous / relative if previous else None, count)
    if previous is not None and previous.is_dir():
        count.deleted = sum(
            1 for p in previous.rglob("*") if p.is_file() and p.relative_to(previous) not in wanted
        )
    return count


def _copy_symlink(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.readlink(src), dest)


def _manifest(generation: Path | None) -> dict:
    if generation is None:
        return {}
    try:
        return json.loads((generation / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


# --- the parts of a generation ---------------------------------------------------------------
@dataclass
class Part:
    """One part of a generation: the top-level names it owns, and how it writes them."""

    name: str
    job: str  # the job that writes it alone
    owns: tuple[str, ...]
    # (data, staging, previous generation) -> (what was done, details for the manifest)
    write: Callable[[DataBlob, Path, Path | None], tuple[str, Details]]


# time series: parquet/ and csv_export/ -------------------------------------------------------
def _export_series(staging: Path, relative: str) -> Details:
    """Export one copied series to csv_export/ (from the copy, so both are the same version);
    returns its CSV file (None for kinds pysystemtrade's tree has no folder for), rows, last."""
    from sysdata.csv_io import exporter
    from sysdata.repos.prices import AdjustedPrices, FxPrices, MultiplePrices
    from sysdata.stores.timeseries import ParquetTimeSeriesStore

    kind, _, key = relative.removesuffix(".parquet").partition("/")
    store = ParquetTimeSeriesStore(staging, fsync=False)
    frame = store.read(kind, key)
    tree = staging / CSV_EXPORT
    csv: Path | None = None
    if kind == FxPrices.KIND:
        csv = exporter.fx_file(tree, key, FxPrices(store).get(key))
    elif kind == MultiplePrices.KIND:
        csv = exporter.multiple_file(tree, key, MultiplePrices(store).get(key))
    elif kind == AdjustedPrices.KIND:
        csv = exporter.adjusted_file(tree, key, AdjustedPrices(store).get(key))
    return {"csv": csv.relative_to(tree).as_posix() if csv else None, "rows": len(frame),
            "last": frame.index[-1].isoformat() if len(frame) else None}


def _link_series(previous: Path, staging: Path, relative: str, entry: Details) -> bool:
    """Hard-link an unchanged series (and its CSV) from the previous generation."""
    files = [(PARQUET, relative)] + ([(CSV_EXPORT, entry["csv"])] if entry.get("csv") else [])
    if not all((previous / tree / name).is_file() for tree, name in files):
        return False
    for tree, name in files:
        _link_or_copy(previous / tree / name, staging / tree / name)
    return True


def _series_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.parquet")
                  if not any(part.startswith(".") for part in p.relative_to(root).parts))


def _write_timeseries(data: DataBlob, staging: Path, previous: Path | None) -> tuple[str, Details]:
    from sysdata.stores.timeseries import ParquetTimeSeriesStore

    if not isinstance(data.timeseries, ParquetTimeSeriesStore):
        return _write_timeseries_through_store(data, staging)
    before = _manifest(previous).get("parts", {}).get("timeseries", {}).get("series", {})
    source = data.data_root / PARQUET
    series: dict[str, Details] = {}
    exported = unchanged = 0
    for path in _series_files(source):
        relative = path.relative_to(source).as_posix()
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # deleted while we listed
        old = before.get(relative)
        signature = [stat.st_ino, stat.st_size, stat.st_mtime_ns]
        if old and previous and old.get("signature") == signature and _link_series(previous, staging, relative, old):
            series[relative] = old
            unchanged += 1
            continue
        signature_copied = snapshot_copy(path, staging / PARQUET / relative)
        if signature_copied is None:
            continue
        try:
            series[relative] = {"signature": signature_copied, **_export_series(staging, relative)}
        except SysprodError as exc:
            raise SysprodError(f"series {relative}: {exc}") from None
        exported += 1
    tables = _export_tables(data, staging, previous)
    deleted = len(set(before) - set(series))
    text = (f"{len(series)} series: {exported} copied and exported to CSV, {unchanged} unchanged "
            f"(linked), {deleted} deleted; {tables} config table(s) and roll calendar(s)")
    return text, {"series": series}


KNOWN_KINDS = ("fx_prices", "contract_prices", "multiple_prices", "adjusted_prices")


def _write_timeseries_through_store(data: DataBlob, staging: Path) -> tuple[str, Details]:
    """A time-series store that is not files (ArcticDB): every series is read through the store
    (a read is one version of the series), written as Parquet into the generation (so restore
    and a person read it like any other) and exported from that copy. Not incremental: there is
    no file to compare, so every series is copied every time."""
    from syscore.exceptions import MissingData
    from sysdata.stores.timeseries import ParquetTimeSeriesStore

    store = data.timeseries
    kinds = store.kinds() if hasattr(store, "kinds") else list(KNOWN_KINDS)
    copy = ParquetTimeSeriesStore(staging, fsync=False)
    series: dict[str, Details] = {}
    for kind in kinds:
        for key in store.keys(kind):
            try:
                copy.write(kind, key, store.read(kind, key))
            except MissingData:
                continue  # deleted while we listed
            relative = f"{kind}/{key}.parquet"
            try:
                series[relative] = {"signature": None, **_export_series(staging, relative)}
            except SysprodError as exc:
                raise SysprodError(f"series {relative}: {exc}") from None
    tables = _export_tables(data, staging, None)
    text = (f"{len(series)} series read from the {data.config['timeseries_store']} store, copied "
            f"and exported to CSV (every series: not incremental on this store); {tables} config "
            "table(s) and roll calendar(s)")
    return text, {"series": series, "store": data.config["timeseries_store"]}


def _export_tables(data: DataBlob, staging: Path, previous: Path | None) -> int:
    """csvconfig/ and roll calendars into csv_export/ (small: written whole, then linked to the
    previous generation's copy when equal)."""
    from sysdata.csv_io import exporter

    tree = staging / CSV_EXPORT
    written = exporter.export_config_tables(data, tree)
    for instrument in data.roll_calendars.list():
        written.append(exporter.roll_calendar_file(tree, instrument, data.roll_calendars.get(instrument)))
    if previous is not None:
        for path in written:
            old = previous / CSV_EXPORT / path.relative_to(tree)
            if old.is_file() and filecmp.cmp(path, old, shallow=False):
                path.unlink()
                _link_or_copy(old, path)
    return len(written)


# documents: the document store's dump ----------------------------------------------------------
def backup_sqlite(src: Path, dest: Path) -> None:
    """Consistent copy of a live SQLite database: the online backup API copying every page in
    one step, so the copy is the database at one instant while other processes keep writing."""
    with atomic_path(dest, fsync=True) as tmp:
        source = sqlite3.connect(src, timeout=60)
        try:
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)
                # one self-contained file: no -wal/-shm beside it, whoever opens it later
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        finally:
            source.close()


def _collections(sqlite_file: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT collection, count(*) FROM documents GROUP BY collection").fetchall()
    except sqlite3.OperationalError:  # no documents table: a store that was never written
        rows = []
    finally:
        conn.close()
    return {name: count for name, count in rows}


def _dump_sqlite(data: DataBlob, staging: Path) -> tuple[str, Details]:
    sqlite_file = data.data_root / SQLITE_NAME
    if not sqlite_file.exists():
        return "no document store yet", {"collections": {}}
    backup_sqlite(sqlite_file, staging / SQLITE_NAME)
    collections = _collections(staging / SQLITE_NAME)
    return (f"SQLite copied ({os.path.getsize(staging / SQLITE_NAME):,} bytes): "
            f"{sum(collections.values())} document(s) in {len(collections)} collection(s)"), \
        {"collections": collections}


def _dump_mongo(data: DataBlob, staging: Path) -> tuple[str, Details]:
    """A MongoDB document store: the JSON export that `sysprod data restore` reads (taken under
    the store's write lock: one instant), plus a `mongodump` of the database when that tool is
    on PATH (for `mongorestore`; its password goes in a private config file, not the command)."""
    from sysdata.migrate import export_documents
    from sysdata.stores.mongo_documents import mongo_url

    collections = export_documents(data.documents, staging / MONGO_EXPORT)
    what = (f"JSON export ({os.path.getsize(staging / MONGO_EXPORT):,} bytes): "
            f"{sum(collections.values())} document(s) in {len(collections)} collection(s)")
    tool = shutil.which("mongodump")
    if tool is not None:
        url, _ = mongo_url(data.config)
        with tempfile.TemporaryDirectory() as private:
            settings = Path(private) / "mongodump.yaml"
            settings.write_text(json.dumps({"uri": url}))  # YAML reads JSON
            settings.chmod(0o600)
            done = subprocess.run(
                [tool, f"--config={settings}", f"--db={data.config['mongo_db']}",
                 f"--out={staging / MONGO_DUMP}", "--quiet"],
                capture_output=True, text=True, timeout=3600,
            )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise ConfigError(f"mongodump failed (exit {done.returncode}): {last}")
        what += f"; mongodump of {data.config['mongo_db']} in {MONGO_DUMP}/"
    return what, {"collections": collections, "mongodump": tool is not None}


# One dump per document-store backend (config `document_store`).
DUMPERS: dict[str, Callable[[DataBlob, Path], tuple[str, Details]]] = {
    "sqlite": _dump_sqlite, "mongo": _dump_mongo,
}


def _write_documents(data: DataBlob, staging: Path, previous: Path | None) -> tuple[str, Details]:
    backend = data.config["document_store"]
    dumper = DUMPERS.get(backend)
    if dumper is None:
        raise ConfigError(f"document_store '{backend}' has no backup method; choose one of "
                          f"{', '.join(DUMPERS)}")
    return dumper(data, staging)


# files: CSV tables, backtest states, reports, the data root's own files ----------------------
def _file_entries(data: DataBlob) -> tuple[dict[str, Path], tuple[Path, ...]]:
    """What backup_files copies: every entry of the data root but the time series, the
    document store (the other parts), the echo files and the backups themselves, and hidden
    entries other than backtest results' `.OUT.versions` folders; plus the backtest store when
    `backtest_store_path` is outside the data root. Returns {name in the generation: source} and
    the trees to skip inside them (a backup or echo folder nested in a copied folder)."""
    root = data.data_root
    skip = tuple(p.resolve() for p in (checked_backup_path(data), echo_path(data)))
    entries: dict[str, Path] = {}
    for path in sorted(root.iterdir()):
        name = path.name
        if name in (PARQUET, CSV_EXPORT, MANIFEST, *STORE_FOLDERS) or name.startswith(SQLITE_NAME):
            continue
        if name.startswith(".") and not (name.endswith(".versions") and path.is_dir()):
            continue
        if path.resolve() in skip and not path.is_symlink():
            continue
        entries[name] = path
    store = backtest_store_path(data).resolve()
    if root not in store.parents and store != root and store.is_dir():
        entries[EXTERNAL_BACKTESTS] = store
    return entries, skip


def _write_files(data: DataBlob, staging: Path, previous: Path | None) -> tuple[str, Details]:
    entries, skip = _file_entries(data)
    total = CopyCount()
    for name, src in entries.items():
        before = previous / name if previous else None
        if src.is_symlink():
            _copy_symlink(src, staging / name)
        elif src.is_dir():
            total.add(copy_tree(src, staging / name, before, skip))
        else:
            _put(src, staging / name, before, total)
    store = backtest_store_path(data).resolve()
    details = {"backtest_store_path": str(store), "entries": sorted(entries)}
    return (f"{total.text()}: {', '.join(sorted(entries)) or 'nothing'}"), details


TIMESERIES = Part("timeseries", "backup_arctic_to_csv", (PARQUET, CSV_EXPORT), _write_timeseries)
DOCUMENTS = Part("documents", "backup_mongo_data_as_dump", (SQLITE_NAME, MONGO_EXPORT, MONGO_DUMP),
                 _write_documents)
FILES = Part("files", "backup_files", (), _write_files)  # owns every other entry
PARTS = (TIMESERIES, DOCUMENTS, FILES)


def _owned(part: Part, generation: Path) -> set[str]:
    if part is FILES:
        others = {owned for p in PARTS if p is not FILES for owned in p.owns}
        return {p.name for p in generation.iterdir()} - others - {MANIFEST}
    return set(part.owns)


# --- generations -----------------------------------------------------------------------------
def good_generations(dest: Path) -> list[Path]:
    """Complete generations, oldest first (a date-named folder is only ever a complete one)."""
    if not dest.is_dir():
        return []
    return sorted(p for p in dest.iterdir() if _GENERATION.match(p.name) and p.is_dir())


def checked_backup_path(data: DataBlob) -> Path:
    root = data.data_root
    dest = backup_path(data).resolve()
    inside = (PARQUET, *INSIDE_DATA)
    if dest == root or any(dest == root / tree or root / tree in dest.parents for tree in inside):
        raise ConfigError(f"backup_path {dest} is inside the data it would back up; choose another")
    return dest


def recover_interrupted(dest: Path) -> int:
    """Undo what a killed backup left (call under the backup lock): partial generations go; a
    retired generation whose replacement never arrived comes back. Returns partials removed."""
    removed = 0
    for path in dest.iterdir():
        if path.name.startswith(PARTIAL):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
        elif path.name.startswith(RETIRED):
            name = path.name[len(RETIRED):].split(".")[0]
            if not (dest / name).exists():
                os.replace(path, dest / name)
            else:
                shutil.rmtree(path, ignore_errors=True)
    return removed


def _link_tree(src: Path, dest: Path) -> None:
    if src.is_symlink():
        _copy_symlink(src, dest)
    elif src.is_dir():
        shutil.copytree(src, dest, copy_function=_link_or_copy)
    else:
        _link_or_copy(src, dest)


def _publish(staging: Path, target: Path) -> None:
    """Rename the finished generation into place (replacing the same day's older one)."""
    os.sync()  # the generation is on disk before its name says it is good
    if target.exists():
        retired = target.parent / f"{RETIRED}{target.name}.{time.time_ns()}"
        os.replace(target, retired)
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, target)


def _prune(dest: Path, keep: int) -> list[str]:
    """Remove all but the newest `keep` (at least 1) good generations."""
    generations = good_generations(dest)
    gone = generations[: max(0, len(generations) - max(1, keep))]
    for path in gone:
        shutil.rmtree(path)
    return [p.name for p in gone]


def _write_index(dest: Path) -> None:
    names = [p.name for p in good_generations(dest)]
    atomic_write_text(dest / MANIFEST, json.dumps(
        {"latest": names[-1] if names else None, "generations": names}, indent=2) + "\n")


def file_sizes(generation: Path) -> dict[str, int]:
    """Every file of a generation (but its manifest; symbolic links as such) and its size: what
    restore checks."""
    sizes = {}
    for folder, dirs, files in os.walk(generation):  # does not follow symbolic links
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = Path(folder, name)
            if path != generation / MANIFEST:
                sizes[path.relative_to(generation).as_posix()] = path.lstat().st_size
    return dict(sorted(sizes.items()))


def write_generation(data: DataBlob, job: str, parts: list[Part]) -> JobSummary:
    """Build today's generation with `parts` (carrying over today's other parts), publish it
    only if every part worked, then prune old generations. One backup at a time (a lock)."""
    summary = JobSummary(job)
    dest = checked_backup_path(data)
    dest.mkdir(parents=True, exist_ok=True)
    keep = data.config["backup_generations"]
    now = data.clock.now()
    name = now.date().isoformat()
    with file_lock(dest / LOCK):
        recover_interrupted(dest)
        generations = good_generations(dest)
        today = dest / name
        previous = today if today.is_dir() else (generations[-1] if generations else None)
        if previous is not None and _manifest(previous).get("format") != FORMAT:
            previous = None  # a generation of the earlier layout: start afresh
        staging = Path(tempfile.mkdtemp(prefix=f"{PARTIAL}{name}-", dir=dest))
        try:
            manifest = _carry_over(previous, staging, parts)
            for part in parts:
                with summary.isolated(part.name, "backup"):
                    what, details = part.write(data, staging, previous)
                    summary.updated[part.name] = what
                    manifest["parts"][part.name] = {"time": now.isoformat(), "job": part.job,
                                                    "what": what, **details}
            if summary.failed:
                summary.note = (f"generation {name} NOT written (a part failed); "
                                f"{len(generations)} earlier good generation(s) kept")
                shutil.rmtree(staging, ignore_errors=True)
                return summary
            manifest.update(format=FORMAT, generation=name, source=str(data.data_root),
                            time=now.isoformat(), files=file_sizes(staging))
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
            _publish(staging, today)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pruned = _prune(dest, keep)
        _write_index(dest)
    kept = len(good_generations(dest))
    summary.note = (f"backed up to {today}; {kept} generation(s) kept (backup_generations: {keep})"
                    + (f", removed {', '.join(pruned)}" if pruned else ""))
    log.info("%s: %s", job, summary.note)
    return summary


def _carry_over(previous: Path | None, staging: Path, parts: list[Part]) -> dict:
    """Start from the newest good generation: hard-link the parts this run does not rewrite (so
    every generation is a whole data root), and keep their manifest entries."""
    if previous is None:
        return {"parts": {}}
    owned = set().union(*(_owned(part, previous) for part in parts))
    for path in previous.iterdir():
        if path.name not in owned and path.name != MANIFEST:
            _link_tree(path, staging / path.name)
    names = {p.name for p in parts}
    return {"parts": {k: v for k, v in _manifest(previous).get("parts", {}).items() if k not in names}}


# --- the jobs --------------------------------------------------------------------------------
def backup_arctic_to_csv(data: DataBlob) -> JobSummary:
    """The time-series store into today's generation: its Parquet files (restore uses them) and
    the same series in pysystemtrade's CSV layout; only series changed since the last backup."""
    return write_generation(data, "backup_arctic_to_csv", [TIMESERIES])


def backup_mongo_data_as_dump(data: DataBlob) -> JobSummary:
    """The document store's dump into today's generation (SQLite's online backup API)."""
    return write_generation(data, "backup_mongo_data_as_dump", [DOCUMENTS])


def backup_files(data: DataBlob) -> JobSummary:
    """CSV tables (instrument and roll config, roll calendars), backtest states, stored reports,
    private config and every other file of the data root into today's generation."""
    return write_generation(data, "backup_files", [FILES])


def backup_data(data: DataBlob) -> JobSummary:
    """All three parts into one generation in one go."""
    return write_generation(data, "backup_data", list(PARTS))


# --- restore (the old entry point) -----------------------------------------------------------
def main(argv: list[str]) -> int:
    """`python -m sysproduction.jobs.housekeeping.backups restore GENERATION NEW_DATA_ROOT`: the
    entry earlier versions documented; runs `sysprod data restore`'s code."""
    from sysproduction.jobs.housekeeping.restore import restore_backup

    if len(argv) not in (3, 4) or argv[0] != "restore" or (len(argv) == 4 and argv[3] != "--force"):
        print("usage: python -m sysproduction.jobs.housekeeping.backups restore GENERATION "
              "NEW_DATA_ROOT [--force]", file=sys.stderr)
        return 2
    try:
        result = restore_backup(Path(argv[1]), Path(argv[2]), force=len(argv) == 4)
    except SysprodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(result.lines()))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        raise SystemExit(main(sys.argv[1:]))
