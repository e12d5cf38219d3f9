"""Past reports, kept as files a person can open: `<data_root>/reports/<name>/<stamp>.*`.

Each stored report is its plain text (`.txt`), its self-contained HTML page (`.html`), each chart
as a PNG (`<stamp>_<chart>.png`) and a small JSON record (`.json`: title, time, how it was made,
whether it was emailed). Every file is written atomically, and the JSON record is written last:
a report without one was cut short and is not listed. Files (rather than the document store)
because that is what a person opens, a browser shows and `backup_files` copies as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from syscore.fileio import atomic_write_text, atomic_write_with
from syslogdiag.render.report import Report, render_html, render_text

REPORTS_FOLDER = "reports"
STAMP = "%Y%m%d_%H%M%S"


@dataclass(frozen=True)
class StoredReport:
    name: str
    stamp: str
    title: str
    generated: dt.datetime
    origin: str  # "scheduled" (run_reports) or "ad hoc" (sysprod report)
    emailed: str  # "" when not emailed, else to whom
    warnings: int
    folder: Path

    @property
    def text_path(self) -> Path:
        return self.folder / f"{self.stamp}.txt"

    @property
    def html_path(self) -> Path:
        return self.folder / f"{self.stamp}.html"

    @property
    def record_path(self) -> Path:
        return self.folder / f"{self.stamp}.json"


def reports_root(data_root: Path) -> Path:
    return Path(data_root) / REPORTS_FOLDER


def _free_stamp(folder: Path, generated: dt.datetime) -> str:
    """The report's time as a file name, claimed by creating its `.txt` exclusively (the atomic
    write replaces it), so two processes storing the same report in the same second never share
    a name: the second gets a suffix."""
    base = generated.strftime(STAMP)
    n = 1
    while True:
        stamp = base if n == 1 else f"{base}-{n}"
        try:
            os.close(os.open(folder / f"{stamp}.txt", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return stamp
        except FileExistsError:
            n += 1


def store_report(data_root: Path, report: Report, origin: str, fsync: bool = True) -> StoredReport:
    """Write the report's text, page and charts, then its record (which makes it listed)."""
    folder = reports_root(data_root) / report.name
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _free_stamp(folder, report.generated)
    stored = StoredReport(report.name, stamp, report.title, report.generated, origin, "",
                          len(report.warnings), folder)
    atomic_write_text(stored.text_path, render_text(report), fsync=fsync)
    atomic_write_text(stored.html_path, render_html(report), fsync=fsync)
    for chart in report.charts:
        atomic_write_with(folder / f"{stamp}_{chart.name}.png", lambda p, c=chart: p.write_bytes(c.png), fsync=fsync)
    _write_record(stored, fsync)
    return stored


def mark_emailed(stored: StoredReport, to: str, fsync: bool = True) -> StoredReport:
    from dataclasses import replace

    updated = replace(stored, emailed=to)
    _write_record(updated, fsync)
    return updated


def _write_record(stored: StoredReport, fsync: bool) -> None:
    record = {"name": stored.name, "title": stored.title, "generated": stored.generated.isoformat(),
              "origin": stored.origin, "emailed": stored.emailed, "warnings": stored.warnings,
              "charts": sorted(p.name for p in stored.folder.glob(f"{stored.stamp}_*.png"))}
    atomic_write_text(stored.record_path, json.dumps(record, indent=1) + "\n", fsync=fsync)


def list_reports(data_root: Path, name: str | None = None) -> list[StoredReport]:
    """Every complete stored report (or one report's), oldest first."""
    root = reports_root(data_root)
    folders = [root / name] if name else sorted(p for p in root.glob("*") if p.is_dir())
    found = []
    for folder in folders:
        for record_path in folder.glob("*.json"):
            try:
                record = json.loads(record_path.read_text())
                found.append(StoredReport(
                    record["name"], record_path.stem, record["title"],
                    dt.datetime.fromisoformat(record["generated"]), record["origin"],
                    record.get("emailed", ""), int(record.get("warnings", 0)), folder,
                ))
            except (OSError, ValueError, KeyError):
                continue  # not a report record (a stray file): never stops the listing
    return sorted(found, key=lambda s: (s.generated, _written(s), s.name))


def _written(stored: StoredReport) -> int:
    """When its page was written (never rewritten, unlike the record when the report is
    emailed): orders reports made at one (simulated) time."""
    try:
        return stored.html_path.stat().st_mtime_ns
    except OSError:
        return 0
