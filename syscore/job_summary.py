"""What a job did, per item (instrument, contract, FX pair, order), for the log, the CLI and reports.

It lives in syscore because jobs of several layers return it: the price and capital jobs of
sysproduction, and the stack handler's steps in sysexecution (which may not import sysproduction).

A daily job touches dozens of items and one bad item must not stop the rest, so the job collects
an outcome per item and prints them together at the end: cron's echo file then shows at a glance
what was updated, what was held back as a spike, and what failed and why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from syscore.exceptions import SysprodError

log = logging.getLogger(__name__)


@dataclass
class JobSummary:
    job: str
    updated: dict[str, str] = field(default_factory=dict)  # item -> what changed
    unchanged: list[str] = field(default_factory=list)
    spiked: dict[str, str] = field(default_factory=dict)  # item -> the spike, held back
    failed: dict[str, str] = field(default_factory=dict)  # item -> error
    stale: dict[str, str] = field(default_factory=dict)  # instrument -> why its prices are stale
    note: str = ""  # said under the headline, e.g. why there was nothing to do

    @contextmanager
    def isolated(self, item: str, what: str) -> Iterator[None]:
        """Run one item's work: an exception is recorded as that item's failure, never raised, so
        one bad item does not stop the others. An expected error (a `SysprodError`, such as the
        broker having no data for the item) is logged as one line; anything else is a bug and is
        logged with its traceback."""
        from syscore.exceptions import InstallationError

        try:
            yield
        except InstallationError:
            raise  # the same for every item: the job stops with one line
        except SysprodError as error:
            log.error("%s: %s not updated: %s", item, what, error)
            self.failed[item] = str(error)
        except Exception as error:
            log.error("%s: %s not updated: %s", item, what, error, exc_info=True)
            self.failed[item] = str(error)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.spiked

    def lines(self) -> list[str]:
        head = (
            f"{self.job}: {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.spiked)} spiked, {len(self.failed)} failed"
        )
        out = [head]
        if self.note:
            out.append(f"  {self.note}")
        out += [f"  updated {item}: {what}" for item, what in self.updated.items()]
        out += [f"  SPIKE   {item}: {what}" for item, what in self.spiked.items()]
        out += [f"  FAILED  {item}: {what}" for item, what in self.failed.items()]
        out += [f"  STALE   {item}: {what}" for item, what in self.stale.items()]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())
