"""A process's schedule and methods, read from the `process_configuration_*` config keys.

Shape (pysystemtrade's): `process_configuration_start_time[process] = "HH:MM"`, `..._stop_time`,
`..._previous_process[process] = other_process`, `..._methods[process][method] = {frequency,
max_executions, run_on_completion_only, function}`. The registry gives each method's function and
order; config may add methods (with `function: module:function`) or whole processes of the user's
own. A private config that names one process keeps the defaults of every other process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from syscore.config import DEFAULTS_PATH
from syscore.exceptions import ConfigError
from sysproduction.control.process_registry import PROCESS_METHODS

KEYS = {
    "start": "process_configuration_start_time",
    "stop": "process_configuration_stop_time",
    "previous": "process_configuration_previous_process",
    "methods": "process_configuration_methods",
}
METHOD_FIELDS = {"frequency", "max_executions", "run_on_completion_only", "function"}


@dataclass(frozen=True)
class MethodConfig:
    name: str
    target: str  # "module:function"
    frequency_minutes: float = 0.0  # minutes between runs; 0 = every loop
    max_executions: int = 1  # -1 = until the process stops
    run_on_completion_only: bool = False
    user_function: bool = False  # named by `function:` in config rather than by the registry


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
        loaded = yaml.safe_load(DEFAULTS_PATH.read_text()) or {}
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
    names = list(PROCESS_METHODS)
    names += [p for p in merged_section(config, KEYS["methods"]) if p not in PROCESS_METHODS]
    return names


def canonical_name(config: Mapping[str, Any], name: str) -> str:
    """`stack_handler` / `run_stack_handler` -> `run_stack_handler`, or a clear error."""
    known = process_names(config)
    for candidate in (name, f"run_{name}"):
        if candidate in known:
            return candidate
    raise ConfigError(f"unknown process '{name}'; known processes: {', '.join(known)}")


def load_process_config(config: Mapping[str, Any], name: str) -> ProcessConfig:
    name = canonical_name(config, name)
    where = f"{_source(config, KEYS['methods'])}: {KEYS['methods']}.{name}"
    configured = merged_section(config, KEYS["methods"]).get(name) or {}
    if not isinstance(configured, dict):
        raise ConfigError(f"{where} must be a mapping of method -> settings")
    registered = PROCESS_METHODS.get(name, {})
    order = list(registered) + [m for m in configured if m not in registered]
    methods = []
    for method in order:
        fields = configured.get(method) or {}
        if not isinstance(fields, dict):
            raise ConfigError(f"{where}.{method} must be a mapping (frequency, max_executions...)")
        unknown = sorted(set(fields) - METHOD_FIELDS)
        if unknown:
            raise ConfigError(
                f"{where}.{method}: unknown setting(s) {', '.join(unknown)}; "
                f"use {', '.join(sorted(METHOD_FIELDS))}"
            )
        target = fields.get("function") or registered.get(method)
        if not target or ":" not in str(target):
            raise ConfigError(
                f"{where}.{method}: no function for this method; add function: module:function"
            )
        methods.append(_method(method, str(target), fields, f"{where}.{method}"))
        if fields.get("function"):
            methods[-1] = replace(methods[-1], user_function=True)
    start = parse_time(merged_section(config, KEYS["start"]).get(name), f"{KEYS['start']}.{name}")
    stop = parse_time(merged_section(config, KEYS["stop"]).get(name), f"{KEYS['stop']}.{name}")
    previous = merged_section(config, KEYS["previous"]).get(name)
    if previous is not None:
        previous = canonical_name(config, str(previous))
    return ProcessConfig(name, start, stop, previous, tuple(methods))


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
