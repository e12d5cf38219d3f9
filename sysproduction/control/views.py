"""What the control and diagnostics tools show, as rows of plain values.

The CLI commands and the numbered menus print the same rows, so each view is written once and
tested once. `format_rows` renders them as an aligned plain-text table that reads the same in a
terminal, a pipe or an echo file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from syscore.exceptions import ConfigError
from syscore.liveness import hostname
from sysproduction.control.control_state import holder_is_dead
from sysproduction.control.process_config import MethodConfig, load_process_config, process_names
from sysproduction.control.registry import resolve_job, resolve_user_function

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

Row = dict[str, Any]


def format_rows(rows: Sequence[Row], columns: Sequence[str] | None = None, empty: str = "(none)") -> str:
    if not rows:
        return empty
    columns = list(columns or rows[0].keys())
    cells = [[_text(row.get(col)) for col in columns] for row in rows]
    widths = [max(len(col), *(len(line[i]) for line in cells)) for i, col in enumerate(columns)]
    lines = ["  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells]
    return "\n".join(lines)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- process control --------------------------------------------------------------------------
def process_state_rows(blob: DataBlob) -> list[Row]:
    """Every known process (configured or ever run) with its status and last run."""
    stored = blob.process_control.all()
    names = list(dict.fromkeys([*process_names(blob.config), *stored]))
    host = hostname()
    rows = []
    for name in names:
        state = stored.get(name) or blob.process_control.get(name)
        dead = holder_is_dead(state, host)
        running = "DEAD" if dead else ("yes (other host)" if dead is None else state.running)
        rows.append({
            "process": name,
            "status": state.status.value,
            "running": running,
            "pid": state.pid if state.running else None,
            "host": state.host,
            "start": state.start_time,
            "end": state.end_time,
            "last outcome": state.last_outcome,
        })
    return rows


def process_config_rows(blob: DataBlob, name: str | None = None) -> list[Row]:
    """One row per method: schedule, frequency, limits, and whether its job exists here (a
    process with no methods, e.g. run_systems before any strategy is configured, gets one row)."""
    rows = []
    for process in [name] if name else process_names(blob.config):
        config = load_process_config(blob.config, process)
        schedule = {
            "process": config.name,
            "start": f"{config.start_time:%H:%M}" if config.start_time else "any",
            "stop": f"{config.stop_time:%H:%M}" if config.stop_time else "none",
            "after": config.previous_process or "",
        }
        if not config.methods:
            rows.append({**schedule, "method": "(none configured)", "every (min)": None,
                         "max runs": None, "on completion": None, "available": None})
        for method in config.methods:
            rows.append({
                **schedule,
                "method": method.name,
                "every (min)": f"{method.frequency_minutes:g}",
                "max runs": "no limit" if method.max_executions == -1 else method.max_executions,
                "on completion": method.run_on_completion_only,
                "available": _available(config.name, method),
            })
    return rows


def _available(process: str, method: MethodConfig) -> bool | str:
    """Whether the method's job exists here; a function of the user's that does not import says
    why (the process refuses to start on it)."""
    if not method.user_function:
        return resolve_job(method.target) is not None
    try:
        resolve_user_function(method.target, f"{process}.{method.name}")
    except ConfigError as exc:
        return f"no: {str(exc).split(': ', 1)[-1]}"
    return True


def history_rows(blob: DataBlob, name: str | None = None, limit: int = 20) -> list[Row]:
    return [
        {
            "process": run.get("process_name"),
            "start": run.get("start_time", "")[:19].replace("T", " "),
            "end": (run.get("end_time") or "")[:19].replace("T", " "),
            "outcome": run.get("last_outcome"),
            "pid": run.get("pid"),
            "host": run.get("host"),
            "detail": run.get("detail"),
        }
        for run in blob.process_control.history(name, limit=limit)
    ]


# --- logs ---------------------------------------------------------------------------------------
def log_rows(blob: DataBlob, limit: int = 30, **filters: Any) -> list[Row]:
    records = blob.logs.query(limit=limit, **{k: v for k, v in filters.items() if v not in (None, "")})
    rows = []
    for record in records:
        attrs = ", ".join(
            f"{key}={record[key]}"
            for key in ("instrument_code", "contract_date", "currency_code", "strategy_name", "order_id")
            if key in record
        )
        rows.append({
            "time": record.get("time", "")[:19].replace("T", " "),
            "level": record.get("level"),
            "process": record.get("process_name", ""),
            "type": record.get("type", ""),
            "attributes": attrs,
            "message": record.get("message", "").splitlines()[0] if record.get("message") else "",
        })
    return rows


# --- stored data --------------------------------------------------------------------------------
def business_days_between(earlier: dt.date, later: dt.date) -> int:
    import numpy as np

    return int(np.busday_count(earlier, later)) if later > earlier else 0


def data_summary_rows(blob: DataBlob, stale_business_days: int = 3) -> list[Row]:
    """Last stored date per instrument (adjusted, multiple) and FX pair, flagging stale ones.

    Stale = the last row is more than `stale_business_days` weekdays before the clock's today.
    """
    today = blob.clock.now().date()
    rows = []
    sources = [
        ("adjusted", blob.adjusted_prices.list, blob.adjusted_prices.get),
        ("multiple", blob.multiple_prices.list, blob.multiple_prices.get),
        ("fx", blob.fx_prices.list, blob.fx_prices.get),
    ]
    for kind, lister, getter in sources:
        for key in lister():
            frame = getter(key)
            last = frame.index.max() if len(frame) else None
            lag = business_days_between(last.date(), today) if last is not None else None
            rows.append({
                "kind": kind,
                "name": key,
                "rows": len(frame),
                "last date": last.date().isoformat() if last is not None else "",
                "weekdays old": lag,
                "stale": "STALE" if lag is None or lag > stale_business_days else "",
            })
    return rows
