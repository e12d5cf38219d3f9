"""`python -m sysproduction.run_capital_update`: runs run_capital_update (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("run_capital_update")
