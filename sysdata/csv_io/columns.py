"""Reading chosen columns of pysystemtrade CSV files fast, without pandas: the backtest loader's
reader (the importer reads whole files with `sysdata.csv_io.reader`, which validates row by row).

Files are split into columns by pyarrow (in C, outside the GIL, so several files read at once);
numbers are read from their text by `sysdata.csv_io.numbers.parse_decimal_text`, the one parser of
pysystemtrade CSV numbers. Config tables are small and read with the standard library; their rows
are turned into values by `InstrumentMeta.from_csv_row` / `csv_number`, as every other reader does.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from syscore.exceptions import DataValidationError, MissingData
from sysdata.csv_io.numbers import PANDAS_NA_TEXT, NotANumber, arrow_to_numpy, parse_decimal_text


def read_csv_columns(path: Path, columns: tuple[str, ...], pandas_numbers: bool) -> dict[str, np.ndarray]:
    """The first column as int64 epoch seconds (a timestamp), the others as float64 numbers
    (`pandas_numbers`: as pysystemtrade's pandas reads them; else correctly rounded)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not path.is_file():
        raise MissingData(f"{path}: file not found; check --csv-data points at a pysystemtrade CSV tree")
    types = {c: pa.string() for c in columns[1:]}
    types[columns[0]] = pa.timestamp("s")
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=types, include_columns=list(columns), strings_can_be_null=True,
                null_values=list(PANDAS_NA_TEXT),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
        first = str(exc).splitlines()[0]
        raise DataValidationError(f"{path}: cannot read ({first}); expected columns {', '.join(columns)}") from None
    if table.num_rows == 0:
        raise DataValidationError(f"{path}: no rows; a backtest needs prices in every file it reads")
    stamps = table.column(columns[0])
    if stamps.null_count:
        raise DataValidationError(f"{path}: {stamps.null_count} row(s) without a {columns[0]}; fix the file")
    out = {columns[0]: arrow_to_numpy(stamps, np.int64)}
    for name in columns[1:]:
        try:
            out[name] = parse_decimal_text(table.column(name), pandas_compatible=pandas_numbers)
        except NotANumber as exc:
            raise DataValidationError(f"{path}: column {name} {exc}; fix or blank it") from None
    return out


def read_config_table(path: Path, key: str = "Instrument") -> dict[str, dict[str, str]]:
    """A csvconfig table as text rows by key (a later row of the same key wins)."""
    if not path.is_file():
        raise MissingData(f"{path}: file not found; the CSV tree needs csvconfig/{path.name}")
    with open(path, newline="") as handle:
        return {row[key].strip(): row for row in csv.DictReader(handle, skipinitialspace=True)}
