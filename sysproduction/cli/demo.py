"""`sysprod demo`: build a sandbox on the simulated broker and run the demo steps on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click


@click.command()
@click.option("--sandbox", type=click.Path(path_type=Path), default=Path("sandbox"), show_default=True,
              help="Directory of the sandbox (re-created if it is a previous sandbox).")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the synthetic market.")
@click.option("--years", type=int, default=12, show_default=True, help="Years of history before today.")
@click.option("--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is this date (default: today); the clock starts at its last close.")
def demo(sandbox: Path, seed: int, years: int, date: dt.datetime | None) -> None:
    """Create a fresh sandbox (data root, private config, Parquet + SQLite, simulated broker and
    clock), generate a synthetic market's history, import it, and print what each step did."""
    from sysproduction.demo import run_demo

    now = None if date is None else date.replace(hour=23, minute=59)
    data = run_demo(sandbox, seed, years, now, report=click.echo)
    root = data.data_root
    click.echo(f"done; try: sysprod --data-root {root} report roll")
    click.echo(f"           sysprod --data-root {root} control clock advance 1d")
    click.echo(f"           sysprod --data-root {root} run update_historical_prices   (and the other price jobs)")
    click.echo(f"           sysprod backtest show {root}/backtest")
