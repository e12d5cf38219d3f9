"""`python -m sysproduction.run_daily_prices_updates`: the run_daily_prices_updates process (methods and schedule in
sysproduction/control/process_registry.py and config `process_configuration_*`)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    raise SystemExit(main("run_daily_prices_updates"))
