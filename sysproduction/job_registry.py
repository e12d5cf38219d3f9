"""Jobs and interactive tools that can be run one at a time (`sysprod run NAME`,
`python -m sysproduction.NAME`, `scripts/NAME`), besides the scheduled processes.

name -> "module:function"; the function takes the DataBlob. Imported only when run (through
`sysproduction.control.process_registry.resolve_job`), so listing them is cheap.
"""

from __future__ import annotations

JOBS: dict[str, str] = {
    "update_fx_prices": "sysproduction.update_fx_prices:update_fx_prices",
    "update_sampled_contracts": "sysproduction.update_sampled_contracts:update_sampled_contracts",
    "update_historical_prices": "sysproduction.update_historical_prices:update_historical_prices",
    "auto_update_roll_status": "sysproduction.auto_update_roll_status:auto_update_roll_status",
    "update_multiple_adjusted_prices":
        "sysproduction.update_multiple_adjusted_prices:update_multiple_adjusted_prices",
}

INTERACTIVE_TOOLS: dict[str, str] = {
    "interactive_controls": "sysproduction.interactive_controls:interactive_controls",
    "interactive_diagnostics": "sysproduction.interactive_diagnostics:interactive_diagnostics",
    "interactive_update_roll_status":
        "sysproduction.interactive_update_roll_status:interactive_update_roll_status",
    "interactive_manual_check_historical_prices":
        "sysproduction.interactive_manual_check_historical_prices:interactive_manual_check_historical_prices",
    "interactive_manual_check_fx_prices":
        "sysproduction.interactive_manual_check_fx_prices:interactive_manual_check_fx_prices",
}

