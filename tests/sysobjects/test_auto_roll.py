"""The auto-roller's documented rules, one by one."""

from __future__ import annotations

from sysobjects.auto_roll import AutoRollSettings, RollSituation, decide_roll_state
from sysobjects.roll_state import RollState

SETTINGS = AutoRollSettings(passive_days=10, force_outright_days_to_expiry=3, max_days_in_force=5)


def situation(**changes):
    base = dict(state=RollState.NO_ROLL, days_to_roll=30, days_to_expiry=35, priced_position=2, days_in_state=0)
    base.update(changes)
    return RollSituation(**base)


def test_far_from_roll_nothing_changes():
    assert decide_roll_state(situation(), SETTINGS) is None


def test_flat_and_roll_date_reached_rolls_the_prices():
    state, reason = decide_roll_state(situation(priced_position=0, days_to_roll=0), SETTINGS)
    assert state is RollState.ROLL_ADJUSTED and "roll date reached" in reason


def test_flat_and_volume_moved_inside_window_rolls_early_but_not_outside_it():
    moved = dict(priced_position=0, priced_volume=100.0, forward_volume=150.0)
    assert decide_roll_state(situation(days_to_roll=8, **moved), SETTINGS)[0] is RollState.ROLL_ADJUSTED
    assert decide_roll_state(situation(days_to_roll=20, **moved), SETTINGS) is None
    unknown = dict(priced_position=0, days_to_roll=8)  # no volume information: wait for the date
    assert decide_roll_state(situation(**unknown), SETTINGS) is None


def test_position_held_goes_passive_then_force_then_outright():
    assert decide_roll_state(situation(days_to_roll=7), SETTINGS)[0] is RollState.PASSIVE
    assert decide_roll_state(situation(state=RollState.PASSIVE, days_to_roll=0), SETTINGS)[0] is RollState.FORCE
    stuck = situation(state=RollState.FORCE, days_to_roll=-5, days_in_state=5)
    state, reason = decide_roll_state(stuck, SETTINGS)
    assert state is RollState.FORCE_OUTRIGHT and "5 days in Force" in reason
    near_expiry = situation(state=RollState.PASSIVE, days_to_roll=-1, days_to_expiry=2)
    assert decide_roll_state(near_expiry, SETTINGS)[0] is RollState.FORCE_OUTRIGHT


def test_never_steps_back_and_respects_user_close_except_near_expiry():
    assert decide_roll_state(situation(state=RollState.FORCE, days_to_roll=5), SETTINGS) is None
    assert decide_roll_state(situation(state=RollState.CLOSE, days_to_roll=0), SETTINGS) is None
    assert decide_roll_state(situation(state=RollState.CLOSE, days_to_expiry=1), SETTINGS)[0] is RollState.FORCE_OUTRIGHT


def test_an_instrument_waiting_for_its_price_roll_is_left_alone():
    waiting = situation(days_to_roll=-2, state=RollState.ROLL_ADJUSTED)
    assert decide_roll_state(waiting, SETTINGS) is None
