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


@contextlib.contextmanager
def atomic_path(target: Path, fsync: bool = True) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces `target` atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
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


def atomic_write_with(target: Path, writer: Callable[[Path], None], fsync: bool = True) -> None:
    """Call `writer(tmp_path)` and atomically move the result onto `target`."""
    with atomic_path(target, fsync=fsync) as tmp:
        writer(tmp)
