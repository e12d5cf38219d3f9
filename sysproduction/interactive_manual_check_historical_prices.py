"""`python -m sysproduction.interactive_manual_check_historical_prices`: runs interactive_manual_check_historical_prices (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("interactive_manual_check_historical_prices")
