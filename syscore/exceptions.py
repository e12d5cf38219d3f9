"""The one exception family of sysprod.

Every error a user can cause (bad input, bad config, missing data) is a `SysprodError`; the CLI
prints its message on one line and exits non-zero. Anything else escaping is a bug and keeps its
traceback.
"""

from __future__ import annotations


class SysprodError(Exception):
    """Base class: a user-facing error whose message names the thing and the fix."""


class ConfigError(SysprodError):
    """A config file has an unknown key, a wrong type, or misses a required value."""


class DataValidationError(SysprodError):
    """Input data breaks a rule of its kind (missing column, bad number, unsorted index...)."""


class MissingData(SysprodError):
    """Asked-for data is not in the store."""


class ConcurrencyError(SysprodError):
    """A compare-and-set lost its race or a lock is held by another process."""


class BrokerError(SysprodError):
    """The broker refused, failed or could not be reached."""


class BrokerNoData(BrokerError):
    """The broker answered and has nothing for this item: an instrument it does not trade, a
    contract month it does not list, a currency it does not quote. Expected in daily work (a job
    records it as the item's failure in one log line, without a traceback), unlike a broker that
    breaks or cannot be reached."""


class BacktestConfigError(ConfigError):
    """A backtest config has an unknown key or a rule that does not resolve."""


class InstallationError(ConfigError):
    """The installation as a whole cannot do this (no broker chosen, the broker's market is not the
    stored data's market, the data root is missing or unwritable). Never a per-item failure: a job
    stops at once with one line instead of failing every instrument the same way."""
