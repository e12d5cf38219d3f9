"""Provided configs and trading rules (referenced by dotted path from a config)."""
