"""The data of each report (rendering lives with the report commands)."""
