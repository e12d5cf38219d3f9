"""The simulated market closes before the crontab's price job runs, so that job finds the day's bar.

With a 23:00 close the 20:00 job found nothing new each day and production ran a day behind.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sysbrokers.sim.market import SESSION_CLOSE
from syscore.config import load_config
from sysproduction.control.process_config import load_process_config, process_names


def price_job_start() -> dt.time:
    """When the default schedule runs update_historical_prices (the process that has it)."""
    config = load_config(env={})
    for name in process_names(config):
        process = load_process_config(config, name)
        if process.start_time and any("update_historical_prices" in m.target for m in process.methods):
            return process.start_time
    raise AssertionError("no scheduled process runs update_historical_prices")


def test_the_nightly_price_job_finds_that_days_bar(market):
    start = price_job_start()
    assert SESSION_CLOSE < start
    for day in pd.bdate_range("2024-06-03", "2024-06-07"):
        run = dt.datetime.combine(day.date(), start)
        for instrument, contract in (("GOLD", "20241200"), ("US10", "20240900")):
            bars = market.daily_bars(instrument, contract, run)
            assert bars.index[-1] == pd.Timestamp(dt.datetime.combine(day.date(), SESSION_CLOSE))
            hourly = market.hourly_bars(instrument, contract, run)
            assert hourly.index[-1] == bars.index[-1]  # the last hour closes the day
        fx = market.usd_rates("EUR", run)
        assert fx.index[-1].date() == day.date()
