"""`python -m sysproduction.interactive_diagnostics` (also `sysprod control diagnostics`).

Numbered menu: recent logs (by type, instrument, level, process), process history, stored data
summary (last dates per instrument and FX pair, stale warnings). Piped input works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sysproduction.control.process_config import canonical_name
from sysproduction.control.views import data_summary_rows, format_rows, history_rows, log_rows
from sysproduction.interactive.menu import Prompter, run_menu

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


# The counts a user can ask for: at least one record; at most what a screen (or a pipe) is for.
MAX_ROWS = 10_000
MAX_STALE_WEEKDAYS = 260  # a year of sessions
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def recent_logs(blob: DataBlob, p: Prompter) -> None:
    log_type = p.ask("type (empty for any)", "")
    instrument = p.ask("instrument (empty for any)", "")
    level = p.ask_word("lowest level", LEVELS, "INFO")
    process = p.ask("process (empty for any)", "")
    limit = p.ask_int("how many (newest)", 30, 1, MAX_ROWS)
    rows = log_rows(
        blob, limit=limit, type=log_type, instrument_code=instrument, min_level=level,
        process_name=process,
    )
    p.write(format_rows(rows, empty="no matching log records"))


def process_history(blob: DataBlob, p: Prompter) -> None:
    name = p.ask("process (empty for all)", "")
    limit = p.ask_int("how many (newest)", 20, 1, MAX_ROWS)
    rows = history_rows(blob, canonical_name(blob.config, name) if name else None, limit)
    p.write(format_rows(rows, empty="no finished runs recorded"))


def data_summary(blob: DataBlob, p: Prompter) -> None:
    days = p.ask_int("stale after how many weekdays", 3, 1, MAX_STALE_WEEKDAYS)
    rows = data_summary_rows(blob, days)
    p.write(format_rows(rows, empty="no price data stored"))
    stale = [f"{r['kind']} {r['name']}" for r in rows if r["stale"]]
    if stale:
        p.write(f"WARNING: {len(stale)} stale series: {', '.join(stale)}")


def interactive_diagnostics(blob: DataBlob, prompter: Prompter | None = None) -> None:
    items = [
        ("recent logs (by type / instrument / level / process)", recent_logs),
        ("process history", process_history),
        ("stored data summary (last dates, stale data)", data_summary),
    ]
    run_menu(
        f"interactive diagnostics ({blob.data_root})",
        [(label, lambda p, fn=fn: fn(blob, p)) for label, fn in items],
        prompter or Prompter(),
    )
