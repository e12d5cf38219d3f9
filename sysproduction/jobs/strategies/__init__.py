"""Strategies: their config (strategy_list), the nightly backtest launchers of run_systems and the
order generators of run_strategy_order_generator."""
