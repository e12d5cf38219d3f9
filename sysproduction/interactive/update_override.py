"""`python -m sysproduction.interactive_update_override` (pysystemtrade's name; also `sysprod run
interactive_update_override`): view and change overrides, position limits and instrument locks.

Numbered menus; piped input works (one answer per line), e.g. halve everything strategy `classic`
trades:

    printf '2\\n1\\n1\\n0.5\\n0\\n' | sysprod run interactive_update_override

What each does to the strategy order generator's trades: sysobjects/overrides.py,
sysobjects/position_limits.py, sysdata/repos/instrument_locks.py. The same actions are
`sysprod control override|limit|lock list|set|clear` (sysproduction/cli/control.py), which call the
functions here, so a value is checked the same way wherever it is typed: a bad value (multiplier
1.5, a negative limit, an unknown instrument or strategy) is one line and changes nothing.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from syscore.exceptions import DataValidationError
from sysdata.repos.overrides import scope_label
from sysobjects.overrides import OVERRIDE_HELP, Override
from sysobjects.position_limits import check_limit_value
from sysproduction.control.views import format_rows
from sysproduction.interactive.menu import Prompter, run_menu
from sysproduction.jobs.strategies.strategy_config import strategy_names

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

SCOPES = ("a strategy", "an instrument", "a strategy and an instrument")


# --- checks -----------------------------------------------------------------------------------
def check_instrument(data: DataBlob, code: str) -> str:
    """The instrument code as configured here, or a one-line error."""
    code = code.strip()
    for candidate in (code, code.upper()):
        if candidate and data.instruments.has(candidate):
            return candidate
    raise DataValidationError(
        f"unknown instrument '{code}': not in this installation's instrument config; check the "
        "code (see 'sysprod data list instruments')"
    )


def check_strategy(data: DataBlob, name: str) -> str:
    """A strategy of the config (strategy_list), or a one-line error naming the known ones."""
    name = name.strip()
    known = strategy_names(data.config)
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise DataValidationError(
            f"unknown strategy '{name}'; {hint}known strategies: {', '.join(known) or 'none'} "
            "(strategy_list in your private config)"
        )
    return name


def _scope(data: DataBlob, strategy: str | None, instrument: str | None) -> tuple[str | None, str | None]:
    return (check_strategy(data, strategy) if strategy else None,
            check_instrument(data, instrument) if instrument else None)


# --- views ------------------------------------------------------------------------------------
def override_rows(data: DataBlob) -> list[dict[str, Any]]:
    return [
        {"strategy": e.strategy_name or "(all)", "instrument": e.instrument_code or "(all)",
         "override": e.override.describe(), "set": e.time}
        for e in data.overrides.all()
    ]


def _limit_position(data: DataBlob, instrument: str, strategy: str | None) -> int:
    if strategy:
        return data.strategy_positions.get(strategy, instrument)
    return sum(pos for (_, code), pos in data.strategy_positions.all().items() if code == instrument)


def limit_rows(data: DataBlob) -> list[dict[str, Any]]:
    return [
        {"instrument": e.instrument_code, "strategy": e.strategy_name or "(all)", "limit": e.limit,
         "position": _limit_position(data, e.instrument_code, e.strategy_name), "set": e.time}
        for e in data.position_limits.all()
    ]


def lock_rows(data: DataBlob) -> list[dict[str, Any]]:
    return [{"instrument": code, "locked since": lock["time"], "reason": lock["reason"]}
            for code, lock in data.instrument_locks.all().items()]


def overview(data: DataBlob) -> str:
    return "\n".join([
        "Overrides:", format_rows(override_rows(data), empty="(none: every strategy trades fully)"),
        "", "Position limits:", format_rows(limit_rows(data), empty="(none: positions are not limited)"),
        "", "Instrument locks:", format_rows(lock_rows(data), empty="(none)"),
    ])


def what_applies(data: DataBlob, strategy: str, instrument: str) -> list[str]:
    """Everything the order generator applies to one strategy's trading of one instrument."""
    strategy, instrument = check_strategy(data, strategy), check_instrument(data, instrument)
    entries = data.overrides.applying_to(strategy, instrument)
    combined = data.overrides.cumulative(strategy, instrument)
    lines = [f"{strategy} / {instrument}:"]
    lines += [f"  override of {e.label}: {e.override.describe()}" for e in entries]
    lines.append(f"  combined override: {combined.describe() if entries else 'none'}")
    for label, limit in ((f"instrument {instrument}", data.position_limits.get(instrument)),
                         (f"strategy {strategy} / instrument {instrument}",
                          data.position_limits.get(instrument, strategy))):
        lines.append(f"  position limit of {label}: {'none' if limit is None else limit}")
    reason = data.instrument_locks.reason(instrument)
    lines.append(f"  locked: {reason}" if reason else "  not locked")
    return lines


# --- changes (each returns the line to print) -------------------------------------------------
def set_override(data: DataBlob, strategy: str | None, instrument: str | None, value: str) -> str:
    strategy, instrument = _scope(data, strategy, instrument)
    override = Override.parse(value)
    if not strategy and not instrument:
        raise DataValidationError("an override applies to a strategy, an instrument or both; name one")
    before = data.overrides.get(strategy, instrument)
    data.overrides.set(strategy, instrument, override, data.clock.now())
    after = data.overrides.get(strategy, instrument)
    return (f"override of {scope_label(strategy, instrument)}: "
            f"{before.describe() if before else 'none'} -> {after.describe() if after else 'none'}")


def clear_override(data: DataBlob, strategy: str | None, instrument: str | None) -> str:
    strategy, instrument = _scope(data, strategy, instrument)
    if not strategy and not instrument:
        raise DataValidationError("name the override's --strategy, --instrument or both")
    before = data.overrides.get(strategy, instrument)
    label = scope_label(strategy, instrument)
    if before is None:
        return f"override of {label}: none set, nothing to clear"
    data.overrides.clear(strategy, instrument)
    return f"override of {label}: {before.describe()} -> none"


def _limit_label(instrument: str, strategy: str | None) -> str:
    return f"strategy {strategy} / instrument {instrument}" if strategy else f"instrument {instrument}"


def set_limit(data: DataBlob, instrument: str, limit: str | int, strategy: str | None = None) -> str:
    strategy, instrument = _scope(data, strategy, instrument)
    value = check_limit_value(limit)
    before = data.position_limits.get(instrument, strategy)
    data.position_limits.set(instrument, value, data.clock.now(), strategy)
    return (f"position limit of {_limit_label(instrument, strategy)}: "
            f"{'none' if before is None else before} -> {value}")


def clear_limit(data: DataBlob, instrument: str, strategy: str | None = None) -> str:
    strategy, instrument = _scope(data, strategy, instrument)
    before = data.position_limits.get(instrument, strategy)
    label = _limit_label(instrument, strategy)
    if before is None:
        return f"position limit of {label}: none set, nothing to clear"
    data.position_limits.clear(instrument, strategy)
    return f"position limit of {label}: {before} -> none"


def set_lock(data: DataBlob, instrument: str, reason: str) -> str:
    instrument = check_instrument(data, instrument)
    before = data.instrument_locks.reason(instrument)
    data.instrument_locks.lock(instrument, reason.strip(), data.clock.now())
    was = f"locked ({before})" if before else "not locked"
    return f"{instrument}: {was} -> locked ({data.instrument_locks.reason(instrument)})"


def clear_lock(data: DataBlob, instrument: str) -> str:
    instrument = check_instrument(data, instrument)
    before = data.instrument_locks.reason(instrument)
    if before is None:
        return f"{instrument}: not locked, nothing to clear"
    data.instrument_locks.unlock(instrument)
    return f"{instrument}: locked ({before}) -> not locked"


# --- the menu -----------------------------------------------------------------------------------
def _ask_strategy(data: DataBlob, p: Prompter) -> str | None:
    names = strategy_names(data.config)
    if not names:
        raise DataValidationError("no strategies configured; add them to strategy_list in your private config")
    return p.choose("strategy (number or name; empty to go back)", names)


def _ask_instrument(data: DataBlob, p: Prompter) -> str | None:
    answer = p.ask("instrument code (empty to go back)")
    return check_instrument(data, answer) if answer else None


def _ask_scope(data: DataBlob, p: Prompter) -> tuple[str | None, str | None] | None:
    """(strategy, instrument) of an override; None when the user goes back."""
    scope = p.choose("applies to (empty to go back)", SCOPES)
    if scope is None:
        return None
    strategy = instrument = None
    if "strategy" in scope:
        strategy = _ask_strategy(data, p)
        if strategy is None:
            return None
    if "instrument" in scope:
        instrument = _ask_instrument(data, p)
        if instrument is None:
            return None
    return strategy, instrument


def _ask_limit_scope(data: DataBlob, p: Prompter) -> tuple[str | None, str] | None:
    instrument = _ask_instrument(data, p)
    if instrument is None:
        return None
    which = p.choose("limit of (empty to go back)",
                     ("the instrument (all strategies together)", "one strategy in it"))
    if which is None:
        return None
    strategy = _ask_strategy(data, p) if which.startswith("one") else None
    if which.startswith("one") and strategy is None:
        return None
    return strategy, instrument


def menu(data: DataBlob, prompter: Prompter) -> None:
    def view(p: Prompter) -> None:
        p.write(overview(data))

    def override_set(p: Prompter) -> None:
        scope = _ask_scope(data, p)
        if scope is not None:
            p.write(set_override(data, *scope, p.ask(f"override ({OVERRIDE_HELP})")))

    def override_clear(p: Prompter) -> None:
        scope = _ask_scope(data, p)
        if scope is not None:
            p.write(clear_override(data, *scope))

    def limit_set(p: Prompter) -> None:
        scope = _ask_limit_scope(data, p)
        if scope is not None:
            strategy, instrument = scope
            value = p.ask("largest absolute position, in contracts (0 or more)")
            p.write(set_limit(data, instrument, value, strategy))

    def limit_clear(p: Prompter) -> None:
        scope = _ask_limit_scope(data, p)
        if scope is not None:
            strategy, instrument = scope
            p.write(clear_limit(data, instrument, strategy))

    def lock(p: Prompter) -> None:
        instrument = _ask_instrument(data, p)
        if instrument is not None:
            p.write(set_lock(data, instrument, p.ask("reason (shown wherever the lock stops a trade)")))

    def unlock(p: Prompter) -> None:
        instrument = _ask_instrument(data, p)
        if instrument is not None:
            p.write(clear_lock(data, instrument))

    def applies(p: Prompter) -> None:
        strategy = _ask_strategy(data, p)
        instrument = _ask_instrument(data, p) if strategy else None
        if strategy and instrument:
            for line in what_applies(data, strategy, instrument):
                p.write(line)

    run_menu(
        "Overrides, position limits and locks",
        [
            ("View overrides, position limits and locks", view),
            ("Set an override", override_set),
            ("Clear an override", override_clear),
            ("Set a position limit", limit_set),
            ("Clear a position limit", limit_clear),
            ("Lock an instrument (no new orders)", lock),
            ("Unlock an instrument", unlock),
            ("What applies to one strategy and instrument", applies),
        ],
        prompter,
    )


def interactive_update_override(data: DataBlob, prompter: Prompter | None = None) -> None:
    menu(data, prompter or Prompter())
