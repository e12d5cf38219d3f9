"""Where an installation keeps its echo files, backups and backtest states (config, else under the
data root).

Also runnable: `python -m sysproduction.control.paths echo_path` prints the echo directory, so
the shell wrappers in scripts/ agree with the config without parsing it themselves.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def echo_path(blob: DataBlob) -> Path:
    configured = blob.config["echo_path"]
    return Path(configured).expanduser() if configured else blob.data_root / "echos"


def backup_path(blob: DataBlob) -> Path:
    configured = blob.config["backup_path"]
    return Path(configured).expanduser() if configured else blob.data_root / "backups"


def backtest_store_path(blob: DataBlob) -> Path:
    """Where run_systems keeps each strategy's runs (`<path>/<strategy>/<YYYYmmdd_HHMMSS>/`)."""
    configured = blob.config["backtest_store_path"]
    return Path(configured).expanduser() if configured else blob.data_root / "backtests"


def main(argv: list[str]) -> int:
    from syscore.exceptions import SysprodError
    from sysdata.data_blob import DataBlob

    which = {"echo_path": echo_path, "backup_path": backup_path}
    if len(argv) != 1 or argv[0] not in which:
        print(f"usage: python -m sysproduction.control.paths {{{'|'.join(which)}}}", file=sys.stderr)
        return 2
    root = os.environ.get("SYSPROD_DATA_ROOT")
    config = os.environ.get("SYSPROD_CONFIG")
    try:
        blob = DataBlob.from_data_root(
            Path(root) if root else None, Path(config) if config else None, must_exist=True
        )
    except SysprodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(which[argv[0]](blob))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
