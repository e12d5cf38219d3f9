"""The layering of shared/DESIGN.md holds: no module imports a layer above its own, and the
backtest engine does no I/O outside its one loader module.

syscore <- sysobjects <- sysdata <- sysbrokers / systems <- sysexecution <- sysproduction, and
syslogdiag may use syscore, sysobjects and sysdata. systems reads data through one loader module
(systems/data.py) only. Every import counts: at the top, inside functions, under TYPE_CHECKING,
and module names written as strings ("sysbrokers.factory:make_broker" in a registry, a name given
to importlib), since each of those makes the lower layer depend on the higher one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("syscore", "sysobjects", "sysdata", "sysbrokers", "systems", "sysexecution", "syslogdiag",
            "sysproduction")
MAY_IMPORT: dict[str, set[str]] = {
    "syscore": set(),
    "sysobjects": {"syscore"},
    "sysdata": {"syscore", "sysobjects"},
    "sysbrokers": {"syscore", "sysobjects", "sysdata"},
    "systems": {"syscore", "sysobjects"},
    "sysexecution": {"syscore", "sysobjects", "sysdata", "sysbrokers"},
    "syslogdiag": {"syscore", "sysobjects", "sysdata"},
    "sysproduction": set(PACKAGES),
}
# module -> extra packages it alone may import
EXCEPTIONS: dict[str, set[str]] = {
    "systems.data": {"sysdata"},  # the backtest's one loader module (DESIGN: "sysdata (loader only)")
}
# a string naming a module: "package.module" or "package.module:attribute" (a bare package name
# is more often a folder, e.g. the path of sysproduction/config/defaults.yaml)
_MODULE_TEXT = re.compile(rf"^({'|'.join(PACKAGES)})((\.[A-Za-z_]\w*)+(:[A-Za-z_][\w.]*)?|:[A-Za-z_][\w.]*)$")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import and every string that names one of our modules."""
    found: list[tuple[int, str]] = []
    package_parts = module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package_parts[: len(package_parts) - node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_TEXT.match(node.value):
            found.append((node.lineno, node.value.split(":")[0]))
    return found


def violations(root: Path = ROOT) -> list[str]:
    out = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):  # a package not written yet has none
            module = module_name(path, root)
            allowed = {package} | MAY_IMPORT[package] | EXCEPTIONS.get(module, set())
            tree = ast.parse(path.read_text(), str(path))
            for line, name in imported_names(tree, module):
                top = name.split(".")[0]
                if top in PACKAGES and top not in allowed:
                    out.append(f"{path.relative_to(root)}:{line} ({package}) names {name}")
    return out


def test_no_module_imports_a_layer_above_its_own():
    found = violations()
    assert found == [], "layering broken (shared/DESIGN.md section 1):\n" + "\n".join(found)


# what reads or writes files, draws, or keeps process-wide time: not for the pure engine
IO_MODULES = ("yaml", "csv", "pyarrow", "matplotlib", "rich", "shutil", "tempfile", "syscore.fileio",
              "syscore.clock")


def io_in_systems(root: Path = ROOT) -> list[str]:
    """Where a module of `systems` other than its loader (systems/data.py) does I/O."""
    out = []
    for path in sorted((root / "systems").rglob("*.py")):
        module = module_name(path, root)
        if module in EXCEPTIONS:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for line, name in imported_names(tree, module):
            if any(name == io or name.startswith(f"{io}.") for io in IO_MODULES):
                out.append(f"{path.relative_to(root)}:{line} imports {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                out.append(f"{path.relative_to(root)}:{node.lineno} opens a file")
    return out


def test_the_backtest_engine_does_no_io_outside_its_loader():
    found = io_in_systems()
    assert found == [], "systems/ must stay pure (I/O goes in systems/data.py or above):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sysproduction.demo\n", ["sysproduction.demo"]),
        ("def f():\n    from sysbrokers import factory\n", ["sysbrokers"]),
        ("REGISTRY = {'sim': 'sysbrokers.factory:make_broker'}\n", ["sysbrokers.factory"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sysdata.data_blob import DataBlob\n",
         ["typing", "sysdata.data_blob"]),
        ("from . import prices\n", ["sysdata.repos"]),
        ("MESSAGE = 'see sysproduction for the jobs'\n", []),
        ("DEFAULTS = ROOT / 'sysproduction' / 'config'\n", []),
    ],
)
def test_every_kind_of_import_is_seen(source, expected):
    names = [name for _, name in imported_names(ast.parse(source), "sysdata.repos.store")]
    assert names == expected


def test_a_string_registry_naming_a_higher_layer_is_a_violation(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "sysdata" / "wiring.py").write_text("BROKERS = {'sim': 'sysbrokers.sim.broker:SimBroker'}\n")
    (tmp_path / "systems" / "engine.py").write_text("def f():\n    import sysdata.data_blob\n")
    (tmp_path / "systems" / "data.py").write_text("import sysdata.data_blob\n")
    assert violations(tmp_path) == [
        "sysdata/wiring.py:1 (sysdata) names sysbrokers.sim.broker",
        "systems/engine.py:2 (systems) names sysdata.data_blob",
    ]


def test_io_in_the_engine_is_found(tmp_path):
    (tmp_path / "systems").mkdir()
    (tmp_path / "systems" / "report.py").write_text("def save(p):\n    import matplotlib\n    open(p, 'w')\n")
    (tmp_path / "systems" / "data.py").write_text("import yaml\n")
    assert io_in_systems(tmp_path) == ["systems/report.py:2 imports matplotlib", "systems/report.py:3 opens a file"]
