"""The `backup_data` job of run_backups: copy the installation's data to `backup_path`.

What is copied: the Parquet tree and the CSV tables (only files that are new or changed since
the last backup, each copied to a temp file and renamed, so a backup interrupted half-way never
leaves a torn file), the SQLite document store (through SQLite's online backup API, which gives a
consistent copy while other processes keep writing) and the private config. Files deleted from
the data root are deleted from the backup. A manifest written last says when the backup finished
and what it holds.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from syscore.exceptions import ConfigError
from syscore.fileio import atomic_path, atomic_write_text
from sysproduction.control.paths import backup_path

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)

TREES = ("parquet", "csv")
SINGLE_FILES = ("private_config.yaml",)
SQLITE_NAME = "sysprod.sqlite"
MANIFEST = "backup_manifest.json"


@dataclass
class TreeCopy:
    copied: int = 0
    unchanged: int = 0
    deleted: int = 0


def _same(src: Path, dest: Path) -> bool:
    if not dest.exists():
        return False
    a, b = src.stat(), dest.stat()
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def mirror_tree(src: Path, dest: Path) -> TreeCopy:
    """Make `dest` hold the same files as `src`: copy new/changed ones atomically, drop extras."""
    result = TreeCopy()
    wanted: set[Path] = set()
    if src.is_dir():
        for path in src.rglob("*"):
            if not path.is_file() or path.name.startswith("."):
                continue
            relative = path.relative_to(src)
            wanted.add(relative)
            target = dest / relative
            if _same(path, target):
                result.unchanged += 1
                continue
            with atomic_path(target, fsync=False) as tmp:
                shutil.copy2(path, tmp)
            result.copied += 1
    if dest.is_dir():
        for path in sorted(dest.rglob("*"), reverse=True):
            if path.is_file() and path.relative_to(dest) not in wanted:
                path.unlink()
                result.deleted += 1
    return result


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


def backup_data(data: DataBlob) -> str:
    root = data.data_root
    dest = backup_path(data).resolve()
    if dest == root or any(dest == root / tree or root / tree in dest.parents for tree in TREES):
        raise ConfigError(f"backup_path {dest} is inside the data it would back up; choose another")
    dest.mkdir(parents=True, exist_ok=True)
    summary: dict[str, object] = {"time": data.clock.now().isoformat(), "source": str(root)}
    copied = 0
    for tree in TREES:
        result = mirror_tree(root / tree, dest / tree)
        summary[tree] = result.__dict__
        copied += result.copied
    sqlite_file = root / SQLITE_NAME
    if sqlite_file.exists():
        backup_sqlite(sqlite_file, dest / SQLITE_NAME)
        summary["sqlite"] = os.path.getsize(dest / SQLITE_NAME)
    for name in SINGLE_FILES:
        if (root / name).exists():
            with atomic_path(dest / name, fsync=False) as tmp:
                shutil.copy2(root / name, tmp)
    atomic_write_text(dest / MANIFEST, json.dumps(summary, indent=2, sort_keys=True))
    deleted = sum(summary[tree]["deleted"] for tree in TREES)  # type: ignore[index]
    unchanged = sum(summary[tree]["unchanged"] for tree in TREES)  # type: ignore[index]
    text = (
        f"backed up to {dest}: {copied} file(s) copied, {unchanged} unchanged, {deleted} deleted"
        + (", sqlite copied" if "sqlite" in summary else "")
    )
    return text
