"""`sysprod report ...`: report data on screen (rich tables, or `--csv` for machines)."""

from __future__ import annotations

import click

from sysproduction.cli.common import blob_from_context, print_frame

# The on-screen table: short headings so it fits a terminal (--csv has every column, with reasons).
TABLE_COLUMNS = {
    "state": "state", "priced_contract": "priced", "forward_contract": "forward",
    "days_to_expiry": "to expiry", "days_to_roll": "to roll", "roll_date": "roll date",
    "priced_volume": "priced vol", "forward_volume": "fwd vol",
    "priced_position": "priced pos", "forward_position": "fwd pos", "days_in_state": "days in state",
}


class ReportGroup(click.Group):
    """Report commands by short name (`status`) or by pysystemtrade's (`status_report`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name.endswith("_report"):
            command = super().get_command(ctx, cmd_name[: -len("_report")])
        return command


@click.group(cls=ReportGroup)
def report() -> None:
    """Produce reports (print them; --html FILE writes the page). `report list` shows the stored
    ones (run_reports stores and emails each report)."""


@report.command("roll")
@click.argument("instrument", required=False)
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout instead of a table.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), default=None,
              help="Also write the report as an HTML page to this file.")
@click.pass_context
def roll(ctx: click.Context, instrument: str | None, as_csv: bool, html_file: str | None) -> None:
    """Roll report: state, contracts, days to expiry and roll, volumes and positions (soonest
    roll first), for all instruments or one."""
    from syscore.exceptions import MissingData
    from sysproduction.reports.roll_report import get_roll_info

    blob = blob_from_context(ctx)
    if instrument and instrument not in blob.multiple_prices.list():
        raise MissingData(f"no multiple prices for '{instrument}'; see sysprod data list instruments")
    if html_file is not None:
        from sysproduction.reports.reporting import adhoc_report
        from sysproduction.reports.roll_report import build_roll_report

        adhoc_report(blob, "roll_report", html_file, build=lambda data: build_roll_report(data, instrument))
    frame = get_roll_info(blob, instrument)
    if frame.empty:
        from sysproduction.jobs.summary import NO_INSTRUMENTS

        click.echo(NO_INSTRUMENTS)
        return
    if not as_csv:
        frame = frame[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)
        for column in ("priced vol", "fwd vol"):
            frame[column] = frame[column].round(0)
    print_frame(frame, f"Roll report ({blob.clock.now():%Y-%m-%d})", as_csv, index_label="instrument")


@report.command("capital")
@click.option("--csv", "as_csv", is_flag=True,
              help="CSV on stdout: both histories on one time index (strategy columns strategy_NAME).")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None,
              help="Also write a PNG chart of both histories to this file.")
@click.option("--tail", type=click.IntRange(min=0), default=20, show_default=True,
              help="Show the newest N entries of each table (0: all; --csv has all).")
@click.pass_context
def capital(ctx: click.Context, as_csv: bool, plot_file: str | None, tail: int) -> None:
    """Capital: total capital's history (broker account value, capital, max capital, accumulated
    P&L, and why each entry was written) and each strategy's capital."""
    from pathlib import Path

    from syscore.exceptions import MissingData
    from syscore.fileio import atomic_path
    from sysdata.repos.capital import TOTAL_CAPITAL_FIX
    from sysproduction.reports.capital_report import (
        capital_chart,
        combined_history,
        strategy_capital_history,
        total_capital_history,
    )

    blob = blob_from_context(ctx)
    total, strategies = total_capital_history(blob), strategy_capital_history(blob)
    if total.empty and strategies.empty:
        raise MissingData(f"no capital stored yet; {TOTAL_CAPITAL_FIX}")
    if plot_file is not None:
        png = capital_chart(total, strategies, f"Capital ({blob.config['base_currency']})")
        with atomic_path(Path(plot_file).expanduser(), fsync=False) as tmp:
            tmp.write_bytes(png)
    if as_csv:
        print_frame(combined_history(total, strategies), "", True, index_label="time")
    else:
        base = blob.config["base_currency"]
        method = blob.config["production_capital_method"]
        for frame, title in ((total, f"Total capital ({base}, production_capital_method {method})"),
                             (strategies, f"Strategy capital ({base})")):
            if frame.empty:
                click.echo(f"{title}: none stored")
                continue
            shown = frame.tail(tail) if tail else frame
            shown = shown.round(2)
            shown.index = shown.index.strftime("%Y-%m-%d %H:%M:%S")
            print_frame(shown, f"{title}, {len(shown)} of {len(frame)}", False, index_label="time")
    if plot_file is not None:
        click.echo(f"chart written to {plot_file}", err=as_csv)


# --- the reports of run_reports, ad hoc (syslogdiag/render/report.py draws them) --------------
def _print_report(ctx: click.Context, name: str, html_file: str | None) -> None:
    from syslogdiag.render.report import render_text
    from sysproduction.reports.reporting import adhoc_report

    adhoc_report(blob_from_context(ctx), name, html_file,
                 show=lambda report: click.echo(render_text(report), nl=False))


def _report_command(name: str, help_text: str) -> click.Command:
    @click.option("--html", "html_file", type=click.Path(dir_okay=False), default=None,
                  help="Also write the report as an HTML page (charts inline) to this file.")
    @click.pass_context
    def command(ctx: click.Context, html_file: str | None) -> None:
        _print_report(ctx, name, html_file)

    command.__doc__ = help_text
    return click.command(name.removesuffix("_report"), help=help_text)(command)


for _name, _help in (
    ("status_report", "Status report: processes, stale prices, locks, position breaks, open orders."),
    ("daily_pandl_report", "P&L of the last 24 hours by instrument and strategy, against the capital change."),
    ("reconcile_report", "Positions against buffers, strategy against contract, broker against book; the last day's trades."),
    ("trade_report", "The last day's fills: slippage in ticks, base currency and risk units; delays."),
    ("costs_report", "Realised slippage against the configured spread costs, and the spread the fills suggest."),
    ("liquidity_report", "Daily volume per instrument in contracts and in risk; thin instruments flagged."),
):
    report.add_command(_report_command(_name, _help))


@report.command("list")
@click.argument("name", required=False)
@click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True,
              help="Show this many (the newest).")
@click.pass_context
def list_stored(ctx: click.Context, name: str | None, limit: int) -> None:
    """Stored reports, newest last (NAME: one report's, e.g. status or status_report)."""
    from syscore.exceptions import DataValidationError
    from sysproduction.reports.reporting import BUILDERS
    from sysproduction.reports.store import list_reports

    if name is not None:
        name = name if name.endswith("_report") else f"{name}_report"
        if name not in BUILDERS:
            known = ", ".join(n.removesuffix("_report") for n in BUILDERS)
            raise DataValidationError(f"no report called '{name}'; the reports are {known}")
    blob = blob_from_context(ctx)
    stored = list_reports(blob.data_root, name)[-limit:]
    if not stored:
        click.echo("no reports stored yet: run_reports stores each report it makes, and so does "
                   "'sysprod report NAME'")
        return
    import pandas as pd

    frame = pd.DataFrame([{
        "time": s.generated.strftime("%Y-%m-%d %H:%M:%S"), "report": s.name, "origin": s.origin,
        "emailed": s.emailed or "no", "warnings": s.warnings, "page": str(s.html_path),
    } for s in stored])
    print_frame(frame.set_index("time"), f"Stored reports ({blob.data_root / 'reports'})", False, index_label="time")

