"""`python -m sysproduction.auto_update_roll_status`: runs auto_update_roll_status (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("auto_update_roll_status")
