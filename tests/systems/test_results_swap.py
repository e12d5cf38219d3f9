"""Backtest results rewritten while another process reads them: every read sees one whole
version (a summary and exactly the files it names), old versions are pruned, results in the
earlier plain-folder layout are taken over, and a foreign link is never replaced."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from syscore.exceptions import SysprodError
from sysproduction.backtests.results import KEEP_VERSIONS, versions_dir, write_results
from systems.data import load_backtest_config, load_csv_inputs
from systems.engine import run_backtest
from tests.process_helpers import join_cleanly
from tests.systems.synthetic import INSTRUMENTS, write_config

REWRITES = 20


def _results(tree: Path, work: Path, codes: list[str]):  # noqa: ANN202
    config = load_backtest_config(write_config(work / f"{'_'.join(codes)}.yaml", codes))
    inputs = load_csv_inputs(tree, list(config.instruments), config.base_currency)
    return run_backtest(config, inputs, 1_700_000_000)


def _rewrite(tree: str, out: str, ready, go, done) -> None:  # noqa: ANN001
    work = Path(out).parent
    both = [_results(Path(tree), work, list(INSTRUMENTS)), _results(Path(tree), work, ["AAA"])]
    ready.set()
    go.wait()
    for number in range(REWRITES):
        write_results(Path(out), both[number % 2], float(number))
    done.set()


def _read_until_done(out: str, go, done, report) -> None:  # noqa: ANN001
    errors, reads, seen = [], 0, set()
    try:
        from sysproduction.backtests.results import load_results_from
    except ImportError as exc:
        report.put(([str(exc)], 1, 0, []))
        return
    go.wait()
    while not done.is_set() or reads < 50:
        reads += 1
        try:
            summary, curve, folder = load_results_from(Path(out))
            files = {p.name for p in folder.iterdir() if p.suffix == ".csv"}
            if files != {f"{code}.csv" for code in summary["instruments"]}:
                errors.append(f"summary names {summary['instruments']}, folder holds {sorted(files)}")
            for code in summary["instruments"]:
                (folder / f"{code}.csv").read_bytes()
            seen.add(len(summary["instruments"]))
        except Exception as exc:  # noqa: BLE001 - every failure is what the test counts
            errors.append(f"{type(exc).__name__}: {exc}")
    report.put((errors[:5], len(errors), reads, sorted(seen)))


def test_a_reader_during_reruns_always_sees_one_whole_version(tmp_path, synthetic_tree):
    out = tmp_path / "out"
    ctx = multiprocessing.get_context("spawn")
    ready, go, done, report = ctx.Event(), ctx.Event(), ctx.Event(), ctx.Queue()
    writer = ctx.Process(target=_rewrite, args=(str(synthetic_tree), str(out), ready, go, done))
    writer.start()
    assert ready.wait(120)
    write_results(out, _results(synthetic_tree, tmp_path, ["AAA"]), 0.0)  # something to read
    reader = ctx.Process(target=_read_until_done, args=(str(out), go, done, report))
    reader.start()
    go.set()
    first_errors, error_count, reads, seen = report.get(timeout=180)
    join_cleanly((writer, reader), 60)
    assert (error_count, first_errors) == (0, [])
    assert reads >= 50 and seen  # the reader really read (both versions, when timing allows)

    versions = sorted(p.name for p in versions_dir(out).iterdir())
    assert len(versions) == KEEP_VERSIONS and not [v for v in versions if not v.startswith("v")]
    assert os.path.realpath(out) == str(versions_dir(out) / versions[-1])
    assert json.loads((out / "summary.json").read_text())["instruments"] == ["AAA"]  # the last write


def test_results_of_the_plain_folder_layout_are_taken_over_and_kept(tmp_path, synthetic_tree):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"instruments": ["OLD"]}\n')
    (out / "OLD.csv").write_text("date,price\n")
    write_results(out, _results(synthetic_tree, tmp_path, ["AAA"]), 0.0)
    assert out.is_symlink() and sorted(p.name for p in out.iterdir()) == [
        "AAA.csv", "account_curve.arrow", "summary.json"]
    kept = [p for p in versions_dir(out).iterdir() if (p / "OLD.csv").is_file()]
    assert len(kept) == 1  # the earlier results are a version now, pruned like any other


def test_a_link_to_somewhere_else_is_never_replaced(tmp_path, synthetic_tree):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "summary.json").write_text("{}")
    out = tmp_path / "out"
    out.symlink_to(precious)
    with pytest.raises(SysprodError, match="link to somewhere else"):
        write_results(out, _results(synthetic_tree, tmp_path, ["AAA"]), 0.0)
    assert os.readlink(out) == str(precious) and (precious / "summary.json").read_text() == "{}"
