"""The jobs of run_cleaners: drop old log records and old echo files.

Log records are stamped by the installation's clock, so their age is measured by it; echo files
are ordinary files, so their age is their modification time against the wall clock.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from sysproduction.control.paths import echo_path

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)


def clean_logs(data: DataBlob) -> str:
    days = data.config["log_retention_days"]
    deleted = data.logs.delete_older_than(days, data.clock.now())
    text = f"deleted {deleted} log record(s) older than {days} days"
    return text


def clean_echo_files(data: DataBlob) -> str:
    days = data.config["echo_retention_days"]
    folder = echo_path(data)
    cutoff = time.time() - days * 86400
    deleted = 0
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
    text = f"deleted {deleted} echo file(s) in {folder} not written for {days} days"
    return text
