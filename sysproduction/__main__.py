"""`python -m sysproduction` is the `sysprod` command."""

from sysproduction.cli.main import main

main()
