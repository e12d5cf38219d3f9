"""The `sysprod` command line."""
