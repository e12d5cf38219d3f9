"""The provided order generator: classic buffered positions (pysystemtrade's
`orderGeneratorForBufferedPositions`).

For each instrument with a stored optimal position of the strategy (run_systems put it there):

1. the position the strategy will hold = its booked position + what its active orders still have
   to trade (so orders already on the stack count, and a second run, or a re-run after a run was
   killed half way, asks for nothing already asked for);
2. outside the buffer [lower, upper]: trade to the nearest edge, rounded to whole contracts
   (sysobjects/buffered_orders.py); inside: nothing;
3. overrides of the strategy, the instrument and the pair, combined (sysobjects/overrides.py);
4. position limits of the instrument (all strategies' positions and orders together) and of the
   strategy and instrument (sysobjects/position_limits.py): a breaching trade is cut back;
5. a locked instrument gets no order;
6. otherwise one instrument order, type `best`, carrying the optimal position's reference price,
   contract and time, is added to the instrument order stack (one atomic insert).

Each step is logged with its reason, with the log attributes strategy_name and instrument_code.

A stale optimal position is refused: one computed on an earlier day (its run_time) than the
latest stored price of the instrument means run_systems did not run on today's prices (it failed,
or was not run), and trading it would act on yesterday's view. The instrument gets no order and
is a failed item of the summary (so the process exits 1 and says why), naming the fix.

JobSummary: updated = orders created, unchanged = no trade wanted (or a locked instrument, said in
the note), failed = per-instrument errors and stale positions. A position the strategy holds in an
instrument without an optimal position (taken out of the backtest config) is not traded: a
WARNING log and the note say so.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from syscore.exceptions import ConfigError, MissingData
from syscore.job_summary import JobSummary
from syslogdiag import log_context
from sysobjects.buffered_orders import buffered_trade
from sysobjects.optimal_positions import BufferedOptimalPosition
from sysobjects.orders import InstrumentOrder
from sysobjects.overrides import apply_override
from sysobjects.position_limits import LimitCheck, apply_position_limits

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

log = logging.getLogger(__name__)

ORDER_TYPE = "best"


def stale_reason(data: DataBlob, optimal: BufferedOptimalPosition) -> str | None:
    """Why the optimal position must not be traded on (None when it is current): it was computed
    on an earlier day than the instrument's latest stored price."""
    instrument = optimal.instrument_code
    try:
        prices = data.adjusted_prices.get(instrument)
    except MissingData:
        prices = None
    if prices is None or prices.empty:
        return (f"no adjusted prices stored for {instrument}, so the optimal position cannot be "
                "checked against them; not traded")
    latest = prices.index[-1]
    if optimal.run_time.date() < latest.date():
        return (
            f"stale optimal position: computed {optimal.run_time:%Y-%m-%d %H:%M}, before the latest "
            f"prices of {latest:%Y-%m-%d}; not traded (run run_systems, then this again)"
        )
    return None


def instrument_position_and_orders(data: DataBlob, instrument: str) -> int:
    """All strategies' booked positions in the instrument plus what their active orders still
    have to trade (roll orders move a position between contracts, not in the instrument)."""
    booked = sum(pos for (_, code), pos in data.strategy_positions.all().items() if code == instrument)
    pending = sum(order.remaining for order in data.instrument_orders.active(instrument=instrument)
                  if not order.roll_order)
    return booked + pending


def limit_checks(data: DataBlob, strategy: str, instrument: str, strategy_position: int) -> list[LimitCheck]:
    checks = []
    instrument_limit = data.position_limits.get(instrument)
    if instrument_limit is not None:
        checks.append(LimitCheck(f"instrument {instrument}",
                                 instrument_position_and_orders(data, instrument), instrument_limit))
    pair_limit = data.position_limits.get(instrument, strategy)
    if pair_limit is not None:
        checks.append(LimitCheck(f"strategy {strategy} / instrument {instrument}",
                                 strategy_position, pair_limit))
    return checks


def order_for_instrument(data: DataBlob, strategy: str, optimal: BufferedOptimalPosition,
                         summary: JobSummary) -> None:
    """Steps 1-6 for one instrument; the outcome goes into `summary`."""
    instrument = optimal.instrument_code
    stale = stale_reason(data, optimal)
    if stale is not None:
        log.error("%s %s: %s", strategy, instrument, stale)
        summary.failed[instrument] = stale
        return

    booked = data.strategy_positions.get(strategy, instrument)
    outstanding = data.instrument_orders.outstanding_trade(strategy, instrument)
    position = booked + outstanding
    trade, reason = buffered_trade(position, optimal.lower, optimal.upper)
    reasons = [reason]
    log.info("%s %s: position %d (booked %d, on the stack %+d), optimal %.2f: %s",
             strategy, instrument, position, booked, outstanding, optimal.optimal, reason)

    override = data.overrides.cumulative(strategy, instrument)
    trade, reason = apply_override(override, position, trade)
    if reason:
        reasons.append(reason)
        log.info("%s %s: %s", strategy, instrument, reason)

    trade, reason = apply_position_limits(trade, limit_checks(data, strategy, instrument, position))
    if reason:
        reasons.append(reason)
        log.warning("%s %s: %s", strategy, instrument, reason)

    if trade == 0:
        summary.unchanged.append(instrument)
        return

    if data.instrument_locks.is_locked(instrument):
        lock = data.instrument_locks.reason(instrument)
        log.warning("%s %s: instrument locked (%s): no order for %+d", strategy, instrument, lock, trade)
        summary.unchanged.append(instrument)
        locked = f"{instrument} {trade:+d} not ordered, locked ({lock})"
        summary.note = f"{summary.note}; {locked}" if summary.note else locked
        return

    order = InstrumentOrder(
        strategy_name=strategy, instrument_code=instrument, trade=trade, order_type=ORDER_TYPE,
        reference_price=optimal.reference_price, reference_datetime=optimal.reference_time,
        reference_contract=optimal.reference_contract, reason="; ".join(reasons),
        created_datetime=data.clock.now(),
    )
    order_id = data.instrument_orders.add(order)
    with log_context(order_id=order_id):
        log.info("%s %s: instrument order %d for %+d (best, reference %s at %g, %s)", strategy,
                 instrument, order_id, trade, optimal.reference_contract, optimal.reference_price,
                 f"{optimal.reference_time:%Y-%m-%d %H:%M}")
    summary.updated[instrument] = f"order {order_id}: {trade:+d} ({'; '.join(reasons)})"


def generate_buffered_orders(data: DataBlob, strategy_name: str, **settings: Any) -> JobSummary:
    """Instrument orders that bring the strategy's positions back inside their buffers."""
    if settings:
        raise ConfigError(
            f"strategy_list.{strategy_name}.order_generator: unknown setting(s) "
            f"{', '.join(sorted(settings))}; the buffered order generator takes none"
        )
    summary = JobSummary(f"strategy orders {strategy_name}")
    with log_context(strategy_name=strategy_name, type="strategy_orders"):
        optimal = data.optimal_positions.for_strategy(strategy_name)
        if not optimal:
            summary.failed[strategy_name] = (
                f"no optimal positions stored for strategy {strategy_name}; run run_systems first"
            )
            log.error("%s: %s", strategy_name, summary.failed[strategy_name])
            return summary
        for instrument in sorted(optimal):
            with log_context(instrument_code=instrument), summary.isolated(instrument, "instrument order"):
                order_for_instrument(data, strategy_name, optimal[instrument], summary)
        held = data.strategy_positions.for_strategy(strategy_name)
        for instrument in sorted(set(held) - set(optimal)):
            # e.g. an instrument taken out of the backtest config: nothing decides its trades now
            with log_context(instrument_code=instrument):
                log.warning("%s %s: position %d but no optimal position; not traded (close it by "
                            "hand, or put it back in the backtest config)", strategy_name, instrument,
                            held[instrument])
            orphan = f"{instrument} position {held[instrument]} has no optimal position"
            summary.note = f"{summary.note}; {orphan}" if summary.note else orphan
    return summary
