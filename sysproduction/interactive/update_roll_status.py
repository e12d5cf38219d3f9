"""Interactive roll status: see where each instrument is in its roll and choose its roll state.

`python -m sysproduction.interactive_update_roll_status` (or `sysprod run
interactive_update_roll_status`). Numbered menus; piped input works:
`printf '2\\nUS10\\n1\\n0\\n' | sysprod run interactive_update_roll_status` moves US10 to the first
state offered. Choosing Roll_Adjusted rolls the prices at once (the Panama step) and returns the
instrument to No_Roll, as the nightly job would.
"""

from __future__ import annotations

import pandas as pd

from syscore.exceptions import SysprodError
from sysdata.data_blob import DataBlob
from sysobjects.roll_state import RollState, allowed_next_states
from sysproduction.interactive.menu import Prompter, run_menu
from sysproduction.jobs.prices.stale_prices import staleness
from sysproduction.jobs.prices.update_multiple_adjusted_prices import roll_instrument
from sysproduction.reports.roll_report import (
    RollInfo,
    change_roll_state,
    get_roll_info,
    roll_info_for,
)

MAX_ROLL_DAYS = 366  # the longest roll cycle is a year

REPORT_COLUMNS = [
    "state", "priced_contract", "forward_contract", "days_to_expiry", "days_to_roll",
    "priced_volume", "forward_volume", "priced_position", "forward_position",
]


def describe(info: RollInfo) -> list[str]:
    return [
        f"{info.instrument_code}: {info.state} for {info.days_in_state} day(s) ({info.reason})",
        f"  priced {info.priced_contract}: expiry {info.expiry} ({info.days_to_expiry} days), "
        f"roll date {info.roll_date} ({info.days_to_roll} days), position {info.priced_position}",
        f"  forward {info.forward_contract}: position {info.forward_position}",
        f"  volume: priced {info.priced_volume:g}, forward {info.forward_volume:g}",
    ]


def review_instrument(data: DataBlob, instrument: str, prompter: Prompter) -> None:
    """Show one instrument and let the user pick its new state (blank keeps the current one)."""
    if instrument not in data.multiple_prices.list():
        raise SysprodError(f"no multiple prices for '{instrument}'; see sysprod data list instruments")
    info = roll_info_for(data, instrument, data.clock.now().date())
    for line in describe(info):
        prompter.write(line)
    stale = staleness(data, instrument)
    if stale is not None:
        prompter.write(f"  {stale}: the auto-roller leaves {instrument} alone; update its prices first, "
                       "or choose its state yourself")
    options = [s.value for s in allowed_next_states(RollState(info.state), info.priced_position)]
    prompter.write(f"New roll state for {instrument} (blank keeps {info.state}):")
    choice = prompter.choose("state", options)
    if choice is None:
        prompter.write(f"{instrument} stays {info.state}")
        return
    new = RollState(choice)
    change_roll_state(data, instrument, new, "set by user")
    prompter.write(f"{instrument}: {info.state} -> {new.value}")
    if new is RollState.ROLL_ADJUSTED:
        prompter.write(f"{instrument}: {roll_instrument(data, instrument)}; state now No_Roll")


def print_report(data: DataBlob, prompter: Prompter) -> None:
    frame = get_roll_info(data)[REPORT_COLUMNS]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        prompter.write(frame.to_string())


def menu(data: DataBlob, prompter: Prompter) -> None:
    def one(p: Prompter) -> None:
        review_instrument(data, p.ask("instrument code").upper(), p)

    def upcoming(p: Prompter) -> None:
        days = p.ask_int("instruments rolling within how many days", 10, 0, MAX_ROLL_DAYS)
        frame = get_roll_info(data)
        for instrument in frame.index[frame["days_to_roll"] <= days]:
            review_instrument(data, instrument, p)

    run_menu(
        "Roll status",
        [
            ("Roll report (all instruments)", lambda p: print_report(data, p)),
            ("Change the roll state of one instrument", one),
            ("Review each instrument rolling soon", upcoming),
        ],
        prompter,
    )


def interactive_update_roll_status(data: DataBlob, prompter: Prompter | None = None) -> None:
    menu(data, prompter or Prompter())
