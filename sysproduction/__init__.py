"""Production: jobs, processes, process control, reports, interactive menus and the CLI."""
