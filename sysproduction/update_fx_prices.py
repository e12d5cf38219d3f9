"""`python -m sysproduction.update_fx_prices`: runs update_fx_prices (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("update_fx_prices")
