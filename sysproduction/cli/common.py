"""Helpers shared by CLI commands: building the DataBlob and printing tables."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import pandas as pd

    from sysdata.data_blob import DataBlob


def blob_from_context(ctx: click.Context, must_exist: bool = True) -> DataBlob:
    """The installation's DataBlob (code that needs the time asks its clock, wall or simulated).
    The data root must hold an installation unless the command creates one (`must_exist=False`)."""
    from sysproduction.wiring import make_blob

    obj = ctx.find_root().obj or {}
    return make_blob(obj.get("data_root"), config_path=obj.get("config"), must_exist=must_exist)


def print_frame(frame: pd.DataFrame, title: str, as_csv: bool, index_label: str | None = None) -> None:
    """A rich table on a terminal, plain full-width text when stdout is not one (cron's echo
    files, pipes, email: a table squeezed into 80 columns would cut values), or CSV for machines
    (`--csv`)."""
    if as_csv:
        frame.to_csv(sys.stdout, index_label=index_label)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        click.echo(plain_table(frame, title, index_label))
        return
    table = Table(title=title)
    show_index = index_label is not None
    if show_index:
        table.add_column(index_label)
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for label, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [_cell(v) for v in row]
        table.add_row(*([str(label)] if show_index else []), *cells)
    console.print(table)


def plain_table(frame: pd.DataFrame, title: str, index_label: str | None = None) -> str:
    """The title, then every row and column as aligned text, as wide as it needs to be."""
    if frame.empty:
        return f"{title}\n(no rows)"
    cells = frame.map(_cell)
    cells.columns = [str(column) for column in frame.columns]
    if index_label is not None:
        labels = [str(label) for label in frame.index]
        width = max(len(label) for label in labels)
        cells.insert(0, index_label, [label.ljust(width) for label in labels])  # names read left
    text = cells.to_string(index=False, line_width=None, max_rows=None, max_cols=None)
    return f"{title}\n{text}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:.10g}"
    return str(value)
