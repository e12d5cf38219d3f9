"""Config loading: defaults <- private file <- environment, and its one-line errors."""

from __future__ import annotations

import pytest

from syscore.config import load_config
from syscore.exceptions import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "private_config.yaml"
    path.write_text(text)
    return path


def test_defaults_load_with_pysystemtrade_key_names():
    config = load_config(env={})
    assert config["max_price_spike"] == 8
    assert config["base_currency"] == "USD"
    assert config["broker"] is None  # an installation chooses its broker (sysprod init)


def test_private_file_overrides_defaults_and_is_remembered_as_source(tmp_path):
    path = write(tmp_path, "max_price_spike: 6\nbase_currency: GBP\n")
    config = load_config(path, env={})
    assert config["max_price_spike"] == 6
    assert config["base_currency"] == "GBP"
    assert config.source_of("max_price_spike") == str(path)


def test_environment_overrides_private_file(tmp_path):
    path = write(tmp_path, "max_price_spike: 6\n")
    config = load_config(path, env={"SYSPROD_MAX_PRICE_SPIKE": "11", "SYSPROD_EMAIL_PWD": "s3cret"})
    assert config["max_price_spike"] == 11
    assert config["email_pwd"] == "s3cret"


def test_unknown_key_names_key_file_and_suggests_the_right_one(tmp_path):
    path = write(tmp_path, "max_price_spik: 6\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    message = str(err.value)
    assert str(path) in message and "max_price_spik" in message
    assert "did you mean 'max_price_spike'" in message
    assert "\n" not in message


@pytest.mark.parametrize("text, match", [
    pytest.param("max_price_spike: lots\n", r"'max_price_spike' must be an integer, got 'lots'",
                 id="wrong_type_names_key_and_expected_type"),
    pytest.param("ib_port: true\n", "ib_port", id="bool_is_not_accepted_for_a_number"),
    pytest.param("base_currency: null\n", r"'base_currency' is required", id="missing_required_value_fails"),
    pytest.param("email_address: me@example.com\n", r"'email_server' is required when 'email_address' is set",
                 id="value_required_when_another_is_set"),
    pytest.param("timeseries_store: csv\n", r"choose one of parquet", id="choice_outside_the_allowed_set"),
    pytest.param("strategy_capital_allocation:\n  strategy_weight: {}\n",
                 r"strategy_capital_allocation.strategy_weight", id="nested_unknown_key_is_caught"),
])
def test_a_bad_value_in_the_private_file_fails_at_load(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=match):
        load_config(path, env={})


def test_invalid_yaml_and_missing_file_are_one_line(tmp_path):
    path = write(tmp_path, "a: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path, env={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml", env={})


@pytest.mark.parametrize("text, message", [
    ("max_price_spike: -3\n", "'max_price_spike' is -3; give a number above 0"),
    ("max_price_spike: 0\n", "'max_price_spike' is 0; give a number above 0"),
    ("sim_seed: -1\n", "'sim_seed' is -1; give a number at least 0"),
    ("sim_partial_fill_fraction: 1.5\n", "'sim_partial_fill_fraction' is 1.5; give a number above 0 and at most 1"),
    ("email_port: 70000\n", "'email_port' is 70000; give a number at least 1 and at most 65535"),
    ("max_stale_days: -1\n", "'max_stale_days' is -1; give a number at least 0"),
    ("sim_history_start: 'not a date'\n", "'sim_history_start' is 'not a date'; write a date YYYY-MM-DD"),
    ("sim_market: replay\n", "'sim_replay_source' is required when sim_market is replay"),
])
def test_values_out_of_range_fail_at_load_naming_key_and_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_a_missing_replay_source_fails_at_load(tmp_path):
    path = write(tmp_path, f"sim_market: replay\nsim_replay_source: {tmp_path / 'nowhere'}\n")
    with pytest.raises(ConfigError, match="is not a pysystemtrade CSV tree"):
        load_config(path, env={})


def test_a_config_file_that_is_not_utf8_is_one_error(tmp_path):
    path = tmp_path / "private_config.yaml"
    path.write_bytes(b"base_currency: \xe9UR\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 0xe9 at offset 15\); save the file as UTF-8"):
        load_config(path, env={})


def test_an_environment_value_that_is_not_yaml_names_the_variable():
    with pytest.raises(ConfigError, match="environment variable SYSPROD_SIM_SEED: '\\[1,2' is not a valid value"):
        load_config(env={"SYSPROD_SIM_SEED": "[1,2"})


def test_there_is_no_default_broker_but_both_can_be_chosen(tmp_path):
    assert load_config(env={})["broker"] is None
    assert load_config(env={"SYSPROD_BROKER": "ib"})["broker"] == "ib"
    with pytest.raises(ConfigError, match="'broker' is 'paper'; choose one of sim, ib"):
        load_config(write(tmp_path, "broker: paper\n"), env={})
