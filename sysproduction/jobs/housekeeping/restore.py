"""Restore a backup generation into a data root: `sysprod data restore BACKUP --data-root DIR`.

BACKUP is a generation (`backup_path/<YYYY-MM-DD>`) or `backup_path` itself (its newest complete
generation). Before anything is written the generation is checked: it must have all three parts
(time series, documents, files) and every file its manifest lists, at the listed size; a folder a
killed backup left (`.partial-...`) is refused. Everything is copied (never linked: the restored
SQLite file is written in place later) into a hidden folder in the target and then renamed into
place, and the restored document store is checked by SQLite (`PRAGMA quick_check`).

The target must be empty (or not exist). With `force`, what the backup replaces is moved aside to
`<data root>/.before-restore-<time>/` instead of being deleted (with the SQLite store's -wal and
-shm files, which belong to the store they sit beside); entries the backup does not hold (echo
files, the backups themselves) stay. Stop the installation's processes before restoring over it.
The CSV export is not restored: it is the same series for a person or for `import-csv`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from syscore.exceptions import SysprodError
from sysproduction.jobs.housekeeping.backups import (
    CSV_EXPORT,
    EXTERNAL_BACKTESTS,
    FORMAT,
    MANIFEST,
    MONGO_DUMP,
    MONGO_EXPORT,
    PARTIAL,
    PARTS,
    RETIRED,
    SQLITE_NAME,
    good_generations,
)

NOT_RESTORED = (MANIFEST, CSV_EXPORT, MONGO_EXPORT, MONGO_DUMP)  # the Mongo ones are loaded, not copied
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
STAGING = ".restore-"
ASIDE = ".before-restore-"


@dataclass
class RestoreResult:
    generation: Path
    data_root: Path
    restored: list[str]
    manifest: dict[str, Any]
    moved_aside: Path | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What was restored, part by part, for a person."""
        parts = self.manifest.get("parts", {})
        out = [f"restored backup {self.generation.name} ({self.generation}) into {self.data_root}"]
        for part in PARTS:
            entry = parts.get(part.name)
            if entry is None:
                continue
            if part.name == "timeseries":
                what = f"{len(entry.get('series', {}))} series"
            elif part.name == "documents":
                collections = entry.get("collections", {})
                what = f"{sum(collections.values())} document(s) in {len(collections)} collection(s)"
            else:
                what = ", ".join(n for n in self.restored if n not in ("parquet", SQLITE_NAME))
            out.append(f"  {part.name:<11} taken {entry.get('time', '?')} by {entry.get('job', '?')}: {what}")
        if self.manifest.get("format") != FORMAT:
            out.append(f"  (a generation of the earlier layout: restored {', '.join(self.restored)})")
        if self.moved_aside is not None:
            out.append(f"what the backup replaced was moved to {self.moved_aside}")
        out.extend(f"note: {note}" for note in self.notes)
        return out


def _others(folder: Path) -> str:
    names = [p.name for p in good_generations(folder)]
    return ", ".join(names) if names else "none"


def find_generation(backup: Path) -> Path:
    """The generation BACKUP names: itself, or the newest complete one when it is a backup_path."""
    backup = Path(backup).expanduser().resolve()
    if not backup.exists():
        raise SysprodError(f"backup {backup} does not exist; give a generation folder "
                           "(backup_path/YYYY-MM-DD) or backup_path itself for its newest")
    if not backup.is_dir():
        raise SysprodError(f"backup {backup} is a file; give a generation folder (backup_path/YYYY-MM-DD)")
    if backup.name.startswith((PARTIAL, RETIRED)):
        raise SysprodError(f"{backup} is a backup that did not finish (killed or failed while it was "
                           f"written); restore a complete generation: {_others(backup.parent)}")
    manifest = _read_manifest(backup) if (backup / MANIFEST).is_file() else {}
    if "generation" in manifest:
        return backup
    generations = good_generations(backup)
    if generations:
        return generations[-1]
    if "latest" in manifest:
        raise SysprodError(f"{backup} holds no complete backup generation yet; run run_backups first")
    raise SysprodError(f"{backup} is not a complete backup generation (no {MANIFEST}); give a "
                       "backup_path/YYYY-MM-DD folder")


def _read_manifest(generation: Path) -> dict[str, Any]:
    try:
        return json.loads((generation / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SysprodError(f"backup {generation} is incomplete: its {MANIFEST} cannot be read "
                           f"({exc}); restore another generation: {_others(generation.parent)}") from None


def check_complete(generation: Path) -> dict[str, Any]:
    """The generation's manifest, once every part and every listed file is there."""
    manifest = _read_manifest(generation)
    parts = manifest.get("parts", {})
    if manifest.get("format") != FORMAT:  # the earlier layout: one "files" part held everything
        if "files" not in parts:
            raise SysprodError(f"backup {generation} is incomplete: it has no files part; restore "
                               f"another generation: {_others(generation.parent)}")
        return manifest
    missing = [f"{part.name} ({part.job})" for part in PARTS if part.name not in parts]
    if missing:
        raise SysprodError(
            f"backup {generation} is incomplete: it holds no {', '.join(missing)}; run run_backups "
            f"to complete it, or restore another generation: {_others(generation.parent)}")
    files = manifest.get("files", {})
    bad = [name for name, size in files.items()  # symbolic links as such, like file_sizes
           if not os.path.lexists(generation / name) or (generation / name).lstat().st_size != size]
    if bad:
        raise SysprodError(
            f"backup {generation} is incomplete: {len(bad)} of {len(files)} file(s) missing or "
            f"changed (first: {bad[0]}); restore another generation: {_others(generation.parent)}")
    return manifest


def _load_documents(export: Path, staging: Path) -> str | None:
    """Load a JSON export into the restored config's document store: its (empty) MongoDB
    database, or a SQLite file in the staging folder (returns that name to move into place)."""
    from syscore.config import load_config
    from sysdata.migrate import import_documents
    from sysdata.stores.documents import SqliteDocumentStore

    config = load_config(staging / "private_config.yaml")
    if config["document_store"] == "mongo":
        from sysdata.stores.mongo_documents import connect_mongo

        store = connect_mongo(config)
        import_documents(export, store, where=f"MongoDB {store.where}")
        return None
    import_documents(export, SqliteDocumentStore(staging / SQLITE_NAME), where=SQLITE_NAME)
    return SQLITE_NAME


def _check_sqlite(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        result = str(exc)
    finally:
        conn.close()
    if result != "ok":
        raise SysprodError(f"the backup's document store {path.name} is damaged ({result}); restore "
                           "another generation")


def _copy(src: Path, dest: Path) -> None:
    if src.is_symlink():  # e.g. a backtest output pointing at its current version
        os.symlink(os.readlink(src), dest)
    elif src.is_dir():
        shutil.copytree(src, dest, symlinks=True)
    else:
        shutil.copy2(src, dest)


def _notes(manifest: dict[str, Any], data_root: Path) -> list[str]:
    notes = []
    files = manifest.get("parts", {}).get("files", {})
    if (data_root / EXTERNAL_BACKTESTS).is_dir():
        notes.append(f"the backtest states of backtest_store_path {files.get('backtest_store_path')} "
                     f"were restored to {data_root / EXTERNAL_BACKTESTS}: move them there, or set "
                     "backtest_store_path to where they are now")
    config = data_root / "private_config.yaml"
    with contextlib.suppress(OSError, yaml.YAMLError, AttributeError):
        if (yaml.safe_load(config.read_text()) or {}).get("timeseries_store", "parquet") != "parquet":
            notes.append("the time series were restored as Parquet files (parquet/), but the "
                         "restored private_config.yaml reads them from another store "
                         "(timeseries_store); set timeseries_store: parquet, or copy them there "
                         "with sysprod data migrate")
    with contextlib.suppress(OSError, yaml.YAMLError, AttributeError):
        configured = (yaml.safe_load(config.read_text()) or {}).get("data_root")
        if configured and Path(configured).expanduser().resolve() != data_root:
            notes.append(f"the restored private_config.yaml sets data_root: {configured}; run with "
                         f"--data-root {data_root} or edit it")
    return notes


def restore_backup(backup: Path, data_root: Path, force: bool = False) -> RestoreResult:
    """Restore the generation BACKUP names into `data_root` (see the module docstring)."""
    generation = find_generation(backup)
    manifest = check_complete(generation)
    data_root = Path(data_root).expanduser().resolve()
    if data_root.exists() and not data_root.is_dir():
        raise SysprodError(f"data root {data_root} is a file; give an empty directory")
    if data_root == generation or data_root in generation.parents:
        raise SysprodError(f"{data_root} holds the backup itself; restore into another directory")
    present = sorted(p.name for p in data_root.iterdir() if not p.name.startswith(STAGING)) \
        if data_root.is_dir() else []
    if present and not force:
        raise SysprodError(
            f"{data_root} is not empty ({', '.join(present[:3])}{'...' if len(present) > 3 else ''}); "
            "restore into a new, empty data root, or give --force to restore over it (what the "
            f"backup replaces is moved to {data_root}/{ASIDE}<time>/)")
    data_root.mkdir(parents=True, exist_ok=True)
    for leftover in data_root.glob(f"{STAGING}*"):  # a killed restore's copy
        shutil.rmtree(leftover, ignore_errors=True)
    names = sorted(p.name for p in generation.iterdir() if p.name not in NOT_RESTORED)
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=data_root))
    aside: Path | None = None
    try:
        for name in names:
            _copy(generation / name, staging / name)
        if (generation / MONGO_EXPORT).is_file():
            # a MongoDB store's JSON export: loaded into the document store the restored config
            # names, before anything in the data root is replaced (a refusal changes nothing)
            loaded = _load_documents(generation / MONGO_EXPORT, staging)
            if loaded is not None:
                names.append(loaded)
        if SQLITE_NAME in names:
            _check_sqlite(staging / SQLITE_NAME)
        for name in names:
            companions = [name + s for s in SQLITE_COMPANIONS] if name == SQLITE_NAME else []
            for existing in (name, *companions):
                if os.path.lexists(data_root / existing):
                    if aside is None:
                        aside = data_root / f"{ASIDE}{dt.datetime.now():%Y%m%d_%H%M%S_%f}"
                        aside.mkdir()
                    os.replace(data_root / existing, aside / existing)
            os.replace(staging / name, data_root / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(generation, data_root, names, manifest, aside, _notes(manifest, data_root))
