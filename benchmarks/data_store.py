"""Data benchmarks: import the whole reference data, read every adjusted series, stitch every
instrument. Prints seconds and peak memory; run with `python benchmarks/data_store.py`.

Each figure runs in its own child process so peak memory (ru_maxrss) belongs to that step alone.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from bench_common import machine_line, peak_mb, reference_path, run_in_child


def step_import(root: str, queue) -> None:
    from sysdata.csv_io.importer import import_csv_tree
    from sysdata.data_blob import DataBlob

    start = time.perf_counter()
    report = import_csv_tree(DataBlob.from_data_root(Path(root)), reference_path())
    seconds = time.perf_counter() - start
    rows = sum(r.rows for r in report.results if not r.rejected)
    queue.put({"step": "import whole reference data", "seconds": seconds, "peak_mb": peak_mb(),
               "detail": f"{len(report.results)} files, {rows:,} rows, {report.contracts_written:,} contract series"})


def step_read_adjusted(root: str, queue) -> None:
    from sysdata.data_blob import DataBlob

    blob = DataBlob.from_data_root(Path(root))
    names = blob.adjusted_prices.list()
    start = time.perf_counter()
    rows = sum(len(blob.adjusted_prices.get(name)) for name in names)
    queue.put({"step": "read every adjusted series", "seconds": time.perf_counter() - start,
               "peak_mb": peak_mb(), "detail": f"{len(names)} series, {rows:,} rows"})


def step_stitch(root: str, queue) -> None:
    from sysdata.data_blob import DataBlob
    from sysobjects.stitching import panama_stitch

    blob = DataBlob.from_data_root(Path(root))
    frames = {name: blob.multiple_prices.get(name) for name in blob.multiple_prices.list()}
    start = time.perf_counter()
    for frame in frames.values():
        panama_stitch(frame)
    queue.put({"step": "stitch every instrument", "seconds": time.perf_counter() - start,
               "peak_mb": peak_mb(), "detail": f"{len(frames)} instruments, {sum(map(len, frames.values())):,} rows"})


def main() -> None:
    if not (reference_path() / "multiple_prices_csv").is_dir():
        print(f"reference data not found at {reference_path()}; set SYSPROD_REFERENCE_DATA")
        return
    print(machine_line())
    results = []
    with tempfile.TemporaryDirectory() as root:
        for step in (step_import, step_read_adjusted, step_stitch):
            result = run_in_child(step, root)[0]
            results.append(result)
            print(f"{result['step']:<32} {result['seconds']:8.2f} s  peak {result['peak_mb']:7.0f} MB  ({result['detail']})")
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
