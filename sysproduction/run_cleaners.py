"""`python -m sysproduction.run_cleaners`: runs run_cleaners (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("run_cleaners")
