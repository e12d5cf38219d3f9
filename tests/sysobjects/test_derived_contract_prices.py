"""Per-contract prices derived from multiple prices (import, and the simulated broker's replay)."""

import numpy as np
import pandas as pd

from sysobjects.derived_contract_prices import contract_prices_from_multiple


def _multiple(rows):
    frame = pd.DataFrame(
        rows,
        columns=["DATETIME", "CARRY", "CARRY_CONTRACT", "PRICE", "PRICE_CONTRACT", "FORWARD", "FORWARD_CONTRACT"],
    )
    frame["DATETIME"] = pd.to_datetime(frame["DATETIME"])
    return frame.set_index("DATETIME")


def test_each_row_prices_up_to_three_contracts_and_duplicates_take_price_first():
    multiple = _multiple([
        ("2021-02-19 21:00", 134.0, "20210600", 135.5, "20210300", 134.5, "20210600"),
        ("2021-02-22 21:00", np.nan, "20210600", 135.3, "20210300", 134.2, "20210600"),
    ])
    derived = contract_prices_from_multiple(multiple)
    assert sorted(derived) == ["20210300", "20210600"]
    # FORWARD and CARRY name the same contract on row 1 with different values: FORWARD wins
    assert derived["20210600"]["FINAL"].tolist() == [134.5, 134.2]
    assert derived["20210300"]["FINAL"].tolist() == [135.5, 135.3]
    row = derived["20210300"].iloc[0]
    assert row["OPEN"] == row["HIGH"] == row["LOW"] == row["FINAL"] and np.isnan(row["VOLUME"])


def test_production_roll_rows_are_not_observations_but_backfilled_rolls_are():
    multiple = _multiple([
        ("2021-02-22 23:00:00", 134.23, "20210600", 135.33, "20210300", 134.23, "20210600"),
        # production roll: one second later, PRICE repeats the old FORWARD
        ("2021-02-22 23:00:01", np.nan, "20210900", 134.23, "20210600", np.nan, "20210900"),
        ("2021-02-23 14:30:00", np.nan, "20210900", 134.30, "20210600", np.nan, "20210900"),
        # a back-filled roll on a real bar, an hour after the row before: a real observation
        ("2021-05-19 15:00:00", np.nan, "20211200", 131.10, "20210900", 131.50, "20211200"),
    ])
    derived = contract_prices_from_multiple(multiple)
    june = derived["20210600"]["FINAL"]
    assert list(june.index) == [pd.Timestamp("2021-02-22 23:00:00"), pd.Timestamp("2021-02-23 14:30:00")]
    assert derived["20210900"]["FINAL"].tolist() == [131.10]
    assert derived["20211200"]["FINAL"].tolist() == [131.50]
