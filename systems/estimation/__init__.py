"""Parameter estimation for the backtest engine (pysystemtrade v1.80's estimated system).

Each stage is a pure function of arrays: forecast scalars (`scalars`), and the settings parsed
from the config (`settings`). Stages the engine cannot estimate yet are refused by the config.
"""
