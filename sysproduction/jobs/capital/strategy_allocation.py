"""Strategy capital allocation functions, named in config by `strategy_capital_allocation`:

```yaml
strategy_capital_allocation:
  function: sysproduction.jobs.capital.strategy_allocation.weighted_strategy_allocation
  strategy_weights: {classic: 0.6, carry: 0.4}
```

An allocation function takes total capital as its first argument and the other keys of that
block as keyword arguments, and returns each strategy's capital (base currency). Your own goes
anywhere importable, named the same way (module.function or module:function).
"""

from __future__ import annotations

from sysobjects.capital import allocate_by_weights


def weighted_strategy_allocation(total_capital: float, strategy_weights: dict[str, float]) -> dict[str, float]:
    """Total capital split by weight; the weights are normalised (divided by their sum) as in
    pysystemtrade, so 0.6/0.4 and 60/40 allocate the same. Empty, negative or all-zero weights
    are refused in one line."""
    return allocate_by_weights(total_capital, strategy_weights)
