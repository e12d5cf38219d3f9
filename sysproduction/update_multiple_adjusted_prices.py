"""`python -m sysproduction.update_multiple_adjusted_prices`: runs update_multiple_adjusted_prices (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("update_multiple_adjusted_prices")
