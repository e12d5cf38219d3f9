"""A small pysystemtrade-shaped CSV tree of random-walk futures, for backtest tests.

Three instruments (two USD, one EUR), a few years of daily 23:00 closes with a roll every
quarter, an intraday row now and then, and a EURUSD series. Written with plain pandas so the
engine's own reader is what gets tested.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

INSTRUMENTS = {"AAA": ("USD", 1000.0, 1.5, 0.01, "HMUZ"), "BBB": ("EUR", 25.0, 2.0, 0.5, "HMUZ"),
               "CCC": ("USD", 50.0, 2.5, 0.25, "Z")}
STAMP = "%Y-%m-%d %H:%M:%S"


def _instrument(seed: int, start: str, rows: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    index = pd.date_range(f"{start} 23:00", periods=rows, freq="B", name="DATETIME")
    price = 100 + np.cumsum(rng.normal(0, 1, rows))
    quarter = np.arange(rows) // 63
    year = 2015 + (quarter + 1) // 4
    month = 3 * ((quarter + 1) % 4) + 3
    contract = year * 10000 + month * 100
    carry_contract = np.where(month == 12, (year + 1) * 10000 + 300, year * 10000 + (month + 3) * 100)
    carry = price - rng.normal(0.3, 0.2, rows)
    frame = pd.DataFrame(
        {
            "CARRY": carry,
            "CARRY_CONTRACT": carry_contract.astype(str),
            "PRICE": price,
            "PRICE_CONTRACT": contract.astype(str),
            "FORWARD": carry,
            "FORWARD_CONTRACT": carry_contract.astype(str),
        },
        index=index,
    )
    adjusted = pd.Series(price + 0.5 * quarter, index=index, name="price")
    return frame, adjusted


def write_backtest_tree(root: Path, rows: int = 700, seed: int = 3) -> Path:
    """Write the tree under `root` and return it."""
    config = root / "csvconfig"
    config.mkdir(parents=True, exist_ok=True)
    header = "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n"
    (config / "instrumentconfig.csv").write_text(
        header + "".join(f"{k},Test {k},{v[1]},{v[0]},Test,{v[2]},0,0,US\n" for k, v in INSTRUMENTS.items())
    )
    (config / "spreadcosts.csv").write_text(
        "Instrument,SpreadCost\n" + "".join(f"{k},{v[3]}\n" for k, v in INSTRUMENTS.items())
    )
    (config / "rollconfig.csv").write_text(
        "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n"
        + "".join(f"{k},{v[4]},-5,1,{v[4]},15\n" for k, v in INSTRUMENTS.items())
    )
    for folder in ("multiple_prices_csv", "adjusted_prices_csv", "fx_prices_csv", "roll_calendars_csv"):
        (root / folder).mkdir(exist_ok=True)
    starts = {"AAA": "2015-01-05", "BBB": "2015-09-01", "CCC": "2015-03-02"}
    for offset, code in enumerate(INSTRUMENTS):
        frame, adjusted = _instrument(seed * 10 + offset, starts[code], rows)
        frame.to_csv(root / "multiple_prices_csv" / f"{code}.csv", date_format=STAMP)
        adjusted.to_frame().to_csv(root / "adjusted_prices_csv" / f"{code}.csv", date_format=STAMP)
        (root / "roll_calendars_csv" / f"{code}.csv").write_text(
            "DATE_TIME,current_contract,next_contract,carry_contract\n"
            "2015-02-09 23:00:00,20150300,20150600,20150600\n"
        )
    fx_index = pd.date_range("2014-06-02", "2019-12-31", freq="B", name="DATETIME")
    rng = np.random.default_rng(seed)
    fx = pd.DataFrame({"PRICE": 1.1 * np.exp(np.cumsum(rng.normal(0, 0.004, len(fx_index))))}, index=fx_index)
    fx.to_csv(root / "fx_prices_csv" / "EURUSD.csv", date_format=STAMP)
    return root


def write_config(path: Path, instruments: list[str] | None = None, **overrides: object) -> Path:
    """The provided chapter-15 config with these instruments (equal weights) and overrides."""
    import yaml

    from systems.config import provided_config_path

    raw = yaml.safe_load(provided_config_path().read_text())
    codes = instruments or list(INSTRUMENTS)
    raw["instrument_weights"] = {code: round(1.0 / len(codes), 4) for code in codes}
    raw.update(overrides)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
