"""Structured logging (stored, queryable, CRITICAL emailed) and email for sysprod."""

from syslogdiag.context import current_log_context, log_context
from syslogdiag.emailer import send_email
from syslogdiag.setup import flush_logs, setup_process_logging, shutdown_logging

__all__ = [
    "current_log_context",
    "flush_logs",
    "log_context",
    "send_email",
    "setup_process_logging",
    "shutdown_logging",
]
