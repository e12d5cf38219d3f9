"""The roll report as a run_reports method and a page: the same rows as `sysprod report roll`."""

from __future__ import annotations

from syslogdiag.render.report import Table, render_text
from sysproduction.reports.roll_report import build_roll_report, get_roll_info, roll_report
from sysproduction.reports.store import list_reports
from tests.sysproduction.reports.test_report_cli import sysprod
from tests.sysproduction.synthetic_install import installation


def test_the_roll_report_is_stored_with_every_instrument_soonest_roll_first(tmp_path, tree):
    blob, _ = installation(tmp_path / "root", tree)
    [table] = [i for s in build_roll_report(blob).sections for i in s.items if isinstance(i, Table)]
    info = get_roll_info(blob)
    assert list(table.frame.index) == list(info.index) and len(info) == 12
    assert table.frame["to roll"].tolist() == info["days_to_roll"].tolist()
    assert table.frame["state"].tolist() == ["No_Roll"] * 12

    summary = roll_report(blob)
    assert summary.ok and list(summary.updated) == ["roll_report"]
    [stored] = list_reports(blob.data_root)
    assert stored.text_path.read_text() == render_text(build_roll_report(blob))

    page = tmp_path / "roll.html"
    done = sysprod(blob.data_root, "report", "roll", "US10", "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert "<td>US10</td>" in page.read_text() and page.read_text().count("<tr><td>") == 1  # one instrument
