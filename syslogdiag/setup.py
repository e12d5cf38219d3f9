"""Install the process's log handlers, once, at process start (DESIGN §7).

Every module logs through `logging.getLogger(__name__)`; only this installs handlers. Records go
to the DocumentStore (queryable later) and to stderr (the echo file of the cron wrapper);
CRITICAL records are also emailed to the user.
"""

from __future__ import annotations

import atexit
import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from syslogdiag.emailer import send_email
from syslogdiag.handlers import ConsoleFormatter, RecordStamper, StoreHandler

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


@dataclass
class _Installed:
    blob: DataBlob
    process_name: str
    store: StoreHandler
    console: logging.Handler


_installed: _Installed | None = None
_atexit_registered = False


def critical_email(blob: DataBlob, docs: list[dict[str, Any]]) -> None:
    """Email CRITICAL records: the subject says where and what, the body has every detail."""
    first = docs[0]
    more = f" (+{len(docs) - 1} more)" if len(docs) > 1 else ""
    subject = f"sysprod CRITICAL in {first.get('process_name', '?')}: {first['message'][:80]}{more}"
    lines = [f"data root: {blob.data_root}"]
    for doc in docs:
        lines += ["", doc["message"], f"time: {doc['time']}"]
        lines += [f"{key}: {doc[key]}" for key in sorted(doc)
                  if key not in ("message", "time", "traceback")]
        if "traceback" in doc:
            lines += ["", doc["traceback"]]
    send_email(blob.config, subject, "\n".join(lines))


def setup_process_logging(blob: DataBlob, process_name: str, level: int = logging.INFO) -> None:
    """Install the store + console handlers on the root logger, once per process.

    `process_name` is stamped on every record. Called again with the same blob it only changes
    the name (a tool that starts a process); with another blob it re-installs for that one.
    """
    global _installed, _atexit_registered
    if _installed is not None and _installed.blob is blob:
        _installed.process_name = process_name
        return
    if _installed is not None:
        shutdown_logging()

    stamper = RecordStamper(lambda: blob.clock.now(), _current_name)
    store = StoreHandler(blob.logs, lambda docs: critical_email(blob, docs))
    store.addFilter(stamper)
    console = _StderrHandler()
    console.setFormatter(ConsoleFormatter())
    console.addFilter(stamper)

    root = logging.getLogger()
    root.addHandler(store)
    root.addHandler(console)
    root.setLevel(level)
    _installed = _Installed(blob, process_name, store, console)
    if not _atexit_registered:
        atexit.register(flush_logs)
        _atexit_registered = True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _current_name() -> str:
    return _installed.process_name if _installed is not None else ""


def flush_logs(timeout: float = 30.0) -> bool:
    """Wait for queued records to be stored; call before reading the log store back."""
    return _installed.store.flush(timeout) if _installed is not None else True


def shutdown_logging() -> None:
    """Flush and remove the handlers (tests, or a process switching installations)."""
    global _installed
    if _installed is None:
        return
    flush_logs()
    root = logging.getLogger()
    root.removeHandler(_installed.store)
    root.removeHandler(_installed.console)
    _installed = None
