"""`python -m sysproduction.run_daily_prices_updates`: runs run_daily_prices_updates (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("run_daily_prices_updates")
