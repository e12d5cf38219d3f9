"""Installations as a new user meets them, through the real `sysprod` command: choosing the broker,
refusing a broker whose market is not the stored data's, stale data, data roots that are not
installations, and bad config — each one line on stderr, exit 1, no traceback, checked at start."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.synthetic_install import START, installation

SYSPROD = Path(sys.executable).parent / "sysprod"


def sysprod(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT, stdin: str | None = None,
            prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_")}
    return subprocess.run([*prefix, str(SYSPROD), *args], capture_output=True, text=True, input=stdin,
                          env={**clean, "COLUMNS": "200", **(env or {})}, cwd=cwd, timeout=300)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def init(root: Path, broker: str = "sim") -> Path:
    made = sysprod("init", str(root), "--broker", broker)
    assert made.returncode == 0, made.stderr
    return root


# --- A: the broker is chosen, never defaulted ----------------------------------------------------
def test_init_writes_the_chosen_broker_and_refuses_to_guess(tmp_path):
    root = tmp_path / "live"
    refused = sysprod("init", str(root), stdin="")
    assert one_line_error(refused) == (
        f"error: sysprod init {root} needs a broker: add --broker sim (simulated) or --broker ib "
        "(Interactive Brokers)"
    )
    assert not root.exists()
    made = sysprod("init", str(root), "--broker", "sim")
    assert made.stdout.splitlines()[0] == (
        f"created installation {root} with broker sim ({root / 'private_config.yaml'})"
    )
    assert yaml.safe_load((root / "private_config.yaml").read_text())["broker"] == "sim"
    assert sysprod("init", str(root), "--broker", "sim").stdout.startswith(f"installation {root} already uses broker sim")
    changed = sysprod("--data-root", str(root), "init", "--broker", "ib")
    assert "this installation's broker is 'sim'" in one_line_error(changed)
    assert yaml.safe_load((root / "private_config.yaml").read_text())["broker"] == "sim"


def test_a_job_on_an_installation_without_a_broker_says_how_to_choose(tmp_path, tree):
    blob, _ = installation(tmp_path / "old", tree)
    config = blob.data_root / "private_config.yaml"
    values = yaml.safe_load(config.read_text())
    del values["broker"]  # an installation made before the broker had to be chosen
    config.write_text(yaml.safe_dump(values))
    failed = sysprod("--data-root", str(blob.data_root), "run", "update_fx_prices")
    assert one_line_error(failed) == (
        f"error: no broker chosen for the installation {blob.data_root}; choose one: "
        f"sysprod init {blob.data_root} --broker sim (or ib)"
    )
    assert sysprod("init", str(blob.data_root), "--broker", "sim").returncode == 0
    assert sysprod("--data-root", str(blob.data_root), "run", "update_fx_prices").returncode == 0


def test_import_into_a_new_root_takes_the_broker_and_never_assumes_one(tmp_path, tree):
    scripted = tmp_path / "scripted"
    piped = sysprod("--data-root", str(scripted), "data", "import-csv", str(tree), "--quiet", stdin="")
    assert piped.returncode == 0, piped.stderr
    assert (f"created installation {scripted} with no broker chosen; before the price jobs: "
            f"sysprod init {scripted} --broker sim|ib") in piped.stdout
    assert not (scripted / "private_config.yaml").exists()  # no broker written anywhere
    assert "no broker chosen for the installation" in one_line_error(
        sysprod("--data-root", str(scripted), "run", "update_sampled_contracts"))
    typo = sysprod("--data-root", str(tmp_path / "typo"), "data", "import-csv", str(tmp_path / "nowhere"))
    assert "is not a directory" in one_line_error(typo)
    assert not (tmp_path / "typo").exists()
    root = tmp_path / "new"
    done = sysprod("--data-root", str(root), "data", "import-csv", str(tree), "--quiet", "--broker", "sim")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((root / "private_config.yaml").read_text())["broker"] == "sim"
    record = json.loads((root / "installation.json").read_text())
    assert record["prices_source"] == {"kind": "imported", "path": str(tree.resolve())}


def test_the_simulated_market_is_refused_on_imported_prices_naming_both(tmp_path, tree):
    root = tmp_path / "live"
    done = sysprod("--data-root", str(root), "data", "import-csv", str(tree), "--quiet", "--broker", "sim")
    assert done.returncode == 0, done.stderr
    before = {p: p.stat().st_mtime_ns for p in (root / "parquet").rglob("*.parquet")}
    for args in (("run", "update_fx_prices"), ("run", "update_sampled_contracts"), ("broker", "positions")):
        message = one_line_error(sysprod("--data-root", str(root), *args))
        assert message == (
            "error: the simulated broker serves the synthetic market (seed 42, history from 2012-01-02) but "
            f"the stored prices in {root} are imported from {tree.resolve()}; set sim_market: replay and "
            f"sim_replay_source: {tree.resolve()} in the private config, or use another data root"
        )
    assert {p: p.stat().st_mtime_ns for p in (root / "parquet").rglob("*.parquet")} == before
    assert not (root / "parquet" / "contract_prices").exists() or all(
        p in before for p in (root / "parquet").rglob("*.parquet")
    )
    # the replay of the imported tree is its own market: no longer refused
    with (root / "private_config.yaml").open("a") as handle:
        handle.write(f"sim_market: replay\nsim_replay_source: {tree}\n")
    replay = sysprod("--data-root", str(root), "run", "update_sampled_contracts")
    assert "the simulated broker serves" not in replay.stderr


def test_the_demo_records_its_market_and_its_prices_come_from_it(tmp_path):
    run = sysprod("--data-root", str(tmp_path / "box"), "demo", "--years", "1", "--date", "2026-06-30",
                  cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "sandbox").exists()  # --data-root is the sandbox, never ignored
    record = json.loads((tmp_path / "box" / "installation.json").read_text())
    assert record["prices_source"] == record["sim_market"] == {
        "kind": "synthetic", "seed": 42, "history_start": "2025-01-01"}
    clash = sysprod("--data-root", str(tmp_path / "box"), "demo", "--sandbox", str(tmp_path / "other"))
    assert one_line_error(clash) == (
        f"error: --sandbox {tmp_path / 'other'} and --data-root / SYSPROD_DATA_ROOT {tmp_path / 'box'} name "
        "different directories; give only one (the demo builds its sandbox there)"
    )
    assert not (tmp_path / "other").exists()


# --- A: stale data is a stop sign ----------------------------------------------------------------
def test_stale_prices_are_reported_and_not_auto_rolled_and_the_roll_tool_says_why(tmp_path, tree):
    blob, _ = installation(tmp_path / "root", tree, clock="simulated")
    root = blob.data_root
    SharedSimClock(root / SIM_CLOCK_FILE).set(START + dt.timedelta(days=400))  # a year without updates
    states_before = {code: blob.roll_states.get(code).state for code in blob.multiple_prices.list()}
    rolled = sysprod("--data-root", str(root), "run", "auto_update_roll_status")
    assert rolled.returncode == 0, rolled.stderr
    assert "0 updated" in rolled.stdout
    stale_lines = [line for line in rolled.stdout.splitlines() if line.startswith("  STALE")]
    assert len(stale_lines) == len(states_before)
    gold = next(line for line in stale_lines if line.startswith("  STALE   GOLD:"))
    assert gold == (
        "  STALE   GOLD: stale prices: they end 2024-06-03, 400 days before today (max_stale_days 5); "
        "not auto-rolled until a person has looked: sysprod run interactive_update_roll_status"
    )
    after = make_blob(root)
    assert {code: after.roll_states.get(code).state for code in states_before} == states_before
    tool = sysprod("--data-root", str(root), "run", "interactive_update_roll_status", stdin="2\nGOLD\n\n0\n")
    assert tool.returncode == 0, tool.stderr
    assert ("  stale prices: they end 2024-06-03, 400 days before today (max_stale_days 5): the auto-roller "
            "leaves GOLD alone; update its prices first, or choose its state yourself") in tool.stdout
    # the price job says so too, per instrument, when the broker has nothing newer
    with (root / "private_config.yaml").open("a") as handle:
        handle.write("max_stale_days: 1000\n")
    fresh = sysprod("--data-root", str(root), "run", "auto_update_roll_status")
    assert "STALE" not in fresh.stdout


# --- A: a data root must hold an installation ---------------------------------------------------
def test_a_missing_or_empty_data_root_is_an_error_and_nothing_is_created(tmp_path):
    typo = tmp_path / "typo"
    message = one_line_error(sysprod("run", "run_daily_prices_updates", env={"SYSPROD_DATA_ROOT": str(typo)}))
    assert message == (
        f"error: data root {typo} does not exist; check --data-root / SYSPROD_DATA_ROOT, or create an "
        f"installation: sysprod init {typo} --broker sim|ib"
    )
    assert not typo.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    message = one_line_error(sysprod("--data-root", str(empty), "report", "roll"))
    assert "holds no sysprod installation" in message
    assert list(empty.iterdir()) == []


def test_the_backup_wrapper_without_a_data_root_backs_nothing_up(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_") and k != "ECHO_PATH"}
    if (REPO_ROOT / "private" / "project_env.sh").exists():
        pytest.skip("private/project_env.sh sets this machine's installation")
    result = subprocess.run([str(REPO_ROOT / "scripts" / "run_backups")], capture_output=True, text=True,
                            env={**env, "HOME": str(home)}, timeout=120)
    assert result.returncode == 1
    assert f"data root {home / 'sysprod_data'} does not exist" in result.stderr
    assert not (home / "sysprod_data").exists()


# --- B: bad config and data roots: one line at start -------------------------------------------
CASES = {
    "private config not UTF-8": (b"base_currency: \xe9UR\n", {}, "not UTF-8 text (byte 0xe9 at offset"),
    "env value not YAML": (b"", {"SYSPROD_SIM_SEED": "[1,2"}, "environment variable SYSPROD_SIM_SEED: '[1,2' is not a valid value"),
    "negative spike threshold": (b"max_price_spike: -3\n", {}, "'max_price_spike' is -3; give a number above 0"),
    "history start not a date": (b"sim_history_start: not a date\n", {}, "'sim_history_start' is 'not a date'; write a date YYYY-MM-DD"),
    "negative seed": (b"sim_seed: -1\n", {}, "'sim_seed' is -1; give a number at least 0"),
    "replay without source": (b"sim_market: replay\n", {}, "'sim_replay_source' is required when sim_market is replay; set it"),
    "missing replay source": (b"sim_market: replay\nsim_replay_source: /nowhere/tree\n", {},
                              "'sim_replay_source' /nowhere/tree is not a pysystemtrade CSV tree"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_config_is_one_line_at_start(tmp_path, case):
    extra, env, expected = CASES[case]
    root = init(tmp_path / "root")
    config = root / "private_config.yaml"
    config.write_bytes(config.read_bytes() + extra)
    message = one_line_error(sysprod("--data-root", str(root), "run", "update_historical_prices", env=env))
    assert expected in message
    if not env:
        assert message.startswith(f"error: {config}: ")


def test_a_data_root_below_a_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("")
    root = tmp_path / "afile" / "root"
    for args in (("--data-root", str(root), "control", "status"), ("init", str(root), "--broker", "sim"),
                 ("--data-root", str(root), "demo", "--years", "1")):
        assert one_line_error(sysprod(*args)) == (
            f"error: data root {root}: {tmp_path / 'afile'} is a file, not a directory; choose another --data-root"
        )


def _readonly_prefix(root: Path) -> tuple[str, ...]:
    """Run inside a private mount namespace where `root` is bind-mounted read-only: a real EROFS
    that root cannot bypass (permission bits would not stop root), visible to nobody else."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not available")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("user/mount namespaces are not available")
    script = f'mount --bind "{root}" "{root}" && mount -o remount,bind,ro "{root}" && exec "$@"'
    return ("unshare", "-rm", "sh", "-c", script, "sh")


@pytest.mark.parametrize("args", [("control", "clock", "advance", "1d"), ("run", "update_fx_prices"),
                                  ("report", "roll")])
def test_a_read_only_installation_is_one_line(tmp_path, args):
    root = init(tmp_path / "root")
    result = sysprod("--data-root", str(root), *args, prefix=_readonly_prefix(root))
    assert one_line_error(result) == (
        f"error: data root {root} is not writable (read-only file system); make it writable or choose "
        "another --data-root"
    )


def test_an_unwritable_data_root_is_one_line(tmp_path):
    """Permission bits only stop a user that is not root: as root, the command runs as nobody."""
    base = Path(tempfile.mkdtemp(prefix="sysprod_unwritable_"))
    try:
        base.chmod(0o755)
        root = init(base / "root")
        for path in root.iterdir():
            path.chmod(0o644)  # readable by anyone; only the folder is closed for writing
        root.chmod(0o555)
        prefix: tuple[str, ...] = ()
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv: permission bits cannot be tested")
            prefix = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
            # the checkout itself must be readable by that user (a clone in a 0700 temp folder is not)
            probe = subprocess.run([*prefix, sys.executable, "-c", f"open({str(SYSPROD)!r}).close()"],
                                   capture_output=True, timeout=60)
            if probe.returncode != 0:
                pytest.skip("this checkout is not readable by user nobody, so sysprod cannot run as nobody")
        result = sysprod("--data-root", str(root), "run", "update_fx_prices", prefix=prefix,
                         env={"HOME": str(base)})
        assert one_line_error(result) == (
            f"error: data root {root} is not writable (permission denied); make it writable or choose "
            "another --data-root"
        )
    finally:
        (base / "root").chmod(0o755)
        shutil.rmtree(base)
