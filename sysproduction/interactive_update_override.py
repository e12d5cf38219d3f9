"""`python -m sysproduction.interactive_update_override`: runs interactive_update_override (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("interactive_update_override")
