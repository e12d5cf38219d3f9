"""Parameter estimation for the backtest engine (pysystemtrade v1.80's estimated system).

Each stage is a pure function of arrays, run once over the whole history: forecast scalars
(`scalars`), forecast weights (`forecast_weights`, `fitting`, `handcraft`), the FDM and IDM
(`div_mult`), instrument weights (`instrument_weights`); `system` wires them for the engine and
`settings` parses the config keys.
"""
