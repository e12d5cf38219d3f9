"""Job: value the account. Polls the broker's account value in base currency and stores a
capital entry stamped with the installation's clock (rules: sysobjects/capital.py).

- Nothing stored yet: the first run initialises (capital = max capital = broker account value,
  accumulated P&L 0).
- A change of more than `max_capital_change` since the last entry is held back: nothing is
  stored but the pending change, a CRITICAL log record (emailed) says so, and the job summary
  shows it like a price spike (held back, not a failure). A person looks, records a withdrawal
  or deposit if that is what it was, and confirms with `update_capital_manual`.

Run: inside `run_capital_update` (`sysprod run run_capital_update`), every `frequency` minutes.
"""

from __future__ import annotations

import logging

from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysobjects.capital import CapitalBook, Valuation, book_after_valuation, check_method
from sysproduction.jobs.summary import JobSummary

log = logging.getLogger(__name__)

ITEM = "total capital"


def describe_values(valuation: Valuation, method: str) -> str:
    values = valuation.values
    return (
        f"broker account value {values.broker_account_value:,.2f} (profit {valuation.profit:+,.2f}); "
        f"capital {values.total_capital:,.2f} ({method}), max {values.max_capital:,.2f}, "
        f"accumulated P&L {values.accumulated_pnl:+,.2f}"
    )


def update_total_capital(data: DataBlob) -> JobSummary:
    summary = JobSummary("update_total_capital")
    base = data.config["base_currency"]
    method = check_method(data.config["production_capital_method"])
    max_change = float(data.config["max_capital_change"])
    with log_context(type="capital", currency_code=base), summary.isolated(ITEM, "capital"):
        broker_value = float(data.broker.account_value(base))
        now = data.clock.now()
        outcome: list[Valuation | None] = []

        def step(book: CapitalBook) -> CapitalBook:
            new_book, valuation = book_after_valuation(book, now, broker_value, method, max_change)
            outcome[:] = [valuation]
            return new_book

        data.total_capital.change(step)
        valuation = outcome[0]
        if valuation is None:
            log.info("total capital initialised from broker account value %.2f %s", broker_value, base)
            summary.updated[ITEM] = f"initialised from broker account value {broker_value:,.2f} {base}"
        elif valuation.large:
            log.critical(
                "capital: broker account value %.2f %s is %+.1f%% from the last stored %.2f "
                "(max_capital_change %g): not applied; if it was a withdrawal or deposit record it, "
                "then confirm with update_capital_manual",
                broker_value, base, valuation.change * 100, valuation.previous.broker_account_value,
                max_change,
            )
            summary.spiked[ITEM] = (
                f"broker account value {broker_value:,.2f} is {valuation.change:+.1%} from "
                f"{valuation.previous.broker_account_value:,.2f} (max_capital_change {max_change:g}): "
                "not applied; confirm it with update_capital_manual"
            )
        else:
            log.info("capital: %s", describe_values(valuation, method))
            summary.updated[ITEM] = describe_values(valuation, method)
    return summary
