"""`sysprod data`: import, export, restore and inspect stored data."""

from __future__ import annotations

from pathlib import Path

import click

from sysproduction.cli.common import blob_from_context, print_frame


@click.group()
def data() -> None:
    """Import, export, restore and inspect stored data."""


@data.command("import-csv")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--replace", is_flag=True,
              help="Let a file replace a stored series even where that removes stored rows.")
@click.option("--repair", is_flag=True,
              help="Sort roll calendars by time and keep the last row of a repeated timestamp (each repair is listed).")
@click.option("--broker", type=click.Choice(["sim", "ib"]), default=None,
              help="Broker of a new installation (asked for when importing into a new data root).")
@click.pass_context
def import_csv(
    ctx: click.Context, source: Path, quiet: bool, replace: bool, repair: bool, broker: str | None
) -> None:
    """Import a pysystemtrade CSV tree (csvconfig/, *_csv/ folders) into the stores.

    Every rejected file is reported; everything else is imported; the exit code is 1 when
    anything was rejected, so cron notices. An empty file, or one that would remove stored rows
    (unless --replace), is rejected: an import never loses stored data silently. Numbers are read
    as pysystemtrade reads them, so the store equals the one pysystemtrade would build.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from sysdata.csv_io.importer import count_import_files, import_csv_tree
    from sysproduction.cli.init import installation_for_import, record_import

    blob = installation_for_import(ctx, broker, source)
    console = Console(stderr=True)
    total = count_import_files(source)
    with Progress(
        TextColumn("[bold]import"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, disable=quiet or not console.is_terminal,
    ) as progress:
        task = progress.add_task("", total=total)
        report = import_csv_tree(
            blob, source, progress=lambda name: progress.update(task, advance=1, description=name),
            replace=replace, repair=repair,
        )
    if report.results:
        record_import(blob, source)
    table = Table(title=f"Import of {source} into {blob.data_root}")
    for column in ("kind", "files", "rows", "rejected"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    for kind, files, rows, rejected in report.summary_by_kind():
        table.add_row(kind, str(files), f"{rows:,}", str(rejected))
    out = Console()
    out.print(table)
    out.print(f"contract price series derived from multiple prices: {report.contracts_written:,}")
    for result in report.repaired:
        for repair_made in result.repairs:
            click.echo(f"repaired: {result.path}: {repair_made}")
    for result in report.rejected:
        click.echo(f"rejected: {result.message}", err=True)
    if not report.ok:
        click.echo(f"{len(report.rejected)} file(s) rejected; everything else was imported", err=True)
        ctx.exit(1)


@data.command("export-csv")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export_csv(ctx: click.Context, dest: Path) -> None:
    """Write the stored data to DEST in pysystemtrade's CSV layout."""
    from sysdata.csv_io.exporter import export_csv_tree

    report = export_csv_tree(blob_from_context(ctx), dest)
    for kind, files in sorted(report.files.items()):
        click.echo(f"{kind}: {files} file(s)")
    click.echo(f"exported to {dest}")


@data.command("restore")
@click.argument("backup", type=click.Path(path_type=Path))
@click.option("--data-root", "target", type=click.Path(path_type=Path), default=None,
              help="The empty directory to restore into (default: the global --data-root).")
@click.option("--force", is_flag=True,
              help="Restore over a data root that is not empty (what the backup replaces is moved aside).")
@click.pass_context
def restore(ctx: click.Context, backup: Path, target: Path | None, force: bool) -> None:
    """Restore a backup (a generation backup_path/YYYY-MM-DD, or backup_path for its newest):
    time series, documents, CSV tables, backtest states, reports and config, into an empty data
    root. An incomplete backup is refused; so is a data root that is not empty, without --force."""
    from sysproduction.jobs.housekeeping.restore import restore_backup

    target = target or (ctx.find_root().obj or {}).get("data_root")
    if target is None:
        raise click.UsageError("give the directory to restore into: --data-root EMPTY_DIR")
    for line in restore_backup(backup, target, force=force).lines():
        click.echo(line)


@data.command("migrate")
@click.option("--from", "source", required=True, metavar="URL",
              help="Backend to copy from: sqlite+parquet:///ROOT, or DOCUMENTS_URL,SERIES_URL.")
@click.option("--to", "target", required=True, metavar="URL", help="Backend to copy into (empty).")
@click.option("--force", is_flag=True, help="Delete what the target holds first.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def migrate_command(source: str, target: str, force: bool, quiet: bool) -> None:
    """Copy every document and time series between backends and verify the copy.

    URLs: sqlite+parquet:///ROOT (a data root's default stores), or a document store URL
    (sqlite:///FILE, mongodb://HOST:PORT/DB) and a time-series URL (parquet:///ROOT,
    lmdb:///PATH, s3://ENDPOINT:BUCKET?...) joined by a comma. Counts and SHA-256 checksums of
    both sides are compared after the copy; a target holding data is refused without --force.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sysdata.migrate import count_items, migrate, open_backend

    src, dst = open_backend(source), open_backend(target)
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]migrate"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, disable=quiet or not console.is_terminal,
    ) as progress:
        task = progress.add_task("", total=count_items(src))
        report = migrate(src, dst, force=force,
                         progress=lambda what, n: progress.update(task, advance=n, description=what))
    docs, series = sum(report.documents.values()), sum(report.series.values())
    click.echo(f"copied {docs} document(s) in {len(report.documents)} collection(s) and {series} "
               f"series ({report.rows} rows) in {len(report.series)} kind(s)")
    click.echo(f"verified: counts equal; documents sha256 {report.documents_sha256[:16]}, "
               f"series sha256 {report.series_sha256[:16]}")


@data.group()
def show() -> None:
    """Print one stored series."""


def _tail(frame, tail: int | None):
    return frame if tail is None or tail <= 0 else frame.tail(tail)


_tail_option = click.option("--tail", type=int, default=20, show_default=True, help="Last N rows (0 = all).")
_csv_option = click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout instead of a table.")


@show.command("fx")
@click.argument("pair")
@_tail_option
@_csv_option
@click.pass_context
def show_fx(ctx: click.Context, pair: str, tail: int, as_csv: bool) -> None:
    """FX prices of PAIR (e.g. GBPUSD)."""
    series = blob_from_context(ctx).fx_prices.get(pair.upper())
    print_frame(_tail(series.to_frame("PRICE"), tail), f"FX {pair.upper()}", as_csv, "DATETIME")


@show.command("adjusted")
@click.argument("instrument")
@_tail_option
@_csv_option
@click.pass_context
def show_adjusted(ctx: click.Context, instrument: str, tail: int, as_csv: bool) -> None:
    """Back-adjusted prices of INSTRUMENT."""
    series = blob_from_context(ctx).adjusted_prices.get(instrument)
    print_frame(_tail(series.to_frame("price"), tail), f"Adjusted prices {instrument}", as_csv, "DATETIME")


@show.command("multiple")
@click.argument("instrument")
@_tail_option
@_csv_option
@click.pass_context
def show_multiple(ctx: click.Context, instrument: str, tail: int, as_csv: bool) -> None:
    """Multiple prices (PRICE, FORWARD, CARRY and their contracts) of INSTRUMENT."""
    frame = blob_from_context(ctx).multiple_prices.get(instrument)
    print_frame(_tail(frame, tail), f"Multiple prices {instrument}", as_csv, "DATETIME")


@show.command("contract-prices")
@click.argument("instrument")
@click.argument("contract")
@_tail_option
@_csv_option
@click.pass_context
def show_contract_prices(ctx: click.Context, instrument: str, contract: str, tail: int, as_csv: bool) -> None:
    """Stored bars of one contract, e.g. US10 20230900 (daily closes, and intraday rows where the
    imported history or hourly updates have them)."""
    from sysobjects.contracts import ContractId

    contract_id = str(ContractId.parse(contract))
    frame = blob_from_context(ctx).contract_prices.get(instrument, contract_id)
    print_frame(_tail(frame, tail), f"{instrument} {contract_id}", as_csv, "DATETIME")


@show.command("roll-calendar")
@click.argument("instrument")
@_tail_option
@_csv_option
@click.pass_context
def show_roll_calendar(ctx: click.Context, instrument: str, tail: int, as_csv: bool) -> None:
    """Roll calendar of INSTRUMENT."""
    frame = blob_from_context(ctx).roll_calendars.get(instrument)
    print_frame(_tail(frame, tail), f"Roll calendar {instrument}", as_csv, "DATE_TIME")


@data.group("list")
def list_group() -> None:
    """List stored things."""


@list_group.command("instruments")
@_csv_option
@click.pass_context
def list_instruments(ctx: click.Context, as_csv: bool) -> None:
    """Configured instruments with their price data coverage."""
    import pandas as pd

    blob = blob_from_context(ctx)
    table = blob.instruments.table
    with_prices = set(blob.multiple_prices.list())
    adjusted = set(blob.adjusted_prices.list())
    rows = []
    for code in sorted(with_prices | adjusted) or sorted(table.index):
        meta = table.loc[code] if code in table.index else None
        rows.append(
            {
                "instrument": code,
                "asset_class": "" if meta is None else meta["AssetClass"],
                "currency": "" if meta is None else meta["Currency"],
                "pointsize": None if meta is None else float(meta["Pointsize"]),
                "multiple": "yes" if code in with_prices else "",
                "adjusted": "yes" if code in adjusted else "",
            }
        )
    frame = pd.DataFrame(rows).set_index("instrument") if rows else pd.DataFrame()
    print_frame(frame, f"Instruments ({len(rows)} with prices)", as_csv, "instrument")
