"""run_reports, `sysprod report ...` and the spread-cost menu, in real subprocesses on a prepared
data root: each scheduled report is stored and emailed (one message each, received by a real SMTP
server on loopback); ad-hoc reports print and write their page; `report list` shows them."""

from __future__ import annotations

import email
import email.policy
import getpass
import os
import subprocess
import sys

import pytest
import yaml

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysproduction.reports.reporting import BUILDERS
from sysproduction.reports.store import list_reports
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.smtp_inbox import email_settings, running_smtp_server
from tests.sysproduction.reports.prepared_root import NOW, prepare


def sysprod(root, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_") and k not in ("COLUMNS", "LINES")}
    return subprocess.run(
        [sys.executable, "-m", "sysproduction", "--data-root", str(root), *args],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=180, input=stdin,
    )


@pytest.fixture
def root(tmp_path):
    blob = prepare(tmp_path / "root", clock="simulated")
    SharedSimClock(blob.data_root / SIM_CLOCK_FILE).set(NOW)
    return blob.data_root


def _set_config(root, **values) -> None:
    path = root / "private_config.yaml"
    config = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**config, **values}))


def test_run_reports_stores_and_emails_each_report(root):
    with running_smtp_server() as (port, inbox):
        _set_config(root, **email_settings(port))
        done = sysprod(root, "run", "run_reports")
    assert done.returncode == 0, done.stdout + done.stderr
    stored = list_reports(root)
    assert sorted(s.name for s in stored) == sorted(BUILDERS)
    assert {s.origin for s in stored} == {"scheduled"} and {s.emailed for s in stored} == {"me@example.com"}
    messages = {}
    for _, to, raw in inbox.messages:
        assert to == ["me@example.com"]
        message = email.message_from_string(raw, policy=email.policy.default)
        messages[str(message["Subject"])] = message
    assert sorted(messages) == sorted(f"{s.title} (2026-11-27 22:00 UTC)" for s in stored)
    pandl = messages["Daily P&L report (2026-11-27 22:00 UTC)"]
    text_part, related = pandl.get_payload()
    assert "GOLD         90.00" in text_part.get_content()
    html_part, image = related.get_payload()
    assert "<td>GOLD</td>" in html_part.get_content()
    assert image.get_content_type() == "image/png" and image.get_content().startswith(b"\x89PNG")
    assert f'cid:{image["Content-ID"].strip().strip("<>")}' in html_part.get_content()
    status = next(s for s in stored if s.name == "status_report")
    status_text = messages["Status report (2026-11-27 22:00 UTC)"].get_payload()[0].get_content()
    assert status.text_path.read_text() == status_text.replace("\r\n", "\n")  # what was sent is kept
    assert "CORN" in status.text_path.read_text() and status.html_path.read_text().startswith("<!DOCTYPE html>")
    assert (status.folder / f"{status.stamp}.json").is_file()
    pandl_stored = next(s for s in stored if s.name == "daily_pandl_report")
    assert (pandl_stored.folder / f"{pandl_stored.stamp}_pandl_last_year.png").read_bytes().startswith(b"\x89PNG")


def test_an_email_that_cannot_be_sent_fails_the_method_but_the_report_is_stored(tmp_path):
    from sysproduction.reports.status_report import status_report

    with running_smtp_server() as (port, _):
        pass  # nothing listens on this port any more
    blob = prepare(tmp_path / "root", **email_settings(port), email_timeout_seconds=5)
    summary = status_report(blob)
    assert summary.failed == {"email": f"not sent to me@example.com (see the log); the report is stored at "
                                       f"{list_reports(blob.data_root)[0].html_path}"}
    [stored] = list_reports(blob.data_root)
    assert stored.name == "status_report" and stored.emailed == ""


def test_ad_hoc_reports_print_write_the_page_and_are_listed(root, tmp_path):
    page = tmp_path / "out" / "trade.html"
    done = sysprod(root, "report", "trade_report", "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Trade report\ngenerated 2026-11-27 22:00:00 UTC")
    assert "Total slippage of 2 measured fills: 73.00 USD" in done.stdout
    assert page.read_text().startswith("<!DOCTYPE html>") and "<td>BUND</td>" in page.read_text()
    short = sysprod(root, "report", "costs")
    assert short.returncode == 0 and "Suggested changes: BUND 0.005 -> 0.02, GOLD 0.25 -> 0.1" in short.stdout
    listed = sysprod(root, "report", "list")
    assert listed.returncode == 0
    rows = listed.stdout.splitlines()[2:]
    assert [r.split()[2] for r in rows] == ["trade_report", "costs_report"]
    assert all("ad hoc" in r for r in rows)
    assert [s.name for s in list_reports(root, "costs_report")] == ["costs_report"]


def test_report_errors_are_one_line(root, tmp_path):
    unknown = sysprod(root, "report", "list", "weather")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == ("error: no report called 'weather_report'; the reports are status, roll, "
                                      "daily_pandl, reconcile, trade, costs, liquidity")
    blocked = tmp_path / "file"
    blocked.write_text("x")
    unwritable = sysprod(root, "report", "status", "--html", str(blocked / "page.html"))
    assert unwritable.returncode == 1 and unwritable.stderr.startswith("error: --html ")
    assert len(unwritable.stderr.strip().splitlines()) == 1
    (root / "reports").write_text("in the way")  # the store cannot make its folder
    unstored = sysprod(root, "report", "liquidity")
    assert unstored.returncode == 1 and unstored.stdout.startswith("Liquidity report")  # shown first
    assert unstored.stderr.startswith("error: liquidity_report was made but not stored under ")
    assert len(unstored.stderr.strip().splitlines()) == 1


def test_update_spread_costs_offers_the_suggestion_and_records_who_and_when(root):
    answers = "7\nGOLD\n\n\n7\nBUND\n0.03\nwider at the open\n0\n"
    done = sysprod(root, "run", "interactive_controls", stdin=answers)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "GOLD: spread cost 0.25; the fills suggest 0.1" in done.stdout
    blob = make_blob(root)
    assert blob.spread_costs.get("GOLD") == 0.1 and blob.spread_costs.get("BUND") == 0.03
    gold = blob.spread_costs.history("GOLD").iloc[-1]
    assert (gold["spread_cost"], gold["previous"], gold["reason"]) == (0.1, 0.25, "costs report suggestion")
    assert gold["who"].startswith(getpass.getuser())  # who, as the spread-cost store records it
    assert blob.spread_costs.history("GOLD").index[-1] == NOW  # the installation's clock
    bund = blob.spread_costs.history("BUND").iloc[-1]
    assert (bund["spread_cost"], bund["previous"], bund["reason"]) == (0.03, 0.005, "wider at the open")
