"""Roll states, extending multiple prices and rolling them (a Panama step)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from syscore.exceptions import SysprodError
from sysobjects.multiple_prices_update import (
    bars_seen,
    earliest_change,
    extend_multiple_prices,
    price_roll,
    rederive_multiple_prices,
    roll_row,
    rows_differing,
)
from sysobjects.roll_parameters import RollParameters
from sysobjects.roll_state import RollState, allowed_next_states, check_transition
from sysobjects.stitching import extend_adjusted, panama_stitch

NOW = pd.Timestamp("2024-03-13 23:30")
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
    march = multiple["PRICE"]
    june = multiple["FORWARD"].dropna()  # no June bar on the last day (03-13)
    september = pd.Series([103.0], index=pd.to_datetime(["2024-03-12 23:00"]))
    finals = {"20240300": march, "20240600": june, "20240900": september}
    row = roll_row(multiple, QUARTERLY, finals)
    assert row.index[0] == pd.Timestamp("2024-03-13 23:00:01")
    assert row.iloc[0]["PRICE_CONTRACT"] == "20240600"
    assert row.iloc[0]["PRICE"] == 102.0  # June's own last price
    assert row.iloc[0]["FORWARD_CONTRACT"] == "20240900" and row.iloc[0]["FORWARD"] == 103.0
    assert row.iloc[0]["CARRY_CONTRACT"] == "20240900"
    pricing = price_roll("TEST", "20240300", march, "20240600", june, NOW, 5)
    # both contracts at the same timestamp (03-12), not June's 03-12 with March's 03-13
    assert pricing.time == pd.Timestamp("2024-03-12 23:00")
    assert pricing.differential == 102.0 - 101.0
    adjusted = panama_stitch(multiple)
    recorded = pd.Series([pricing.differential], index=row.index)
    rolled = extend_adjusted(adjusted, pd.concat([multiple, row]), recorded=recorded)
    restitched = panama_stitch(pd.concat([multiple, row]), recorded)
    np.testing.assert_allclose(rolled.to_numpy(), restitched.to_numpy(), rtol=1e-15)
    assert rolled.iloc[0] == 100.0 + 1.0  # the stale pairing gave 100 + (102 - 100.5)
    # the historical stitch, which has no contract prices, pairs the same row too
    np.testing.assert_allclose(panama_stitch(pd.concat([multiple, row])).to_numpy(), rolled.to_numpy())


def test_roll_is_refused_naming_the_contract_without_recent_prices():
    march = pd.Series([100.0, 101.0], index=pd.to_datetime(["2024-03-12 23:00", "2024-03-13 23:00"]))
    june = pd.Series([102.0], index=pd.to_datetime(["2024-03-01 23:00"]))
    with pytest.raises(SysprodError, match=r"cannot roll TEST from 20240300 to 20240600: 20240600 has no "
                       r"price since 2024-03-01 23:00; .*roll_max_price_gap_days \(5\)"):
        price_roll("TEST", "20240300", march, "20240600", june, NOW, 5)
    with pytest.raises(SysprodError, match="20240600 has no stored prices"):
        price_roll("TEST", "20240300", march, "20240600", None, NOW, 5)
    # both recent, never at the same time
    june_hourly = pd.Series([102.0], index=pd.to_datetime(["2024-03-13 20:00"]))
    with pytest.raises(SysprodError, match="have no bar at the same time since 2024-03-08"):
        price_roll("TEST", "20240300", march, "20240600", june_hourly, NOW, 5)
    # a common bar inside the window is used, even with a later bar of one contract
    assert price_roll("TEST", "20240300", march, "20240600", june_hourly.combine_first(
        pd.Series([101.5], index=pd.to_datetime(["2024-03-12 23:00"]))), NOW, 5).differential == 1.5


def test_roll_row_price_never_comes_from_another_forward_contract():
    multiple = multiple_until_roll()
    # June never priced in this stretch; the last FORWARD value belongs to an earlier contract
    multiple["FORWARD"] = np.nan
    earlier = multiple.iloc[[0]].copy()
    earlier.index = pd.to_datetime(["2024-03-08 23:00"])
    earlier["FORWARD"], earlier["FORWARD_CONTRACT"] = 99.0, "20231200"
    with pytest.raises(SysprodError, match="no FORWARD price of 20240600"):
        roll_row(pd.concat([earlier, multiple]), QUARTERLY, {})


def test_roll_without_any_forward_price_is_refused():
    multiple = multiple_until_roll()
    multiple["FORWARD"] = np.nan
    with pytest.raises(SysprodError, match="no FORWARD price"):
        roll_row(multiple, QUARTERLY, {})


def test_rederivation_fills_a_late_bar_and_keeps_earlier_rows_and_the_roll_row():
    multiple = multiple_until_roll()
    june = multiple["FORWARD"].dropna()
    september = pd.Series([103.0], index=pd.to_datetime(["2024-03-12 23:00"]))
    row = roll_row(multiple, QUARTERLY, {"20240600": june, "20240900": september})
    rolled = pd.concat([multiple, row])
    days = pd.to_datetime(["2024-03-14 23:00", "2024-03-15 23:00"])
    sept_now = pd.concat([september, pd.Series([104.0, 105.0], index=days)])
    finals = {"20240600": june, "20240900": sept_now}  # June's new bars held back (a spike)
    extended, _ = rederive_multiple_prices(rolled, finals)
    assert extended.loc[days, "PRICE"].isna().all()
    seen = bars_seen(finals)
    assert earliest_change(finals, seen) is None
    finals["20240600"] = pd.concat([june, pd.Series([102.5, 103.0], index=days)])  # accepted later
    assert earliest_change(finals, seen) == days[0]
    rebuilt, begin = rederive_multiple_prices(extended, finals, days[0])
    assert rebuilt.loc[days[0], "PRICE"] == 102.5 and rebuilt.loc[days[1], "PRICE"] == 103.0
    pd.testing.assert_frame_equal(rebuilt[rebuilt.index < days[0]], extended[extended.index < days[0]])
    # re-deriving from before the roll never touches the roll or what came before it
    again, begin = rederive_multiple_prices(extended, finals, pd.Timestamp("2024-03-01"))
    assert begin > row.index[0]
    pd.testing.assert_frame_equal(again.loc[: row.index[0]], rolled)
    assert rows_differing(rebuilt, again) == 0


def test_a_rewritten_contract_series_counts_as_changed_from_its_first_bar():
    june = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2024-03-11 23:00", periods=3, freq="D"))
    seen = bars_seen({"20240600": june})
    assert earliest_change({"20240600": june.iloc[:2]}, seen) == june.index[0]
    assert earliest_change({"20240600": june, "20240900": june.iloc[1:]}, seen) == june.index[1]
