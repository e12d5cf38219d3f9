"""`python -m sysproduction.run_capital_update`: the run_capital_update process (methods and schedule in
sysproduction/control/process_registry.py and config `process_configuration_*`)."""

from sysproduction.control.entry import main

if __name__ == "__main__":
    raise SystemExit(main("run_capital_update"))
