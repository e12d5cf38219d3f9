"""`sysprod demo`: build a sandbox on the simulated broker and run the demo steps on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

DEFAULT_SANDBOX = Path("sandbox")


def sandbox_dir(ctx: click.Context, sandbox: Path | None) -> Path:
    """The sandbox: --sandbox, else the global --data-root / SYSPROD_DATA_ROOT, else ./sandbox.
    A global option is never ignored: naming two different directories is an error."""
    from syscore.exceptions import SysprodError

    data_root = (ctx.find_root().obj or {}).get("data_root")
    if sandbox is not None and data_root is not None:
        if Path(sandbox).expanduser().resolve() != Path(data_root).expanduser().resolve():
            raise SysprodError(
                f"--sandbox {sandbox} and --data-root / SYSPROD_DATA_ROOT {data_root} name different "
                "directories; give only one (the demo builds its sandbox there)"
            )
    return Path(sandbox or data_root or DEFAULT_SANDBOX)


@click.command()
@click.option("--sandbox", type=click.Path(path_type=Path), default=None,
              help="Directory of the sandbox (re-created if it is a previous sandbox); default: "
                   "--data-root if given, else ./sandbox.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the synthetic market.")
@click.option("--years", type=int, default=12, show_default=True, help="Years of history before today.")
@click.option("--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is this date (default: today); the clock starts at its last close.")
@click.pass_context
def demo(ctx: click.Context, sandbox: Path | None, seed: int, years: int, date: dt.datetime | None) -> None:
    """Create a fresh sandbox (data root, private config, Parquet + SQLite, simulated broker and
    clock), generate a synthetic market's history, import it, and print what each step did."""
    from sysproduction.cli.demo_sandbox import run_demo

    now = None if date is None else date.replace(hour=23, minute=59)
    data = run_demo(sandbox_dir(ctx, sandbox), seed, years, now, report=click.echo)
    root = data.data_root
    click.echo(f"done; try: sysprod --data-root {root} report status")
    click.echo(f"           sysprod --data-root {root} report list")
    click.echo(f"           sysprod --data-root {root} run interactive_order_stack   (4: positions, 9: reconcile)")
    click.echo(f"           sysprod --data-root {root} control clock advance 1d")
    click.echo(f"           sysprod --data-root {root} run run_daily_prices_updates   (and the other processes)")
    click.echo(f"           sysprod backtest show {root}/backtest")
