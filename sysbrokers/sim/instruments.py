"""The synthetic market's instruments: what they are (config) and how their prices behave (model).

The config half (InstrumentMeta, RollParameters, spread cost) is exactly what `sysprod demo` writes
into the sandbox's CSV tree, so the pipeline and the simulated broker always agree on pointsizes,
cycles and expiries. The model half (start price, volatility, carry, tick, volume) only drives the
generator in `sysbrokers.sim.synthetic`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

from sysobjects.instruments import InstrumentMeta
from sysobjects.roll_parameters import RollParameters


@dataclass(frozen=True)
class PriceModel:
    """How one instrument's prices move.

    `carry_mean` is the annualised roll yield: positive means backwardation (far contracts
    cheaper, a long position earns carry), negative means contango.
    """

    start_price: float
    annual_vol: float  # of log returns
    carry_mean: float
    carry_vol: float  # stationary standard deviation of the annualised carry
    tick: float
    daily_volume: float  # of the front contract, on an average day


@dataclass(frozen=True)
class SyntheticInstrument:
    meta: InstrumentMeta
    roll: RollParameters
    spread_cost: float  # half the bid/ask spread, in price units (pysystemtrade's SpreadCost)
    model: PriceModel

    @property
    def code(self) -> str:
        return self.meta.instrument_code

    @property
    def stream_key(self) -> int:
        """A stable number for the instrument (its random streams), equal in every process."""
        return zlib.crc32(self.code.encode())


def _instrument(
    code: str, description: str, pointsize: float, currency: str, asset_class: str,
    per_block: float, region: str, roll: tuple[str, int, int, str, int], spread: float,
    model: PriceModel,
) -> SyntheticInstrument:
    hold, offset, carry, priced, expiry = roll
    return SyntheticInstrument(
        meta=InstrumentMeta(code, description, float(pointsize), currency, asset_class, per_block, 0.0, 0.0, region),
        roll=RollParameters(hold, priced, offset, carry, expiry),
        spread_cost=spread,
        model=model,
    )


# Twelve instruments across asset classes and four currencies (USD, EUR, GBP, JPY), so FX
# conversion matters. Roll cycles cover quarterly financials, monthly energy with a December hold
# cycle, bi-monthly metals and a five-month grain cycle with a negative carry offset.
DEMO_INSTRUMENTS: tuple[SyntheticInstrument, ...] = (
    _instrument("US10", "US 10 year note (synthetic)", 1000, "USD", "Bond", 1.5, "US",
                ("HMUZ", -25, 1, "HMUZ", 19), 0.008, PriceModel(115.0, 0.06, 0.01, 0.01, 1 / 64, 900_000)),
    _instrument("BUND", "German 10 year Bund (synthetic)", 1000, "EUR", "Bond", 2.0, "EMEA",
                ("HMUZ", -5, 1, "HMUZ", 6), 0.01, PriceModel(135.0, 0.065, 0.005, 0.01, 0.01, 600_000)),
    _instrument("SP500", "US equity index S&P 500 (synthetic)", 50, "USD", "Equity", 2.0, "US",
                ("HMUZ", -5, 1, "HMUZ", 14), 0.125, PriceModel(1300.0, 0.17, -0.01, 0.01, 0.25, 1_500_000)),
    _instrument("DAX", "German equity index DAX (synthetic)", 1, "EUR", "Equity", 0.5, "EMEA",
                ("HMUZ", -5, 1, "HMUZ", 15), 0.9, PriceModel(6500.0, 0.2, 0.01, 0.01, 1.0, 120_000)),
    _instrument("NIKKEI", "Nikkei 225 mini (synthetic)", 100, "JPY", "Equity", 40.0, "ASIA",
                ("HMUZ", -5, 1, "HMUZ", 14), 5.0, PriceModel(10000.0, 0.21, 0.015, 0.01, 5.0, 300_000)),
    _instrument("FTSE100", "FTSE 100 index (synthetic)", 10, "GBP", "Equity", 1.7, "EMEA",
                ("HMUZ", -30, 1, "HMUZ", 17), 0.5, PriceModel(5800.0, 0.16, 0.01, 0.01, 0.5, 100_000)),
    _instrument("EUR", "EUR/USD currency future (synthetic)", 125000, "USD", "FX", 2.5, "US",
                ("HMUZ", -5, 1, "HMUZ", 17), 0.00003, PriceModel(1.3, 0.08, -0.01, 0.01, 0.00005, 250_000)),
    _instrument("CRUDE_W", "Light sweet crude, December hold (synthetic)", 1000, "USD", "OilGas", 2.3, "US",
                ("Z", -40, -1, "FGHJKMNQUVXZ", -11), 0.012, PriceModel(90.0, 0.32, 0.04, 0.08, 0.01, 700_000)),
    _instrument("GAS_US", "US natural gas (synthetic)", 10000, "USD", "OilGas", 2.3, "US",
                ("FGHJKMNQUVXZ", -35, -1, "FGHJKMNQUVXZ", -4), 0.002, PriceModel(3.5, 0.45, -0.15, 0.1, 0.001, 300_000)),
    _instrument("GOLD", "Gold (synthetic)", 100, "USD", "Metals", 2.3, "US",
                ("GJMQVZ", -30, 1, "GJMQVZ", 26), 0.07, PriceModel(1500.0, 0.16, -0.02, 0.005, 0.1, 250_000)),
    _instrument("COPPER", "Copper (synthetic)", 25000, "USD", "Metals", 2.4, "US",
                ("HNUZ", -30, 1, "FHJMNUVZ", 27), 0.0005, PriceModel(3.4, 0.24, 0.01, 0.04, 0.0005, 80_000)),
    _instrument("CORN", "Corn (synthetic)", 50, "USD", "Ags", 2.9, "US",
                ("Z", -60, -1, "HKNUZ", 14), 0.16, PriceModel(420.0, 0.26, -0.04, 0.06, 0.25, 350_000)),
)


@dataclass(frozen=True)
class CurrencyModel:
    """One currency against USD. With `instrument`, the rate IS that FX future's underlying (so
    the EURUSD rate and the EUR future move together); otherwise it has a path of its own."""

    code: str
    usd_rate: float  # starting USD per unit
    annual_vol: float
    instrument: str | None = None

    @property
    def stream_key(self) -> int:
        return zlib.crc32(f"FX:{self.code}".encode())


DEMO_CURRENCIES: tuple[CurrencyModel, ...] = (
    CurrencyModel("EUR", 1.3, 0.08, instrument="EUR"),
    CurrencyModel("GBP", 1.58, 0.09),
    CurrencyModel("JPY", 0.0125, 0.10),
)


def scaled_universe(count: int) -> tuple[SyntheticInstrument, ...]:
    """`count` instruments for scale work: the demo twelve, then numbered copies of them
    (`SP500_2`, ...) with their own random streams and slightly different start prices."""
    out: list[SyntheticInstrument] = []
    for position in range(count):
        base = DEMO_INSTRUMENTS[position % len(DEMO_INSTRUMENTS)]
        copy = position // len(DEMO_INSTRUMENTS)
        if copy == 0:
            out.append(base)
            continue
        code = f"{base.code}_{copy + 1}"
        out.append(
            replace(
                base,
                meta=replace(base.meta, instrument_code=code, description=f"{base.meta.description} #{copy + 1}"),
                model=replace(base.model, start_price=base.model.start_price * (1 + 0.05 * copy)),
            )
        )
    return tuple(out)
