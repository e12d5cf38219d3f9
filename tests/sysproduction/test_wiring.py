"""Wiring at the top: sysdata never names the brokers; sysproduction.wiring gives a blob its broker;
the blob's members are typed attributes, not a string registry."""

from __future__ import annotations

import typing
from functools import cached_property

import pytest

from sysbrokers.sim.broker import SimBroker
from syscore.config import load_config
from syscore.exceptions import ConfigError
from sysdata.data_blob import DataBlob
from sysdata.repos.logs import LogRecords
from sysdata.repos.process_control import ProcessControl
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT


def test_sysdata_never_names_sysbrokers_or_sysproduction():
    for path in (REPO_ROOT / "sysdata").rglob("*.py"):
        text = path.read_text()
        assert "sysbrokers" not in text, path
        assert "sysproduction" not in text, path


def _config(tmp_path):
    path = tmp_path / "private_config.yaml"
    path.write_text(f"data_root: {tmp_path}\nbroker: sim\n")
    return load_config(path)


def test_a_blob_without_wiring_has_no_broker_and_says_how_to_get_one(tmp_path):
    blob = DataBlob(tmp_path, _config(tmp_path))
    with pytest.raises(ConfigError, match="built without a broker; build it with the production wiring's make_blob"):
        _ = blob.broker
    assert isinstance(blob.process_control, ProcessControl)  # stored data needs no broker


def test_make_blob_gives_the_configured_broker(tmp_path):
    blob = make_blob(tmp_path, _config(tmp_path))
    assert isinstance(blob.broker, SimBroker)
    assert blob.broker is blob.broker  # built once


def test_blob_members_are_typed_attributes():
    assert not hasattr(DataBlob, "__getattr__")
    hints = {name: typing.get_type_hints(getattr(DataBlob, name).func)["return"]
             for name in ("logs", "process_control", "broker", "fx_prices")}
    assert hints["logs"] is LogRecords and hints["process_control"] is ProcessControl
    assert all(isinstance(getattr(DataBlob, name), cached_property) for name in hints)
