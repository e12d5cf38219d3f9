"""`sysprod init DIR --broker sim|ib`: make a data root an installation and choose its broker.

There is no default broker: an installation that trades through Interactive Brokers must never
fall back to the simulated market, and a sandbox must never reach a real account. The choice is
written into the data root's private config (`<DIR>/private_config.yaml`), where every command
finds it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

BROKER_CHOICE = click.Choice(["sim", "ib"])


def ask_broker(given: str | None, what: str) -> str:
    """The broker named on the command line, else asked for on a terminal; piped input or cron
    gets a one-line error instead of a guess."""
    from syscore.exceptions import SysprodError

    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise SysprodError(f"{what} needs a broker: add --broker sim (simulated) or --broker ib (Interactive Brokers)")
    return click.prompt("Broker for this installation (sim = simulated, ib = Interactive Brokers)", type=BROKER_CHOICE)


def target_root(ctx: click.Context, directory: Path | None) -> Path:
    from syscore.exceptions import SysprodError

    global_root = (ctx.find_root().obj or {}).get("data_root")
    if directory is None and global_root is None:
        raise SysprodError("init needs a directory: sysprod init DIR --broker sim|ib")
    if directory is not None and global_root is not None:
        a, b = Path(directory).expanduser().resolve(), Path(global_root).expanduser().resolve()
        if a != b:
            raise SysprodError(
                f"init {a} disagrees with --data-root / SYSPROD_DATA_ROOT {b}; give only one of them"
            )
    return Path(directory if directory is not None else global_root).expanduser().resolve()


@click.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--broker", type=BROKER_CHOICE, default=None,
              help="sim: the simulated broker; ib: Interactive Brokers. Asked for when not given.")
@click.pass_context
def init(ctx: click.Context, directory: Path | None, broker: str | None) -> None:
    """Create an installation in DIRECTORY (or --data-root) and choose its broker."""
    from sysdata.installation import PRIVATE_CONFIG, choose_broker, is_installation

    root = target_root(ctx, directory)
    existed = is_installation(root)
    chosen = ask_broker(broker, f"sysprod init {root}")
    changed = choose_broker(root, chosen)
    if not existed:
        said = f"created installation {root} with broker {chosen}"
    elif changed:
        said = f"installation {root} now uses broker {chosen}"
    else:
        said = f"installation {root} already uses broker {chosen}"
    click.echo(f"{said} ({root / PRIVATE_CONFIG})")
    if chosen == "sim":
        click.echo("the simulated broker serves the synthetic market (sim_seed) unless you set "
                   "sim_market: replay and sim_replay_source; see docs/brokers.md")
    click.echo(f"next: sysprod --data-root {root} data import-csv PATH/TO/pysystemtrade/data")


def installation_for_import(ctx: click.Context, broker: str | None, source: Path):  # noqa: ANN201
    """The DataBlob `data import-csv` imports into: an existing installation, or a new one made
    here. A new installation's broker is `--broker`, else asked for on a terminal; without a
    terminal (a script) the installation is made with no broker, and every job that needs one
    says how to choose it: importing data needs no broker, and none is ever assumed. The source is
    checked first, so a mistyped source never leaves a new empty installation behind."""
    from syscore.exceptions import SysprodError
    from sysdata.installation import choose_broker, is_installation, make_installation
    from sysproduction.cli.common import blob_from_context

    if not Path(source).is_dir():
        raise SysprodError(f"import source {source} is not a directory; give the root of a pysystemtrade CSV tree")
    blob = blob_from_context(ctx, must_exist=False)
    root = blob.data_root
    if not is_installation(root):
        if broker is None and sys.stdin.isatty():
            broker = ask_broker(None, f"importing into the new data root {root}")
        if broker is None:
            make_installation(root)
            click.echo(f"created installation {root} with no broker chosen; before the price jobs: "
                       f"sysprod init {root} --broker sim|ib")
        else:
            choose_broker(root, broker)
            click.echo(f"created installation {root} with broker {broker}")
    elif broker is not None:
        choose_broker(root, broker)
    return blob_from_context(ctx)


def record_import(blob, source: Path) -> None:  # noqa: ANN001
    """Remember where the stored prices came from, so a broker serving another market is refused."""
    from sysdata.installation import imported_source, update_record

    update_record(blob.data_root, prices_source=imported_source(source))
