"""The job summary every job returns (syscore.job_summary.JobSummary), and the price jobs'
shared "which instruments" step."""

from __future__ import annotations

import logging

from syscore.job_summary import JobSummary

__all__ = ["JobSummary", "NO_INSTRUMENTS", "traded_instruments"]

log = logging.getLogger(__name__)

NO_INSTRUMENTS = (
    "no instruments with multiple prices in this data root; import some first "
    "(sysprod data import-csv DIR)"
)


def traded_instruments(data, summary: JobSummary) -> list[str]:
    """The instruments a price job works on; an empty installation says why nothing happened."""
    instruments = data.multiple_prices.list()
    if not instruments:
        summary.note = NO_INSTRUMENTS
        log.warning("%s: %s", summary.job, NO_INSTRUMENTS)
    return instruments
