"""A strategy's settings, read from `strategy_list` (and pysystemtrade's per-process settings).

Shape (defaults.yaml documents it):

    strategy_list:
      classic:
        overnight_launcher:
          function: sysproduction.jobs.strategies.classic_launcher:run_classic_system
          backtest_config_filename: systems/provided/futures_chapter15.yaml
        order_generator:
          function: sysproduction.jobs.strategies.buffered_orders:generate_buffered_orders

A part may name pysystemtrade's class (`object: sysproduction.strategy_code.run_system_classic.
runSystemClassic`, `object: sysexecution.strategies.classic_buffered_positions.
orderGeneratorForBufferedPositions`) instead of `function`: it means the provided function that
does the same. A part without either gets the provided one. pysystemtrade's own config gives a
strategy only as a method of run_systems / run_strategy_order_generator (`my_strategy: {object:
..., backtest_config_filename: ...}` under process_configuration_methods); such a method is a
strategy too, and its settings fill in the part of its process (a value given in both places must
agree). pysystemtrade's `load_backtests` and `reporting_code` entries are accepted and not used.

Checks without importing anything (`strategy_settings`) run whenever the process config is read;
`resolve_part` imports the function and finds the backtest config file when the process starts.
Every mistake is one ConfigError naming the key, the file and the fix.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from syscore.config import PROJECT_ROOT
from syscore.exceptions import ConfigError

STRATEGY_LIST = "strategy_list"
METHODS_KEY = "process_configuration_methods"
LAUNCHER = "overnight_launcher"
GENERATOR = "order_generator"
# the part of a strategy each process runs
PROCESS_PARTS = {"run_systems": LAUNCHER, "run_strategy_order_generator": GENERATOR}
CLASSIC_LAUNCHER = "sysproduction.jobs.strategies.classic_launcher:run_classic_system"
BUFFERED_GENERATOR = "sysproduction.jobs.strategies.buffered_orders:generate_buffered_orders"
DEFAULT_FUNCTIONS = {LAUNCHER: CLASSIC_LAUNCHER, GENERATOR: BUFFERED_GENERATOR}
# pysystemtrade's class names -> the provided functions that do their work here
PYSYSTEMTRADE_OBJECTS = {
    "sysproduction.strategy_code.run_system_classic.runSystemClassic": CLASSIC_LAUNCHER,
    "sysexecution.strategies.classic_buffered_positions.orderGeneratorForBufferedPositions": BUFFERED_GENERATOR,
}
PYSYSTEMTRADE_UNUSED = ("load_backtests", "reporting_code")
STRATEGY_KEYS = (LAUNCHER, GENERATOR, *PYSYSTEMTRADE_UNUSED)
# settings of a strategy method under process_configuration_methods that belong to the strategy
METHOD_STRATEGY_FIELDS = ("object", "function", "backtest_config_filename")
BACKTEST_CONFIG = "backtest_config_filename"


def _source(config: Mapping[str, Any], key: str) -> str:
    source_of = getattr(config, "source_of", None)
    return source_of(key) if source_of else "config"


def _strategy_list(config: Mapping[str, Any]) -> dict[str, Any]:
    value = config[STRATEGY_LIST] if STRATEGY_LIST in config else {}
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{_source(config, STRATEGY_LIST)}: '{STRATEGY_LIST}' must be a mapping of "
                          "strategy name -> {overnight_launcher, order_generator}")
    return dict(value)


def _process_methods(config: Mapping[str, Any], process: str) -> dict[str, Any]:
    from sysproduction.control.process_config import merged_section  # the one merge of defaults

    methods = merged_section(config, METHODS_KEY).get(process) or {}
    return dict(methods) if isinstance(methods, Mapping) else {}


def _defines_strategy(fields: Any) -> bool:
    return isinstance(fields, Mapping) and any(k in fields for k in METHOD_STRATEGY_FIELDS)


def strategy_names(config: Mapping[str, Any]) -> list[str]:
    """Every strategy: those of strategy_list in their order, then those pysystemtrade's config
    defines as a method (with object/function/backtest_config_filename) of run_systems or
    run_strategy_order_generator."""
    names = [str(n) for n in _strategy_list(config)]
    for process in PROCESS_PARTS:
        for method, fields in _process_methods(config, process).items():
            if str(method) not in names and _defines_strategy(fields):
                names.append(str(method))
    return names


def unknown_strategy_error(config: Mapping[str, Any], name: str, where: str) -> ConfigError:
    known = strategy_names(config)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    listed = ", ".join(known) if known else "none"
    return ConfigError(
        f"{where}: unknown strategy '{name}'; {hint}known strategies: {listed} (add it to "
        f"{STRATEGY_LIST} in your private config)"
    )


def strategy_settings(config: Mapping[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """{overnight_launcher: {function, backtest_config_filename, ...}, order_generator: {function,
    ...}} of a strategy, each `function` a "module:function" (pysystemtrade's object names
    translated); one-line ConfigError for an unknown strategy naming the known ones."""
    listed = _strategy_list(config)
    where = f"{_source(config, STRATEGY_LIST)}: {STRATEGY_LIST}.{name}"
    if name not in listed and name not in strategy_names(config):
        raise unknown_strategy_error(config, name, _source(config, STRATEGY_LIST))
    entry = listed.get(name) or {}
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a mapping with {LAUNCHER} and {GENERATOR}")
    unknown = sorted(str(k) for k in entry if k not in STRATEGY_KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], STRATEGY_KEYS, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"{where}: unknown setting '{unknown[0]}'; {hint}use {LAUNCHER} and {GENERATOR}")
    settings: dict[str, dict[str, Any]] = {}
    for process, part in PROCESS_PARTS.items():
        given = entry.get(part) or {}
        if not isinstance(given, Mapping):
            raise ConfigError(f"{where}.{part} must be a mapping (function: module:function, ...)")
        merged = dict(given)
        method = _process_methods(config, process).get(name)
        method_where = f"{_source(config, METHODS_KEY)}: {METHODS_KEY}.{process}.{name}"
        if isinstance(method, Mapping):
            for field in METHOD_STRATEGY_FIELDS:
                if field not in method:
                    continue
                if field in merged and merged[field] != method[field]:
                    raise ConfigError(
                        f"{method_where}: {field} {method[field]!r} differs from {STRATEGY_LIST}."
                        f"{name}.{part}.{field} {merged[field]!r}; give it in one place"
                    )
                merged[field] = method[field]
        settings[part] = _normalise_part(merged, part, f"{where}.{part}")
    return settings


def _normalise_part(part: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    """`object` -> the provided function; no function -> the provided one; check the shape."""
    if "object" in part:
        obj = part.pop("object")
        target = PYSYSTEMTRADE_OBJECTS.get(obj) if isinstance(obj, str) else None
        if target is None:
            raise ConfigError(
                f"{where}: object {obj!r} is not one this version provides ("
                f"{', '.join(PYSYSTEMTRADE_OBJECTS)}); name a function instead: "
                "function: module:function"
            )
        if "function" in part and part["function"] != target:
            raise ConfigError(f"{where}: give either object or function, not both")
        part["function"] = target
    function = part.setdefault("function", DEFAULT_FUNCTIONS[name])
    if not isinstance(function, str) or ":" not in function:
        raise ConfigError(f"{where}: function {function!r} is not module:function; fix it")
    if name == LAUNCHER and BACKTEST_CONFIG in part and not isinstance(part[BACKTEST_CONFIG], str):
        raise ConfigError(f"{where}.{BACKTEST_CONFIG} must be a file path, not {part[BACKTEST_CONFIG]!r}")
    return part


def backtest_config_path(value: str, data_root: Path | None, where: str) -> Path:
    """The backtest config file a strategy names: an absolute path; a path relative to the data
    root or to the project (systems/provided/futures_chapter15.yaml); or pysystemtrade's dotted
    form (systems.provided.futures_chapter15.yaml)."""
    path = Path(value).expanduser()
    candidates = [path] if path.is_absolute() else [
        *([Path(data_root) / path] if data_root is not None else []), PROJECT_ROOT / path,
    ]
    stem, dot, suffix = value.rpartition(".")
    if dot and "/" not in value and suffix in ("yaml", "yml"):
        candidates.append(PROJECT_ROOT / Path(*stem.split(".")).with_suffix(f".{suffix}"))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise ConfigError(
        f"{where}.{BACKTEST_CONFIG}: {value}: no such file (looked at {looked}); give the path of "
        "a backtest config, e.g. systems/provided/futures_chapter15.yaml"
    )


def resolve_part(
    config: Mapping[str, Any], name: str, part: str, data_root: Path | None
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The function a process runs for a strategy and its keyword arguments: imports it now, so
    a mistake fails when the process starts."""
    if name in _strategy_list(config):
        where = f"{_source(config, STRATEGY_LIST)}: {STRATEGY_LIST}.{name}.{part}"
    else:  # defined by pysystemtrade's per-process settings
        process = next(p for p, q in PROCESS_PARTS.items() if q == part)
        where = f"{_source(config, METHODS_KEY)}: {METHODS_KEY}.{process}.{name}"
    return resolve_settings(strategy_settings(config, name), name, part, data_root, where)


def resolve_settings(
    settings: Mapping[str, Any], name: str, part: str, data_root: Path | None, where: str | None = None
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """`resolve_part` on settings already read (`strategy_settings`): (function, kwargs), the
    backtest config file made an absolute path."""
    from sysproduction.control.registry import resolve_user_function

    where = where or f"{STRATEGY_LIST}.{name}.{part}"
    kwargs = dict(settings[part])
    function = resolve_user_function(kwargs.pop("function"), where)
    if BACKTEST_CONFIG in kwargs:
        kwargs[BACKTEST_CONFIG] = str(backtest_config_path(kwargs[BACKTEST_CONFIG], data_root, where))
    elif part == LAUNCHER and settings[part]["function"] == CLASSIC_LAUNCHER:
        raise ConfigError(
            f"{where}: no {BACKTEST_CONFIG}; add one (e.g. systems/provided/futures_chapter15.yaml)"
        )
    try:
        inspect.signature(function).bind(None, name, **kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {settings[part]['function']} cannot take these arguments ({exc}); fix them") from None
    except ValueError:
        pass  # no signature to check (a builtin): checked when called
    return function, kwargs
