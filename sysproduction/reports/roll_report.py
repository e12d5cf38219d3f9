"""Roll information per instrument, and the one way roll states change.

`get_roll_info` is the roll report's data and the screen of the interactive roll tool: days to
expiry and to the roll date, priced vs forward volume, positions, the current state and why.
`change_roll_state` checks the transition against the position held in the priced contract
(Roll_Adjusted only when flat there) and records who changed it and why.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import asdict, dataclass

import pandas as pd

from syscore.exceptions import MissingData
from sysdata.data_blob import DataBlob
from sysobjects.auto_roll import AutoRollSettings, RollSituation
from sysobjects.contracts import ContractId
from sysobjects.multiple_prices_update import current_contracts
from sysobjects.roll_state import RollState, check_transition

log = logging.getLogger(__name__)

VOLUME_BARS = 5  # recent volume = mean VOLUME of the last few bars that report one


@dataclass(frozen=True)
class RollInfo:
    instrument_code: str
    state: str
    days_in_state: int
    priced_contract: str
    forward_contract: str
    expiry: dt.date
    days_to_expiry: int
    roll_date: dt.date
    days_to_roll: int
    priced_volume: float
    forward_volume: float
    priced_position: int
    forward_position: int
    reason: str

    def situation(self) -> RollSituation:
        return RollSituation(
            state=RollState(self.state), days_to_roll=self.days_to_roll,
            days_to_expiry=self.days_to_expiry, priced_position=self.priced_position,
            days_in_state=self.days_in_state, priced_volume=self.priced_volume,
            forward_volume=self.forward_volume,
        )


def recent_volume(data: DataBlob, instrument: str, contract: str) -> float:
    try:
        volume = data.contract_prices.get(instrument, contract)["VOLUME"].dropna()
    except MissingData:
        return math.nan
    return float(volume.iloc[-VOLUME_BARS:].mean()) if len(volume) else math.nan


def priced_expiry(data: DataBlob, instrument: str, contract: str) -> dt.date:
    """The broker's expiry as stored by update_sampled_contracts, else the roll-config estimate."""
    record = data.contracts.get(instrument, contract)
    if record is not None and record.expiry_date:
        return dt.date.fromisoformat(record.expiry_date)
    return data.roll_parameters.get(instrument).expected_expiry(ContractId.parse(contract))


def roll_info_for(data: DataBlob, instrument: str, today: dt.date) -> RollInfo:
    contracts = current_contracts(data.multiple_prices.get(instrument))
    priced, forward = str(contracts["PRICE"]), str(contracts["FORWARD"])
    expiry = priced_expiry(data, instrument, priced)
    roll_date = data.roll_parameters.get(instrument).expected_roll_date(ContractId.parse(priced), expiry)
    record = data.roll_states.get(instrument)
    return RollInfo(
        instrument_code=instrument,
        state=record.state.value,
        days_in_state=0 if record.since is None else (today - record.since.date()).days,
        priced_contract=priced,
        forward_contract=forward,
        expiry=expiry,
        days_to_expiry=(expiry - today).days,
        roll_date=roll_date,
        days_to_roll=(roll_date - today).days,
        priced_volume=recent_volume(data, instrument, priced),
        forward_volume=recent_volume(data, instrument, forward),
        priced_position=data.contract_positions.get(instrument, priced),
        forward_position=data.contract_positions.get(instrument, forward),
        reason=record.reason,
    )


def get_roll_info(data: DataBlob, instrument: str | None = None) -> pd.DataFrame:
    """One row per instrument (or just `instrument`), soonest roll first."""
    today = data.clock.now().date()
    codes = [instrument] if instrument else data.multiple_prices.list()
    rows = [asdict(roll_info_for(data, code, today)) for code in codes]
    frame = pd.DataFrame(rows, columns=list(RollInfo.__dataclass_fields__))
    return frame.sort_values(["days_to_roll", "instrument_code"]).set_index("instrument_code")


def change_roll_state(data: DataBlob, instrument: str, new: RollState, reason: str) -> None:
    """Validate and record a new roll state (Roll_Adjusted remembers the contract it rolls from)."""
    multiple = data.multiple_prices.get(instrument)
    priced = str(current_contracts(multiple)["PRICE"])
    current = data.roll_states.get(instrument).state
    check_transition(current, new, data.contract_positions.get(instrument, priced))
    roll_from = priced if new is RollState.ROLL_ADJUSTED else None
    data.roll_states.set(instrument, new, data.clock.now(), reason, roll_from=roll_from)
    log.info("%s: roll state %s -> %s (%s)", instrument, current.value, new.value, reason)


def auto_roll_settings(config) -> AutoRollSettings:
    return AutoRollSettings(
        passive_days=int(config["auto_roll_passive_days"]),
        force_outright_days_to_expiry=int(config["auto_roll_force_outright_days_to_expiry"]),
        max_days_in_force=int(config["auto_roll_max_days_in_force"]),
        volume_ratio=float(config["auto_roll_volume_ratio"]),
    )


# --- the report (run_reports' roll_report, `sysprod report roll --html FILE`) -----------------
REPORT_COLUMNS = {
    "state": "state", "priced_contract": "priced", "forward_contract": "forward",
    "days_to_expiry": "to expiry", "days_to_roll": "to roll", "roll_date": "roll date",
    "priced_volume": "priced vol", "forward_volume": "fwd vol",
    "priced_position": "priced pos", "forward_position": "fwd pos", "days_in_state": "days in state",
}


def build_roll_report(data: DataBlob, instrument: str | None = None):
    """The roll information as a report: one row per instrument, soonest roll first; an
    instrument whose roll information cannot be read is named with the reason."""
    from syscore.exceptions import SysprodError
    from syslogdiag.render.report import Report

    now = data.clock.now()
    report = Report("roll_report", "Roll report", now)
    section = report.section("Roll status and time to roll, in days")
    section.text("Priced: the contract the prices (and positions) are in; forward: the next one. "
                 "Volumes are the mean of the last bars' volume. Roll states change with "
                 "interactive_update_roll_status or the auto-roller.")
    today = now.date()
    codes = [instrument] if instrument else data.multiple_prices.list()
    rows, problems = [], {}
    for code in codes:
        try:
            rows.append(asdict(roll_info_for(data, code, today)))
        except SysprodError as exc:
            problems[code] = str(exc)
    if not codes:
        section.warning("no instruments have multiple prices yet: import data or run run_daily_prices_updates")
        return report
    frame = pd.DataFrame(rows, columns=list(RollInfo.__dataclass_fields__))
    frame = frame.sort_values(["days_to_roll", "instrument_code"]).set_index("instrument_code")
    table = frame[list(REPORT_COLUMNS)].rename(columns=REPORT_COLUMNS)
    section.table(table, index_label="instrument",
                  formats={"priced vol": ",.0f", "fwd vol": ",.0f", "to expiry": "d", "to roll": "d",
                           "priced pos": "d", "fwd pos": "d", "days in state": "d"})
    soon = frame[frame["days_to_roll"] <= 5]
    if len(soon):
        section.warning(f"rolling within 5 days (or overdue): {', '.join(soon.index)}")
    for code, why in problems.items():
        section.warning(f"{code}: no roll information: {why}")
    return report


def roll_report(data: DataBlob):
    """run_reports' method: the roll report stored (and emailed when email is configured)."""
    from sysproduction.reports.reporting import run_report

    return run_report(data, "roll_report", build_roll_report)
