"""The process runner: run a process's methods on their schedule under its control state.

All time decisions use the installation's clock, and all waiting goes through one `sleep`
function: on the wall clock it sleeps, on a simulated clock it moves the clock, so a day of a
looping process runs in seconds. Between methods the runner re-reads the control status (STOP
ends the loop, PAUSE waits) and the stop time. A method that raises is logged with its traceback
and the process carries on with the others.

The failure rule: a method whose job raised, or whose summary lists failed items (a JobSummary's
`failed`), has failed. The process still runs its other methods, but it ends "completed with
failures" and exits non-zero, and a process waiting for it (`previous_process`) does not start
until it completes cleanly or the user accepts the failures (`sysprod control accept NAME`).
Items held back as spikes for a manual check are not failures; they are shown in the summary.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from syscore.exceptions import SysprodError
from syscore.job_summary import JobSummary
from sysdata.repos.process_control import ProcessStatus
from syslogdiag import log_context
from sysproduction.control import control_state
from sysproduction.control.process_config import MethodConfig, ProcessConfig, load_process_config
from sysproduction.control.registry import (
    STRATEGY_LAUNCHERS,
    Job,
    resolve_job,
    resolve_user_function,
)

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

MAX_DETAILS = 50  # failed/spiked/stale lines a method shows in the end-of-run summary
COUNTED = ("updated", "unchanged", "spiked", "failed")  # a JobSummary's item counts, summed per run

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]

WALL_POLL_SECONDS = 30.0  # longest wall-clock sleep between control-status checks
PAUSE_POLL_SECONDS = 5.0  # how often a paused process looks again (real time)
PREVIOUS_POLL_SECONDS = 300.0  # how often a process waiting for its previous process looks again


def default_sleep(clock: Any) -> tuple[Sleep, float | None]:
    """Sleep for real on the wall clock; move a simulated clock instead (no cap per step)."""
    advance = getattr(clock, "advance", None)
    if advance is not None:
        return (lambda seconds: advance(dt.timedelta(seconds=seconds))), None
    return time.sleep, WALL_POLL_SECONDS


@dataclass
class MethodRecord:
    """What happened to one method during the run (for the end-of-run summary)."""

    config: MethodConfig
    job: Job | None
    executions: int = 0
    failures: int = 0
    last_run: dt.datetime | None = None
    last_result: str | None = None
    last_error: str | None = None
    details: list[str] = field(default_factory=list)  # failed/spiked/stale items of every run, once each
    hidden_details: int = 0  # further such items beyond MAX_DETAILS (in the log)
    totals: dict[str, int] | None = None  # item counts summed over runs that returned a JobSummary

    def add_result(self, result: object) -> None:
        """Fold one run's result into the record: its headline, its items, its counts."""
        self.last_result, details = _describe(result)
        for line in details:
            if line in self.details:
                continue
            if len(self.details) < MAX_DETAILS:
                self.details.append(line)
            else:
                self.hidden_details += 1
        if isinstance(result, JobSummary):
            totals = self.totals or dict.fromkeys(COUNTED, 0)
            for name in COUNTED:
                totals[name] += len(getattr(result, name))
            self.totals = totals

    @property
    def available(self) -> bool:
        return self.job is not None

    @property
    def exhausted(self) -> bool:
        limit = self.config.max_executions
        return limit != -1 and self.executions >= limit

    def next_due(self) -> dt.datetime | None:
        if self.last_run is None:
            return None
        return self.last_run + dt.timedelta(minutes=self.config.frequency_minutes)

    def is_due(self, now: dt.datetime) -> bool:
        due = self.next_due()
        return due is None or now >= due

    def summary(self) -> str:
        name = self.config.name
        if not self.available:
            return f"{name}: not available in this version"
        text = f"{name}: ran {self.executions}"
        if self.failures:
            text += f", failed {self.failures} (last error: {self.last_error})"
        elif self.executions:
            text += ", ok"
        if self.executions > 1 and self.totals is not None:
            # an every-loop method's last run is usually idle: the whole run's counts tell the truth
            text += f"; in all {self.executions} runs: " + ", ".join(f"{self.totals[n]} {n}" for n in COUNTED)
        elif self.executions > 1 and self.last_result:
            text += f"; last run: {self.last_result}"
        elif self.last_result:
            text += f"; {self.last_result}"
        return text

    def summary_lines(self) -> list[str]:
        more = [f"... and {self.hidden_details} more (see the log)"] if self.hidden_details else []
        return [self.summary(), *(f"  {line}" for line in [*self.details, *more])]


@dataclass
class RunResult:
    """How a `run` ended: `started` False means it declined (reason says why)."""

    process_name: str
    started: bool
    reason: str
    outcome: str | None = None
    methods: list[MethodRecord] = field(default_factory=list)
    blocked: bool = False  # did not run because its previous process completed with failures

    def summary_lines(self) -> list[str]:
        if not self.started:
            return [self.reason]
        lines = [f"{self.process_name}: {self.outcome} ({self.reason})"]
        lines += [f"  {line}" for record in self.methods for line in record.summary_lines()]
        return lines

    @property
    def exit_code(self) -> int:
        """What cron sees: 1 when a method failed or the run was blocked by a failed previous
        process; 0 when it ran cleanly or declined for a scheduled reason."""
        return 1 if self.failures or self.blocked else 0

    @property
    def failures(self) -> int:
        return sum(record.failures for record in self.methods)


def _short(value: object, limit: int = 160) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ProcessRunner:
    def __init__(
        self,
        blob: DataBlob,
        config: ProcessConfig,
        sleep: Sleep | None = None,
        poll_seconds: float | None = None,
        pause_sleep: Sleep = time.sleep,
        pause_poll_seconds: float = PAUSE_POLL_SECONDS,
    ):
        self.blob = blob
        self.config = config
        self.name = config.name
        default, default_poll = default_sleep(blob.clock)
        self._sleep = sleep or default
        self._poll = poll_seconds if sleep is not None else default_poll
        self._pause_sleep = pause_sleep
        self._pause_poll = pause_poll_seconds
        # real seconds between loops in which every method found nothing to do (see _loop)
        self._idle_pause = float(blob.config.get("process_idle_pause_seconds") or 0.0)
        self._control = blob.process_control
        self._previous_unavailable: bool | None = None

    def now(self) -> dt.datetime:
        return self.blob.clock.now()

    # --- the whole run -----------------------------------------------------------------------
    def run(self) -> RunResult:
        records = [MethodRecord(m, self._resolve(m)) for m in self.config.methods]
        declined = self._reason_not_to_start(records)
        if declined is not None:
            blocked = declined.startswith(f"{self.name}: waits for") and self._previous_failed(self.now())
            return RunResult(self.name, False, declined, methods=records, blocked=blocked)

        control_state.claim(self._control, self.name, self.now(), control_state.Me.current())
        outcome, reason = control_state.CRASHED, "runner failed"
        try:
            with log_context(type=self.name):
                log.info("%s started", self.name)
                missing = [r.config.name for r in records if not r.available]
                if missing:
                    log.warning("%s: not available in this version: %s", self.name, ", ".join(missing))
                outcome, reason = self._wait_for_start()
                if outcome is None:
                    outcome, reason = self._wait_for_previous()
                if outcome is None:
                    outcome, reason = self._loop([r for r in records if r.available
                                                  and not r.config.run_on_completion_only])
                for record in records:
                    if record.available and record.config.run_on_completion_only and outcome != control_state.GAVE_UP:
                        self._run_method(record)
                failed = ", ".join(r.config.name for r in records if r.failures)
                if failed:  # whatever ended the run (a STOP too), its headline names the failures
                    reason = f"{reason}; failed: {failed}"
                    if outcome == control_state.COMPLETED:
                        outcome = control_state.COMPLETED_WITH_FAILURES
                log.info("%s finished: %s (%s)", self.name, outcome, reason)
        except (KeyboardInterrupt, SystemExit):
            outcome, reason = control_state.TERMINATED, "terminated by a signal"
            raise
        finally:
            control_state.release(self._control, self.name, self.now(), outcome, reason)
        blocked = outcome == control_state.GAVE_UP and self._previous_failed(self.now())
        return RunResult(self.name, True, reason, outcome, records, blocked=blocked)

    def _resolve(self, method: MethodConfig) -> Job | None:
        """The method's job; None when it is not part of this version. A function the user named
        that does not import is a ConfigError here, before the process claims or runs anything."""
        if method.user_function:
            key = "process_configuration_methods"
            source_of = getattr(self.blob.config, "source_of", None)
            where = f"{source_of(key)}: " if source_of else ""
            where += f"{key}.{self.name}.{method.name}"
            return resolve_user_function(method.target, where)
        job = resolve_job(method.target)
        if job is not None and method.strategy is not None:
            # the strategy's function must import and its backtest config exist: checked now
            from sysproduction.jobs.strategies.strategy_config import PROCESS_PARTS, resolve_part

            resolve_part(self.blob.config, method.name, PROCESS_PARTS[self.name], self.blob.data_root)
            return partial(job, strategy_name=method.name, settings=method.strategy_settings)
        return job

    def _reason_not_to_start(self, records: list[MethodRecord]) -> str | None:
        if not records:
            if self.name in STRATEGY_LAUNCHERS:
                return f"{self.name}: no strategies configured; add them to strategy_list in your private config; nothing run"
            return (
                f"{self.name}: no methods configured; add them under "
                f"process_configuration_methods.{self.name} in your private config; nothing run"
            )
        missing = [r.config.name for r in records if not r.available]
        if records and len(missing) == len(records):
            return (
                f"{self.name}: not available in this version: {', '.join(missing)} "
                "(their jobs are not part of this installation); nothing run"
            )
        status = self._control.get(self.name).status
        if not control_state.may_start(status):
            return (
                f"{self.name}: control status is {status.value}; not started "
                f"(`sysprod control set {self.name} GO` allows it)"
            )
        now = self.now()
        _, stop = self.config.window(now)
        previous = self.config.previous_process
        # With a stop time the process starts and waits for its previous process until then;
        # without one there is no end to the wait, so it declines.
        if previous is not None and stop is None and not self._previous_done(now):
            return f"{self._waiting_for_previous(now)}; not started"
        if stop is not None and now >= stop:
            return (
                f"{self.name}: past its stop time {stop:%H:%M} (now {now:%Y-%m-%d %H:%M}); "
                "not started"
            )
        return None

    # --- waiting ------------------------------------------------------------------------------
    def _wait(self, seconds: float) -> None:
        step = seconds if self._poll is None else min(seconds, self._poll)
        self._sleep(max(step, 0.001))

    def _wait_for_start(self) -> tuple[str | None, str]:
        """Before the start time: wait for it (still honouring STOP)."""
        start, _ = self.config.window(self.now())
        if start is not None and self.now() < start:
            log.info("%s waits for its start time %s", self.name, f"{start:%H:%M}")
        while start is not None and self.now() < start:
            ended = self._between_methods()
            if ended is not None:
                return ended
            self._wait((start - self.now()).total_seconds())
        return None, ""

    def _previous_done(self, now: dt.datetime) -> bool:
        previous = self.config.previous_process
        return (previous is None or self._previous_not_in_this_version
                or control_state.completed_today(self._control, previous, now))

    @property
    def _previous_not_in_this_version(self) -> bool:
        """True when every method of the previous process is a job that comes with a later
        version: it can never complete here, so there is nothing to wait for (waiting would hold
        this process back for ever). A previous process that merely has no methods configured
        (e.g. run_systems without strategies) is still waited for."""
        if self._previous_unavailable is None:
            self._previous_unavailable = False
            if self.config.previous_process is not None:
                previous = load_process_config(self.blob.config, self.config.previous_process)
                self._previous_unavailable = bool(previous.methods) and all(
                    not m.user_function and resolve_job(m.target) is None for m in previous.methods
                )
                if self._previous_unavailable:
                    log.warning(
                        "%s: %s is not available in this version (none of its jobs are part of "
                        "this installation); not waiting for it", self.name, previous.name,
                    )
        return self._previous_unavailable

    def _previous_failed(self, now: dt.datetime) -> bool:
        previous = self.config.previous_process
        return previous is not None and control_state.failed_today(self._control, previous, now)

    def _waiting_for_previous(self, now: dt.datetime) -> str:
        previous = self.config.previous_process
        last = self._control.get(previous)
        when = last.end_time.strftime("%Y-%m-%d %H:%M") if last.end_time else "never"
        if self._previous_failed(now):
            return (
                f"{self.name}: waits for {previous}, which completed with failures today (at "
                f"{when}); check them, then `sysprod control accept {previous}` lets {self.name} start"
            )
        return (
            f"{self.name}: waits for {previous}, which has not completed today "
            f"(last finished: {when}, {last.last_outcome or 'no run'})"
        )

    def _wait_for_previous(self) -> tuple[str | None, str]:
        """Wait (honouring STOP and the stop time) until the previous process has completed today;
        at the stop time give up without running anything, saying why."""
        if self._previous_done(self.now()):
            return None, ""
        log.info("%s", self._waiting_for_previous(self.now()))
        while not self._previous_done(self.now()):
            ended = self._between_methods()
            if ended is not None:
                outcome, why = ended
                if outcome == control_state.COMPLETED:  # the stop time came first
                    return control_state.GAVE_UP, f"{self._waiting_for_previous(self.now())} by {why}; nothing run"
                return ended
            _, stop = self.config.window(self.now())
            remaining = (stop - self.now()).total_seconds() if stop is not None else PREVIOUS_POLL_SECONDS
            self._wait(min(PREVIOUS_POLL_SECONDS, remaining))
        log.info("%s: %s has completed; starting", self.name, self.config.previous_process)
        return None, ""

    def _between_methods(self) -> tuple[str, str] | None:
        """Read the control status and the clock: a reason to end, or None to carry on."""
        while True:
            status = self._control.get(self.name).status
            _, stop = self.config.window(self.now())
            if stop is not None and self.now() >= stop:
                return control_state.COMPLETED, f"stop time {stop:%H:%M} reached"
            if status is ProcessStatus.STOP:
                return control_state.STOPPED, "control status set to STOP"
            if status is not ProcessStatus.PAUSE:
                return None
            self._pause_sleep(self._pause_poll)

    # --- the loop -----------------------------------------------------------------------------
    def _loop(self, records: list[MethodRecord]) -> tuple[str, str]:
        while True:
            ended = self._between_methods()
            if ended is not None:
                return ended
            pending = [r for r in records if not r.exhausted]
            if not pending:
                return control_state.COMPLETED, "all methods done"
            now = self.now()
            due = [r for r in pending if r.is_due(now)]
            if not due:
                next_due = min(r.next_due() for r in pending)  # type: ignore[type-var]
                _, stop = self.config.window(now)
                until = min(next_due, stop) if stop is not None else next_due
                self._wait((until - now).total_seconds())
                continue
            busy = False
            for index, record in enumerate(due):
                if index:
                    ended = self._between_methods()
                    if ended is not None:
                        return ended
                busy = self._run_method(record) or busy
            # Methods run on every loop (the stack handler's) would otherwise poll the broker and
            # the stores as fast as the CPU allows when there is nothing to do; a loop that did
            # nothing waits a moment of real time (whatever the clock) before the next.
            if not busy and self._idle_pause > 0:
                self._pause_sleep(self._idle_pause)

    def _run_method(self, record: MethodRecord) -> bool:
        """Run one method; True unless it is an every-loop method that found nothing to do."""
        assert record.job is not None
        name = record.config.name
        record.last_run = self.now()
        record.executions += 1
        with log_context(type=name):
            try:
                result = record.job(self.blob)
            except Exception as exc:
                record.failures += 1
                record.last_error = _short(
                    f"{type(exc).__name__}: {exc}" if not isinstance(exc, SysprodError) else exc
                )
                # A SysprodError is a user-facing condition (no broker chosen, wrong market): one
                # line. Anything else is a bug and keeps its traceback.
                log.error(
                    "%s.%s failed: %s", self.name, name, record.last_error,
                    exc_info=not isinstance(exc, SysprodError),
                )
                return True
            record.add_result(result)
            failed_items = dict(getattr(result, "failed", None) or {})
            if failed_items:
                record.failures += 1
                record.last_error = _short(
                    f"{len(failed_items)} item(s) failed: {', '.join(failed_items)}"
                )
                log.error("%s.%s failed: %s", self.name, name, record.last_error)
                return True
            # A method run on every loop (the stack handler's, many times a second) would fill the
            # log store with "nothing done" lines: those go to DEBUG; anything done stays INFO.
            every_loop = record.config.frequency_minutes == 0 and record.config.max_executions == -1
            idle = every_loop and not (getattr(result, "updated", None) or getattr(result, "spiked", None))
            log.log(logging.DEBUG if idle else logging.INFO, "%s.%s done%s", self.name, name,
                    f": {record.last_result}" if result else "")
            return not idle


def _describe(result: object) -> tuple[str | None, list[str]]:
    """A job's result as the summary shows it: one headline, then its failed and spiked items
    (a JobSummary's own lines; spikes are held back for a manual check, not failures)."""
    lines = getattr(result, "lines", None)
    if not callable(lines):
        return _short(result), []
    text = [str(line) for line in lines()]
    details = [line.strip() for line in text[1:] if line.strip().startswith(("FAILED", "SPIKE", "STALE"))]
    details = [f"{line} (held back for a manual check)" if line.startswith("SPIKE") else line
               for line in details]
    return _short(text[0] if text else None), [line[:300] for line in details]
