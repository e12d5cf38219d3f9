"""Import a pysystemtrade CSV tree into the stores.

Real data is messy: one bad file must not stop an import. Each file is read and validated whole
before anything of it is written, so a rejected file leaves that series exactly as it was; every
rejection is reported with the file, the row and the fix, and the caller exits non-zero so cron
notices.

An import never destroys stored data silently: an empty or header-only file is rejected, and so is
a file that would remove stored rows (it starts later or ends earlier than the stored series, or
than a contract's stored prices it would rewrite) unless `replace` is given. Roll calendars out of
time order or repeating a timestamp (pysystemtrade ships a few) are rejected unless `repair` is
given, which sorts them, keeps the last row of a repeated timestamp and lists each change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from syscore.exceptions import DataValidationError, SysprodError
from sysdata.csv_io import layout
from sysdata.csv_io.reader import (
    read_adjusted_csv,
    read_fx_csv,
    read_multiple_csv,
    read_raw_csv,
    read_roll_calendar_csv,
)
from sysdata.data_blob import DataBlob
from sysdata.repos.contracts import ContractRecord
from sysobjects.contracts import ContractId
from sysobjects.derived_contract_prices import contract_prices_from_multiple
from sysobjects.instruments import (
    INSTRUMENT_CSV_COLUMNS,
    ROLL_CSV_COLUMNS,
    SPREAD_CSV_COLUMNS,
    InstrumentMeta,
)
from sysobjects.roll_parameters import RollParameters

Progress = Callable[[str], None]


@dataclass
class FileResult:
    kind: str
    name: str
    path: Path
    rows: int = 0
    rejected: bool = False
    message: str = ""
    repairs: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)
    contracts_written: int = 0

    @property
    def rejected(self) -> list[FileResult]:
        return [r for r in self.results if r.rejected]

    @property
    def repaired(self) -> list[FileResult]:
        return [r for r in self.results if r.repairs]

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary_by_kind(self) -> list[tuple[str, int, int, int]]:
        """(kind, files imported, rows imported, files rejected) per kind."""
        kinds: dict[str, list[int]] = {}
        for result in self.results:
            counts = kinds.setdefault(result.kind, [0, 0, 0])
            if result.rejected:
                counts[2] += 1
            else:
                counts[0] += 1
                counts[1] += result.rows
        return [(kind, *counts) for kind, counts in kinds.items()]


def list_import_files(source: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """The known files of a tree, in import order, and the files of unknown kind."""
    known: list[tuple[str, Path]] = []
    unknown: list[Path] = []
    for entry in sorted(source.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.name not in layout.KNOWN_TOP_LEVEL:
            unknown.append(entry)
    config_dir = source / layout.CONFIG_FOLDER
    if config_dir.is_dir():
        for entry in sorted(config_dir.iterdir()):
            if entry.name in layout.CONFIG_FILES:
                known.append(("config", entry))
            elif not entry.name.startswith("."):
                unknown.append(entry)
    for folder in layout.PRICE_FOLDERS:
        base = source / folder
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            if entry.is_file() and entry.suffix == ".csv":
                known.append((folder, entry))
            elif not entry.name.startswith("."):
                unknown.append(entry)
    return known, unknown


def _merge_table(existing: pd.DataFrame, new_rows: pd.DataFrame) -> pd.DataFrame:
    """Upsert: rows of `new_rows` replace rows of `existing` with the same Instrument."""
    kept = existing[~existing.index.isin(new_rows.index)]
    return pd.concat([kept, new_rows]).sort_index()


def rows_removed(stored: pd.Index, new: pd.Index) -> str | None:
    """What replacing a stored series by `new` would remove: its rows before `new` starts and
    after it ends (None when `new` covers the stored span). Both indexes are sorted."""
    if len(stored) == 0:
        return None
    before, after = stored[stored < new[0]], stored[stored > new[-1]]
    if len(before) == 0 and len(after) == 0:
        return None
    parts = []
    if len(before):
        parts.append(f"{len(before):,} from {before[0]} to {before[-1]} (the file starts {new[0]})")
    if len(after):
        parts.append(f"{len(after):,} from {after[0]} to {after[-1]} (the file ends {new[-1]})")
    return f"would remove {len(before) + len(after):,} stored rows: " + " and ".join(parts)


REPLACE_HINT = "re-run with --replace to replace the stored series anyway"


class _Importer:
    def __init__(self, data: DataBlob, progress: Progress | None, replace: bool = False, repair: bool = False):
        self.data = data
        self.progress = progress or (lambda _: None)
        self.report = ImportReport()
        self.replace = replace
        self.repair = repair
        self.repairs: list[str] = []  # of the file being imported

    def _keep_stored_rows(self, path: Path, what: str, stored: pd.Index | None, new: pd.Index) -> None:
        """Reject a file that would remove stored rows, unless --replace."""
        if self.replace or stored is None:
            return
        lost = rows_removed(stored, new)
        if lost:
            raise DataValidationError(f"{path}: {what} {lost}; {REPLACE_HINT}")

    def _stored_index(self, kind: str, key: str) -> pd.Index | None:
        store = self.data.timeseries
        return store.read(kind, key).index if store.exists(kind, key) else None

    # --- config tables --------------------------------------------------------------------
    def _config_rows(self, path: Path, columns: list[str], check: Callable[[pd.Series], object]) -> pd.DataFrame:
        frame = read_raw_csv(path, string_columns=["Instrument"])
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(columns)}"
            )
        frame = frame[columns]
        good = []
        for position, (_, row) in enumerate(frame.iterrows()):
            try:
                check(row)
                good.append(position)
            except (DataValidationError, ValueError, TypeError) as exc:
                self.report.results.append(
                    FileResult("config", f"{path.name} row {position + 2}", path, rejected=True,
                               message=f"{path} row {position + 2} ({row['Instrument']}): {exc}")
                )
        rows = frame.iloc[good]
        duplicated = rows["Instrument"].duplicated(keep="last")
        return rows[~duplicated].set_index("Instrument")

    def import_config(self, path: Path) -> int:
        repo_and_check = {
            layout.INSTRUMENT_CONFIG_FILE: (self.data.instruments, INSTRUMENT_CSV_COLUMNS, _check_instrument_row),
            layout.ROLL_CONFIG_FILE: (self.data.roll_parameters, ROLL_CSV_COLUMNS, _check_roll_row),
            layout.SPREAD_COSTS_FILE: (self.data.spread_costs, SPREAD_CSV_COLUMNS, _check_spread_row),
        }
        if path.name == layout.MORE_INFO_FILE:
            frame = read_raw_csv(path)
            self.data.csv.write("config", path.stem, frame)
            return len(frame)
        repo, columns, check = repo_and_check[path.name]
        rows = self._config_rows(path, columns, check)
        if path.name == layout.SPREAD_COSTS_FILE:  # in the document store, each change recorded
            self.data.spread_costs.write_table(rows, reason=f"sysprod data import-csv {path}")
        else:
            repo.write_table(_merge_table(repo.table, rows))
        return len(rows)

    # --- price files ----------------------------------------------------------------------
    def _require_config(self, instrument: str, path: Path) -> None:
        if not self.data.instruments.has(instrument):
            raise DataValidationError(
                f"{path}: instrument {instrument} has no row in instrumentconfig.csv; "
                "add one (Pointsize, Currency...) and re-import"
            )

    def import_multiple(self, path: Path) -> int:
        instrument = layout.name_of(path)
        self._require_config(instrument, path)
        multiple = read_multiple_csv(path)
        per_contract = contract_prices_from_multiple(multiple)
        kind = self.data.multiple_prices.KIND
        self._keep_stored_rows(path, f"multiple prices {instrument}", self._stored_index(kind, instrument), multiple.index)
        for contract, prices in per_contract.items():
            key = f"{instrument}/{contract}"
            self._keep_stored_rows(
                path, f"the prices of contract {key} derived from it",
                self._stored_index("contract_prices", key), prices.index,
            )
        self.data.multiple_prices.write(instrument, multiple)
        for contract, prices in per_contract.items():
            self.data.timeseries.write("contract_prices", f"{instrument}/{contract}", prices)
        self._register_contracts(instrument, list(per_contract))
        self.report.contracts_written += len(per_contract)
        return len(multiple)

    def _register_contracts(self, instrument: str, contracts: list[str]) -> None:
        params = self.data.roll_parameters.get(instrument) if self.data.roll_parameters.has(instrument) else None
        records = []
        for contract in contracts:
            existing = self.data.contracts.get(instrument, contract)
            if existing is not None:
                continue
            expiry = params.expected_expiry(ContractId.parse(contract)).isoformat() if params else None
            records.append(ContractRecord(instrument, contract, expiry, sampling=False))
        self.data.contracts.put_many(records)

    def import_adjusted(self, path: Path) -> int:
        instrument = layout.name_of(path)
        self._require_config(instrument, path)
        prices = read_adjusted_csv(path)
        stored = self._stored_index(self.data.adjusted_prices.KIND, instrument)
        self._keep_stored_rows(path, f"adjusted prices {instrument}", stored, prices.index)
        self.data.adjusted_prices.write(instrument, prices)
        return len(prices)

    def import_fx(self, path: Path) -> int:
        prices = read_fx_csv(path)
        pair = layout.name_of(path)
        self._keep_stored_rows(path, f"FX {pair}", self._stored_index(self.data.fx_prices.KIND, pair), prices.index)
        self.data.fx_prices.write(pair, prices)
        return len(prices)

    def import_roll_calendar(self, path: Path) -> int:
        calendar, repairs = read_roll_calendar_csv(path, repair=self.repair)
        name = layout.name_of(path)
        stored = self.data.roll_calendars.get(name).index if self.data.roll_calendars.exists(name) else None
        self._keep_stored_rows(path, f"roll calendar {name}", stored, calendar.index)
        self.data.roll_calendars.write(name, calendar)
        self.repairs = [str(r) for r in repairs]
        return len(calendar)

    def run(self, source: Path) -> ImportReport:
        if not source.is_dir():
            raise SysprodError(f"{source}: not a directory; give the root of a pysystemtrade CSV tree")
        known, unknown = list_import_files(source)
        if not known:
            raise SysprodError(
                f"{source}: no pysystemtrade CSV files found; expected folders "
                f"{', '.join(layout.PRICE_FOLDERS)} and {layout.CONFIG_FOLDER}/"
            )
        for path in unknown:
            self.report.results.append(
                FileResult("unknown", path.name, path, rejected=True,
                           message=f"{path}: unknown kind of file; expected one of "
                           f"{', '.join(sorted(layout.KNOWN_TOP_LEVEL - {'README.md'}))} (remove or move it)")
            )
        handlers = {
            "config": self.import_config,
            layout.FX_FOLDER: self.import_fx,
            layout.MULTIPLE_FOLDER: self.import_multiple,
            layout.ADJUSTED_FOLDER: self.import_adjusted,
            layout.ROLL_CALENDAR_FOLDER: self.import_roll_calendar,
        }
        for kind, path in known:
            self.progress(f"{kind}/{path.name}")
            self.repairs = []
            try:
                rows = handlers[kind](path)
                self.report.results.append(FileResult(kind, path.stem, path, rows=rows, repairs=self.repairs))
            except DataValidationError as exc:
                message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
                self.report.results.append(FileResult(kind, path.stem, path, rejected=True, message=message))
        return self.report


def _check_instrument_row(row: pd.Series) -> None:
    InstrumentMeta.from_csv_row(str(row["Instrument"]), row)


def _check_roll_row(row: pd.Series) -> None:
    RollParameters.from_csv_row(str(row["Instrument"]), row)


def _check_spread_row(row: pd.Series) -> None:
    if not float(row["SpreadCost"]) >= 0:
        raise DataValidationError(f"SpreadCost {row['SpreadCost']} must be a number >= 0")


def import_csv_tree(
    data: DataBlob, source: Path, progress: Progress | None = None, replace: bool = False, repair: bool = False
) -> ImportReport:
    """Import every file of a pysystemtrade CSV tree; see the module docstring.

    `replace` lets a file replace a stored series even where that removes stored rows; `repair`
    sorts roll calendars and keeps the last row of a repeated timestamp (each change is listed in
    the file's `FileResult.repairs`).
    """
    with data.timeseries.deferred_sync(), data.csv.deferred_sync():
        return _Importer(data, progress, replace=replace, repair=repair).run(Path(source))


def count_import_files(source: Path) -> int:
    """How many files an import of `source` will process (for a progress bar)."""
    return len(list_import_files(Path(source))[0]) if Path(source).is_dir() else 0
