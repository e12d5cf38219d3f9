"""`python -m sysproduction.interactive_diagnostics` (also `sysprod control diagnostics`).

Numbered menu: recent logs (by type, instrument, level, process), process history, stored data
summary (last dates per instrument and FX pair, stale warnings). Piped input works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sysproduction.control.menu import Prompter, run_menu
from sysproduction.control.process_config import canonical_name
from sysproduction.control.views import data_summary_rows, format_rows, history_rows, log_rows

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def _int(text: str, what: str) -> int:
    from syscore.exceptions import DataValidationError

    try:
        return int(text)
    except ValueError:
        raise DataValidationError(f"{what} must be a whole number, got '{text}'") from None


def recent_logs(blob: DataBlob, p: Prompter) -> None:
    log_type = p.ask("type (empty for any)", "")
    instrument = p.ask("instrument (empty for any)", "")
    level = p.ask("lowest level", "INFO")
    process = p.ask("process (empty for any)", "")
    limit = _int(p.ask("how many (newest)", "30"), "how many")
    rows = log_rows(
        blob, limit=limit, type=log_type, instrument_code=instrument, min_level=level,
        process_name=process,
    )
    p.write(format_rows(rows, empty="no matching log records"))


def process_history(blob: DataBlob, p: Prompter) -> None:
    name = p.ask("process (empty for all)", "")
    limit = _int(p.ask("how many (newest)", "20"), "how many")
    rows = history_rows(blob, canonical_name(blob.config, name) if name else None, limit)
    p.write(format_rows(rows, empty="no finished runs recorded"))


def data_summary(blob: DataBlob, p: Prompter) -> None:
    days = _int(p.ask("stale after how many weekdays", "3"), "weekdays")
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


if __name__ == "__main__":
    from sysproduction.control.tool_entry import tool_main

    raise SystemExit(tool_main(interactive_diagnostics, "interactive_diagnostics"))
