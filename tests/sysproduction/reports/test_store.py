"""The report store: text, page, charts and a record per report; only complete ones are listed."""

from __future__ import annotations

import datetime as dt
import json

from syslogdiag.render.report import Report, render_html, render_text
from sysproduction.reports.store import list_reports, mark_emailed, store_report

WHEN = dt.datetime(2026, 11, 27, 22, 0)


def _report() -> Report:
    report = Report("status_report", "Status report", WHEN)
    report.section("Processes").text("all fine").chart(b"\x89PNG fake", "a chart", "load")
    return report


def test_each_report_is_kept_whole_and_two_of_one_second_both_kept(tmp_path):
    report = _report()
    first = store_report(tmp_path, report, "scheduled", fsync=False)
    second = store_report(tmp_path, report, "ad hoc", fsync=False)
    assert (first.stamp, second.stamp) == ("20261127_220000", "20261127_220000-2")
    assert first.text_path.read_text() == render_text(report)
    assert first.html_path.read_text() == render_html(report)
    assert (first.folder / "20261127_220000_load.png").read_bytes() == b"\x89PNG fake"
    record = json.loads(first.record_path.read_text())
    assert record["charts"] == ["20261127_220000_load.png"] and record["origin"] == "scheduled"
    mark_emailed(first, "me@example.com", fsync=False)
    listed = list_reports(tmp_path)
    assert [(s.stamp, s.origin, s.emailed) for s in listed] == [
        ("20261127_220000", "scheduled", "me@example.com"), ("20261127_220000-2", "ad hoc", "")]


def test_a_report_cut_short_before_its_record_is_not_listed(tmp_path):
    stored = store_report(tmp_path, _report(), "scheduled", fsync=False)
    stored.record_path.unlink()  # as if killed before the record was written
    (stored.folder / "notes.json").write_text("not a record")
    assert list_reports(tmp_path) == []
    assert store_report(tmp_path, _report(), "scheduled", fsync=False).stamp == "20261127_220000-2"
