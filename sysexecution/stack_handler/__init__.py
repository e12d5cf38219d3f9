"""The stack handler's steps, one module each; every step is `step(data) -> JobSummary`.

The process `run_stack_handler` runs them in a loop (its methods in defaults.yaml name
`sysexecution.stack_handler:<step>`), so each is re-exported here.
"""

from sysexecution.stack_handler.completed import handle_completed_orders
from sysexecution.stack_handler.fills import process_fills_stack
from sysexecution.stack_handler.roll_orders import generate_force_roll_orders
from sysexecution.stack_handler.spawn import spawn_children_from_new_instrument_orders

__all__ = [
    "generate_force_roll_orders",
    "handle_completed_orders",
    "process_fills_stack",
    "spawn_children_from_new_instrument_orders",
]
