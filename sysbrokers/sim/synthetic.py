"""The synthetic market: deterministic futures and FX prices from a seed.

Every instrument has an underlying path (log random walk with slowly changing volatility, a
wandering trend and rare jumps) and a carry rate; a contract's price is the underlying times
exp(-carry x years to expiry), so the curve is in backwardation when carry is positive and in
contango when it is negative, and carry is real money for a position that rolls.

Determinism regardless of when or where bars are asked for: the path is generated one calendar
year at a time, each year from its own random stream `(seed, instrument, year)`, carrying the
state (price, volatility, trend, carry) from the year before. Bars through a date therefore never
depend on the date asked for, the process or the order of calls. Everything is vectorised over a
year of days (the AR(1) parts use the closed form), so 20 years is a few hundred numpy calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from sysbrokers.sim.instruments import (
    DEMO_CURRENCIES,
    DEMO_INSTRUMENTS,
    CurrencyModel,
    PriceModel,
    SyntheticInstrument,
)
from sysbrokers.sim.market import HOURS_PER_SESSION, SESSION_CLOSE, empty_bars, session_stamp
from syscore.exceptions import BrokerError, BrokerNoData
from sysobjects.contracts import ContractId
from sysobjects.instruments import InstrumentMeta
from sysobjects.prices import CONTRACT_PRICE_COLUMNS
from sysobjects.roll_parameters import (
    RollParameters,
    contracts_between,
    cycle_months,
)

TRADING_DAYS = 256
VOL_PERSISTENCE = 0.98  # daily AR(1) coefficient of log volatility
VOL_OF_VOL = 0.25  # stationary std of log volatility: regimes from ~0.6x to ~1.6x normal vol
TREND_PERSISTENCE = 0.995
TREND_SHARPE = 0.5  # stationary std of the annual drift, in units of annual vol
CARRY_PERSISTENCE = 0.99
# Log prices revert to the start level with a ~4-year half-life: trends last months, but over
# decades prices stay within a plausible range of where they began.
PRICE_PERSISTENCE = 0.5 ** (1 / (4 * TRADING_DAYS))
JUMP_PROBABILITY = 1 / 500
JUMP_SIGMAS = (2.5, 3.5)  # jump size range in daily standard deviations (below spike thresholds)
MIN_LISTING_DAYS = 365
MARKET_ROLL_LEAD_DAYS = 3  # volume moves to the next contract this long before our roll date


def weekdays(start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    """Midnight stamps of the weekdays from `start` to `end` inclusive."""
    if end < start:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    return pd.DatetimeIndex(days[np.is_busday(days)].astype("datetime64[ns]"))


def _weekday_number(origin: dt.date, days: np.ndarray) -> np.ndarray:
    """Position of each weekday in the run of weekdays starting at `origin`."""
    return np.busday_count(np.datetime64(origin, "D"), days.astype("datetime64[D]"))


def _ar1(start: float, phi: float, shocks: np.ndarray) -> np.ndarray:
    """x_t = phi x_{t-1} + shock_t for t = 1..n, from x_0 = start, without a Python loop.

    Closed form x_t = phi^t (x_0 + sum_{s<=t} phi^-s shock_s); within one year phi^-n stays small.
    """
    powers = phi ** np.arange(1, len(shocks) + 1)
    return powers * (start + np.cumsum(shocks / powers))


@dataclass(frozen=True)
class PathState:
    log_price: float
    log_vol: float  # log of the volatility multiplier
    trend: float  # daily drift
    carry: float  # annualised


def _initial_state(model: PriceModel) -> PathState:
    return PathState(float(np.log(model.start_price)), 0.0, 0.0, model.carry_mean)


def underlying_year(
    model: PriceModel, seed: int, key: int, year: int, days: pd.DatetimeIndex, state: PathState
) -> tuple[pd.DataFrame, PathState]:
    """One year of the underlying: OPEN HIGH LOW CLOSE, daily SIGMA and annual CARRY."""
    n = len(days)
    rng = np.random.default_rng([seed, key, year, 0])
    z = rng.standard_normal((8, n))
    u = rng.random((2, n))
    base_sigma = model.annual_vol / np.sqrt(TRADING_DAYS)
    log_vol = _ar1(state.log_vol, VOL_PERSISTENCE, VOL_OF_VOL * np.sqrt(1 - VOL_PERSISTENCE**2) * z[0])
    sigma = base_sigma * np.exp(log_vol)
    trend_std = TREND_SHARPE * model.annual_vol / TRADING_DAYS
    trend = _ar1(state.trend, TREND_PERSISTENCE, trend_std * np.sqrt(1 - TREND_PERSISTENCE**2) * z[1])
    jump_size = np.sign(z[2]) * (JUMP_SIGMAS[0] + (JUMP_SIGMAS[1] - JUMP_SIGMAS[0]) * u[1])
    jumps = np.where(u[0] < JUMP_PROBABILITY, jump_size * sigma, 0.0)
    returns = trend + sigma * z[3] + jumps
    anchor = float(np.log(model.start_price))
    log_close = anchor + _ar1(state.log_price - anchor, PRICE_PERSISTENCE, returns)
    close = np.exp(log_close)
    previous = np.exp(np.concatenate([[state.log_price], log_close[:-1]]))
    open_ = previous * np.exp(0.2 * sigma * z[4])
    high = np.maximum(open_, close) * np.exp(0.5 * sigma * np.abs(z[5]))
    low = np.minimum(open_, close) * np.exp(-0.5 * sigma * np.abs(z[6]))
    carry = model.carry_mean + _ar1(
        state.carry - model.carry_mean, CARRY_PERSISTENCE,
        model.carry_vol * np.sqrt(1 - CARRY_PERSISTENCE**2) * z[7],
    )
    frame = pd.DataFrame(
        {"OPEN": open_, "HIGH": high, "LOW": low, "CLOSE": close, "SIGMA": sigma, "CARRY": carry},
        index=days,
    )
    end = PathState(float(log_close[-1]), float(log_vol[-1]), float(trend[-1]), float(carry[-1]))
    return frame, end


def usd_rate_path(currency: CurrencyModel, seed: int, start: dt.date, through_year: int) -> pd.Series:
    """USD per unit of a currency: a log random walk with slowly changing volatility, reverting
    to its start level like the instruments' prices."""
    pieces = []
    anchor = float(np.log(currency.usd_rate))
    log_rate, log_vol = anchor, 0.0
    base_sigma = currency.annual_vol / np.sqrt(TRADING_DAYS)
    for year in range(start.year, through_year + 1):
        days = weekdays(max(start, dt.date(year, 1, 1)), dt.date(year, 12, 31))
        rng = np.random.default_rng([seed, currency.stream_key, year, 0])
        z = rng.standard_normal((2, len(days)))
        vols = _ar1(log_vol, VOL_PERSISTENCE, VOL_OF_VOL * np.sqrt(1 - VOL_PERSISTENCE**2) * z[0])
        logs = anchor + _ar1(log_rate - anchor, PRICE_PERSISTENCE, base_sigma * np.exp(vols) * z[1])
        pieces.append(pd.Series(np.exp(logs), index=days))
        log_rate, log_vol = float(logs[-1]), float(vols[-1])
    return pd.concat(pieces) if pieces else pd.Series(dtype="float64")


def listing_days(roll: RollParameters) -> int:
    """How long before expiry a contract is listed: long enough that every contract the pipeline
    prices (PRICE, FORWARD, CARRY) trades from the day the contract before it is rolled, and at
    least a year."""
    worst = MIN_LISTING_DAYS
    for held in contracts_between(dt.date(2001, 1, 1), dt.date(2002, 12, 31), roll.hold_roll_cycle):
        first_needed = roll.expected_roll_date(roll.previous_held(held))
        for needed in (held, roll.next_held(held), roll.carry_contract(held)):
            worst = max(worst, (roll.expected_expiry(needed) - first_needed).days + 30)
    return worst


_BAR_COLUMNS = pd.Index(CONTRACT_PRICE_COLUMNS)
_CLOSE_OFFSET = np.timedelta64(SESSION_CLOSE.hour * 60 + SESSION_CLOSE.minute, "m")


def round_to_tick(values: np.ndarray, tick: float) -> np.ndarray:
    return np.round(np.round(values / tick) * tick, 10)


def contract_daily_bars(
    spec: SyntheticInstrument, seed: int, underlying: dict[str, np.ndarray], contract: ContractId,
    listing: int,
) -> pd.DataFrame:
    """A contract's life of daily bars (within the underlying's span), stamped at the close.

    `underlying` holds the path as arrays (DAYS, OPEN, HIGH, LOW, CLOSE, CARRY): slicing arrays
    keeps this cheap when thousands of contracts are generated.
    """
    roll = spec.roll
    expiry = roll.expected_expiry(contract)
    first = expiry - dt.timedelta(days=listing)
    all_days = underlying["DAYS"]
    lo = np.searchsorted(all_days, np.datetime64(first, "ns"))
    hi = np.searchsorted(all_days, np.datetime64(expiry, "ns"), side="right")
    days = all_days[lo:hi]
    years_left = (np.datetime64(expiry, "D") - days.astype("datetime64[D]")).astype("float64") / 365.25
    factor = np.exp(-underlying["CARRY"][lo:hi] * years_left)
    block = np.empty((len(days), 5))
    for column, source in enumerate(("OPEN", "HIGH", "LOW", "CLOSE")):
        block[:, column] = round_to_tick(underlying[source][lo:hi] * factor, spec.model.tick)
    block[:, 4] = _volumes(spec, seed, contract, days, first, expiry)
    stamps = pd.DatetimeIndex(days + _CLOSE_OFFSET, name="DATETIME")
    return pd.DataFrame(block, index=stamps, columns=_BAR_COLUMNS)


def _market_roll(roll: RollParameters, contract: ContractId) -> np.datetime64:
    return np.datetime64(roll.expected_roll_date(contract) - dt.timedelta(days=MARKET_ROLL_LEAD_DAYS), "D")


@cache
def _market_rolls(roll: RollParameters) -> np.ndarray:
    """When the market rolls out of each priced contract, 1980-2100, ascending."""
    contracts = contracts_between(dt.date(1980, 1, 1), dt.date(2100, 12, 31), roll.priced_roll_cycle)
    return np.array([_market_roll(roll, c) for c in contracts])


def _volumes(
    spec: SyntheticInstrument, seed: int, contract: ContractId, days: np.ndarray,
    first: dt.date, expiry: dt.date,
) -> np.ndarray:
    """Volume rises as a contract moves to the front and drains after the market rolls out of it.

    Weight 0.45^k, k = how many earlier contracts the market has not yet rolled out of; once the
    market has rolled out of this contract its weight decays over a few days. The noise is drawn
    for the contract's whole life at once, so it is the same whatever date is asked for.
    """
    if len(days) == 0:
        return np.array([], dtype="float64")
    rolls = _market_rolls(spec.roll)
    own = _market_roll(spec.roll, contract)
    day_numbers = days.astype("datetime64[D]")
    # earlier contracts still ahead of this one: market roll dates in (day, own roll)
    ahead = np.searchsorted(rolls, own, side="left") - np.searchsorted(rolls, day_numbers, side="right")
    ahead = np.maximum(ahead, 0)
    days_past = (day_numbers - own).astype("int64")
    weight = np.where(days_past >= 0, 0.25 * np.exp(-np.maximum(days_past, 0) / 4.0), 0.45**ahead)
    weight = np.maximum(weight, 0.002)
    rng = np.random.default_rng([seed, spec.stream_key, int(str(contract)), 1])
    noise = rng.lognormal(0.0, 0.3, int(_weekday_number(first, np.array([np.datetime64(expiry, "D") + 1]))[0]))
    return np.round(spec.model.daily_volume * weight * noise[_weekday_number(first, days)])


def contract_hourly_bars(
    spec: SyntheticInstrument, seed: int, daily: pd.DataFrame, contract: ContractId
) -> pd.DataFrame:
    """Eight hourly bars per session ending at the close: a Brownian bridge from the day's open
    to its close, kept inside the day's high/low, so the last hourly FINAL is the daily FINAL."""
    n = len(daily)
    if n == 0:
        return daily.iloc[0:0]
    hours = HOURS_PER_SESSION
    days = daily.index.normalize()
    rng = np.random.default_rng([seed, spec.stream_key, int(str(contract)), 2])
    expiry = spec.roll.expected_expiry(contract)
    origin = expiry - dt.timedelta(days=4000)
    life = int(_weekday_number(origin, np.array([np.datetime64(expiry, "D") + 1]))[0])
    draws = rng.standard_normal((life, hours + 2))[_weekday_number(origin, days.to_numpy())]
    open_, close = daily["OPEN"].to_numpy(), daily["FINAL"].to_numpy()
    high, low = daily["HIGH"].to_numpy(), daily["LOW"].to_numpy()
    walk = np.cumsum(draws[:, :hours], axis=1) / np.sqrt(hours)
    fraction = np.arange(1, hours + 1) / hours
    bridge = walk - fraction[None, :] * walk[:, -1:]
    points = open_[:, None] + (close - open_)[:, None] * fraction[None, :]
    day_range = (high - low)[:, None]
    points = points + bridge * day_range * 0.35
    points[:, -1] = close
    points = np.clip(points, low[:, None], high[:, None])
    starts = np.concatenate([open_[:, None], points[:, :-1]], axis=1)
    wiggle = day_range * 0.1
    bar_high = np.minimum(np.maximum(starts, points) + np.abs(draws[:, hours:hours + 1]) * wiggle, high[:, None])
    bar_low = np.maximum(np.minimum(starts, points) - np.abs(draws[:, hours + 1:]) * wiggle, low[:, None])
    tick = spec.model.tick
    stamps = (
        days.to_numpy()[:, None]
        + (np.timedelta64(SESSION_CLOSE.hour, "h") - np.arange(hours - 1, -1, -1).astype("timedelta64[h]"))[None, :]
    )
    volume = np.round(daily["VOLUME"].to_numpy()[:, None] / hours * np.ones(hours))
    frame = pd.DataFrame(
        {
            "OPEN": round_to_tick(starts.ravel(), tick),
            "HIGH": round_to_tick(bar_high.ravel(), tick),
            "LOW": round_to_tick(bar_low.ravel(), tick),
            "FINAL": round_to_tick(points.ravel(), tick),
            "VOLUME": volume.ravel(),
        },
        index=pd.DatetimeIndex(stamps.ravel().astype("datetime64[ns]"), name="DATETIME"),
    )
    return frame


def _upto(frame: pd.DataFrame | pd.Series, now: dt.datetime) -> pd.DataFrame | pd.Series:
    return frame.iloc[: frame.index.searchsorted(pd.Timestamp(now), side="right")]


class SyntheticMarket:
    """The synthetic market for one seed and history start; caches generated years per process."""

    kind = "synthetic"

    def __init__(
        self,
        seed: int,
        history_start: dt.date,
        instruments: tuple[SyntheticInstrument, ...] = DEMO_INSTRUMENTS,
        currencies: tuple[CurrencyModel, ...] = DEMO_CURRENCIES,
    ):
        self.seed = int(seed)
        self.history_start = history_start
        self._specs = {spec.code: spec for spec in instruments}
        self._currencies = {currency.code: currency for currency in currencies}
        self._paths: dict[str, tuple[pd.DataFrame, dict[str, np.ndarray], PathState, int]] = {}
        self._rates = lru_cache(maxsize=None)(self._make_rates)
        self._daily = lru_cache(maxsize=1024)(self._make_daily)
        self._hourly = lru_cache(maxsize=256)(self._make_hourly)
        self._listing = {code: listing_days(spec.roll) for code, spec in self._specs.items()}

    def describe(self) -> str:
        return f"synthetic market, seed {self.seed}, history from {self.history_start:%Y-%m-%d}"

    # --- instruments --------------------------------------------------------------------------
    def spec(self, code: str) -> SyntheticInstrument:
        try:
            return self._specs[code]
        except KeyError:
            raise BrokerNoData(
                f"instrument {code} is not traded by the simulated market; it has "
                f"{', '.join(sorted(self._specs))}"
            ) from None

    def instrument_codes(self) -> list[str]:
        return sorted(self._specs)

    def instruments(self) -> tuple[SyntheticInstrument, ...]:
        return tuple(self._specs[code] for code in self.instrument_codes())

    def instrument_meta(self, code: str) -> InstrumentMeta:
        return self.spec(code).meta

    def roll_parameters(self, code: str) -> RollParameters:
        return self.spec(code).roll

    def spread_cost(self, code: str) -> float:
        return self.spec(code).spread_cost

    def currencies(self) -> list[str]:
        return sorted({"USD", *self._currencies})

    # --- contracts ----------------------------------------------------------------------------
    def _contract(self, code: str, contract_id: str) -> ContractId:
        roll = self.spec(code).roll
        try:
            contract = ContractId.parse(contract_id)
        except Exception:
            raise BrokerError(f"{code}: contract id '{contract_id}' is not YYYYMMDD") from None
        if contract.month not in cycle_months(roll.priced_roll_cycle):
            raise BrokerNoData(
                f"{code} has no contract {contract_id}: it lists months {roll.priced_roll_cycle} only"
            )
        return ContractId.from_month(contract.year, contract.month)

    def contract_expiry(self, code: str, contract_id: str) -> dt.date:
        return self.spec(code).roll.expected_expiry(self._contract(code, contract_id))

    def listing_date(self, code: str, contract_id: str) -> dt.date:
        return self.contract_expiry(code, contract_id) - dt.timedelta(days=self._listing[code])

    def listed_contracts(self, code: str, now: dt.datetime) -> list[str]:
        roll = self.spec(code).roll
        today = now.date()
        horizon = today + dt.timedelta(days=self._listing[code] + 62)
        out = []
        for contract in contracts_between(today - dt.timedelta(days=62), horizon, roll.priced_roll_cycle):
            expiry = roll.expected_expiry(contract)
            if expiry - dt.timedelta(days=self._listing[code]) <= today <= expiry:
                out.append(str(contract))
        return out

    # --- bars ---------------------------------------------------------------------------------
    def _path(self, code: str, through_year: int) -> tuple[pd.DataFrame, dict[str, np.ndarray], int]:
        """The instrument's underlying, generated (and kept) at least through `through_year`;
        extended a year at a time from the saved state, never regenerated."""
        spec = self.spec(code)
        cached = self._paths.get(code)
        if cached is None:
            frame, state, last = pd.DataFrame(), _initial_state(spec.model), self.history_start.year - 1
        else:
            frame, _, state, last = cached
        if last < through_year:
            pieces = [frame] if len(frame) else []
            for year in range(last + 1, through_year + 1):
                days = weekdays(max(self.history_start, dt.date(year, 1, 1)), dt.date(year, 12, 31))
                piece, state = underlying_year(spec.model, self.seed, spec.stream_key, year, days, state)
                pieces.append(piece)
            frame = pd.concat(pieces)
            arrays = {column: frame[column].to_numpy() for column in frame.columns}
            arrays["DAYS"] = frame.index.to_numpy(dtype="datetime64[ns]")
            self._paths[code] = (frame, arrays, state, through_year)
            last = through_year
        frame, arrays, _, last = self._paths[code]
        return frame, arrays, last

    def underlying(self, code: str, through_year: int) -> pd.DataFrame:
        """The underlying path (OPEN HIGH LOW CLOSE SIGMA CARRY per weekday) to `through_year`'s end."""
        frame = self._path(code, through_year)[0]
        return frame[frame.index.year <= through_year]

    def _make_daily(self, code: str, contract: ContractId, covered_year: int) -> pd.DataFrame:
        arrays = self._path(code, covered_year)[1]
        return contract_daily_bars(self.spec(code), self.seed, arrays, contract, self._listing[code])

    def _make_hourly(self, code: str, contract: ContractId, through_year: int) -> pd.DataFrame:
        spec = self.spec(code)
        return contract_hourly_bars(spec, self.seed, self._daily(code, contract, through_year), contract)

    def _covered_year(self, code: str, contract: ContractId, now: dt.datetime) -> int:
        """The year through which the contract's bars are computed: no further than needed (now or
        its expiry), but as far as the path already goes, so one cached frame serves many calls."""
        expiry_year = self.spec(code).roll.expected_expiry(contract).year
        needed = max(min(now.year, expiry_year), self.history_start.year)
        generated = self._path(code, needed)[2]
        return min(expiry_year, generated)

    def daily_bars(self, code: str, contract_id: str, now: dt.datetime) -> pd.DataFrame:
        contract = self._contract(code, contract_id)
        if now.date() < self.history_start:
            return empty_bars()
        return _upto(self._daily(code, contract, self._covered_year(code, contract, now)), now)

    def hourly_bars(self, code: str, contract_id: str, now: dt.datetime) -> pd.DataFrame:
        contract = self._contract(code, contract_id)
        if now.date() < self.history_start:
            return empty_bars()
        return _upto(self._hourly(code, contract, self._covered_year(code, contract, now)), now)

    def full_history(self, code: str, now: dt.datetime) -> dict[str, pd.DataFrame]:
        """Daily bars up to `now` of every contract listed at some time since the history start
        (for building a CSV tree of the market's past). The same bars `daily_bars` gives, made in
        one pass over the path and not kept in the per-contract cache."""
        spec = self.spec(code)
        roll = spec.roll
        first = self.history_start
        if now.date() < first:
            return {}
        last = now.date() + dt.timedelta(days=self._listing[code] + 31)
        arrays = self._path(code, now.year)[1]
        out = {}
        for contract in contracts_between(first, last, roll.priced_roll_cycle):
            if roll.expected_expiry(contract) < first:
                continue
            bars = _upto(contract_daily_bars(spec, self.seed, arrays, contract, self._listing[code]), now)
            if len(bars):
                out[str(contract)] = bars
        return out

    # --- FX -----------------------------------------------------------------------------------
    def _make_rates(self, currency: str, through_year: int) -> pd.Series:
        model = self._currencies[currency]
        if model.instrument in self._specs:
            series = self.underlying(model.instrument, through_year)["CLOSE"]
        else:
            series = usd_rate_path(model, self.seed, self.history_start, through_year)
        series.index = session_stamp(pd.DatetimeIndex(series.index))
        return series.rename("price")

    def usd_rates(self, currency: str, now: dt.datetime) -> pd.Series:
        if currency not in self._currencies and currency != "USD":
            raise BrokerNoData(f"the simulated market has no currency {currency}")
        if now.date() < self.history_start:
            return pd.Series(dtype="float64", name="price", index=pd.DatetimeIndex([], name="DATETIME"))
        if currency == "USD":
            eur = self._rates(next(iter(self._currencies)), now.year)
            return _upto(pd.Series(1.0, index=eur.index, name="price"), now)
        return _upto(self._rates(currency, now.year), now)

