"""`python -m sysproduction.run_systems`: runs run_systems (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("run_systems")
