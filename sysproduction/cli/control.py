"""`sysprod control`: process states, schedule, crontab, logs, the simulated clock, menus."""

from __future__ import annotations

import datetime as dt
import re

import click

from sysproduction.cli.common import blob_from_context


@click.group()
def control() -> None:
    """Process control and scheduling."""


@control.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show every process's control status and last run (DEAD = claimant has died)."""
    from sysproduction.control.views import format_rows, process_state_rows

    click.echo(format_rows(process_state_rows(blob_from_context(ctx))))


@control.command("set")
@click.argument("name")
@click.argument("new_status", metavar="STATUS")
@click.pass_context
def set_status(ctx: click.Context, name: str, new_status: str) -> None:
    """Set process NAME to GO, STOP, PAUSE or NO-RUN."""
    from sysdata.repos.process_control import ProcessStatus
    from sysproduction.control.process_config import canonical_name

    blob = blob_from_context(ctx)
    name = canonical_name(blob.config, name)
    wanted = ProcessStatus.parse(new_status)
    before = blob.process_control.get(name).status
    blob.process_control.set_status(name, wanted)
    click.echo(f"{name}: {before.value} -> {wanted.value}")


@control.command("mark-dead")
@click.pass_context
def mark_dead(ctx: click.Context) -> None:
    """Mark processes whose pid has died (killed, crashed) as finished, with a CRITICAL log."""
    from syslogdiag import setup_process_logging
    from sysproduction.control.control_state import mark_dead_processes

    blob = blob_from_context(ctx)
    setup_process_logging(blob, "control")
    marked = mark_dead_processes(blob.process_control, blob.clock.now())
    click.echo(f"marked finished: {', '.join(marked)}" if marked else "no dead processes found")


@control.command("mark-finished")
@click.argument("name")
@click.pass_context
def mark_finished_cmd(ctx: click.Context, name: str) -> None:
    """Mark NAME finished by hand (its claimant ran on another machine that is gone)."""
    from syslogdiag import setup_process_logging
    from sysproduction.control.control_state import mark_finished
    from sysproduction.control.process_config import canonical_name

    blob = blob_from_context(ctx)
    setup_process_logging(blob, "control")
    name = canonical_name(blob.config, name)
    state = mark_finished(blob.process_control, name, blob.clock.now())
    click.echo(f"{name}: running={'yes' if state.running else 'no'}")


@control.command()
@click.argument("name")
@click.pass_context
def accept(ctx: click.Context, name: str) -> None:
    """Accept the failures of NAME's last run (after checking them), so the processes that wait
    for it (previous_process) may start today."""
    from syslogdiag import setup_process_logging
    from sysproduction.control.control_state import accept_failures
    from sysproduction.control.process_config import canonical_name

    blob = blob_from_context(ctx)
    setup_process_logging(blob, "control")
    name = canonical_name(blob.config, name)
    state = accept_failures(blob.process_control, name, blob.clock.now())
    click.echo(f"{name}: {state.last_outcome} (run ended {state.end_time:%Y-%m-%d %H:%M:%S})")


@control.command()
@click.argument("name", required=False)
@click.pass_context
def processes(ctx: click.Context, name: str | None) -> None:
    """Show the process config: schedule, previous process, methods, availability."""
    from sysproduction.control.process_config import canonical_name
    from sysproduction.control.views import format_rows, process_config_rows

    blob = blob_from_context(ctx)
    rows = process_config_rows(blob, canonical_name(blob.config, name) if name else None)
    click.echo(format_rows(rows))


@control.command()
@click.argument("name", required=False)
@click.option("--limit", default=20, show_default=True, help="Newest N runs.")
@click.pass_context
def history(ctx: click.Context, name: str | None, limit: int) -> None:
    """Finished runs (start, end, outcome) of all processes or of NAME."""
    from sysproduction.control.process_config import canonical_name
    from sysproduction.control.views import format_rows, history_rows

    blob = blob_from_context(ctx)
    rows = history_rows(blob, canonical_name(blob.config, name) if name else None, limit)
    click.echo(format_rows(rows, empty="no finished runs recorded"))


@control.command()
@click.option("--type", "log_type", help="Log type (e.g. a method name).")
@click.option("--instrument", help="instrument_code attribute.")
@click.option("--level", default="INFO", show_default=True, help="Lowest level shown.")
@click.option("--process", help="Process name.")
@click.option("--since", help="Only records at or after this time (YYYY-MM-DD[ HH:MM]).")
@click.option("--limit", default=30, show_default=True, help="Newest N records.")
@click.pass_context
def logs(ctx: click.Context, log_type, instrument, level, process, since, limit) -> None:
    """Stored log records, newest last."""
    from sysproduction.control.views import format_rows, log_rows

    rows = log_rows(
        blob_from_context(ctx), limit=limit, type=log_type, instrument_code=instrument,
        min_level=level, process_name=process, since=_parse_when(since) if since else None,
    )
    click.echo(format_rows(rows, empty="no matching log records"))


@control.command("data-summary")
@click.option("--stale-days", default=3, show_default=True, help="Weekdays before a series is stale.")
@click.pass_context
def data_summary(ctx: click.Context, stale_days: int) -> None:
    """Last stored date per instrument and FX pair; flags stale series."""
    from sysproduction.control.views import data_summary_rows, format_rows

    rows = data_summary_rows(blob_from_context(ctx), stale_days)
    click.echo(format_rows(rows, empty="no price data stored"))


@control.command()
@click.pass_context
def interactive(ctx: click.Context) -> None:
    """The interactive_controls menu (numbered; piped input works)."""
    from sysproduction.control.entry import run

    ctx.exit(run("interactive_controls", lambda: blob_from_context(ctx)))


@control.command()
@click.pass_context
def diagnostics(ctx: click.Context) -> None:
    """The interactive_diagnostics menu (numbered; piped input works)."""
    from sysproduction.control.entry import run

    ctx.exit(run("interactive_diagnostics", lambda: blob_from_context(ctx)))


@control.command("install-crontab")
@click.option("--dry-run", is_flag=True, help="Print the lines instead of installing them.")
@click.pass_context
def install_crontab(ctx: click.Context, dry_run: bool) -> None:
    """Install this installation's schedule into your crontab (replaces its own block only)."""
    from sysproduction.control import crontab

    blob = blob_from_context(ctx)
    obj = ctx.find_root().obj or {}
    env = {"SYSPROD_DATA_ROOT": str(blob.data_root)}
    env["SYSPROD_CONFIG"] = str(obj["config"].resolve()) if obj.get("config") else ""
    block = crontab.crontab_block(blob.config, env=env, label=str(blob.data_root))
    if dry_run:
        click.echo(block, nl=False)
        return
    crontab.install(block)
    click.echo(f"installed {len(crontab.schedule_lines(blob.config))} schedule lines into your crontab")


# --- the simulated clock --------------------------------------------------------------------
@control.group()
def clock() -> None:
    """Show, set or advance the simulated clock (config `clock: simulated`)."""


def _sim_clock(ctx: click.Context):
    from syscore.clock import SharedSimClock
    from syscore.exceptions import ConfigError

    blob = blob_from_context(ctx)
    if not isinstance(blob.clock, SharedSimClock):
        raise ConfigError(
            f"{blob.data_root} runs on the wall clock; set `clock: simulated` in its private "
            "config to set or advance time"
        )
    return blob.clock


def _parse_when(text: str) -> dt.datetime:
    from syscore.exceptions import DataValidationError

    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise DataValidationError(
            f"'{text}' is not a date-time; use YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (UTC)"
        ) from None


STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhm])\s*$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_step(text: str) -> dt.timedelta:
    """`1d`, `3h`, `30m` -> a timedelta."""
    from syscore.exceptions import DataValidationError

    match = STEP.match(text.lower())
    if match is None:
        raise DataValidationError(f"'{text}' is not a step; use e.g. 1d, 3h or 30m")
    return dt.timedelta(**{UNITS[match.group(2)]: float(match.group(1))})


@clock.command("show")
@click.pass_context
def clock_show(ctx: click.Context) -> None:
    """Print the installation's current time (UTC) and which clock it is."""
    from syscore.clock import SharedSimClock

    blob = blob_from_context(ctx)
    kind = "simulated" if isinstance(blob.clock, SharedSimClock) else "wall"
    click.echo(f"{blob.clock.now():%Y-%m-%d %H:%M:%S} ({kind} clock)")


@clock.command("set")
@click.argument("when")
@click.pass_context
def clock_set(ctx: click.Context, when: str) -> None:
    """Set the simulated time to WHEN (YYYY-MM-DD or 'YYYY-MM-DD HH:MM', UTC)."""
    sim = _sim_clock(ctx)
    sim.set(_parse_when(when))
    click.echo(f"{sim.now():%Y-%m-%d %H:%M:%S} (simulated clock)")


@clock.command("advance")
@click.argument("step")
@click.pass_context
def clock_advance(ctx: click.Context, step: str) -> None:
    """Move the simulated time forward by STEP (1d, 3h, 30m)."""
    sim = _sim_clock(ctx)
    delta = parse_step(step)
    if delta <= dt.timedelta(0):
        from syscore.exceptions import DataValidationError

        raise DataValidationError(f"step '{step}' must be positive; the clock only moves forward")
    sim.advance(delta)
    click.echo(f"{sim.now():%Y-%m-%d %H:%M:%S} (simulated clock)")


# --- trade limits -----------------------------------------------------------------------------
@control.group("trade-limit")
def trade_limit() -> None:
    """Most contracts traded per instrument (or per strategy and instrument) over N days."""


@trade_limit.command("list")
@click.pass_context
def trade_limit_list(ctx: click.Context) -> None:
    """Every trade limit with what its window has used so far."""
    from sysproduction.control.views import format_rows

    blob = blob_from_context(ctx)
    rows = [
        {"instrument": limit.instrument_code, "strategy": limit.strategy_name or "(all)",
         "period_days": limit.period_days, "max_contracts": limit.max_contracts, "used": used,
         "left": max(0, limit.max_contracts - used)}
        for limit, used in blob.trade_limits.usage(blob.clock.now())
    ]
    click.echo(format_rows(rows, empty="no trade limits set (trading is not limited)"))


@trade_limit.command("set")
@click.argument("instrument")
@click.argument("max_contracts", type=int)
@click.option("--days", "period_days", type=int, default=1, show_default=True, help="Rolling window in days.")
@click.option("--strategy", help="Limit one strategy's trades in INSTRUMENT (default: all strategies).")
@click.pass_context
def trade_limit_set(ctx: click.Context, instrument: str, max_contracts: int, period_days: int,
                    strategy: str | None) -> None:
    """Allow at most MAX_CONTRACTS contracts of INSTRUMENT per --days (replaces that limit)."""
    from syscore.exceptions import DataValidationError
    from sysobjects.trade_limits import TradeLimit

    blob = blob_from_context(ctx)
    if not blob.instruments.has(instrument):
        raise DataValidationError(
            f"instrument '{instrument}' is not configured here; check the code (see 'sysprod data list instruments')"
        )
    limit = TradeLimit(instrument, max_contracts, period_days, strategy)
    blob.trade_limits.set(limit)
    click.echo(f"trade limit set: {limit.describe()}")


@trade_limit.command("clear")
@click.argument("instrument")
@click.option("--days", "period_days", type=int, help="Only the limit over this many days.")
@click.option("--strategy", help="The strategy's limit (default: the instrument-wide ones).")
@click.pass_context
def trade_limit_clear(ctx: click.Context, instrument: str, period_days: int | None, strategy: str | None) -> None:
    """Remove INSTRUMENT's trade limits (its trading is then not limited by them)."""
    blob = blob_from_context(ctx)
    for limit in blob.trade_limits.clear(instrument, strategy, period_days):
        click.echo(f"trade limit cleared: {limit.describe()}")


# --- overrides, position limits, instrument locks (what the strategy order generator applies) ---
# Values are plain arguments, so a negative number reaches the check (one line) rather than
# being taken for an option.
_VALUE_ARGS = {"ignore_unknown_options": True}


@control.group()
def override() -> None:
    """Overrides per strategy, instrument or both: a multiplier 0-1, close, reduce_only, no_trading."""


@override.command("list")
@click.pass_context
def override_list(ctx: click.Context) -> None:
    """Every override, with what it applies to."""
    from sysproduction.control.views import format_rows
    from sysproduction.interactive.update_override import override_rows

    click.echo(format_rows(override_rows(blob_from_context(ctx)), empty="no overrides set"))


@override.command("set", context_settings=_VALUE_ARGS)
@click.argument("value")
@click.option("--strategy", help="The strategy it applies to.")
@click.option("--instrument", help="The instrument it applies to.")
@click.pass_context
def override_set(ctx: click.Context, value: str, strategy: str | None, instrument: str | None) -> None:
    """Set the override of --strategy, --instrument or both to VALUE (0.5, close, reduce_only,
    no_trading); it replaces that scope's override."""
    from sysproduction.interactive.update_override import set_override

    click.echo(set_override(blob_from_context(ctx), strategy, instrument, value))


@override.command("clear")
@click.option("--strategy", help="The strategy it applies to.")
@click.option("--instrument", help="The instrument it applies to.")
@click.pass_context
def override_clear(ctx: click.Context, strategy: str | None, instrument: str | None) -> None:
    """Remove the override of --strategy, --instrument or both."""
    from sysproduction.interactive.update_override import clear_override

    click.echo(clear_override(blob_from_context(ctx), strategy, instrument))


@control.group()
def limit() -> None:
    """Position limits: the largest absolute position per instrument, or per strategy in it."""


@limit.command("list")
@click.pass_context
def limit_list(ctx: click.Context) -> None:
    """Every position limit with the position it limits now."""
    from sysproduction.control.views import format_rows
    from sysproduction.interactive.update_override import limit_rows

    click.echo(format_rows(limit_rows(blob_from_context(ctx)), empty="no position limits set"))


@limit.command("set", context_settings=_VALUE_ARGS)
@click.argument("instrument")
@click.argument("contracts")
@click.option("--strategy", help="Limit one strategy's position (default: all strategies together).")
@click.pass_context
def limit_set(ctx: click.Context, instrument: str, contracts: str, strategy: str | None) -> None:
    """Limit INSTRUMENT's absolute position to CONTRACTS (replaces that limit)."""
    from sysproduction.interactive.update_override import set_limit

    click.echo(set_limit(blob_from_context(ctx), instrument, contracts, strategy))


@limit.command("clear")
@click.argument("instrument")
@click.option("--strategy", help="The strategy's limit (default: the instrument's).")
@click.pass_context
def limit_clear(ctx: click.Context, instrument: str, strategy: str | None) -> None:
    """Remove a position limit of INSTRUMENT."""
    from sysproduction.interactive.update_override import clear_limit

    click.echo(clear_limit(blob_from_context(ctx), instrument, strategy))


@control.group()
def lock() -> None:
    """Instrument locks: a locked instrument gets no new orders."""


@lock.command("list")
@click.pass_context
def lock_list(ctx: click.Context) -> None:
    """Every locked instrument, since when and why."""
    from sysproduction.control.views import format_rows
    from sysproduction.interactive.update_override import lock_rows

    click.echo(format_rows(lock_rows(blob_from_context(ctx)), empty="no instruments locked"))


@lock.command("set")
@click.argument("instrument")
@click.argument("reason")
@click.pass_context
def lock_set(ctx: click.Context, instrument: str, reason: str) -> None:
    """Lock INSTRUMENT with REASON (quote it)."""
    from sysproduction.interactive.update_override import set_lock

    click.echo(set_lock(blob_from_context(ctx), instrument, reason))


@lock.command("clear")
@click.argument("instrument")
@click.pass_context
def lock_clear(ctx: click.Context, instrument: str) -> None:
    """Unlock INSTRUMENT."""
    from sysproduction.interactive.update_override import clear_lock

    click.echo(clear_lock(blob_from_context(ctx), instrument))
