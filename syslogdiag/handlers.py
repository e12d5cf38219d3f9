"""Logging handlers: one stores records in the DocumentStore, one prints them for the echo file.

Records are stored by a background writer thread fed through a queue. That keeps logging from
ever touching the caller's database connection (a job may log inside a store transaction without
deadlocking on it), and lets a CRITICAL record's email go out without holding up the job.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from sysdata.repos.logs import LOG_ATTRIBUTES, LogRecords
from syslogdiag.context import current_log_context
from syslogdiag.emailer import EMAILER_LOGGER

_STAMPED = "_sysprod_doc"


class RecordStamper(logging.Filter):
    """Attach the time (from the installation's clock) and the structured attributes, once.

    Runs in the logging thread, where the `log_context` of the caller is visible.
    """

    def __init__(self, clock_now: Callable[[], dt.datetime], process_name: Callable[[], str]):
        super().__init__()
        self._now = clock_now
        self._process_name = process_name

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, _STAMPED):
            setattr(record, _STAMPED, self.document(record))
        return True

    def document(self, record: logging.LogRecord) -> dict[str, Any]:
        context = current_log_context()
        doc: dict[str, Any] = {}
        for attr in LOG_ATTRIBUTES:
            value = getattr(record, attr, None)  # `extra=` wins over the context
            doc[attr] = value if value is not None else context.get(attr)
        doc["process_name"] = self._process_name()
        doc.update(
            level=record.levelname,
            levelno=record.levelno,
            message=record.getMessage(),
            time=self._now().isoformat(),
            logger=record.name,
            pid=os.getpid(),
        )
        if record.exc_info:
            doc["traceback"] = logging.Formatter().formatException(record.exc_info)
        return {key: value for key, value in doc.items() if value is not None}


def stamped(record: logging.LogRecord) -> dict[str, Any]:
    return getattr(record, _STAMPED)


class ConsoleFormatter(logging.Formatter):
    """`2026-11-25 07:00:01 INFO run_x [instrument_code=US10] message` (+ traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        doc = stamped(record)
        attrs = " ".join(
            f"{attr}={doc[attr]}" for attr in LOG_ATTRIBUTES if attr != "process_name" and attr in doc
        )
        when = doc["time"][:19].replace("T", " ")
        line = f"{when} {doc['level']} {doc.get('process_name', '')}"
        line += f" [{attrs}] " if attrs else " "
        line += doc["message"]
        if "traceback" in doc:
            line += "\n" + doc["traceback"]
        return line


class StoreHandler(logging.Handler):
    """Queue each record for the writer thread, which stores it; CRITICAL ones go on to a
    separate email thread, so a slow or dead mail server never delays storing.

    When several CRITICAL records are waiting, they go out as one email (a burst of alerts from
    one bad run is one message, not fifty).
    """

    def __init__(self, logs: LogRecords, on_critical: Callable[[list[dict[str, Any]]], None]):
        super().__init__()
        self._logs = logs
        self._on_critical = on_critical
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._email_queue: queue.Queue[dict[str, Any]] = queue.Queue()
        for target, name in ((self._write_loop, "writer"), (self._email_loop, "emailer")):
            threading.Thread(target=target, name=f"sysprod-log-{name}", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        self._queue.put(dict(stamped(record)))

    def _write_loop(self) -> None:
        while True:
            doc = self._queue.get()
            try:
                self._logs.add(doc)
            except Exception as exc:  # storage trouble must not kill the process; say so
                print(f"log record not stored ({exc}): {doc.get('message')}", file=sys.stderr)
            if doc.get("levelno", 0) >= logging.CRITICAL and doc.get("logger") != EMAILER_LOGGER:
                self._email_queue.put(doc)
            self._queue.task_done()

    def _email_loop(self) -> None:
        while True:
            batch = [self._email_queue.get()]
            while True:
                try:
                    batch.append(self._email_queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._on_critical(batch)
            except Exception as exc:
                print(f"CRITICAL email not sent ({exc})", file=sys.stderr)
            finally:
                for _ in batch:
                    self._email_queue.task_done()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued record is stored and emailed; False if it took too long."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks or self._email_queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True
