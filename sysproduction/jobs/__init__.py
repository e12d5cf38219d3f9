"""Jobs grouped by area: each module does one job's I/O and orchestration around pure functions
in sysobjects (`prices/`, `housekeeping/`; `summary.py` is what a job did, per item)."""
