"""Jobs that keep an installation healthy: backups (and restore), cleaners, startup."""
