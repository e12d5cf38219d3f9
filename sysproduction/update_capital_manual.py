"""`python -m sysproduction.update_capital_manual`: runs update_capital_manual (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("update_capital_manual")
