"""Panama stitching: hand-made cases and every instrument of the reference data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from syscore.exceptions import DataValidationError
from sysdata.csv_io.reader import read_adjusted_csv, read_multiple_csv
from sysobjects.stitching import extend_adjusted, panama_stitch, roll_differentials


def multiple(rows):
    index = pd.date_range("2024-01-01 23:00", periods=len(rows), freq="B")
    frame = pd.DataFrame(rows, columns=["PRICE", "PRICE_CONTRACT", "FORWARD", "FORWARD_CONTRACT"], index=index)
    frame["CARRY"] = frame["FORWARD"]
    frame["CARRY_CONTRACT"] = frame["FORWARD_CONTRACT"]
    return frame


def test_history_before_a_roll_shifts_by_forward_minus_price_on_the_eve():
    frame = multiple([
        (100.0, "20240300", 102.0, "20240600"),
        (101.0, "20240300", 103.5, "20240600"),  # eve of roll: differential 2.5
        (104.0, "20240600", 106.0, "20240900"),
        (105.0, "20240600", 108.0, "20240900"),  # eve of second roll: differential 3
        (109.0, "20240900", 110.0, "20241200"),
    ])
    adjusted = panama_stitch(frame)
    assert adjusted.tolist() == [105.5, 106.5, 107.0, 108.0, 109.0]
    assert roll_differentials(frame).tolist() == [2.5, 3.0]


def test_missing_price_stays_missing_and_blank_forward_uses_last_known():
    frame = multiple([
        (100.0, "20240300", 102.0, "20240600"),
        (np.nan, "20240300", np.nan, "20240600"),
        (104.0, "20240600", 106.0, "20240900"),
    ])
    adjusted = panama_stitch(frame)
    assert adjusted.iloc[0] == 102.0 and np.isnan(adjusted.iloc[1]) and adjusted.iloc[2] == 104.0


def test_no_forward_ever_before_a_roll_is_a_clear_error():
    frame = multiple([(100.0, "20240300", np.nan, "20240600"), (104.0, "20240600", 106.0, "20240900")])
    with pytest.raises(DataValidationError, match="fill in the forward price"):
        panama_stitch(frame)


def test_append_without_roll_continues_the_offset_and_refuses_a_roll():
    frame = multiple([(100.0, "20240300", 102.0, "20240600"), (104.0, "20240600", 106.0, "20240900")])
    adjusted = panama_stitch(frame)
    new = multiple([(105.0, "20240600", 107.0, "20240900")])
    new.index = [frame.index[-1] + pd.Timedelta(days=1)]
    appended = extend_adjusted(adjusted, pd.concat([frame, new])).iloc[len(frame):]
    assert appended.tolist() == [105.0]
    full = panama_stitch(pd.concat([frame, new]))
    assert full.iloc[-1] == appended.iloc[-1]
    rolled = multiple([(108.0, "20240900", 109.0, "20241200")]).set_axis([new.index[0]])
    assert extend_adjusted(adjusted, pd.concat([frame, rolled])) is None  # a roll needs its differential


def test_stitching_reproduces_every_shipped_adjusted_series(reference_data):
    files = sorted((reference_data / "multiple_prices_csv").glob("*.csv"))
    assert len(files) >= 41
    for path in files:
        mine = panama_stitch(read_multiple_csv(path))
        shipped = read_adjusted_csv(reference_data / "adjusted_prices_csv" / path.name)
        common = mine.index.intersection(shipped.index)
        a, b = mine.reindex(common), shipped.reindex(common)
        both = a.notna() & b.notna()
        assert both.sum() > 0.75 * len(common), path.name  # shipped NaN where PRICE is NaN
        rel = ((a[both] - b[both]).abs() / b[both].abs().clip(lower=1e-300)).max()
        assert rel < 1e-9, (path.name, rel)


def test_a_stale_forward_is_never_paired_with_a_later_price():
    frame = multiple([
        (100.0, "20240300", 102.0, "20240600"),
        (101.0, "20240300", np.nan, "20240600"),  # eve: no forward bar
        (104.0, "20240600", 106.0, "20240900"),
    ])
    # both prices from the 01-01 row: 102 - 100 (the old rule paired 102 with 01-02's 101)
    assert roll_differentials(frame).tolist() == [2.0]
    assert panama_stitch(frame).tolist() == [102.0, 103.0, 104.0]


def test_a_forward_of_an_earlier_forward_contract_is_never_used():
    frame = multiple([
        (100.0, "20240300", 102.0, "20240600"),
        (104.0, "20240600", np.nan, "20240900"),
        (105.0, "20240600", np.nan, "20240900"),
        (110.0, "20240900", 111.0, "20241200"),  # no September price was ever stored before
    ])
    # the old rule took 102 (the June contract's forward price) as September's
    with pytest.raises(DataValidationError, match="roll at .* to 20240900 no row has both"):
        roll_differentials(frame)


def test_recorded_differentials_override_and_extension_shifts_by_them():
    frame = multiple([
        (100.0, "20240300", 102.0, "20240600"),
        (101.0, "20240300", 103.5, "20240600"),
        (104.0, "20240600", 106.0, "20240900"),
    ])
    recorded = pd.Series([3.0], index=[frame.index[2]])
    assert panama_stitch(frame, recorded).tolist() == [103.0, 104.0, 104.0]
    before_roll = panama_stitch(frame.iloc[:2])
    extended = extend_adjusted(before_roll, frame, recorded=recorded)
    assert extended.tolist() == [103.0, 104.0, 104.0]
    assert extend_adjusted(before_roll, frame) is None  # no record: the caller re-stitches
    # re-deriving from a time keeps the rows before it exactly, and never applies a roll twice
    after = pd.concat([frame, multiple([(105.0, "20240600", 107.0, "20240900")]).set_axis(
        [frame.index[-1] + pd.Timedelta(days=1)])])
    extended = extend_adjusted(extended, after, recorded=recorded)
    assert extended.tolist() == [103.0, 104.0, 104.0, 105.0]
    late = after.copy()
    late.iloc[3, late.columns.get_loc("PRICE")] = 105.5
    for since in (after.index[3], after.index[2], after.index[0]):
        again = extend_adjusted(extended, late, since=since, recorded=recorded)
        assert again.tolist() == [103.0, 104.0, 104.0, 105.5]
        pd.testing.assert_series_equal(again.iloc[:3], extended.iloc[:3])
