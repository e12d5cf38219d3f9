"""Building installations for price-pipeline tests: a data root with a private config, and a
pysystemtrade CSV tree cut at a date (what a user would have imported on that day)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import yaml

from syscore.clock import FixedClock
from syscore.config import load_config
from sysdata.csv_io.importer import import_csv_tree
from sysdata.data_blob import DataBlob
from sysproduction.wiring import make_blob


def write_private_config(root: Path, **values) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "private_config.yaml"
    path.write_text(yaml.safe_dump({"data_root": str(root), "fsync_writes": False, "broker": "sim", **values}))
    return path


def blob_for(root: Path, test_clock: FixedClock, **values) -> DataBlob:
    config = load_config(write_private_config(root, **values))
    return make_blob(root, config, test_clock)


def _cut_csv(source: Path, target: Path, cut: pd.Timestamp) -> None:
    frame = pd.read_csv(source, dtype=str)
    stamps = pd.to_datetime(frame.iloc[:, 0])
    target.parent.mkdir(parents=True, exist_ok=True)
    frame[stamps <= cut].to_csv(target, index=False)


def cut_reference_tree(reference: Path, target: Path, instruments: list[str], fx_pairs: list[str], cut: dt.datetime) -> Path:
    """A CSV tree with the config of all instruments and the prices of `instruments` up to `cut`."""
    stamp = pd.Timestamp(cut)
    shutil.copytree(reference / "csvconfig", target / "csvconfig")
    for code in instruments:
        for folder in ("multiple_prices_csv", "adjusted_prices_csv"):
            _cut_csv(reference / folder / f"{code}.csv", target / folder / f"{code}.csv", stamp)
        (target / "roll_calendars_csv").mkdir(parents=True, exist_ok=True)
        shutil.copy(reference / "roll_calendars_csv" / f"{code}.csv", target / "roll_calendars_csv" / f"{code}.csv")
    for pair in fx_pairs:
        _cut_csv(reference / "fx_prices_csv" / f"{pair}.csv", target / "fx_prices_csv" / f"{pair}.csv", stamp)
    return target


def import_tree(blob: DataBlob, tree: Path) -> None:
    report = import_csv_tree(blob, tree)
    assert not report.rejected, report.rejected
