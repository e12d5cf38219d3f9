"""The one registry: the alias modules, the scripts/ wrappers and the default process methods are
all derived from it, and every entry goes through the one entry path."""

from __future__ import annotations

import subprocess
import sys

import yaml

from syscore.config import DEFAULTS_PATH
from sysproduction.control import registry
from tests.conftest import REPO_ROOT

# modules at the top of sysproduction/ that are not `python -m` aliases
NOT_ALIASES = {"__init__", "__main__", "wiring"}


def test_alias_modules_are_exactly_the_registry_names_and_only_call_the_entry_path():
    moved = {old.removeprefix("sysproduction.") for old in registry.MOVED_MODULES}
    modules = {p.stem for p in (REPO_ROOT / "sysproduction").glob("*.py")} - NOT_ALIASES - moved
    assert modules == set(registry.entry_names())
    for name in modules:
        text = (REPO_ROOT / "sysproduction" / f"{name}.py").read_text()
        assert text == registry.alias_source(name), f"sysproduction/{name}.py is not the generated alias"


def test_scripts_are_exactly_the_registry_names_and_run_their_alias():
    wrappers = {p.name: p for p in (REPO_ROOT / "scripts").iterdir() if not p.name.startswith("_")}
    assert set(wrappers) == set(registry.entry_names())
    for name, path in wrappers.items():
        last = path.read_text().strip().splitlines()[-1]
        assert last in (f"run_process {name} sysproduction.{name}", f"run_tool {name} sysproduction.{name}")


def test_default_methods_and_registry_functions_match_one_to_one():
    methods = yaml.safe_load(DEFAULTS_PATH.read_text())["process_configuration_methods"]
    assert list(methods) == list(registry.PROCESSES)
    defaults = [m for process in methods.values() for m in (process or {})]
    assert len(defaults) == len(set(defaults))  # a method name belongs to one process
    assert set(defaults) == set(registry.METHODS)
    assert set(registry.STRATEGY_LAUNCHERS) <= set(registry.PROCESSES)
    # the daily price process runs the single jobs, in the registry's order
    assert list(methods["run_daily_prices_updates"]) == list(registry.JOBS)


def test_moved_modules_only_run_or_re_export_the_new_module():
    for old, new in registry.MOVED_MODULES.items():
        text = (REPO_ROOT / (old.replace(".", "/") + ".py")).read_text()
        imports = [line for line in text.splitlines() if line.startswith(("from ", "import "))]
        assert [line for line in imports if line != "import sys"] == [
            line for line in imports if line.startswith(f"from {new} import ")], old
    from sysproduction.job_summary import JobSummary
    from sysproduction.jobs.summary import JobSummary as moved

    assert JobSummary is moved


def test_an_alias_with_no_installation_is_one_line_and_exit_1(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "SYSPROD_DATA_ROOT": str(tmp_path / "nowhere"),
           "HOME": str(tmp_path)}
    for name in ("update_fx_prices", "interactive_controls", "run_cleaners"):
        out = subprocess.run([sys.executable, "-m", f"sysproduction.{name}"], capture_output=True,
                             text=True, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL)
        assert out.returncode == 1
        assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert "Traceback" not in out.stderr


def test_every_job_and_tool_resolves_to_a_function():
    for name, target in {**registry.JOBS, **registry.TOOLS}.items():
        function = registry.resolve_job(target)
        assert callable(function) and function.__name__ == name, target
