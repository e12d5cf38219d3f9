"""Control-state rules: may a process start, claim it, release it, find dead claimants.

The store holds the facts (sysdata.repos.process_control); this module holds the decisions. A
claim is one atomic update, so two copies started in the same second cannot both win.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, replace

from syscore.exceptions import ConcurrencyError, DataValidationError
from syscore.liveness import hostname, is_alive, process_identity
from sysdata.repos.process_control import ProcessControl, ProcessState, ProcessStatus
from syslogdiag import log_context

log = logging.getLogger(__name__)

COMPLETED = "completed"  # ran to the end of its methods or its stop time, every method ok
COMPLETED_WITH_FAILURES = "completed with failures"  # ran to the end, but a method failed
ACCEPTED = "completed with failures, accepted"  # the user checked the failures and let it count
STOPPED = "stopped"  # ended early on a STOP
TERMINATED = "terminated"  # ended early by a signal (SIGTERM, Ctrl-C)
CRASHED = "crashed"  # the runner itself failed
DIED = "died"  # found dead (killed, machine crash) and marked finished by a later check
GAVE_UP = "gave up"  # waited for its previous process until its stop time; ran nothing


@dataclass(frozen=True)
class Me:
    """This process, as it is written into the control record."""

    pid: int
    host: str
    identity: str | None

    @classmethod
    def current(cls) -> Me:
        pid = os.getpid()
        return cls(pid, hostname(), process_identity(pid))


def holder_is_dead(state: ProcessState, host: str) -> bool | None:
    """True/False for a claimant on this host; None when it runs elsewhere (cannot tell)."""
    if not state.running:
        return False
    if state.host not in (None, host):
        return None
    return not is_alive(state.pid, state.identity)


def claim(control: ProcessControl, name: str, now: dt.datetime, me: Me) -> ProcessState:
    """Mark `name` running by `me`; refuse while another live copy holds it.

    A dead claimant (killed, crashed machine) is marked finished first, with a CRITICAL record.
    """
    found_dead: list[ProcessState] = []

    def change(state: ProcessState) -> ProcessState:
        found_dead.clear()
        if state.running:
            dead = holder_is_dead(state, me.host)
            if dead is None:
                raise ConcurrencyError(
                    f"{name} is marked running on host {state.host} (pid {state.pid}); if that copy "
                    f"is dead, mark it finished there or with `sysprod control mark-finished {name}`"
                )
            if not dead:
                raise ConcurrencyError(
                    f"{name} is already running (pid {state.pid} on {state.host}, started "
                    f"{_fmt(state.start_time)}); not starting a second copy"
                )
            found_dead.append(state)
        return replace(
            state, running=True, pid=me.pid, host=me.host, identity=me.identity,
            start_time=now, end_time=None, last_outcome=None,
        )

    claimed = control.update(name, change)
    for dead in found_dead:
        _report_dead(control, dead, now)
    return claimed


def release(control: ProcessControl, name: str, now: dt.datetime, outcome: str, detail: str = "") -> None:
    """Mark `name` finished (if we still hold it) and keep the run in the history."""
    me = os.getpid()

    def change(state: ProcessState) -> ProcessState:
        if state.running and state.pid != me:
            return state  # someone marked us dead and another copy took over: leave theirs
        return replace(state, running=False, end_time=now, last_outcome=outcome)

    final = control.update(name, change)
    if final.pid == me:
        control.add_history(final, detail)


def mark_dead_processes(control: ProcessControl, now: dt.datetime) -> list[str]:
    """Mark every process whose claimant on this host has died as finished; return their names.

    Several detectors may run at once (`control mark-dead`, `startup`, a new start of the same
    process): each dead run is marked by one compare-and-set on its record, and only the detector
    whose change made the transition records it (history, CRITICAL email), so a dead run is
    reported exactly once.
    """
    host = hostname()
    marked = []
    for name, state in control.all().items():
        if holder_is_dead(state, host) and _mark_died(control, name, state, now):
            _report_dead(control, state, now)
            marked.append(name)
    return marked


def _mark_died(control: ProcessControl, name: str, seen: ProcessState, now: dt.datetime) -> bool:
    """Compare-and-set: running by the dead claimant `seen` -> died. True if this call did it."""
    won: list[bool] = []

    def change(current: ProcessState) -> ProcessState:
        won.clear()  # the store calls this once per transaction; keep only the committed answer
        same_run = (current.running and current.pid == seen.pid
                    and current.identity == seen.identity and current.start_time == seen.start_time)
        if same_run and holder_is_dead(current, hostname()):
            won.append(True)
            return replace(current, running=False, end_time=now, last_outcome=DIED)
        return current

    control.update(name, change)
    return bool(won)


def mark_finished(control: ProcessControl, name: str, now: dt.datetime) -> ProcessState:
    """By hand: the user says the claimant is gone (e.g. it ran on another machine)."""
    released: list[ProcessState] = []

    def change(state: ProcessState) -> ProcessState:
        released.clear()
        if not state.running:
            return state
        released.append(state)
        return replace(state, running=False, end_time=now, last_outcome=DIED)

    after = control.update(name, change)
    for before in released:
        control.add_history(after, "marked finished by hand")
        with log_context(type="process_control"):
            log.warning("%s (pid %s on %s) marked finished by hand", name, before.pid, before.host)
    return after


def accept_failures(control: ProcessControl, name: str, now: dt.datetime) -> ProcessState:
    """The user has checked a run that completed with failures and lets it count as completed,
    so a process waiting for it (previous_process) may start."""
    refusal: list[str] = []

    def change(state: ProcessState) -> ProcessState:
        refusal.clear()
        if state.running:
            refusal.append(f"{name} is running now; accept its failures once it has finished")
        elif state.last_outcome != COMPLETED_WITH_FAILURES:
            refusal.append(
                f"{name}: last run ended '{state.last_outcome or 'no run'}', not "
                f"'{COMPLETED_WITH_FAILURES}'; there is nothing to accept"
            )
        else:
            return replace(state, last_outcome=ACCEPTED)
        return state

    after = control.update(name, change)
    if refusal:
        raise DataValidationError(refusal[0])
    with log_context(type="process_control"):
        log.warning("%s: failures of the run ended %s accepted by hand", name, _fmt(after.end_time))
    return after


def _report_dead(control: ProcessControl, dead: ProcessState, now: dt.datetime) -> None:
    record = replace(dead, running=False, end_time=now, last_outcome=DIED)
    control.add_history(record, "found dead")
    with log_context(type="process_control"):
        log.critical(
            "process %s (pid %s on %s, started %s) died without finishing; marked finished",
            dead.process_name, dead.pid, dead.host, _fmt(dead.start_time),
        )


def completed_today(control: ProcessControl, name: str, now: dt.datetime) -> bool:
    """Has `name` finished a run today (by the clock) with every method ok, or with failures the
    user has accepted, and is it not running now?"""
    state = control.get(name)
    return (
        not state.running
        and state.last_outcome in (COMPLETED, ACCEPTED)
        and state.end_time is not None
        and state.end_time.date() == now.date()
    )


def failed_today(control: ProcessControl, name: str, now: dt.datetime) -> bool:
    """Did `name`'s run today complete with failures nobody has accepted yet?"""
    state = control.get(name)
    return (
        not state.running
        and state.last_outcome == COMPLETED_WITH_FAILURES
        and state.end_time is not None
        and state.end_time.date() == now.date()
    )


def may_start(status: ProcessStatus) -> bool:
    return status in (ProcessStatus.GO, ProcessStatus.PAUSE)


def _fmt(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S") if when else "?"
