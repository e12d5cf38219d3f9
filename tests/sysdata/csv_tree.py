"""A small, valid pysystemtrade CSV tree built in a temp dir, for import tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sysobjects.stitching import panama_stitch

INSTRUMENTS = ("AAA", "BBB")


def multiple_frame(seed: int, rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01 23:00", periods=rows, freq="B", name="DATETIME")
    price = 100 + np.cumsum(rng.normal(0, 1, rows))
    contract = np.where(np.arange(rows) < rows // 2, "20240300", "20240600")
    forward_contract = np.where(np.arange(rows) < rows // 2, "20240600", "20240900")
    return pd.DataFrame(
        {
            "CARRY": price + 1.0,
            "CARRY_CONTRACT": forward_contract,
            "PRICE": price,
            "PRICE_CONTRACT": contract,
            "FORWARD": price + 1.0,
            "FORWARD_CONTRACT": forward_contract,
        },
        index=index,
    )


def write_tree(root: Path, seed: int = 1) -> Path:
    (root / "csvconfig").mkdir(parents=True, exist_ok=True)
    (root / "csvconfig" / "instrumentconfig.csv").write_text(
        "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n"
        "AAA,Test bond,1000,USD,Bond,1.5,0,0,US\n"
        "BBB,Test index,25,EUR,Equity,2,0,0,EMEA\n"
    )
    (root / "csvconfig" / "rollconfig.csv").write_text(
        "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n"
        "AAA,HMUZ,-5,1,HMUZ,19\nBBB,HMUZ,-5,1,HMUZ,15\n"
    )
    (root / "csvconfig" / "spreadcosts.csv").write_text("Instrument,SpreadCost\nAAA,0.01\nBBB,0.5\n")
    for folder in ("multiple_prices_csv", "adjusted_prices_csv", "fx_prices_csv", "roll_calendars_csv"):
        (root / folder).mkdir(exist_ok=True)
    for offset, instrument in enumerate(INSTRUMENTS):
        multiple = multiple_frame(seed * 10 + offset)
        multiple.to_csv(root / "multiple_prices_csv" / f"{instrument}.csv", date_format="%Y-%m-%d %H:%M:%S")
        panama_stitch(multiple).to_frame("price").to_csv(
            root / "adjusted_prices_csv" / f"{instrument}.csv", date_format="%Y-%m-%d %H:%M:%S"
        )
        (root / "roll_calendars_csv" / f"{instrument}.csv").write_text(
            "DATE_TIME,current_contract,next_contract,carry_contract\n"
            "2024-02-09 23:00:00,20240300,20240600,20240600\n"
        )
    fx = pd.DataFrame(
        {"PRICE": 1.1 + 0.001 * seed + np.arange(30) * 1e-4},
        index=pd.date_range("2024-01-01", periods=30, freq="B", name="DATETIME"),
    )
    fx.to_csv(root / "fx_prices_csv" / "EURUSD.csv", date_format="%Y-%m-%d %H:%M:%S")
    return root
