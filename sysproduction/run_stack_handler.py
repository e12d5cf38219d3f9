"""`python -m sysproduction.run_stack_handler`: runs run_stack_handler (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("run_stack_handler")
