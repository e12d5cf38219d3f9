"""Interactive manual check of new FX rates, for pairs the nightly job held back as spikes.

`python -m sysproduction.interactive_manual_check_fx_prices` (or `sysprod run
interactive_manual_check_fx_prices`). New rates are shown spike by spike (accept, previous value,
or type one: a finite rate above 0, which is spike-checked again), then written. Numbered menus; piped input works.
"""

from __future__ import annotations

from syscore.exceptions import SysprodError
from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysproduction.interactive.manual_price_check import (
    FX_VALUE,
    ask_about_spike,
    review_new_values,
)
from sysproduction.interactive.menu import Prompter, run_menu
from sysproduction.jobs.prices.spike_check import newer_than
from sysproduction.jobs.prices.update_fx_prices import fx_pairs_needed, stored_fx


def check_pair(data: DataBlob, pair: str, prompter: Prompter) -> None:
    if pair not in fx_pairs_needed(data):
        raise SysprodError(f"'{pair}' is not an FX pair of this installation; pairs: {', '.join(fx_pairs_needed(data))}")
    with log_context(currency_code=pair, type="manual_price_check"):
        existing = stored_fx(data, pair)
        start = None if existing is None or existing.empty else existing.index[-1].to_pydatetime()
        fresh = newer_than(data.broker.fx_prices(pair, start=start).dropna(), existing)
        if fresh.empty:
            prompter.write(f"FX {pair}: no new rates")
            return
        history = existing if existing is not None else fresh.iloc[0:0]
        decided = review_new_values(
            history, fresh, float(data.config["max_price_spike"]),
            lambda spike: ask_about_spike(prompter, f"FX {pair}", spike, FX_VALUE),
        )
        added = data.fx_prices.append_newer(pair, decided)
        prompter.write(f"FX {pair}: {added} rate(s) written, to {decided.index[-1]}")


def interactive_manual_check_fx_prices(data: DataBlob, prompter: Prompter | None = None) -> None:
    prompter = prompter or Prompter()
    run_menu(
        "Manual check of FX prices",
        [("Check the new rates of one FX pair", lambda p: check_pair(data, p.ask("FX pair, e.g. GBPUSD").upper(), p))],
        prompter,
    )
