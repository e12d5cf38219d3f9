"""CSV tables under the data root: instrument config, roll config, spread costs, roll calendars.

These stay CSV (DESIGN §2) so a person can read and edit them, and so they move to and from
pysystemtrade unchanged. Writes are atomic.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from syscore.exceptions import MissingData
from syscore.fileio import DeferrableSync, atomic_write_with


class CsvTableStore(DeferrableSync):
    """Named CSV tables in `<root>/csv/<folder>/<name>.csv`."""

    def __init__(self, root: Path, fsync: bool = True):
        self._root = Path(root) / "csv"
        self._fsync = fsync

    def path(self, folder: str, name: str) -> Path:
        return self._root / folder / f"{name}.csv"

    def exists(self, folder: str, name: str) -> bool:
        return self.path(folder, name).is_file()

    def read(self, folder: str, name: str, **read_csv_args) -> pd.DataFrame:
        path = self.path(folder, name)
        if not path.is_file():
            raise MissingData(f"no {folder} table '{name}' at {path}; import it with 'sysprod data import-csv'")
        return pd.read_csv(path, **read_csv_args)

    def write(self, folder: str, name: str, frame: pd.DataFrame, index: bool = False) -> None:
        atomic_write_with(
            self.path(folder, name), lambda tmp: frame.to_csv(tmp, index=index), fsync=self._fsync
        )

    def names(self, folder: str) -> list[str]:
        base = self._root / folder
        return sorted(p.stem for p in base.glob("*.csv")) if base.is_dir() else []

    def delete(self, folder: str, name: str) -> None:
        self.path(folder, name).unlink(missing_ok=True)
