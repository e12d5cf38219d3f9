"""What makes a directory an installation, and what the installation remembers about itself.

A data root is an installation once `sysprod init`, `sysprod demo` or `sysprod data import-csv`
has made it (or it already holds a private config, a document store or price files). Every other
command refuses a data root that does not exist or holds no installation, so a typo in
`SYSPROD_DATA_ROOT` never silently creates an empty installation that then "completes" its jobs.

`installation.json` records where the stored prices came from (`prices_source`) and which market
the simulated broker serves (`sim_market`), so a broker whose market is not the stored data's
market is refused instead of appending its bars to another market's contracts.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import yaml

from syscore.exceptions import ConfigError, InstallationError, SysprodError
from syscore.fileio import atomic_write_text

INSTALLATION_FILE = "installation.json"
PRIVATE_CONFIG = "private_config.yaml"
# Any of these in a data root makes it an installation (older installations have no
# installation.json yet).
MARKERS = (INSTALLATION_FILE, PRIVATE_CONFIG, "sysprod.sqlite", "parquet")
BROKERS = ("sim", "ib")


def blocking_file(path: Path) -> Path | None:
    """The file standing where a directory of `path` (or `path` itself) should be, if any."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def is_installation(root: Path) -> bool:
    return root.is_dir() and any((root / marker).exists() for marker in MARKERS)


def check_placeable(root: Path) -> None:
    """A data root can be made here: nothing on the path is a file."""
    blocker = blocking_file(root)
    if blocker is not None:
        raise InstallationError(
            f"data root {root}: {blocker} is a file, not a directory; choose another --data-root"
        )


def check_writable(root: Path) -> None:
    """Write and remove a probe file, so a read-only or unwritable data root fails at start in one
    line instead of as a database error halfway through a job. (`os.access` is not enough: it
    says yes to root on a read-only file system.)"""
    probe = root / f".sysprod_write_probe.{os.getpid()}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        why = "read-only file system" if exc.errno == errno.EROFS else (exc.strerror or str(exc)).lower()
        raise InstallationError(
            f"data root {root} is not writable ({why}); make it writable or choose another --data-root"
        ) from None


def check_installation(root: Path) -> None:
    """The checks every command but init/demo/import-csv makes before touching a data root."""
    check_placeable(root)
    if not root.exists():
        raise InstallationError(
            f"data root {root} does not exist; check --data-root / SYSPROD_DATA_ROOT, or create an "
            f"installation: sysprod init {root} --broker sim|ib"
        )
    if not is_installation(root):
        raise InstallationError(
            f"data root {root} holds no sysprod installation; check --data-root / SYSPROD_DATA_ROOT, "
            f"or create one: sysprod init {root} --broker sim|ib"
        )
    check_writable(root)


def make_installation(root: Path) -> None:
    """An installation with no broker chosen yet (data only): the folder and its record."""
    check_placeable(root)
    root.mkdir(parents=True, exist_ok=True)
    check_writable(root)
    if not (root / INSTALLATION_FILE).exists():
        write_record(root, {})


# --- the private config's broker ------------------------------------------------------------
def configured_broker(root: Path) -> str | None:
    path = root / PRIVATE_CONFIG
    if not path.is_file():
        return None
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return None  # reported properly when the config is loaded
    return loaded.get("broker") if isinstance(loaded, dict) else None


def choose_broker(root: Path, broker: str) -> bool:
    """Write `broker: <broker>` into the data root's private config (creating the root and the
    file when needed). Returns False when it was already chosen; refuses to change a choice."""
    if broker not in BROKERS:
        raise ConfigError(f"broker '{broker}' is not known; choose one of {', '.join(BROKERS)}")
    check_placeable(root)
    root.mkdir(parents=True, exist_ok=True)
    check_writable(root)
    current = configured_broker(root)
    if current == broker:
        return False
    if current is not None:
        raise ConfigError(
            f"{root / PRIVATE_CONFIG}: this installation's broker is '{current}'; edit 'broker' there "
            "yourself if you really mean to change it"
        )
    path = root / PRIVATE_CONFIG
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        loaded = yaml.safe_load(text) or {}
        if "broker" in loaded:  # an explicit `broker: null`: rewrite the value
            loaded["broker"] = broker
            text = yaml.safe_dump(loaded, sort_keys=False)
        else:
            text = text + ("" if text.endswith("\n") or not text else "\n") + f"broker: {broker}\n"
    else:
        text = (
            "# This installation's private config (see private/private_config.example.yaml).\n"
            f"data_root: {root}\nbroker: {broker}\n"
        )
    atomic_write_text(path, text)
    make_installation(root)
    return True


# --- the installation record ----------------------------------------------------------------
def read_record(root: Path) -> dict[str, Any]:
    path = root / INSTALLATION_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError):
        raise SysprodError(f"{path} is damaged (not JSON); restore it from a backup") from None


def write_record(root: Path, record: dict[str, Any]) -> None:
    atomic_write_text(root / INSTALLATION_FILE, json.dumps(record, indent=1, sort_keys=True) + "\n")


def update_record(root: Path, **values: Any) -> None:
    record = read_record(root)
    if all(record.get(k) == v for k, v in values.items()):
        return
    record.update(values)
    write_record(root, record)


def imported_source(path: Path) -> dict[str, Any]:
    return {"kind": "imported", "path": str(Path(path).expanduser().resolve())}


def describe_source(source: dict[str, Any]) -> str:
    kind = source.get("kind")
    if kind == "synthetic":
        return f"the synthetic market (seed {source['seed']}, history from {source['history_start']})"
    if kind == "replay":
        return f"a replay of {source['path']}"
    if kind == "imported":
        return f"imported from {source['path']}"
    return str(source)


def same_market(prices: dict[str, Any], market: dict[str, Any]) -> bool:
    """Stored prices came from this market: the same synthetic market, or the replayed tree is
    the one that was imported (or replayed before)."""
    if market.get("kind") == "synthetic":
        return prices == market
    return prices.get("kind") in ("imported", "replay") and prices.get("path") == market.get("path")
