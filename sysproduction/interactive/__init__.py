"""Interactive tools: numbered terminal menus that also work with piped input (`menu.py` is the
framework they share)."""
