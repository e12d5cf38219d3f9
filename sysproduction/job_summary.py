"""`sysproduction.job_summary`, the import path earlier versions documented for jobs of your own:
now sysproduction.jobs.summary."""

from sysproduction.jobs.summary import JobSummary, traded_instruments

__all__ = ["JobSummary", "traded_instruments"]
