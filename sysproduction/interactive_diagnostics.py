"""`python -m sysproduction.interactive_diagnostics`: runs interactive_diagnostics (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("interactive_diagnostics")
