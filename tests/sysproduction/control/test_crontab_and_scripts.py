"""The crontab file, install-crontab, the shell wrappers and the run_* modules."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from syscore.config import load_config
from sysproduction.control.crontab import crontab_block, merge_into
from sysproduction.control.registry import PROCESSES
from tests.conftest import REPO_ROOT
from tests.sysproduction.control.helpers import make_installation, sysprod


def test_crontab_file_is_the_default_schedule():
    text = (REPO_ROOT / "crontab" / "crontab").read_text()
    block = crontab_block(load_config(None, env={}), scripts_dir="/path/to/sysprod/scripts",
                          env={"SYSPROD_DATA_ROOT": "/path/to/sysprod_data"})
    assert block in text
    expected = {  # the seed schedule of the issue
        "run_daily_prices_updates": "00 20", "run_capital_update": "01 00", "run_systems": "05 20",
        "run_strategy_order_generator": "10 20", "run_stack_handler": "01 00",
        "run_backups": "15 20", "run_cleaners": "20 20", "run_reports": "25 20",
    }
    scheduled = {line for line in text.splitlines() if "$SCRIPT_PATH/" in line}
    assert scheduled == {f"{when} * * 1-5 $SCRIPT_PATH/{name}" for name, when in expected.items()} | {
        "@reboot $SCRIPT_PATH/startup"}


def test_wrappers_and_modules_are_exactly_the_processes_and_jobs():
    """No wrapper or run_ module is left for a process that no longer exists."""
    from sysproduction.control.registry import JOBS, TOOLS

    wrappers = {p.name for p in (REPO_ROOT / "scripts").iterdir() if not p.name.startswith("_")}
    assert wrappers == set(PROCESSES) | set(JOBS) | set(TOOLS)
    modules = {p.stem for p in (REPO_ROOT / "sysproduction").glob("run_*.py")}
    assert modules == {name for name in PROCESSES if name.startswith("run_")}


@pytest.mark.parametrize("name", PROCESSES)
def test_every_process_has_a_module_and_an_executable_wrapper(name):
    assert importlib.util.find_spec(f"sysproduction.{name}") is not None
    wrapper = REPO_ROOT / "scripts" / name
    assert wrapper.is_file() and os.access(wrapper, os.X_OK)
    assert f"sysproduction.{name}" in wrapper.read_text()


def test_dry_run_shows_this_installations_schedule(tmp_path):
    root = make_installation(tmp_path / "inst", {}, now=None, process_configuration_start_time={
        "run_backups": "21:40"})
    out = sysprod(root, "control", "install-crontab", "--dry-run")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"# >>> sysprod {root}" and lines[-1] == f"# <<< sysprod {root}"
    assert f"SYSPROD_DATA_ROOT={root}" in lines
    assert f"SCRIPT_PATH={REPO_ROOT / 'scripts'}" in lines
    assert "40 21 * * 1-5 $SCRIPT_PATH/run_backups" in lines
    assert not any(line.endswith("$SCRIPT_PATH/run_backups") and line.startswith("15 20")
                   for line in lines)


def test_install_replaces_only_its_own_block():
    config = load_config(None, env={})
    old = crontab_block(config, "/old/scripts", label="/data/live")
    other = crontab_block(config, "/x/scripts", label="/data/paper")
    existing = f"MAILTO=me\n0 1 * * * /usr/bin/backup-home\n\n{old}\n{other}"
    new = crontab_block(config, "/new/scripts", label="/data/live")

    merged = merge_into(existing, new)

    assert "/old/scripts" not in merged
    assert merged.count("# >>> sysprod /data/live") == 1 and "SCRIPT_PATH=/new/scripts" in merged
    assert "0 1 * * * /usr/bin/backup-home" in merged and "MAILTO=me" in merged
    assert other.strip() in merged
    assert merge_into(merged, new) == merged  # installing twice changes nothing


@pytest.mark.skipif(shutil.which("crontab") is not None, reason="would touch the real crontab")
def test_install_without_cron_is_one_clear_line(tmp_path):
    root = make_installation(tmp_path / "inst", {}, now=None)
    out = sysprod(root, "control", "install-crontab")
    assert out.returncode == 1
    assert out.stderr.startswith("error: the crontab command is not installed")
    assert out.stderr.count("\n") == 1


def test_wrapper_loads_project_env_and_appends_to_echo_file(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "scripts", project / "scripts")
    echo = tmp_path / "echos"
    root = make_installation(tmp_path / "inst", {}, now=dt.datetime(2026, 11, 25, 9),
                             process_configuration_start_time={"run_cleaners": None},
                             process_configuration_stop_time={"run_cleaners": None})
    (project / "private").mkdir()
    (project / "private" / "project_env.sh").write_text(
        f"export SYSPROD_PYTHON={sys.executable}\nexport SYSPROD_DATA_ROOT={root}\n"
        f"export ECHO_PATH={echo}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_") and k != "ECHO_PATH"}

    for _ in range(2):
        done = subprocess.run([str(project / "scripts" / "run_cleaners")], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout == ""  # everything went to the echo file

    text = (echo / "run_cleaners.txt").read_text()
    assert text.count("=== run_cleaners started") == 2
    assert text.count("=== run_cleaners ended with exit code 0 ===") == 2
    assert text.count("clean_echo_files: ran 1, ok;") == 2
    assert "INFO run_cleaners" in text  # the log lines (stderr) are there too


def test_module_entry_point_runs_a_process(tmp_path):
    root = make_installation(tmp_path / "inst", {}, now=dt.datetime(2026, 11, 25, 9),
                             process_configuration_start_time={"run_cleaners": None},
                             process_configuration_stop_time={"run_cleaners": None})
    env = dict(os.environ, SYSPROD_DATA_ROOT=str(root))
    done = subprocess.run([sys.executable, "-m", "sysproduction.run_cleaners"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "run_cleaners: completed (all methods done)"
