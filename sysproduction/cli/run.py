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
    from syscore.exceptions import SysprodError
    from sysproduction.control.process_config import process_names
    from sysproduction.control.process_registry import resolve_job
    from sysproduction.job_registry import INTERACTIVE_TOOLS, JOBS

    if name in JOBS:
        from sysproduction.job_main import run_job

        ctx.exit(run_job(blob_from_context(ctx), resolve_job(JOBS[name])))
    if name in INTERACTIVE_TOOLS:
        from sysproduction.control.tool_entry import run_tool

        ctx.exit(run_tool(blob_from_context(ctx), resolve_job(INTERACTIVE_TOOLS[name]), name))
    blob = blob_from_context(ctx)
    processes = process_names(blob.config)
    if name not in processes and f"run_{name}" not in processes:
        raise SysprodError(
            f"'{name}' is not a process, job or tool; processes: {', '.join(processes)}; "
            f"jobs: {', '.join(JOBS)}; tools: {', '.join(INTERACTIVE_TOOLS)}"
        )
    from sysproduction.control.entry import run_named_process

    ctx.exit(run_named_process(blob, name))
