"""What every report's process method does: build, store, email; and the small helpers the
reports share to read data that may not be there yet.

A report must never fail because its data is missing (a new installation has no fills, no
capital, no strategy): it says so in its text. It fails (the method fails, run_reports exits 1)
only when it cannot be made or, with email configured, cannot be sent, because then the person
who reads it every morning does not get it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from syscore.job_summary import JobSummary
from syslogdiag.emailer import email_is_configured, recipients
from syslogdiag.render.report import Report, send_report
from sysproduction.reports.store import mark_emailed, store_report

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)

Builder = Callable[["DataBlob"], Report]


def run_report(data: DataBlob, name: str, build: Builder) -> JobSummary:
    """The scheduled report: build it, store it, email it (one message) when email is set up."""
    summary = JobSummary(name)
    with summary.isolated(name, "report"):
        report = build(data)
        stored = store_report(data.data_root, report, "scheduled", fsync=bool(data.config["fsync_writes"]))
        summary.updated[name] = f"stored {stored.text_path}"
        if report.warnings:
            summary.note = "; ".join(report.warnings)
        if not email_is_configured(data.config):
            summary.unchanged.append("email (not configured: set email_address and email_server)")
        elif send_report(data.config, report):
            to = ", ".join(recipients(data.config))
            mark_emailed(stored, to, fsync=bool(data.config["fsync_writes"]))
            summary.updated["email"] = f"sent to {to}"
        else:
            summary.failed["email"] = (
                f"not sent to {', '.join(recipients(data.config))} (see the log); the report is "
                f"stored at {stored.html_path}"
            )
    return summary


# Each report's name (pysystemtrade's) -> "module:builder". `sysprod report NAME` accepts the
# name with or without `_report`.
BUILDERS: dict[str, str] = {
    name: f"sysproduction.reports.{name}:build_{name}"
    for name in ("status_report", "roll_report", "daily_pandl_report", "reconcile_report",
                 "trade_report", "costs_report", "liquidity_report")
}


def builder(name: str) -> Builder:
    import importlib

    module, _, function = BUILDERS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def adhoc_report(data: DataBlob, name: str, html_path=None, build: Builder | None = None,
                 show: Callable[[Report], None] | None = None) -> Report:
    """A report asked for by hand: built, its page written to `html_path` when given (atomically;
    a path that cannot be written is one line), shown (`show`), then stored (origin "ad hoc"; a
    data root that cannot take it is one line, after the report was shown)."""
    from pathlib import Path

    from syscore.exceptions import SysprodError
    from syscore.fileio import atomic_write_text
    from syslogdiag.render.report import render_html

    report = (build or builder(name))(data)
    if html_path is not None:
        target = Path(html_path).expanduser()
        if target.is_dir():
            raise SysprodError(f"--html {target}: is a folder; give a file name, e.g. {target / (name + '.html')}")
        try:
            atomic_write_text(target, render_html(report), fsync=False)
        except OSError as exc:
            raise SysprodError(f"--html {target}: cannot write it ({exc.strerror}); choose a writable path") from None
    if show is not None:
        show(report)
    try:
        store_report(data.data_root, report, "ad hoc", fsync=bool(data.config["fsync_writes"]))
    except OSError as exc:
        raise SysprodError(f"{name} was made but not stored under {data.data_root / 'reports'} "
                           f"({exc.strerror}); check that the data root is writable") from None
    return report
