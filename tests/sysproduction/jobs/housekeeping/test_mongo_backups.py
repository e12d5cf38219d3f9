"""backup_mongo_data_as_dump on a MongoDB document store (a real jongodb over TCP): a JSON export
that `sysprod data restore` loads back, plus mongodump's output when that tool is on PATH."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from syscore.exceptions import SysprodError
from sysproduction.jobs.housekeeping.backups import backup_data, backup_mongo_data_as_dump
from sysproduction.jobs.housekeeping.restore import restore_backup
from sysproduction.wiring import make_blob
from tests.servers import fresh_db_name
from tests.sysproduction.control.helpers import make_installation

DAY1 = dt.datetime(2026, 11, 23, 21, 0)


def mongo_installation(tmp_path: Path, url: str, **config):  # noqa: ANN003
    root = make_installation(tmp_path / "inst", {}, now=DAY1, backup_path=str(tmp_path / "bk"),
                             document_store="mongo", mongo_db=fresh_db_name(),
                             **({"mongo_host": url} | config))
    data = make_blob(root)
    data.documents.put("test", "k", {"value": 1, "nested": {"x": [1.5, None]}})
    data.spread_costs.set("US10", 0.005, who="test")
    for trade in (1, 2):
        data.documents.insert_with_id("orders", {"trade": trade})
    return data


def test_json_export_restores_every_document_and_counter_into_an_emptied_database(tmp_path, jongodb_url):
    data = mongo_installation(tmp_path, jongodb_url)
    before = {c: data.documents.items(c) for c in data.documents.collections()}
    summary = backup_data(data)
    assert not summary.failed, summary.failed
    generation = tmp_path / "bk" / DAY1.date().isoformat()
    assert (generation / "documents.jsonl").is_file() and not (generation / "sysprod.sqlite").exists()
    manifest = json.loads((generation / "backup_manifest.json").read_text())
    assert manifest["parts"]["documents"]["collections"]["orders"] == 2

    # not into a database that still holds documents: refused, the new data root untouched
    with pytest.raises(SysprodError, match="already holds documents"):
        restore_backup(generation, tmp_path / "new")
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())

    for collection in data.documents.collections():  # the database is lost
        for key in data.documents.keys(collection):
            data.documents.delete(collection, key)
    result = restore_backup(generation, tmp_path / "new")
    assert "documents.jsonl" not in result.restored
    restored = make_blob(tmp_path / "new").documents
    assert {c: restored.items(c) for c in restored.collections()} == before
    assert restored.insert_with_id("orders", {"trade": 3}) == 3  # ids keep increasing


def test_mongodump_runs_when_present_with_the_password_off_the_command_line(tmp_path, jongodb_url, monkeypatch):
    port = int(jongodb_url.rsplit(":", 1)[1].strip("/"))
    data = mongo_installation(tmp_path, jongodb_url, mongo_host="127.0.0.1", mongo_port=port)
    tools = tmp_path / "tools"
    tools.mkdir()
    fake = tools / "mongodump"
    fake.write_text(
        "#!/bin/sh\n"
        f"echo \"$@\" > {tmp_path}/args\n"
        "for a in \"$@\"; do case $a in --config=*) cp \"${a#--config=}\" " f"{tmp_path}/config;; "
        "--out=*) mkdir -p \"${a#--out=}/db\" && echo bson > \"${a#--out=}/db/docs.bson\";; esac; done\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    # credentials from the environment go into mongodump's URL (set after connecting: jongodb
    # itself takes no login)
    monkeypatch.setenv("SYSPROD_MONGO_USERNAME", "backup")
    monkeypatch.setenv("SYSPROD_MONGO_PASSWORD", "s3cret")
    summary = backup_mongo_data_as_dump(data)
    assert not summary.failed, summary.failed
    generation = tmp_path / "bk" / DAY1.date().isoformat()
    assert (generation / "mongodump" / "db" / "docs.bson").read_text() == "bson\n"
    assert (generation / "documents.jsonl").is_file()
    args = (tmp_path / "args").read_text()
    assert "s3cret" not in args and f"--db={data.config['mongo_db']}" in args
    assert yaml.safe_load((tmp_path / "config").read_text())["uri"].startswith("mongodb://backup:s3cret@127.0.0.1:")
