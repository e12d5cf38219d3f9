"""The `sysprod` console script.

Sub-command groups are imported only when used, so `sysprod --help` starts fast (DESIGN §8).
A `SysprodError` becomes one line on stderr and exit code 1; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import click

# name -> (module, attribute, one-line help). Adding a group is one line here.
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("sysproduction.cli.init", "init", "Create an installation and choose its broker."),
    "data": ("sysproduction.cli.data", "data", "Import, export and inspect stored data."),
    "demo": ("sysproduction.cli.demo", "demo", "Build a sandbox and run the daily cycle on it."),
    "run": ("sysproduction.cli.run", "run", "Run a production process, a single job or an interactive tool."),
    "control": ("sysproduction.cli.control", "control", "Process control and scheduling."),
    "report": ("sysproduction.cli.report", "report", "Produce reports."),
    "backtest": ("sysproduction.cli.backtest", "backtest", "Run and inspect backtests."),
    "broker": ("sysproduction.cli.broker", "broker", "Inspect and drive the broker."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = [
            name for name, (module, _, _) in SUBCOMMANDS.items() if importlib.util.find_spec(module)
        ]
        return sorted(set(available) | set(super().list_commands(ctx)))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in SUBCOMMANDS:
            module_name, attr, _ = SUBCOMMANDS[name]
            if importlib.util.find_spec(module_name) is None:
                return None
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, SUBCOMMANDS[name][2]) for name in self.list_commands(ctx) if name in SUBCOMMANDS
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        from syscore.exceptions import SysprodError

        try:
            return super().invoke(ctx)
        except SysprodError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SYSPROD_DATA_ROOT",
    help="Data root of this installation (env SYSPROD_DATA_ROOT).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SYSPROD_CONFIG",
    help="Private config file (env SYSPROD_CONFIG).",
)
@click.pass_context
def cli(ctx: click.Context, data_root: Path | None, config_path: Path | None) -> None:
    """sysprod: a cron-driven production suite for systematic futures trading."""
    ctx.ensure_object(dict)
    ctx.obj["data_root"] = data_root
    ctx.obj["config"] = config_path


def main() -> None:
    cli(prog_name="sysprod")


if __name__ == "__main__":
    sys.exit(main())
