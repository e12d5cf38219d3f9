"""Backtests run by sysprod: the run around the pure engine (`run`) and its results folder
(`results`: written atomically behind an OUT link, read back by `sysprod backtest show`)."""
