"""`python -m sysproduction.interactive_controls`: runs interactive_controls (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("interactive_controls")
