"""`python -m sysproduction.run_backups`: runs run_backups (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("run_backups")
