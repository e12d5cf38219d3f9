"""Roll states, extending multiple prices and rolling them (a Panama step)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from syscore.exceptions import SysprodError
from sysobjects.multiple_prices_update import extend_multiple_prices, panama_roll, roll_row
from sysobjects.roll_parameters import RollParameters
from sysobjects.roll_state import RollState, allowed_next_states, check_transition
from sysobjects.stitching import panama_stitch

QUARTERLY = RollParameters("HMUZ", "HMUZ", roll_offset_days=-5, carry_offset=1, expiry_offset=19)


def test_roll_adjusted_needs_a_flat_priced_contract():
    assert allowed_next_states(RollState.NO_ROLL, 0)[0] is RollState.ROLL_ADJUSTED
    assert RollState.ROLL_ADJUSTED not in allowed_next_states(RollState.FORCE, 3)
    with pytest.raises(SysprodError, match="still held"):
        check_transition(RollState.FORCE, RollState.ROLL_ADJUSTED, -2)
    assert allowed_next_states(RollState.ROLL_ADJUSTED, 0) == [RollState.NO_ROLL]
    with pytest.raises(SysprodError, match="cannot go from Roll_Adjusted to Passive"):
        check_transition(RollState.ROLL_ADJUSTED, RollState.PASSIVE, 0)
    assert RollState.parse("force_outright") is RollState.FORCE_OUTRIGHT
    with pytest.raises(SysprodError, match="choose one of"):
        RollState.parse("later")


def multiple_until_roll():
    index = pd.to_datetime(["2024-03-11 23:00", "2024-03-12 23:00", "2024-03-13 23:00"])
    return pd.DataFrame(
        {
            "CARRY": [101.0, 102.0, np.nan], "CARRY_CONTRACT": ["20240600"] * 3,
            "PRICE": [100.0, 101.0, 100.5], "PRICE_CONTRACT": ["20240300"] * 3,
            "FORWARD": [101.0, 102.0, np.nan], "FORWARD_CONTRACT": ["20240600"] * 3,
        },
        index=index,
    ).astype({"CARRY_CONTRACT": object, "PRICE_CONTRACT": object, "FORWARD_CONTRACT": object})


def test_extension_takes_union_of_new_timestamps_of_the_three_contracts():
    multiple = multiple_until_roll()
    march = pd.Series([100.5, 99.0, 98.0], index=pd.to_datetime(["2024-03-13 23:00", "2024-03-14 23:00", "2024-03-15 23:00"]))
    june = pd.Series([100.0, 101.5], index=pd.to_datetime(["2024-03-14 20:00", "2024-03-15 23:00"]))
    new = extend_multiple_prices(multiple, {"20240300": march, "20240600": june})
    assert new.index.strftime("%m-%d %H:%M").tolist() == ["03-14 20:00", "03-14 23:00", "03-15 23:00"]
    assert new["PRICE"].tolist()[1:] == [99.0, 98.0] and np.isnan(new["PRICE"].iloc[0])
    assert new["FORWARD"].tolist()[0] == 100.0 and np.isnan(new["FORWARD"].iloc[1])
    assert set(new["PRICE_CONTRACT"]) == {"20240300"}
    assert extend_multiple_prices(multiple, {}).empty


def test_roll_row_moves_forward_to_priced_one_second_later_and_matches_full_restitch():
    multiple = multiple_until_roll()
    september = pd.Series([103.0], index=pd.to_datetime(["2024-03-12 23:00"]))
    row = roll_row(multiple, QUARTERLY, {"20240900": september})
    assert row.index[0] == pd.Timestamp("2024-03-13 23:00:01")
    assert row.iloc[0]["PRICE_CONTRACT"] == "20240600"
    assert row.iloc[0]["PRICE"] == 102.0  # last known forward price
    assert row.iloc[0]["FORWARD_CONTRACT"] == "20240900" and row.iloc[0]["FORWARD"] == 103.0
    assert row.iloc[0]["CARRY_CONTRACT"] == "20240900"
    adjusted = panama_stitch(multiple)
    rolled = panama_roll(adjusted, multiple, row)
    restitched = panama_stitch(pd.concat([multiple, row]))
    np.testing.assert_allclose(rolled.to_numpy(), restitched.to_numpy(), rtol=1e-15)
    assert rolled.iloc[0] == 100.0 + (102.0 - 100.5)  # forward - price, last known


def test_roll_without_any_forward_price_is_refused():
    multiple = multiple_until_roll()
    multiple["FORWARD"] = np.nan
    with pytest.raises(SysprodError, match="no FORWARD price"):
        roll_row(multiple, QUARTERLY, {})
