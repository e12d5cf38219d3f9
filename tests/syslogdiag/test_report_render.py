"""The one report renderer: text, HTML and the email (through a real SMTP server on loopback)."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy

import pandas as pd
import pytest

import syslogdiag.emailer as emailer
from syslogdiag.render.charts import line_chart, positions_against_buffers
from syslogdiag.render.report import (
    Report,
    build_report_message,
    format_cell,
    render_html,
    render_text,
    send_report,
)
from tests.smtp_inbox import email_settings, running_smtp_server

WHEN = dt.datetime(2026, 11, 27, 22, 0, 5)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sample_report() -> Report:
    report = Report("daily_pandl_report", "Daily P&L <report>", WHEN)
    section = report.section("By instrument")
    section.text("P&L in USD & more")
    section.warning("no capital stored yet")
    frame = pd.DataFrame({"USD": [-88.0, 90.0, 12345.678], "fills": [1, 2, 10000]},
                         index=pd.Index(["BUND", "GOLD", "SP500"]))
    section.table(frame, title="Totals", index_label="instrument", formats={"fills": "d"})
    section.table(frame.iloc[:0], empty="(no positions)")
    curve = pd.Series([0.0, 90.0, 2.0], index=pd.date_range("2026-11-25", periods=3), name="P&L")
    report.section("Last year").chart(line_chart(curve, "Cumulative P&L", "USD"), "Cumulative P&L", "pandl year")
    return report


def test_text_has_every_section_aligned_with_numbers_right_and_names_left():
    text = render_text(sample_report())
    lines = text.splitlines()
    assert lines[:2] == ["Daily P&L <report>", "generated 2026-11-27 22:00:05 UTC"]
    assert "By instrument\n=============\nP&L in USD & more\n\nWARNING: no capital stored yet" in text
    table = lines[lines.index("Totals") + 1:lines.index("Totals") + 6]
    assert table == [
        "instrument        USD  fills",
        "----------  ---------  -----",
        "BUND           -88.00      1",
        "GOLD            90.00      2",
        "SP500       12,345.68  10000",
    ]
    assert "(no positions)" in lines
    assert "[chart: Cumulative P&L (in the HTML version)]" in lines


def test_cells_blank_missing_values_and_keep_whole_numbers_whole():
    assert format_cell(float("nan")) == "" and format_cell(None) == "" and format_cell(pd.NaT) == ""
    assert format_cell(3.0, "d") == "3"  # an int column made float by a NaN
    assert format_cell(2.5, "d") == "2.50"
    assert format_cell(12345) == "12,345" and format_cell(42) == "42"
    assert format_cell(True) == "yes"
    assert format_cell(-1e-13) == "0.00" and format_cell(-4e-13, "+.1f") == "0.0" and format_cell(-0.004) == "0.00"
    assert format_cell(-0.005, ".3f") == "-0.005"
    assert format_cell(pd.Timestamp("2026-11-27")) == "2026-11-27"
    assert format_cell(dt.datetime(2026, 11, 27, 9, 30)) == "2026-11-27 09:30:00"


def test_html_is_one_page_with_escaped_text_and_the_chart_inline():
    report = sample_report()
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<h1>Daily P&amp;L &lt;report&gt;</h1>" in page
    assert '<p class="warning">no capital stored yet</p>' in page
    assert '<td class="num">12,345.68</td>' in page and "<td>SP500</td>" in page
    assert '<p class="empty">(no positions)</p>' in page
    [chart] = report.charts
    assert chart.name == "pandl_year" and chart.png.startswith(PNG_MAGIC)
    assert f'src="data:image/png;base64,{base64.b64encode(chart.png).decode()}"' in page
    assert "<script" not in page and "http" not in page  # nothing fetched from anywhere


def test_charts_are_pngs():
    frame = pd.DataFrame({"position": [3, -1], "optimal": [2.6, -2.4], "lower": [2.2, -2.9], "upper": [3.0, -1.9]},
                         index=["GOLD", "BUND"])
    png = positions_against_buffers(frame, "classic")
    assert png.startswith(PNG_MAGIC) and len(png) > 5000


def test_the_email_is_one_message_html_with_text_alternative_and_the_png_inline():
    report = sample_report()
    with running_smtp_server() as (port, inbox):
        config = email_settings(port)
        assert send_report(config, report)
    [(sender, to, raw)] = inbox.messages
    assert (sender, to) == ("desk@example.com", ["me@example.com"])
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["Subject"] == "Daily P&L <report> (2026-11-27 22:00 UTC)"
    assert message.get_content_type() == "multipart/alternative"
    text_part, related = message.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert text_part.get_content().replace("\r\n", "\n") == render_text(report)  # SMTP lines end CRLF
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image.get_content() == report.charts[0].png
    assert image.get_filename() == "pandl_year.png"
    cid = image["Content-ID"].strip().strip("<>")
    assert f'src="cid:{cid}"' in html_part.get_content()
    assert "data:image/png" not in html_part.get_content()  # mail clients show cid images, not data URIs


def test_no_email_when_it_is_not_configured_and_false_when_the_server_is_gone(caplog):
    emailer._told_not_configured = False
    assert send_report({"email_address": None, "email_server": None}, sample_report()) is False
    with running_smtp_server() as (port, _):
        config = email_settings(port)
    assert send_report(config, sample_report()) is False  # server stopped: logged, not raised
    assert "Daily P&L <report>" in caplog.text and "failed" in caplog.text


def test_message_builds_without_charts():
    report = Report("status_report", "Status report", WHEN)
    report.section("Processes").text("all fine")
    message = build_report_message(email_settings(25), report)
    text_part, html_part = message.get_payload()
    assert html_part.get_content_type() == "text/html"  # no related part when there is no image
    assert "all fine" in text_part.get_content()


@pytest.mark.parametrize("name", ["a/b c", "..", ""])
def test_chart_names_are_file_safe(name):
    report = Report("x", "x", WHEN)
    report.section("s").chart(PNG_MAGIC, "t", name)
    assert "/" not in report.charts[0].name and report.charts[0].name not in ("", "..")
