"""The CLI starts fast: no heavy library is imported to show help, for any command group."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sysproduction.cli.main import SUBCOMMANDS

HEAVY = ("pandas", "numpy", "pyarrow", "matplotlib")

PROBE = """
import sys
from click.testing import CliRunner
from sysproduction.cli.main import cli
result = CliRunner().invoke(cli, {args!r})
assert result.exit_code == 0, result.output
print(",".join(m for m in {heavy!r} if m in sys.modules))
print(result.output)
"""


def _help(args: list[str]) -> tuple[str, str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    loaded, _, text = out.stdout.partition("\n")
    return loaded, text


def test_top_level_help_lists_groups_without_heavy_imports():
    loaded, text = _help(["--help"])
    assert loaded == ""
    assert "--data-root" in text and "--config" in text
    assert "data" in text


@pytest.mark.parametrize("group", sorted(SUBCOMMANDS))
def test_group_help_is_light(group):
    from importlib.util import find_spec

    if find_spec(SUBCOMMANDS[group][0]) is None:
        pytest.skip(f"{group} commands are not part of this version")
    loaded, text = _help([group, "--help"])
    assert loaded == "", f"'sysprod {group} --help' imported {loaded}"


def test_console_script_and_module_entry_point_agree():
    by_module = subprocess.run([sys.executable, "-m", "sysproduction", "--help"], capture_output=True, text=True)
    assert by_module.returncode == 0
    assert "sysprod" in by_module.stdout or "Usage" in by_module.stdout


def test_unknown_command_is_a_usage_error():
    out = subprocess.run([sys.executable, "-m", "sysproduction", "nosuch"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "No such command" in out.stderr
