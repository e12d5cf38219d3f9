"""Interactive manual check of new contract prices, for series the nightly job held back.

`python -m sysproduction.interactive_manual_check_historical_prices` (or `sysprod run
interactive_manual_check_historical_prices`). For one instrument, each sampled contract's new bars
are fetched and shown spike by spike (a typed value must be a finite number, and is spike-checked
again); a corrected bar stays consistent (see `apply_final_corrections`: OPEN/HIGH/LOW are scaled
with FINAL when the whole bar was off, VOLUME is left alone); then the bars are written. Numbered
menus; piped input works.
"""

from __future__ import annotations

from syscore.exceptions import SysprodError
from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysobjects.price_cleaning import apply_final_corrections
from sysproduction.interactive.manual_price_check import ask_about_spike, review_new_values
from sysproduction.interactive.menu import Prompter, run_menu
from sysproduction.jobs.prices.update_historical_prices import (
    new_bars,
    spike_check_history,
    stored_contract_prices,
)


def check_contract(data: DataBlob, instrument: str, contract: str, prompter: Prompter) -> None:
    with log_context(instrument_code=instrument, contract_date=contract, type="manual_price_check"):
        existing = stored_contract_prices(data, instrument, contract)
        fresh = new_bars(data, instrument, contract, existing)
        if fresh.empty:
            prompter.write(f"{instrument} {contract}: no new prices")
            return
        history = spike_check_history(data, instrument, contract, existing, fresh)
        final = review_new_values(
            history, fresh["FINAL"], float(data.config["max_price_spike"]),
            lambda spike: ask_about_spike(prompter, f"{instrument} {contract}", spike),
        )
        bars = apply_final_corrections(fresh.loc[final.index], final)
        added = data.contract_prices.append_newer(instrument, contract, bars)
        prompter.write(f"{instrument} {contract}: {added} bar(s) written, to {bars.index[-1]}")


def check_instrument(data: DataBlob, instrument: str, prompter: Prompter) -> None:
    contracts = sorted(r.contract_date for r in data.contracts.sampled(instrument))
    if not contracts:
        raise SysprodError(
            f"no sampled contracts for '{instrument}'; run update_sampled_contracts first"
        )
    for contract in contracts:
        check_contract(data, instrument, contract, prompter)


def interactive_manual_check_historical_prices(data: DataBlob, prompter: Prompter | None = None) -> None:
    prompter = prompter or Prompter()
    run_menu(
        "Manual check of historical prices",
        [("Check the new prices of one instrument",
          lambda p: check_instrument(data, p.ask("instrument code").upper(), p))],
        prompter,
    )
