"""Atomic file writes: write to a temp file beside the target, fsync, rename.

A reader (or a process killed mid-write) sees either the old file or the new one, never a torn
one, because `os.replace` is atomic within a filesystem.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(target: Path, fsync: bool = True, tmp: Path | None = None) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces `target` atomically.

    The temp path is a fresh random name beside `target`, unless the caller gives `tmp` (only
    when it holds a lock that makes it the sole writer of `target`).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if tmp is None:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp = Path(tmp_name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_text(target: Path, text: str, fsync: bool = True) -> None:
    with atomic_path(target, fsync=fsync) as tmp:
        tmp.write_text(text)


def atomic_write_with(
    target: Path, writer: Callable[[Path], None], fsync: bool = True, tmp: Path | None = None
) -> None:
    """Call `writer(tmp_path)` and atomically move the result onto `target`."""
    with atomic_path(target, fsync=fsync, tmp=tmp) as path:
        writer(path)


def temp_files_of(target: Path) -> list[Path]:
    """The temp files `atomic_path` makes for `target` (`.<name>.<random>.tmp` beside it)."""
    target = Path(target)
    prefix, folder = f".{target.name}.", target.parent
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return [folder / n for n in names if n.startswith(prefix) and n.endswith(".tmp")]


def lock_path_of(target: Path) -> Path:
    """The lock file that serialises the writers of `target` (`.<name>.lock` beside it)."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


class LockBusy(Exception):
    """A non-blocking `file_lock` found the lock held by another process."""


@contextlib.contextmanager
def file_lock(lock_file: Path, blocking: bool = True, create_dirs: bool = True) -> Iterator[None]:
    """Hold an exclusive OS lock (flock) on `lock_file` for the duration of the block.

    The lock is released when the process dies, so a killed writer never leaves a series
    locked. The holder unlinks the lock file before releasing it, so no lock files pile up beside
    the data; a waiter that then wakes up on the unlinked file sees that the path no longer names
    the file it locked and starts again, so two processes can never both hold the lock.
    """
    import fcntl

    lock_file = Path(lock_file)
    if create_dirs:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                raise LockBusy(str(lock_file)) from None
            try:
                same = os.stat(lock_file).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                try:
                    yield
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(lock_file)
                return
        finally:
            os.close(fd)


class DeferrableSync:
    """A store whose writes fsync each file, unless inside `deferred_sync()`.

    Bulk writes (an import of hundreds of files) skip the per-file fsync and sync the filesystem
    once at the end. Each file is still replaced atomically (a killed process leaves old or new
    files); only durability against power loss is batched. Subclasses pass `self._fsync` to
    `atomic_write_with`.
    """

    _fsync: bool = True

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[None]:
        saved = self._fsync
        self._fsync = False
        try:
            yield
        finally:
            self._fsync = saved
            if saved:
                os.sync()


def yaml_load(text: str) -> Any:
    """YAML text as Python values, with the safe loader in C when PyYAML has it (every process
    reads the defaults and the private config at start; the pure-Python loader takes ~80 ms for
    the defaults alone). Same results as `yaml.safe_load`; raises `yaml.YAMLError` the same way."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
