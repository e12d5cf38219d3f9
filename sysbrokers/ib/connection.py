"""One ib_async connection per process and installation: client id, reconnect with back-off,
recovery from the gateway's nightly restart and from a silent disconnect, and IB's errors turned
into the broker protocol's (`BrokerError`, `BrokerNoData`).

The protocol is synchronous, so every call goes through ib_async's sync API (it runs its own
event loop until the answer arrives). A request that times out is taken as a silent disconnect:
the socket is closed, the connection made again and the request sent once more.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ib_async import IB
from ib_async.wrapper import RequestError

from sysbrokers.ib.client_ids import ClientIdTracker
from syscore.exceptions import BrokerError, BrokerNoData

log = logging.getLogger(__name__)
# ib_async logs every refused attempt and IB error: into the process log when there is one (records
# still propagate), never onto a command's terminal through Python's last-resort handler.
logging.getLogger("ib_async").addHandler(logging.NullHandler())
T = TypeVar("T")

# IB error codes (https://ibkrcampus.com/campus/ibkr-api-page/twsapi-doc/#api-error-codes)
NO_SECURITY = 200  # no security definition has been found for the request
HISTORICAL_DATA_ERROR = 162  # a pacing violation, or "HMDS query returned no data"
CLIENT_ID_IN_USE = 326
CONNECTIVITY_LOST = 1100
CONNECTIVITY_RESTORED_DATA_LOST = 1101
CONNECTIVITY_RESTORED = 1102


class NoBars(BrokerNoData):
    """IB knows the contract but has no bars for the period asked ("HMDS query returned no data"):
    a contract not traded yet. Callers give an empty frame."""


@dataclass(frozen=True)
class IBSettings:
    """Where the gateway is and how patiently to talk to it (config keys ib_*, broker_account)."""

    host: str = "127.0.0.1"
    port: int = 4001
    id_offset: int = 100
    account: str = ""
    connect_timeout: float = 10.0
    request_timeout: float = 30.0
    reconnect_attempts: int = 6  # 1+2+4+8+16+32 s: longer than a gateway restart
    backoff_seconds: float = 1.0  # doubles after each failed attempt
    down_hold_seconds: float = 60.0  # after giving up, calls fail at once for this long
    pacing_retries: int = 3
    pacing_backoff_seconds: float = 15.0  # IB asks for a pause after a pacing violation
    # IB's hard limit (60 requests per 10 minutes) is for bars of 30 s or less; hourly and daily
    # bars are throttled softly, and six requests for one contract within 2 s is a violation.
    history_requests_per_window: int = 50
    history_window_seconds: float = 60.0
    contract_requests_per_window: int = 5
    contract_window_seconds: float = 2.0


class IBConnection:
    """The process's connection to one gateway for one installation (see the module docstring)."""

    def __init__(self, settings: IBSettings, tracker: ClientIdTracker, process: str,
                 now: Callable[[], dt.datetime] = dt.datetime.utcnow):
        self.settings = settings
        self.tracker = tracker
        self.process = process
        self._now = now
        self.ib = IB()
        self.ib.RaiseRequestErrors = True
        self.ib.RequestTimeout = settings.request_timeout
        self.ib.errorEvent += self._on_error
        self.client_id: int | None = None
        self.servers_connected = True  # False between IB's 1100 and 1101/1102
        self.reconnects = 0
        self.last_error = ""
        self.on_reconnect: list[Callable[[], None]] = []
        self._history_times: deque[float] = deque()
        self._contract_times: dict[Any, deque[float]] = defaultdict(deque)
        self._closed = False
        self._connected_before = False
        self._down_until = 0.0
        self._down_error = ""
        atexit.register(self.close)

    # --- connection -----------------------------------------------------------------------------
    def _on_error(self, req_id: int, code: int, message: str, contract: Any) -> None:
        if code == CONNECTIVITY_LOST:
            self.servers_connected = False
        elif code in (CONNECTIVITY_RESTORED, CONNECTIVITY_RESTORED_DATA_LOST):
            self.servers_connected = True
        if code not in (2104, 2106, 2158, 2107, 2108, 2119):  # "market data farm is OK" notices
            self.last_error = f"{code}: {message}"

    @property
    def where(self) -> str:
        return f"IB Gateway/TWS at {self.settings.host}:{self.settings.port}"

    def _connect_once(self) -> None:
        tried: set[int] = set()
        while True:
            client_id = self.tracker.acquire(self.process, self._now(), exclude=tried)
            self.last_error = ""
            try:
                self.ib.connect(self.settings.host, self.settings.port, clientId=client_id,
                                timeout=self.settings.connect_timeout, account=self.settings.account)
            except BaseException:
                self.tracker.release(client_id)
                if self.last_error.startswith(f"{CLIENT_ID_IN_USE}:") and len(tried) < 20:
                    tried.add(client_id)  # used by something outside our tracker
                    continue
                raise
            self.client_id = client_id
            accounts = self.ib.client.getAccounts()
            if self.settings.account and self.settings.account not in accounts:
                self.disconnect()
                raise BrokerError(
                    f"broker_account {self.settings.account} is not an account of the {self.where} "
                    f"(it manages {', '.join(accounts)}); fix broker_account in the private config"
                )
            return

    def connect(self) -> None:
        """Connect, retrying with back-off (a restarting gateway refuses for a minute or so)."""
        delay = self.settings.backoff_seconds
        problem = ""
        for attempt in range(self.settings.reconnect_attempts):
            try:
                self._connect_once()
                log.info("connected to %s as client id %s", self.where, self.client_id)
                self._connected_before = True
                return
            except BrokerError:
                raise
            except (OSError, TimeoutError, ConnectionError, asyncio.CancelledError) as exc:
                problem = str(exc) or type(exc).__name__
            if attempt + 1 < self.settings.reconnect_attempts:
                time.sleep(delay)
                delay *= 2
        self._down_error = (
            f"cannot connect to the {self.where} ({problem}); is it running, with the API enabled "
            "on that port (ib_port) and 127.0.0.1 a trusted IP?"
        )
        # every item of a job would otherwise wait through the whole back-off again
        self._down_until = time.monotonic() + self.settings.down_hold_seconds
        raise BrokerError(self._down_error)

    def ensure_connected(self) -> IB:
        if self._closed:
            raise BrokerError(f"the connection to the {self.where} was closed")
        if not self.ib.isConnected():
            if time.monotonic() < self._down_until:
                raise BrokerError(self._down_error)
            again = self._connected_before
            self._drop()
            self.connect()
            if again:
                self.reconnects += 1
                for hook in self.on_reconnect:
                    hook()
        return self.ib

    def _drop(self) -> None:
        if self.client_id is not None:
            self.tracker.release(self.client_id)
            self.client_id = None
        was_open = self.ib.client.conn.transport is not None
        self.ib.disconnect()
        if was_open:
            # let the closed socket's callbacks run now: run later, they would reset the next
            # connection (ib_async keeps one protocol object across connections)
            self.pause(0.05)

    def disconnect(self) -> None:
        self._drop()

    def pause(self, seconds: float) -> None:
        """Let ib_async work for a while (messages arrive); a socket that drops meanwhile is made
        again by the next request, not here."""
        try:
            self.ib.sleep(seconds)
        except (ConnectionError, asyncio.CancelledError):
            log.info("the %s dropped the connection", self.where)

    def close(self) -> None:
        """Disconnect and give the client id back (also run at process exit)."""
        if not self._closed:
            self._closed = True
            try:
                self._drop()
            except Exception:  # at exit the store may be gone; startup clears what is left
                log.debug("closing the IB connection", exc_info=True)

    # --- requests -------------------------------------------------------------------------------
    def call(self, what: str, request: Callable[[IB], T], *, history: Any = None) -> T:
        """Run one request: errors become BrokerError/BrokerNoData naming `what`; a timeout is a
        silent disconnect (reconnect and send again, once); a pacing violation waits and retries."""
        silent_retry = True
        pacing_left = self.settings.pacing_retries
        pause = self.settings.pacing_backoff_seconds
        while True:
            ib = self.ensure_connected()
            if not self.servers_connected:
                self.pause(min(2.0, self.settings.request_timeout))
                if not self.servers_connected:
                    raise BrokerError(f"{what}: the {self.where} has lost its connection to IB (error 1100); try again later")
            if history is not None:  # the contract (or pair) whose bars are asked for
                self._pace(self._history_times, self.settings.history_requests_per_window,
                           self.settings.history_window_seconds)
                self._pace(self._contract_times[history], self.settings.contract_requests_per_window,
                           self.settings.contract_window_seconds)
            try:
                return request(ib)
            except RequestError as exc:
                message = exc.message
                if exc.code == HISTORICAL_DATA_ERROR and "pacing" in message.lower() and pacing_left > 0:
                    pacing_left -= 1
                    log.warning("%s: IB pacing violation; waiting %.1f s", what, pause)
                    self.pause(pause)
                    pause *= 2
                    continue
                if exc.code == HISTORICAL_DATA_ERROR and "no data" in message.lower():
                    raise NoBars(f"{what}: IB has no bars ({exc.code}: {message})") from None
                if exc.code in (NO_SECURITY, HISTORICAL_DATA_ERROR):
                    raise BrokerNoData(f"{what}: IB has no data ({exc.code}: {message})") from None
                raise BrokerError(f"{what}: IB error {exc.code}: {message}") from None
            except (TimeoutError, ConnectionError, asyncio.CancelledError) as exc:
                if silent_retry:
                    silent_retry = False
                    log.warning("%s: no answer from the %s (%r); reconnecting", what, self.where, exc)
                    self._drop()
                    continue
                raise BrokerError(f"{what}: no answer from the {self.where}; check the gateway") from None

    def _pace(self, times: deque[float], limit: int, window: float) -> None:
        """Keep under one of IB's historical data limits (requests per rolling window)."""
        now = time.monotonic()
        while times and now - times[0] > window:
            times.popleft()
        if len(times) >= limit:
            wait = window - (now - times[0])
            log.info("pacing IB historical requests: waiting %.0f s", wait)
            self.pause(max(wait, 0.0))
            times.popleft()
        times.append(time.monotonic())


_CONNECTIONS: dict[tuple[Any, ...], IBConnection] = {}


def shared_connection(key: tuple[Any, ...], make: Callable[[], IBConnection]) -> IBConnection:
    """One connection per process for each (gateway, installation)."""
    connection = _CONNECTIONS.get(key)
    if connection is None or connection._closed:
        connection = _CONNECTIONS[key] = make()
    return connection
