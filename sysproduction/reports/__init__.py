"""The reports: one module per report (`build_<name>(data) -> Report` and the run_reports method
`<name>(data) -> JobSummary`); drawing them is `syslogdiag.render.report`, keeping them `store.py`."""
