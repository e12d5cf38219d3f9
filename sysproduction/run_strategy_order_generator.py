"""`python -m sysproduction.run_strategy_order_generator`: runs run_strategy_order_generator (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("run_strategy_order_generator")
