"""A process's schedule and methods, read from the `process_configuration_*` config keys.

Shape (pysystemtrade's): `process_configuration_start_time[process] = "HH:MM"`, `..._stop_time`,
`..._previous_process[process] = other_process`, `..._methods[process][method] = {frequency,
max_executions, run_on_completion_only, function}`. defaults.yaml gives each built-in process its
methods and their order, the registry (registry.METHODS) each method's function; config may add
methods (with `function: module:function`) or whole processes of the user's
own. A private config that names one process keeps the defaults of every other process. The
methods of run_systems and run_strategy_order_generator are the strategies: one per strategy of
`strategy_list` (sysproduction/jobs/strategies/strategy_config.py), plus any pysystemtrade's
config defines as a method with `object`/`function`/`backtest_config_filename`; a method of a
strategy's name there may still set frequency, max_executions... A method naming no strategy is
an error.

Every mistake (a process name misspelt under any section, an unknown method or setting, a
function that does not import) is one ConfigError naming the key and the fix, raised when a
process or a control command starts.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from syscore.config import DEFAULTS_PATH
from syscore.exceptions import ConfigError
from syscore.fileio import yaml_load
from sysproduction.control import registry
from sysproduction.jobs.strategies import strategy_config

KEYS = {
    "start": "process_configuration_start_time",
    "stop": "process_configuration_stop_time",
    "previous": "process_configuration_previous_process",
    "methods": "process_configuration_methods",
}
METHOD_FIELDS = {"frequency", "max_executions", "run_on_completion_only", "function"}
# pysystemtrade's per-strategy settings of run_systems / run_strategy_order_generator methods
# (the strategy's, read by strategy_config; `function` there is the strategy's function too)
STRATEGY_FIELDS = {"object", "backtest_config_filename"}


@dataclass(frozen=True)
class MethodConfig:
    name: str
    target: str  # "module:function"
    frequency_minutes: float = 0.0  # minutes between runs; 0 = every loop
    max_executions: int = 1  # -1 = until the process stops
    run_on_completion_only: bool = False
    user_function: bool = False  # named by `function:` in config rather than by the registry
    # a strategy method of run_systems / run_strategy_order_generator: its strategy's settings
    # (strategy_config.strategy_settings: overnight_launcher, order_generator), given to the
    # process's strategy job
    strategy: tuple[tuple[str, Any], ...] | None = None

    @property
    def strategy_settings(self) -> dict[str, Any] | None:
        return dict(self.strategy) if self.strategy is not None else None


@dataclass(frozen=True)
class ProcessConfig:
    name: str
    start_time: dt.time | None
    stop_time: dt.time | None
    previous_process: str | None
    methods: tuple[MethodConfig, ...]

    @property
    def loop_methods(self) -> tuple[MethodConfig, ...]:
        return tuple(m for m in self.methods if not m.run_on_completion_only)

    @property
    def completion_methods(self) -> tuple[MethodConfig, ...]:
        return tuple(m for m in self.methods if m.run_on_completion_only)

    def window(self, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The run window around `now`: (start, stop) datetimes; a stop at or before the start
        means the window runs past midnight."""
        start = dt.datetime.combine(now.date(), self.start_time) if self.start_time else None
        stop = dt.datetime.combine(now.date(), self.stop_time) if self.stop_time else None
        if start is not None and stop is not None and stop <= start:
            if now.time() < self.stop_time:  # inside a window that began yesterday
                start -= dt.timedelta(days=1)
            else:
                stop += dt.timedelta(days=1)
        return start, stop


_defaults_cache: dict[str, Any] | None = None


def _defaults() -> dict[str, Any]:
    global _defaults_cache
    if _defaults_cache is None:
        loaded = yaml_load(DEFAULTS_PATH.read_text()) or {}
        _defaults_cache = {key: loaded.get(key) or {} for key in KEYS.values()}
    return _defaults_cache


def merged_section(config: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Defaults for every process, overlaid per process by the config's value (null removes)."""
    merged = dict(_defaults()[key])
    value = config[key] if key in config else {}
    if not isinstance(value, dict):
        raise ConfigError(f"{_source(config, key)}: '{key}' must be a mapping of process -> value")
    for process, entry in value.items():
        if entry is None:
            merged.pop(process, None)
        elif key == KEYS["methods"] and isinstance(entry, dict):
            methods = dict(merged.get(process) or {})
            for method, fields in entry.items():
                if fields is None:
                    methods.pop(method, None)
                else:
                    methods[method] = {**(methods.get(method) or {}), **(fields or {})}
            merged[process] = methods
        else:
            merged[process] = entry
    return merged


def _source(config: Mapping[str, Any], key: str) -> str:
    source_of = getattr(config, "source_of", None)
    return source_of(key) if source_of else "config"


def parse_time(value: Any, where: str) -> dt.time | None:
    """"HH:MM" (or YAML's unquoted 07:00, which it reads as minutes since midnight)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    if isinstance(value, str):
        try:
            hours, minutes = value.strip().split(":")
            return dt.time(int(hours), int(minutes))
        except ValueError:
            pass
    raise ConfigError(f"{where}: time {value!r} is not HH:MM (e.g. \"07:00\"); fix it")


def process_names(config: Mapping[str, Any]) -> list[str]:
    """Every known process: the registry's, then the user's own from config."""
    names = list(registry.PROCESSES)
    names += [p for p in merged_section(config, KEYS["methods"]) if p not in registry.PROCESSES]
    return names


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


def canonical_name(config: Mapping[str, Any], name: str) -> str:
    """`stack_handler` / `run_stack_handler` -> `run_stack_handler`, or a clear error."""
    known = process_names(config)
    for candidate in (name, f"run_{name}"):
        if candidate in known:
            return candidate
    raise ConfigError(
        f"unknown process '{name}'; {_did_you_mean(name, known)}known processes: {', '.join(known)}"
    )


def validate_process_config(config: Mapping[str, Any]) -> None:
    """Check every process_configuration_* entry without importing anything: each process named
    under start/stop/previous is a known process, and every process's methods parse. Called
    whenever a process or control command starts, so a typo anywhere fails at once in one line
    instead of silently leaving a default in force."""
    for process in merged_section(config, KEYS["methods"]):
        _parse_methods(config, process)
    known = process_names(config)
    for field in ("start", "stop", "previous"):
        key = KEYS[field]
        own = config[key] if key in config else {}
        for process in own or {}:
            if process not in known:
                raise ConfigError(
                    f"{_source(config, key)}: {key}.{process}: unknown process; "
                    f"{_did_you_mean(str(process), known)}known processes: {', '.join(known)}"
                )


    for process in merged_section(config, KEYS["previous"]):
        _previous_of(config, process)


def _previous_of(config: Mapping[str, Any], name: str) -> str | None:
    previous = merged_section(config, KEYS["previous"]).get(name)
    if previous is None:
        return None
    try:
        return canonical_name(config, str(previous))
    except ConfigError as exc:
        raise ConfigError(f"{_source(config, KEYS['previous'])}: {KEYS['previous']}.{name}: {exc}") from None


def load_process_config(config: Mapping[str, Any], name: str) -> ProcessConfig:
    validate_process_config(config)
    name = canonical_name(config, name)
    methods = _parse_methods(config, name)
    start = parse_time(merged_section(config, KEYS["start"]).get(name), f"{KEYS['start']}.{name}")
    stop = parse_time(merged_section(config, KEYS["stop"]).get(name), f"{KEYS['stop']}.{name}")
    return ProcessConfig(name, start, stop, _previous_of(config, name), tuple(methods))


def _parse_methods(config: Mapping[str, Any], name: str) -> list[MethodConfig]:
    where = f"{_source(config, KEYS['methods'])}: {KEYS['methods']}.{name}"
    configured = merged_section(config, KEYS["methods"]).get(name) or {}
    if not isinstance(configured, dict):
        raise ConfigError(f"{where} must be a mapping of method -> settings")
    if name in registry.STRATEGY_LAUNCHERS:
        return _strategy_methods(config, name, configured, where)
    registered = registered_methods(name)
    order = list(registered) + [m for m in configured if m not in registered]
    return [
        _method_config(name, method, configured.get(method) or {}, registered, f"{where}.{method}")
        for method in order
    ]


def registered_methods(process: str) -> dict[str, str]:
    """A built-in process's methods, in order, from defaults.yaml, each with its registry
    function (an empty mapping for a process of the user's own)."""
    if process not in registry.PROCESSES:
        return {}
    methods = _defaults()[KEYS["methods"]].get(process) or {}
    return {method: registry.METHODS[method] for method in methods}


def _method_config(process: str, method: str, fields: Any, registered: Mapping[str, str],
                   where: str) -> MethodConfig:
    if not isinstance(fields, dict):
        raise ConfigError(f"{where} must be a mapping (frequency, max_executions...)")
    allowed = METHOD_FIELDS
    unknown = sorted(set(fields) - allowed)
    if unknown:
        hint = _did_you_mean(str(unknown[0]), sorted(allowed))
        raise ConfigError(
            f"{where}: unknown setting(s) {', '.join(map(str, unknown))}; {hint}use "
            f"{', '.join(sorted(allowed))}"
        )
    function = fields.get("function")
    own = isinstance(function, str) and ":" in function
    if function is not None and not own:
        raise ConfigError(f"{where}: function {function!r} is not module:function; fix it")
    parsed = _method(method, "", fields, where)
    if own:
        return replace(parsed, target=function, user_function=True)
    if method in registered:
        return replace(parsed, target=registered[method])
    if registered:
        raise ConfigError(
            f"{where}: unknown method; {_did_you_mean(method, list(registered))}"
            f"{process} has {', '.join(registered)} (a method of your own needs function: "
            "module:function)"
        )
    raise ConfigError(
        f"{where}: no function for this method; {_unknown_process_hint(process)}"
        "a process of your own gives each method function: module:function"
    )


def _strategy_methods(config: Mapping[str, Any], process: str, configured: Mapping[str, Any],
                      where: str) -> list[MethodConfig]:
    """One method per strategy (strategy_list, then pysystemtrade-style methods), each with its
    strategy's settings; a configured method that names no strategy is an error."""
    names = strategy_config.strategy_names(config)
    for method in configured:
        if str(method) not in names:
            raise strategy_config.unknown_strategy_error(config, str(method), f"{where}.{method}")
    methods = []
    for name in names:
        parsed = _strategy_method(process, name, configured.get(name) or {}, f"{where}.{name}")
        settings = strategy_config.strategy_settings(config, name)
        methods.append(replace(parsed, strategy=tuple(settings.items())))
    return methods


def _strategy_method(process: str, method: str, fields: Any, where: str) -> MethodConfig:
    if not isinstance(fields, dict):
        raise ConfigError(f"{where} must be a mapping (frequency, max_executions...)")
    allowed = METHOD_FIELDS | STRATEGY_FIELDS
    unknown = sorted(set(fields) - allowed)
    if unknown:
        hint = _did_you_mean(str(unknown[0]), sorted(allowed))
        raise ConfigError(
            f"{where}: unknown setting(s) {', '.join(map(str, unknown))}; {hint}use "
            f"{', '.join(sorted(allowed))}"
        )
    return _method(method, registry.STRATEGY_LAUNCHERS[process], fields, where)


def _unknown_process_hint(process: str) -> str:
    close = difflib.get_close_matches(process, list(registry.PROCESSES), n=1, cutoff=0.6)
    return f"is '{process}' a misspelt '{close[0]}'? otherwise " if close else ""


def _method(name: str, target: str, fields: dict[str, Any], where: str) -> MethodConfig:
    frequency = fields.get("frequency", 0)
    max_executions = fields.get("max_executions", 1)
    completion = fields.get("run_on_completion_only", False)
    if isinstance(frequency, bool) or not isinstance(frequency, int | float) or frequency < 0:
        raise ConfigError(f"{where}: frequency must be minutes >= 0, got {frequency!r}")
    if isinstance(max_executions, bool) or not isinstance(max_executions, int) or max_executions < -1:
        raise ConfigError(f"{where}: max_executions must be a whole number (-1 = no limit)")
    if not isinstance(completion, bool):
        raise ConfigError(f"{where}: run_on_completion_only must be true or false")
    return MethodConfig(name, target, float(frequency), max_executions, completion)
