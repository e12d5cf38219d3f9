"""`python -m sysproduction.startup`: runs startup (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("startup")
