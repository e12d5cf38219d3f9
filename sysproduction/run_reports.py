"""`python -m sysproduction.run_reports`: runs run_reports (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("run_reports")
