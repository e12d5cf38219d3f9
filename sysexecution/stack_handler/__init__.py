"""The stack handler's steps, one module each; every step is `step(data) -> JobSummary`.

The process `run_stack_handler` runs them in a loop (its methods in defaults.yaml name
`sysexecution.stack_handler:<step>`), so each is re-exported here.
"""

from sysexecution.stack_handler.broker_orders import create_broker_orders_from_contract_orders
from sysexecution.stack_handler.completed import handle_completed_orders
from sysexecution.stack_handler.fills import process_fills_stack
from sysexecution.stack_handler.position_breaks import check_external_position_break
from sysexecution.stack_handler.roll_orders import generate_force_roll_orders
from sysexecution.stack_handler.safe_removal import safe_stack_removal
from sysexecution.stack_handler.sampling import refresh_additional_sampling_all_instruments
from sysexecution.stack_handler.spawn import spawn_children_from_new_instrument_orders

__all__ = [
    "check_external_position_break",
    "create_broker_orders_from_contract_orders",
    "generate_force_roll_orders",
    "handle_completed_orders",
    "process_fills_stack",
    "refresh_additional_sampling_all_instruments",
    "safe_stack_removal",
    "spawn_children_from_new_instrument_orders",
]
