"""The backtest engine: the classic trend + carry system, computed on numpy arrays.

Every stage is a pure function of arrays on the business-day grid (see `systems.daily`); one
loader module (`systems.data`) does the reading. pandas is not needed on the command's path, which
keeps a whole backtest run (process start included) well under a second for a few instruments.
"""
