"""One renderer for every report: a `Report` value drawn as plain text, as an HTML page, and
assembled into one email.

A report's code only says what to show (paragraphs, tables as DataFrames, charts as PNG bytes,
grouped in sections); how it looks in a terminal, in cron's echo file, in a browser and in a mail
client is decided once, here. So every report reads the same way, and a change of layout is made
in one place.

- Text: the title and time, then each section's heading, paragraphs and tables as aligned text
  as wide as they need to be (a table squeezed into 80 columns would cut values). A chart is
  named by its title: it is in the HTML and the email.
- HTML: one self-contained page (inline CSS; charts inline as data: URIs), or for email the same
  page with charts referred to by Content-ID.
- Email: one message per report: the HTML with the text as its alternative, each PNG a related
  inline part (`build_report_message`); sent through `syslogdiag.emailer`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pandas as pd

# --- the value ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: str
    warning: bool = False  # something the reader must act on or know (data missing, a breach)


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    title: str = ""
    index_label: str | None = None  # None: the index is not shown
    formats: Mapping[str, str] = field(default_factory=dict)  # column -> format spec for numbers
    empty: str = "(none)"  # said instead of an empty table


@dataclass(frozen=True)
class Chart:
    png: bytes
    title: str
    name: str  # short file-safe name: the stored file and the email part are called by it


Item = Paragraph | Table | Chart


@dataclass
class Section:
    heading: str
    items: list[Item] = field(default_factory=list)

    def text(self, text: str) -> Section:
        self.items.append(Paragraph(text))
        return self

    def warning(self, text: str) -> Section:
        self.items.append(Paragraph(text, warning=True))
        return self

    def table(self, frame: pd.DataFrame, title: str = "", index_label: str | None = None,
              formats: Mapping[str, str] | None = None, empty: str = "(none)") -> Section:
        self.items.append(Table(frame, title, index_label, dict(formats or {}), empty))
        return self

    def chart(self, png: bytes, title: str, name: str) -> Section:
        self.items.append(Chart(png, title, _safe_name(name)))
        return self


@dataclass
class Report:
    """What one report says, at one time. `name` is the report's (e.g. `status_report`)."""

    name: str
    title: str
    generated: dt.datetime
    sections: list[Section] = field(default_factory=list)

    def section(self, heading: str) -> Section:
        section = Section(heading)
        self.sections.append(section)
        return section

    @property
    def charts(self) -> list[Chart]:
        return [item for s in self.sections for item in s.items if isinstance(item, Chart)]

    @property
    def warnings(self) -> list[str]:
        return [i.text for s in self.sections for i in s.items if isinstance(i, Paragraph) and i.warning]

    @property
    def subject(self) -> str:
        return f"{self.title} ({self.generated:%Y-%m-%d %H:%M} UTC)"


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")
    return cleaned or "chart"


# --- cells -------------------------------------------------------------------------------------


def format_cell(value: Any, spec: str | None = None) -> str:
    """One cell as text: blanks for None/NaN, numbers by `spec` (default: integers as they are,
    other floats with thousands separators and 2 decimals), times without microseconds."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and spec:
        if isinstance(value, float) and spec.endswith("d"):  # whole numbers a NaN made floats
            return format(int(value), spec) if value.is_integer() else _no_minus_zero(f"{value:,.2f}")
        return _no_minus_zero(format(value, spec))
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return _no_minus_zero(f"{value:,.2f}")
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else f"{stamp:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _no_minus_zero(text: str) -> str:
    """"-0.00" (float noise below the shown precision) reads as a cost that is not there: "0.00"."""
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def _cells(table: Table) -> tuple[list[str], list[list[str]], list[bool]]:
    """Headers, rows of cell texts, and which columns hold numbers (right-aligned)."""
    frame = table.frame
    headers = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    rows = []
    for label, values in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        cells = [format_cell(_plain(v), table.formats.get(str(c))) for c, v in zip(frame.columns, values, strict=True)]
        rows.append(([str(label)] if table.index_label is not None else []) + cells)
    if table.index_label is not None:
        headers = [table.index_label, *headers]
        numeric = [False, *numeric]
    return headers, rows, numeric


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones (so formatting rules see int vs float)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, pd.Timestamp) else value


# --- text --------------------------------------------------------------------------------------


def table_text(table: Table) -> str:
    if table.frame.empty:
        return table.empty
    headers, rows, numeric = _cells(table)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(cells, widths, numeric, strict=True)).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def render_text(report: Report) -> str:
    """The report as plain text: the terminal, cron's echo file, the email's text part."""
    out = [report.title, f"generated {report.generated:%Y-%m-%d %H:%M:%S} UTC", ""]
    for section in report.sections:
        out += [section.heading, "=" * len(section.heading)]
        for item in section.items:
            if isinstance(item, Paragraph):
                out.append(f"WARNING: {item.text}" if item.warning else item.text)
            elif isinstance(item, Table):
                if item.title:
                    out.append(item.title)
                out.append(table_text(item))
            else:
                out.append(f"[chart: {item.title} (in the HTML version)]")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- HTML --------------------------------------------------------------------------------------

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2329;
       margin: 24px auto; max-width: 1100px; padding: 0 16px; font-size: 14px; line-height: 1.4; }
h1 { font-size: 22px; margin: 0 0 2px 0; }
.generated { color: #5f6b76; margin: 0 0 18px 0; }
h2 { font-size: 17px; border-bottom: 1px solid #d5dbe0; padding-bottom: 3px; margin: 26px 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; color: #37414b; }
p { margin: 6px 0; }
p.warning { background: #fff4e0; border-left: 4px solid #e8a33a; padding: 6px 10px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e6eaee; white-space: nowrap; }
th { background: #f2f5f7; text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafbfc; }
p.empty { color: #5f6b76; font-style: italic; }
figure { margin: 10px 0 16px; }
figure img { max-width: 100%; border: 1px solid #e6eaee; }
figcaption { color: #5f6b76; font-size: 12px; }
"""


def table_html(table: Table) -> str:
    if table.frame.empty:
        return f'<p class="empty">{html.escape(table.empty)}</p>'
    headers, rows, numeric = _cells(table)

    def cls(num: bool) -> str:
        return ' class="num"' if num else ""

    head = "".join(f"<th{cls(n)}>{html.escape(h)}</th>" for h, n in zip(headers, numeric, strict=True))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(n)}>{html.escape(c)}</td>" for c, n in zip(r, numeric, strict=True)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def data_uri(chart: Chart) -> str:
    return "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")


def render_html(report: Report, image_src: Callable[[Chart], str] = data_uri) -> str:
    """The report as one HTML page. Charts are inline data: URIs by default (a file that stands
    alone); the email passes `image_src` giving each chart's `cid:` instead."""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.subject)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="generated">generated {report.generated:%Y-%m-%d %H:%M:%S} UTC</p>',
    ]
    for section in report.sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        for item in section.items:
            if isinstance(item, Paragraph):
                cls = ' class="warning"' if item.warning else ""
                parts.append(f"<p{cls}>{html.escape(item.text)}</p>")
            elif isinstance(item, Table):
                if item.title:
                    parts.append(f"<h3>{html.escape(item.title)}</h3>")
                parts.append(table_html(item))
            else:
                parts.append(
                    f'<figure><img src="{image_src(item)}" alt="{html.escape(item.title)}">'
                    f"<figcaption>{html.escape(item.title)}</figcaption></figure>"
                )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --- email -------------------------------------------------------------------------------------


def build_report_message(config: Mapping[str, Any], report: Report) -> EmailMessage:
    """One message: multipart/alternative of the text and the HTML; the HTML part is
    multipart/related with each chart as an inline PNG its `<img src="cid:...">` refers to."""
    from syslogdiag.emailer import build_message

    domain = str(config.get("email_address") or "sysprod").rpartition("@")[2] or "sysprod"
    cids = {chart.name: make_msgid(idstring=chart.name, domain=domain) for chart in report.charts}
    message = build_message(config, report.subject, render_text(report))
    page = render_html(report, image_src=lambda chart: "cid:" + cids[chart.name][1:-1])
    message.add_alternative(page, subtype="html")
    html_part = message.get_payload()[1]
    for chart in report.charts:
        html_part.add_related(chart.png, "image", "png", cid=cids[chart.name],
                              filename=f"{chart.name}.png", disposition="inline")
    return message


def send_report(config: Mapping[str, Any], report: Report) -> bool:
    """Email the report (True when the server took it; False, logged, when it did not or email
    is not configured: see `syslogdiag.emailer.send_message`)."""
    from syslogdiag.emailer import email_is_configured, send_message

    if not email_is_configured(config):
        return False
    return send_message(config, build_report_message(config, report))
