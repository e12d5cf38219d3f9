"""pysystemtrade's CSV tree: folder names, file kinds and how timestamps are written."""

from __future__ import annotations

from pathlib import Path

FX_FOLDER = "fx_prices_csv"
MULTIPLE_FOLDER = "multiple_prices_csv"
ADJUSTED_FOLDER = "adjusted_prices_csv"
ROLL_CALENDAR_FOLDER = "roll_calendars_csv"
CONFIG_FOLDER = "csvconfig"

INSTRUMENT_CONFIG_FILE = "instrumentconfig.csv"
ROLL_CONFIG_FILE = "rollconfig.csv"
SPREAD_COSTS_FILE = "spreadcosts.csv"
MORE_INFO_FILE = "moreinstrumentinfo.csv"
CONFIG_FILES = (INSTRUMENT_CONFIG_FILE, ROLL_CONFIG_FILE, SPREAD_COSTS_FILE, MORE_INFO_FILE)

PRICE_FOLDERS = (FX_FOLDER, MULTIPLE_FOLDER, ADJUSTED_FOLDER, ROLL_CALENDAR_FOLDER)
KNOWN_TOP_LEVEL = {*PRICE_FOLDERS, CONFIG_FOLDER, "README.md"}

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def name_of(path: Path) -> str:
    """Instrument or FX pair name of a price file (its stem)."""
    return path.stem
