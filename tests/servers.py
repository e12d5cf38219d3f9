"""Real servers on loopback for the backend tests: a MongoDB-wire server (jongodb, installed by
.ci/run with npm) and an S3 server (moto). Each is started on a free port and stopped after; a
test needing one skips, with the reason, when it cannot be had here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JONGODB_DEFAULT = ROOT / ".ci/npm/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb"
# Commands jongodb lacks (the store keeps clear of them; tests that need them skip on it).
JONGODB_LACKS = "jongodb lacks drop/dropDatabase/listCollections"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jongodb_binary() -> Path | None:
    path = Path(os.environ.get("SYSPROD_JONGODB_BIN", JONGODB_DEFAULT))
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _wait_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited at start (code {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within 30 s")


@contextmanager
def _serving(args: list[str], port: int, name: str) -> Iterator[None]:
    """Run a server process until the block ends, once it accepts connections on `port`."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc, name)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def jongodb_server() -> Iterator[str]:
    """Start jongodb on a free loopback port; yields `mongodb://127.0.0.1:PORT/`."""
    pytest.importorskip("pymongo", reason="pymongo not installed (sysprod[mongo])")
    binary = jongodb_binary()
    if binary is None:
        pytest.skip(f"jongodb not installed at {JONGODB_DEFAULT} (set SYSPROD_JONGODB_BIN; .ci/run installs it)")
    port = free_port()
    with _serving([str(binary), "--host=127.0.0.1", f"--port={port}"], port, "jongodb"):
        yield f"mongodb://127.0.0.1:{port}/"


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto's S3 server on a free loopback port; yields its endpoint URL."""
    pytest.importorskip("moto", reason="moto[server] not installed")
    pytest.importorskip("flask", reason="moto[server] not installed")
    port = free_port()
    with _serving([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, "moto server"):
        yield f"http://127.0.0.1:{port}"


def fresh_db_name() -> str:
    return "t" + uuid.uuid4().hex[:12]
