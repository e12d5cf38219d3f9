"""`sysprod backtest`: run the backtest engine on a config, and look at its results."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from syscore.clock import Clock


@click.group()
def backtest() -> None:
    """Run and inspect backtests."""


@backtest.command("run")
@click.argument("config_path", metavar="CONFIG.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--csv-data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Read prices from this pysystemtrade CSV tree instead of the stores (--data-root).",
)
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Output (created or replaced): a link to the newest results folder, holding "
    "<INSTRUMENT>.csv files and summary.json.",
)
@click.option(
    "--mode", type=click.Choice(["compatible", "corrected"]), default=None,
    help="Override the config's mode: compatible (default) or corrected.",
)
@click.option("--instrument", "instruments", multiple=True, help="Run only these instruments (repeatable).")
@click.pass_context
def run(
    ctx: click.Context, config_path: Path, csv_data: Path | None, out: Path, mode: str | None,
    instruments: tuple[str, ...],
) -> None:
    """Run the system in CONFIG.yaml and write per-instrument series and a summary to --out."""
    started = time.perf_counter()
    from syscore.clock import WallClock
    from sysproduction.backtests.run import run_to_directory

    clock: Clock = WallClock()  # a CSV tree has no installation, so no simulated time
    if csv_data is not None:
        from systems.data import stream_csv_inputs

        def load(config):  # noqa: ANN001, ANN202
            # compatible mode reads the numbers' text as pysystemtrade does (sysdata.csv_io.numbers)
            return stream_csv_inputs(
                csv_data, config.instruments, config.base_currency, pandas_numbers=config.mode == "compatible"
            )
    else:
        from sysproduction.cli.common import blob_from_context
        from systems.data import load_blob_inputs

        installation = cache(lambda: blob_from_context(ctx))
        clock = _LaterClock(lambda: installation().clock)

        def load(config):  # noqa: ANN001, ANN202
            inputs = load_blob_inputs(installation(), config.instruments, config.base_currency)
            return inputs.fx_usd, inputs.instruments.values()

    _, summary = run_to_directory(config_path, load, out, clock, mode, list(instruments), started)
    sharpe = summary["sharpe"]
    click.echo(
        f"{len(summary['instruments'])} instruments, Sharpe {_fmt(sharpe)} "
        f"(gross {_fmt(summary['gross_sharpe'])}), {summary['seconds']:.2f} s -> {out}"
    )
    for code, reason in sorted(summary.get("flagged", {}).items()):
        click.echo(f"warning: {code} left out of weights and account: {reason}", err=True)
    for code, rules in sorted(summary.get("expensive_rules", {}).items()):
        costs = ", ".join(f"{rule} (SR cost {cost:.4f})" for rule, cost in rules.items())
        click.echo(f"warning: {code}: left out of its forecast weights, above ceiling_cost_SR: {costs}", err=True)
    if summary.get("never_trading"):
        click.echo(
            f"warning: {', '.join(summary['never_trading'])}: the subsystem never trades (its rounded position "
            "never changes at this capital), so the instrument-weight fit has no returns for it", err=True,
        )


class _LaterClock:
    """The installation's clock (wall or simulated), looked up when first asked: after the config
    is validated, so a config mistake is reported before the data root is opened."""

    def __init__(self, find: Callable[[], Clock]):
        self._find = find

    def now(self) -> dt.datetime:
        return self._find().now()


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


@backtest.command("export-fixed-config")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.argument("target", metavar="CONFIG.yaml", type=click.Path(dir_okay=False, path_type=Path))
def export_fixed_config(out: Path, target: Path) -> None:
    """Write CONFIG.yaml: the config of the run in OUT with every parameter fixed (forecast
    scalars, forecast weights, FDM, instrument weights, IDM) to the value the run used."""
    from sysproduction.backtests.fixed_config import export_fixed_config as export

    config = export(out, target)
    click.echo(
        f"{target}: {len(config.rules)} rules, {len(config.instruments)} instruments, "
        f"IDM {config.idm:g}, every parameter fixed from {out}"
    )


@backtest.command("show")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Where to save the chart (default OUT/account_curve.png).")
@click.option("--csv", "as_csv", is_flag=True, help="Print the summary as CSV.")
def show(out: Path, png: Path | None, as_csv: bool) -> None:
    """Print the summary of backtest results in OUT and save a PNG of the account curve."""
    from syslogdiag.render.backtest import save_account_chart, summary_frame
    from sysproduction.backtests.results import load_results_from
    from sysproduction.cli.common import print_frame

    summary, curve, folder = load_results_from(out)  # one version, even if a rerun swaps OUT
    frame, title = summary_frame(summary, curve, out)
    print_frame(frame, title, as_csv, index_label="")
    target = save_account_chart(curve, png or folder / "account_curve.png", title=str(out))
    click.echo(f"account curve saved to {target}", err=as_csv)
