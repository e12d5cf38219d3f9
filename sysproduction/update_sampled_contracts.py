"""`python -m sysproduction.update_sampled_contracts`: runs update_sampled_contracts (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("update_sampled_contracts")
