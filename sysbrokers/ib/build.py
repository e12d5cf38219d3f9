"""Build the IB broker from an installation's DataBlob (`broker: ib`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from syscore.exceptions import InstallationError

if TYPE_CHECKING:
    from sysbrokers.ib.broker import IBBroker
    from sysdata.data_blob import DataBlob


def ib_settings(config) -> object:
    from sysbrokers.ib.connection import IBSettings

    return IBSettings(host=str(config["ib_ipaddress"]), port=int(config["ib_port"]),
                      id_offset=int(config["ib_idoffset"]), account=str(config["broker_account"] or ""))


def ib_broker_from_blob(blob: DataBlob) -> IBBroker:
    """The broker on the configured gateway; the connection is made on first use, once per
    process (several blobs of one installation share it)."""
    try:
        import ib_async  # noqa: F401
    except ImportError:
        raise InstallationError(
            "broker: ib needs the IB extra, which is not installed: pip install -e '.[ib]' (ib_async)"
        ) from None
    from sysbrokers.ib.broker import IBBroker
    from sysbrokers.ib.client_ids import ClientIdTracker
    from sysbrokers.ib.connection import IBConnection, shared_connection
    from sysbrokers.ib.instruments import IBInstrumentTable

    settings = ib_settings(blob.config)
    process = f"{Path(sys.argv[0]).name} {' '.join(sys.argv[1:3])} (pid {os.getpid()})".strip()
    key = (settings.host, settings.port, str(blob.data_root))

    def make() -> IBConnection:
        tracker = ClientIdTracker(blob.documents, settings.id_offset)
        return IBConnection(settings, tracker, process, now=blob.clock.now)

    connection = shared_connection(key, make)
    table = IBInstrumentTable.load(blob.data_root)
    return IBBroker(connection, table, blob.documents, blob.clock, blob.config["base_currency"])
