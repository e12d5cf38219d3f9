"""Attributes that ride along with every log record written inside a `with log_context(...)`.

A job loops over instruments; rather than passing `extra=` to every call, it wraps the body in
`with log_context(instrument_code="US10"):` and every record logged inside (by any module, at any
depth) carries that attribute into the store, where it can be queried. `contextvars` keeps this
correct across threads and nested contexts.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sysdata.repos.logs import LOG_ATTRIBUTES

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "sysprod_log_context", default=None
)


def current_log_context() -> dict[str, Any]:
    """The attributes in force here (a copy)."""
    return dict(_context.get() or {})


@contextmanager
def log_context(**attrs: Any) -> Iterator[dict[str, Any]]:
    """Add attributes to every record logged inside; inner contexts extend outer ones.

    Only the documented attributes are accepted, so a typo (`instrument=`) fails at once instead
    of producing records no query will ever find.
    """
    unknown = sorted(set(attrs) - set(LOG_ATTRIBUTES))
    if unknown:
        raise TypeError(
            f"log_context: unknown attribute(s) {', '.join(unknown)}; use {', '.join(LOG_ATTRIBUTES)}"
        )
    merged = {**(_context.get() or {}), **{k: v for k, v in attrs.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield merged
    finally:
        _context.reset(token)
