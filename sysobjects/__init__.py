"""Pure domain values and calculations. No I/O lives here."""
