"""`sysprod run NAME`: run a production process, a single job, or an interactive tool now.

Processes (`run_daily_prices_updates`, ...) run under their control state and schedule, as cron
runs them through scripts/; a single job (`update_historical_prices`, ...) runs once, for catching
up by hand; a tool (`interactive_update_roll_status`, ...) opens its menu.
"""

from __future__ import annotations

import click

from sysproduction.cli.common import blob_from_context


@click.command()
@click.argument("name")
@click.pass_context
def run(ctx: click.Context, name: str) -> None:
    """Run process, job or tool NAME (e.g. run_stack_handler or stack_handler,
    update_fx_prices, interactive_update_roll_status).

    `sysprod control processes` lists the processes and their schedule.
    """
    from sysproduction.control.entry import run as run_entry

    ctx.exit(run_entry(name, lambda: blob_from_context(ctx)))
