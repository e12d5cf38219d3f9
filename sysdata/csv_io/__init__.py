"""Import from and export to pysystemtrade's CSV layout."""
