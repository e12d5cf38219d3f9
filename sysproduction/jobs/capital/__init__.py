"""The capital jobs: total capital from the broker's account value (update_total_capital) and
its split between strategies (update_strategy_capital, the strategy_allocation method)."""
