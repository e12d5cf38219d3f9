"""`python -m sysproduction.interactive_order_stack`: runs interactive_order_stack (what it is: sysproduction/control/registry.py)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    main("interactive_order_stack")
