"""The jobs of run_backups: dated backup generations of the installation's data in `backup_path`.

A generation is a folder `backup_path/<YYYY-MM-DD>/` (the date by the installation's clock) laid
out like a data root, so restoring is copying it into an empty data root:

- `parquet/`, `csv/` and the data root's own files (private config, installation record,
  simulated clock): files unchanged since the previous generation are hard links to it (no extra
  space), new or changed ones are copied;
- `sysprod.sqlite`: a consistent copy of the live document store (SQLite's online backup API,
  the equivalent of a mongodump), taken while other processes keep writing;
- `csv_export/`: the time series in pysystemtrade's CSV layout, for a person or another install;
- `backup_manifest.json`: when each part was written, and what it holds.

A generation is built under a hidden temporary name and renamed into place only once complete,
so a folder named by a date is always a good backup. The newest `backup_generations` good ones
are kept; a failed backup publishes nothing and prunes nothing, so one bad night never costs the
last good backup. Files deleted from the data root are absent from the next generation and stay
in the older ones. `backup_path/backup_manifest.json` names the newest good generation.

Jobs (pysystemtrade's names): `backup_files`, `backup_mongo_data_as_dump`,
`backup_arctic_to_csv`; `backup_data` does all of them into one generation. Each returns a
JobSummary: a failed part is listed there (and the runner reports it) instead of raised.

Restore: `python -m sysproduction.jobs.housekeeping.backups restore GENERATION NEW_DATA_ROOT`.
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
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from syscore.exceptions import ConfigError, SysprodError
from syscore.fileio import atomic_path, atomic_write_text, file_lock
from sysproduction.control.paths import backup_path
from sysproduction.jobs.summary import JobSummary

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)

TREES = ("parquet", "csv")
SQLITE_NAME = "sysprod.sqlite"
CSV_EXPORT = "csv_export"
MANIFEST = "backup_manifest.json"  # in each generation, and the index in backup_path
LOCK = ".backup.lock"
PARTIAL = ".partial-"  # a generation being written
RETIRED = ".retired-"  # a generation being replaced by a newer one of the same day
_GENERATION = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class CopyCount:
    """How a tree or file set went into a generation."""

    copied: int = 0
    linked: int = 0  # unchanged since the previous generation: hard-linked to it
    deleted: int = 0  # in the previous generation, gone from the data root

    def text(self) -> str:
        return f"{self.copied} file(s) copied, {self.linked} unchanged, {self.deleted} deleted"


# --- copying into a generation ---------------------------------------------------------------
def _same(src: Path, previous: Path) -> bool:
    try:
        a, b = src.stat(), previous.stat()
    except FileNotFoundError:
        return False
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _put(src: Path, dest: Path, previous: Path | None, count: CopyCount) -> None:
    """Link `dest` to the previous generation's copy when unchanged, else copy `src`.

    Files in a generation are never written in place (only created), so sharing an inode with
    an older generation can never change that generation.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None and _same(src, previous) and _link_or_copy(previous, dest):
        count.linked += 1
        return
    try:
        shutil.copy2(src, dest)  # one open of src: a concurrent atomic replace cannot tear it
    except FileNotFoundError:
        return  # deleted while we were copying: it is simply not in this generation
    count.copied += 1


def _link_or_copy(src: Path, dest: Path) -> bool:
    """Hard-link `dest` to `src`; on a filesystem without hard links (or at a file's link limit)
    copy instead. True when linked."""
    try:
        os.link(src, dest)
        return True
    except OSError:
        shutil.copy2(src, dest)
        return False


def copy_tree(src: Path, dest: Path, previous: Path | None) -> CopyCount:
    """Every file of `src` (hidden lock/temp files excepted) into the new `dest`."""
    count = CopyCount()
    wanted: set[Path] = set()
    if src.is_dir():
        for path in src.rglob("*"):
            if path.name.startswith(".") or not path.is_file():
                continue
            relative = path.relative_to(src)
            wanted.add(relative)
            _put(path, dest / relative, previous / relative if previous else None, count)
    if previous is not None and previous.is_dir():
        count.deleted = sum(
            1 for p in previous.rglob("*") if p.is_file() and p.relative_to(previous) not in wanted
        )
    return count


def backup_sqlite(src: Path, dest: Path) -> None:
    """Consistent copy of a live SQLite database (online backup API), renamed into place."""
    with atomic_path(dest, fsync=True) as tmp:
        source = sqlite3.connect(src)
        try:
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()


def _root_files(root: Path) -> list[Path]:
    """The data root's own files: config, installation record, clock (not the database)."""
    return sorted(
        p for p in root.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.startswith(SQLITE_NAME)
    )


# --- the parts of a generation ---------------------------------------------------------------
@dataclass
class Part:
    """One part of a generation: the top-level names it owns, and how it writes them."""

    name: str
    owns: tuple[str, ...]
    write: Callable[[DataBlob, Path, Path | None], str]  # (data, staging, previous) -> what


def _write_files(data: DataBlob, staging: Path, previous: Path | None) -> str:
    root = data.data_root
    total = CopyCount()
    for tree in TREES:
        count = copy_tree(root / tree, staging / tree, previous / tree if previous else None)
        total.copied, total.linked, total.deleted = (
            total.copied + count.copied, total.linked + count.linked, total.deleted + count.deleted)
    own = CopyCount()
    for path in _root_files(root):
        _put(path, staging / path.name, previous / path.name if previous else None, own)
    dump = _write_dump(data, staging, previous)
    return f"{total.text()}; {own.copied + own.linked} data-root file(s) (config, clock); {dump}"


def _write_dump(data: DataBlob, staging: Path, previous: Path | None) -> str:
    sqlite_file = data.data_root / SQLITE_NAME
    if not sqlite_file.exists():
        return "no document store yet"
    backup_sqlite(sqlite_file, staging / SQLITE_NAME)
    return f"sqlite copied ({os.path.getsize(staging / SQLITE_NAME):,} bytes)"


def _write_csv_export(data: DataBlob, staging: Path, previous: Path | None) -> str:
    from sysdata.csv_io.exporter import export_csv_tree

    dest = staging / CSV_EXPORT
    report = export_csv_tree(data, dest)
    linked = 0
    before = previous / CSV_EXPORT if previous else None
    if before is not None and before.is_dir():
        for path in dest.rglob("*"):
            old = before / path.relative_to(dest)
            if path.is_file() and old.is_file() and filecmp.cmp(path, old, shallow=False):
                path.unlink()
                linked += _link_or_copy(old, path)
    written = sum(report.files.values())
    return f"{written} CSV file(s) exported ({linked} unchanged, linked)"


FILES = Part("files", (*TREES, SQLITE_NAME), _write_files)  # plus the root's own files
DUMP = Part("sqlite_dump", (SQLITE_NAME,), _write_dump)
CSV_TREE = Part("csv_export", (CSV_EXPORT,), _write_csv_export)


def _owned(part: Part, generation: Path) -> set[str]:
    if part is FILES:
        return set(part.owns) | {p.name for p in generation.iterdir() if p.is_file() and p.name != MANIFEST}
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
    if dest == root or any(dest == root / tree or root / tree in dest.parents for tree in TREES):
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
    if src.is_dir():
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
        staging = Path(tempfile.mkdtemp(prefix=f"{PARTIAL}{name}-", dir=dest))
        try:
            manifest = _carry_over(previous, staging, parts)
            for part in parts:
                with summary.isolated(part.name, "backup"):
                    summary.updated[part.name] = part.write(data, staging, previous)
                    manifest["parts"][part.name] = {"time": now.isoformat(), "what": summary.updated[part.name]}
            if summary.failed:
                summary.note = (f"generation {name} NOT written (a part failed); "
                                f"{len(generations)} earlier good generation(s) kept")
                shutil.rmtree(staging, ignore_errors=True)
                return summary
            manifest.update(generation=name, source=str(data.data_root), time=now.isoformat())
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
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
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        old = json.loads((previous / MANIFEST).read_text())
        return {"parts": {k: v for k, v in old.get("parts", {}).items()
                          if k not in {p.name for p in parts}}}
    return {"parts": {}}


# --- the jobs --------------------------------------------------------------------------------
def backup_files(data: DataBlob) -> JobSummary:
    """Today's generation of the data root's files: Parquet tree, CSV tables, a consistent copy
    of the SQLite store, and the private config."""
    return write_generation(data, "backup_files", [FILES])


def backup_mongo_data_as_dump(data: DataBlob) -> JobSummary:
    """The document store's dump into today's generation (SQLite online backup)."""
    return write_generation(data, "backup_mongo_data_as_dump", [DUMP])


def backup_arctic_to_csv(data: DataBlob) -> JobSummary:
    """The time series exported to pysystemtrade's CSV layout, in today's generation."""
    return write_generation(data, "backup_arctic_to_csv", [CSV_TREE])


def backup_data(data: DataBlob) -> JobSummary:
    """All of the above in one generation (files include the document store's dump)."""
    return write_generation(data, "backup_data", [FILES, CSV_TREE])


# --- restore ---------------------------------------------------------------------------------
def restore_generation(generation: Path, data_root: Path) -> list[str]:
    """Copy a generation into a new, empty data root (copies, never links: the restored data
    will be written in place by SQLite). Returns the names restored."""
    generation, data_root = Path(generation), Path(data_root)
    if not (generation / MANIFEST).is_file():
        raise SysprodError(f"{generation} is not a backup generation (no {MANIFEST}); "
                           "give a backup_path/<YYYY-MM-DD> folder")
    if data_root.exists() and any(data_root.iterdir()):
        raise SysprodError(f"{data_root} is not empty; restore into a new, empty data root")
    data_root.mkdir(parents=True, exist_ok=True)
    restored = []
    for path in sorted(generation.iterdir()):
        if path.name in (MANIFEST, CSV_EXPORT):
            continue
        if path.is_dir():
            shutil.copytree(path, data_root / path.name)
        else:
            shutil.copy2(path, data_root / path.name)
        restored.append(path.name)
    return restored


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "restore":
        print("usage: python -m sysproduction.jobs.housekeeping.backups restore GENERATION NEW_DATA_ROOT",
              file=sys.stderr)
        return 2
    try:
        restored = restore_generation(Path(argv[1]), Path(argv[2]))
    except SysprodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {', '.join(restored)} into {argv[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
