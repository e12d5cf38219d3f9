"""`python -m sysproduction.update_historical_prices`: runs update_historical_prices (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("update_historical_prices")
