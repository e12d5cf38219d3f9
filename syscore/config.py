"""Config: defaults.yaml <- private config <- environment, validated once at start.

Lower layers never read config files (DESIGN §3): a process loads a `Config` here once and passes
values down. Every mistake (unknown key, wrong type, missing required value) fails immediately
with one line naming the key and the file, so a typo never silently leaves a default in force.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from syscore.exceptions import ConfigError
from syscore.fileio import yaml_load

DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "sysproduction" / "config" / "defaults.yaml"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SYSPROD_"

# Mappings whose inner keys are the user's own (strategy names, process names...): their inner
# keys are not checked against the defaults.
FREE_FORM_KEYS = frozenset(
    {
        "strategy_list",
        "strategy_weights",
        "process_configuration_start_time",
        "process_configuration_stop_time",
        "process_configuration_previous_process",
        "process_configuration_methods",
        "fx_pairs",
    }
)

# Mappings naming a function and its keyword arguments -> the name of the provided function:
# while `function` names it (by any module path: pysystemtrade's is accepted too), the inner keys
# are checked against the defaults (a typo is caught); when it names the user's own function,
# they are that function's own keyword arguments.
PROVIDED_FUNCTIONS: dict[str, str] = {"strategy_capital_allocation": "weighted_strategy_allocation"}


def _users_own_function(key: str, value: Any) -> bool:
    provided = PROVIDED_FUNCTIONS.get(key)
    if provided is None or not isinstance(value, dict) or "function" not in value:
        return False
    return str(value["function"]).replace(":", ".").rsplit(".", 1)[-1] != provided


CHOICES: dict[str, tuple[str, ...]] = {
    "timeseries_store": ("parquet", "arctic"),
    "document_store": ("sqlite", "mongo"),
    "broker": ("sim", "ib"),
    "clock": ("wall", "simulated"),
    "sim_market": ("synthetic", "replay"),
    "production_capital_method": ("full", "half", "fixed"),
}

# Keys that may be left empty (null) in the defaults although they are choices: an installation
# chooses its broker when it is created (`sysprod init DIR --broker sim|ib`), never by default.
UNSET_ALLOWED = frozenset({"broker"})

# Numeric keys and their allowed range: key -> (lowest, highest, lowest allowed itself?).
# None = no bound. Out of range is an error at start, not a surprise later (a negative spike
# threshold would hold back every price).
RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "max_price_spike": (0, None, False),
    "process_idle_pause_seconds": (0, 60, True),
    "max_capital_change": (0, None, False),
    "max_stale_days": (0, None, True),
    "roll_max_price_gap_days": (0, None, False),
    "sqlite_busy_timeout_seconds": (0, None, True),
    "auto_roll_passive_days": (0, None, True),
    "auto_roll_force_outright_days_to_expiry": (0, None, True),
    "auto_roll_max_days_in_force": (1, None, True),
    "backup_generations": (1, None, True),
    "auto_roll_volume_ratio": (0, None, False),
    "ib_port": (1, 65535, True),
    "mongo_port": (1, 65535, True),
    "ib_idoffset": (0, None, True),
    "sim_seed": (0, 2**32 - 1, True),
    "sim_initial_cash": (0, None, True),
    "sim_fill_latency_seconds": (0, None, True),
    "sim_partial_fill_fraction": (0, 1, False),
    "email_port": (1, 65535, True),
    "email_timeout_seconds": (0, None, False),
    "log_retention_days": (1, None, True),
    "echo_retention_days": (1, None, True),
    "backtest_state_retention_days": (1, None, True),
    "best_algo_passive_timeout_minutes": (0, None, False),
    "costs_report_days": (1, None, True),
    "costs_report_min_fills": (1, None, True),
    "liquidity_volume_days": (1, None, True),
    "liquidity_min_contracts_per_day": (0, None, True),
    "liquidity_min_risk_per_day_millions": (0, None, True),
}
# Keys holding a date written YYYY-MM-DD.
DATE_KEYS = ("sim_history_start",)

# Keys that must always hold a value.
ALWAYS_REQUIRED = ("data_root", "base_currency")
# key -> (condition key, condition value): the key must be set when the condition holds.
CONDITIONALLY_REQUIRED: dict[str, tuple[str, str]] = {
    "ib_ipaddress": ("broker", "ib"),
    "ib_port": ("broker", "ib"),
    "sim_replay_source": ("sim_market", "replay"),
}
# key -> other key: the key must be set whenever the other key is set.
REQUIRED_WHEN_SET: dict[str, str] = {"email_server": "email_address"}


class Config(Mapping[str, Any]):
    """Read-only merged config that remembers which file each value came from."""

    def __init__(self, values: dict[str, Any], sources: dict[str, str]):
        self._values = values
        self._sources = sources

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise ConfigError(f"config key '{key}' is not defined in {DEFAULTS_PATH}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def source_of(self, key: str) -> str:
        """The file (or environment variable) the value of `key` came from."""
        return self._sources.get(key, str(DEFAULTS_PATH))

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "override") -> Config:
        """A copy with some values replaced (validated like a private config)."""
        values = dict(self._values)
        sources = dict(self._sources)
        _merge_checked(values, sources, dict(overrides), source, defaults=self._values)
        return Config(values, sources)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror}); check the path") from None
    try:
        loaded = yaml_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where} is not valid YAML; fix the syntax") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: a config file must be a mapping of key: value")
    return loaded


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string",
            dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)


def _check_type(key: str, default: Any, value: Any, source: str) -> Any:
    if value is None or default is None:
        if default is None and value is not None and not isinstance(value, str | int | float):
            raise ConfigError(f"{source}: '{key}' must be a string, not {_type_name(value)}")
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            value = float(value)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(
            f"{source}: '{key}' must be {_type_name(default)}, got {value!r}"
        )
    return value


def _merge_checked(
    values: dict[str, Any],
    sources: dict[str, str],
    overrides: dict[str, Any],
    source: str,
    defaults: Mapping[str, Any],
    prefix: str = "",
) -> None:
    for key, value in overrides.items():
        full = f"{prefix}{key}"
        if not isinstance(key, str) or key not in defaults:
            close = difflib.get_close_matches(str(key), [str(k) for k in defaults], n=1)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else "; remove it"
            raise ConfigError(f"{source}: unknown config key '{full}'{hint}")
        default = defaults[key]
        if isinstance(default, dict) and default and key not in FREE_FORM_KEYS \
                and not _users_own_function(key, value):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: '{full}' must be a mapping, got {value!r}")
            merged = dict(default)
            inner_sources: dict[str, str] = {}
            _merge_checked(merged, inner_sources, value, source, default, prefix=f"{full}.")
            values[key] = merged
        else:
            values[key] = _check_type(full, default, value, source)
        sources[key] = source


def _env_overrides(defaults: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    found: dict[str, tuple[Any, str]] = {}
    for key, default in defaults.items():
        name = ENV_PREFIX + key.upper()
        if name in env and not isinstance(default, dict | list):
            raw = env[name]
            value: Any = raw if isinstance(default, str) or default is None else _env_yaml(name, raw)
            found[key] = (value, f"environment variable {name}")
    return found


def _env_yaml(name: str, raw: str) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        raise ConfigError(
            f"environment variable {name}: {raw!r} is not a valid value; give a plain value (e.g. 42) "
            f"or unset {name}"
        ) from None


def default_private_config_path(data_root: Path | None) -> Path | None:
    """The private config used when none is named: <data_root>/private_config.yaml, else the
    project's private/private_config.yaml; None when neither exists."""
    candidates = []
    if data_root is not None:
        candidates.append(Path(data_root).expanduser() / "private_config.yaml")
    candidates.append(PROJECT_ROOT / "private" / "private_config.yaml")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def load_config(
    private_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    defaults_path: Path = DEFAULTS_PATH,
) -> Config:
    """Merge defaults, the private config file (if any) and environment overrides, and validate."""
    env = os.environ if env is None else env
    defaults = _read_yaml(defaults_path)
    values = dict(defaults)
    sources: dict[str, str] = {}
    if private_path is not None:
        path = Path(private_path).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found; check --config / SYSPROD_CONFIG")
        _merge_checked(values, sources, _read_yaml(path), str(path), defaults)
    for key, (value, source) in _env_overrides(defaults, env).items():
        _merge_checked(values, sources, {key: value}, source, defaults)
    config = Config(values, sources)
    _check_choices_and_requirements(config)
    return config


def _check_choices_and_requirements(config: Config) -> None:
    for key, allowed in CHOICES.items():
        if config[key] is None and key in UNSET_ALLOWED:
            continue
        if config[key] not in allowed:
            raise ConfigError(
                f"{config.source_of(key)}: '{key}' is {config[key]!r}; choose one of {', '.join(allowed)}"
            )
    for key in ALWAYS_REQUIRED:
        if config[key] in (None, ""):
            raise ConfigError(f"{config.source_of(key)}: '{key}' is required; give it a value")
    for key, other in REQUIRED_WHEN_SET.items():
        if config[other] not in (None, "") and config[key] in (None, ""):
            raise ConfigError(
                f"{config.source_of(other)}: '{key}' is required when '{other}' is set; set it"
            )
    for key, (cond_key, cond_value) in CONDITIONALLY_REQUIRED.items():
        if config[cond_key] == cond_value and config[key] in (None, ""):
            raise ConfigError(
                f"{config.source_of(cond_key)}: '{key}' is required when {cond_key} is {cond_value}; set it"
            )
    _check_ranges(config)
    _check_dates(config)
    _check_replay_source(config)


def _check_ranges(config: Config) -> None:
    for key, (low, high, low_inclusive) in RANGES.items():
        value = config.get(key)
        if value is None:
            continue
        too_low = low is not None and (value < low if low_inclusive else value <= low)
        too_high = high is not None and value > high
        if too_low or too_high:
            low_text = "" if low is None else (f"at least {low}" if low_inclusive else f"above {low}")
            high_text = "" if high is None else f"at most {high}"
            wanted = " and ".join(t for t in (low_text, high_text) if t)
            raise ConfigError(f"{config.source_of(key)}: '{key}' is {value!r}; give a number {wanted}")


def _check_dates(config: Config) -> None:
    import datetime as dt

    for key in DATE_KEYS:
        value = config.get(key)
        if value is None or isinstance(value, dt.date):
            continue
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(
                f"{config.source_of(key)}: '{key}' is {value!r}; write a date YYYY-MM-DD"
            ) from None


def _check_replay_source(config: Config) -> None:
    """A replayed market needs its CSV tree; a missing tree is found at start, not per item."""
    if config.get("sim_market") != "replay" or config.get("broker") == "ib":
        return
    source = Path(str(config["sim_replay_source"])).expanduser()
    if not (source / "multiple_prices_csv").is_dir():
        raise ConfigError(
            f"{config.source_of('sim_replay_source')}: 'sim_replay_source' {source} is not a "
            "pysystemtrade CSV tree (no multiple_prices_csv/); set it to the tree's root"
        )
