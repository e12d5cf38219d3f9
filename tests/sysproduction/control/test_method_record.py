"""The end-of-run summary of a method that ran many times tells the whole run: item counts
summed over every run (an every-loop method's last run is usually idle), each failed, spiked or
stale item from any run shown once."""

from __future__ import annotations

from syscore.job_summary import JobSummary
from sysproduction.control.process_config import MethodConfig
from sysproduction.control.runner import MAX_DETAILS, MethodRecord


def _record() -> MethodRecord:
    return MethodRecord(MethodConfig("process_fills_stack", "x:y", 0.0, -1), job=lambda blob: None)


def _run(record: MethodRecord, result: object) -> None:
    record.executions += 1
    record.add_result(result)


def test_counts_add_up_over_runs_and_earlier_items_stay():
    record = _record()
    first = JobSummary("process_fills_stack", updated={"GOLD": "filled 3"}, spiked={"CORN": "price 9999"})
    _run(record, first)
    assert record.summary() == "process_fills_stack: ran 1, ok; process_fills_stack: 1 updated, 0 unchanged, 1 spiked, 0 failed"
    _run(record, JobSummary("process_fills_stack", updated={"SP500": "filled 1"}, unchanged=["GOLD"]))
    for _ in range(3):
        _run(record, JobSummary("process_fills_stack"))  # idle loops
    _run(record, JobSummary("process_fills_stack", spiked={"CORN": "price 9999"}))  # the same spike again
    assert record.summary() == (
        "process_fills_stack: ran 6, ok; in all 6 runs: 2 updated, 1 unchanged, 2 spiked, 0 failed"
    )
    assert record.summary_lines()[1:] == ["  SPIKE   CORN: price 9999 (held back for a manual check)"]


def test_a_result_that_is_not_a_job_summary_is_labelled_as_the_last_runs():
    record = _record()
    _run(record, "margin 12%")
    assert record.summary().endswith("ran 1, ok; margin 12%")
    _run(record, "margin 14%")
    assert record.summary().endswith("ran 2, ok; last run: margin 14%")


def test_many_different_items_are_capped_with_a_count_of_the_rest():
    record = _record()
    for k in range(MAX_DETAILS + 7):
        _run(record, JobSummary("process_fills_stack", failed={f"ORDER{k}": "rejected"}))
    lines = record.summary_lines()
    assert len(lines) == 1 + MAX_DETAILS + 1
    assert lines[1] == "  FAILED  ORDER0: rejected"
    assert lines[-1] == "  ... and 7 more (see the log)"
    assert f"in all {MAX_DETAILS + 7} runs: 0 updated, 0 unchanged, 0 spiked, {MAX_DETAILS + 7} failed" in lines[0]
