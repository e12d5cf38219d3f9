"""Job: make sure every contract we need prices for is known, flagged for sampling, and has the
broker's expiry date; stop sampling contracts we no longer need.

Run: `sysprod run update_sampled_contracts` or `python -m sysproduction.update_sampled_contracts`.
"""

from __future__ import annotations

import datetime as dt
import logging

from syscore.exceptions import BrokerError
from sysdata.data_blob import DataBlob
from sysdata.repos.contracts import ContractRecord
from syslogdiag import log_context
from sysobjects.contract_sampling import contracts_to_sample, should_stop_sampling
from sysobjects.contracts import ContractId
from sysobjects.multiple_prices_update import current_contracts
from sysproduction.jobs.summary import JobSummary, traded_instruments

log = logging.getLogger(__name__)


def _expiry(data: DataBlob, instrument: str, contract: str) -> tuple[dt.date, str]:
    """The broker's expiry; the roll-config estimate (said so in the log) when it has none."""
    try:
        return data.broker.contract_details(instrument, contract).expiry, "broker"
    except BrokerError as error:
        estimate = data.roll_parameters.get(instrument).expected_expiry(ContractId.parse(contract))
        log.warning("%s %s: no expiry from the broker (%s); using estimate %s", instrument, contract, error, estimate)
        return estimate, "estimate"


def update_contracts_for(data: DataBlob, instrument: str, today: dt.date) -> str | None:
    """Sample what the instrument needs; returns a description of the changes, or None."""
    roll = data.roll_parameters.get(instrument)
    current = current_contracts(data.multiple_prices.get(instrument))
    wanted = contracts_to_sample(current, roll)
    known = {r.contract_date: r for r in data.contracts.for_instrument(instrument)}
    changes: list[str] = []
    updates: list[ContractRecord] = []
    for contract in wanted:
        record = known.get(contract)
        if record is not None and record.sampling and record.expiry_date:
            continue
        expiry, source = _expiry(data, instrument, contract)
        updates.append(ContractRecord(instrument, contract, expiry.isoformat(), sampling=True))
        changes.append(f"+{contract} (expiry {expiry}, {source})")
    for contract, record in known.items():
        if not record.sampling:
            continue
        expiry = dt.date.fromisoformat(record.expiry_date) if record.expiry_date else None
        if should_stop_sampling(contract, expiry, str(current["PRICE"]), wanted, today):
            updates.append(ContractRecord(instrument, contract, record.expiry_date, sampling=False))
            changes.append(f"-{contract}")
    if not updates:
        return None
    data.contracts.put_many(updates)
    log.info("%s: sampling changes %s", instrument, ", ".join(changes))
    return ", ".join(changes)


def update_sampled_contracts(data: DataBlob) -> JobSummary:
    summary = JobSummary("update_sampled_contracts")
    today = data.clock.now().date()
    for instrument in traded_instruments(data, summary):
        with log_context(instrument_code=instrument, type="sampled_contracts"), \
                summary.isolated(instrument, "sampled contracts"):
            changes = update_contracts_for(data, instrument, today)
            if changes:
                summary.updated[instrument] = changes
            else:
                summary.unchanged.append(instrument)
    return summary
