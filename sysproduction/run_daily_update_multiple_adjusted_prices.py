"""`python -m sysproduction.run_daily_update_multiple_adjusted_prices`: the run_daily_update_multiple_adjusted_prices process (methods and schedule in
sysproduction/control/process_registry.py and config `process_configuration_*`)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    raise SystemExit(main("run_daily_update_multiple_adjusted_prices"))
