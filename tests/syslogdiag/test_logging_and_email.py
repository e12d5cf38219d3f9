"""Structured logging into the real store, and email through a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys

import pytest
from aiosmtpd.smtp import AuthResult

import syslogdiag.emailer as emailer
from syscore.clock import FixedClock
from syscore.config import load_config
from sysdata.data_blob import DataBlob
from syslogdiag import flush_logs, log_context, send_email, setup_process_logging, shutdown_logging
from tests.conftest import REPO_ROOT
from tests.smtp_inbox import free_port, running_smtp_server

NOW = dt.datetime(2026, 11, 25, 7, 0)
log = logging.getLogger("tests.syslogdiag")


@pytest.fixture
def smtp_server():
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"secret")

    with running_smtp_server(authenticator=authenticator, auth_require_tls=False) as (port, inbox):
        yield port, inbox, logins


@pytest.fixture(autouse=True)
def fresh_logging():
    emailer._told_not_configured = False
    yield
    shutdown_logging()


def make_blob(tmp_path, clock=None, **overrides) -> DataBlob:
    config = load_config(None, env={}).with_overrides({"data_root": str(tmp_path), **overrides})
    return DataBlob(tmp_path, config, clock or FixedClock(NOW))


def email_config(port: int, **extra) -> dict:
    return {"email_address": "desk@example.com", "email_server": "127.0.0.1", "email_port": port,
            "email_use_tls": False, "email_to": "me@example.com, ops@example.com", **extra}


def test_records_carry_context_clock_time_and_traceback(tmp_path):
    clock = FixedClock(NOW)
    data = make_blob(tmp_path, clock)
    setup_process_logging(data, "run_daily_prices_updates")

    with log_context(type="update_historical_prices"):
        with log_context(instrument_code="US10", contract_date="20261200"):
            log.info("added %d bars", 3)
        clock.advance(dt.timedelta(minutes=5))
        log.warning("spike", extra={"instrument_code": "GOLD"})
        try:
            raise RuntimeError("broker timeout")
        except RuntimeError:
            log.exception("fetch failed")
    log.debug("not stored at INFO level")
    assert flush_logs()

    records = data.logs.query(process_name="run_daily_prices_updates")
    assert [r["message"] for r in records] == ["added 3 bars", "spike", "fetch failed"]
    first, second, third = records
    assert (first["instrument_code"], first["contract_date"], first["type"]) == (
        "US10", "20261200", "update_historical_prices")
    assert first["time"] == NOW.isoformat()
    assert second["time"] == (NOW + dt.timedelta(minutes=5)).isoformat()
    assert second["instrument_code"] == "GOLD" and "contract_date" not in second
    assert "RuntimeError: broker timeout" in third["traceback"]
    assert [r["message"] for r in data.logs.query(instrument_code="US10")] == ["added 3 bars"]
    assert [r["level"] for r in data.logs.query(min_level="WARNING")] == ["WARNING", "ERROR"]
    assert data.logs.query(since=NOW + dt.timedelta(minutes=1), limit=1)[0]["message"] == "fetch failed"
    assert len(data.logs.query(limit=10)) == 3 and data.logs.query(limit=0) == []
    assert [r["message"] for r in data.logs.query(limit=2)] == ["spike", "fetch failed"]


def test_log_context_rejects_unknown_attributes():
    with pytest.raises(TypeError, match="unknown attribute"):
        with log_context(instrument="US10"):
            pass


def test_delete_older_than_keeps_recent_records(tmp_path):
    data = make_blob(tmp_path)
    for days_ago in (40, 31, 29, 0):
        data.logs.add({"level": "INFO", "levelno": 20, "message": f"{days_ago}d",
                       "time": (NOW - dt.timedelta(days=days_ago)).isoformat()})
    assert data.logs.delete_older_than(30, NOW) == 2
    assert [r["message"] for r in data.logs.query()] == ["29d", "0d"]


def test_critical_record_is_emailed(tmp_path, smtp_server):
    port, inbox, _ = smtp_server
    data = make_blob(tmp_path, **email_config(port))
    setup_process_logging(data, "run_stack_handler")

    with log_context(instrument_code="CORN", order_id=17):
        log.critical("position break on CORN")
    assert flush_logs()

    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert sender == "desk@example.com"
    assert recipients == ["me@example.com", "ops@example.com"]
    assert "Subject: sysprod CRITICAL in run_stack_handler: position break on CORN" in content
    assert "instrument_code: CORN" in content and "order_id: 17" in content
    assert data.logs.query(min_level="CRITICAL")[0]["order_id"] == 17


def test_login_with_password(smtp_server):
    port, inbox, logins = smtp_server
    assert send_email(email_config(port, email_pwd="secret"), "daily report", "all fine")
    assert logins == [("desk@example.com", "secret")]
    assert "all fine" in inbox.messages[0][2]


def test_email_failure_is_logged_not_raised(tmp_path):
    data = make_blob(tmp_path, **email_config(free_port()))  # nothing listens there
    setup_process_logging(data, "run_x")

    log.critical("something broke")
    assert flush_logs()

    messages = [r["message"] for r in data.logs.query()]
    assert messages[0] == "something broke"
    assert len(messages) == 2 and messages[1].startswith("email 'sysprod CRITICAL in run_x")
    assert "failed" in messages[1]
    assert data.logs.query(min_level="ERROR")[-1]["level"] == "ERROR"


def test_unconfigured_email_is_said_once(tmp_path):
    data = make_blob(tmp_path)
    setup_process_logging(data, "run_x")
    log.critical("first")
    log.critical("second")
    assert flush_logs()
    warnings = [r["message"] for r in data.logs.query() if r["level"] == "WARNING"]
    assert len(warnings) == 1 and warnings[0].startswith("email is not configured")


def test_records_from_several_processes_share_one_store(tmp_path):
    data = make_blob(tmp_path)
    script = (
        "import logging, sys; from pathlib import Path; from sysdata.data_blob import DataBlob;"
        "from syslogdiag import setup_process_logging, log_context;"
        "b = DataBlob.from_data_root(Path(sys.argv[1]));"
        "setup_process_logging(b, sys.argv[2]);"
        "exec('with log_context(instrument_code=sys.argv[2]):\\n"
        "    [logging.getLogger(\"x\").info(\"n%d\", i) for i in range(20)]')"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), f"p{i}"], cwd=REPO_ROOT,
                         stderr=subprocess.DEVNULL)
        for i in range(3)
    ]
    assert [child.wait(timeout=60) for child in children] == [0, 0, 0]
    for i in range(3):
        records = data.logs.query(process_name=f"p{i}")
        assert [r["message"] for r in records] == [f"n{k}" for k in range(20)]
        assert {r["instrument_code"] for r in records} == {f"p{i}"}


def test_a_burst_of_critical_records_all_reach_the_inbox(tmp_path, smtp_server):
    port, inbox, _ = smtp_server
    data = make_blob(tmp_path, **email_config(port))
    setup_process_logging(data, "run_daily_prices_updates")
    for code in ("CORN", "WHEAT", "SOYBEAN"):
        log.critical("price spike in %s", code)
    assert flush_logs()
    bodies = "\n".join(content for _, _, content in inbox.messages)
    assert 1 <= len(inbox.messages) <= 3
    for code in ("CORN", "WHEAT", "SOYBEAN"):
        assert bodies.count(f"price spike in {code}") >= 1
    assert len(data.logs.query(min_level="CRITICAL")) == 3
