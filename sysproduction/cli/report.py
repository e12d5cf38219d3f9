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


@click.group()
def report() -> None:
    """Produce reports."""


@report.command("roll")
@click.argument("instrument", required=False)
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout instead of a table.")
@click.pass_context
def roll(ctx: click.Context, instrument: str | None, as_csv: bool) -> None:
    """Roll report: state, contracts, days to expiry and roll, volumes and positions (soonest
    roll first), for all instruments or one."""
    from syscore.exceptions import MissingData
    from sysproduction.reports.roll_report import get_roll_info

    blob = blob_from_context(ctx)
    if instrument and instrument not in blob.multiple_prices.list():
        raise MissingData(f"no multiple prices for '{instrument}'; see sysprod data list instruments")
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
