"""Interactive Brokers through ib_async (the optional extra `sysprod[ib]`): `broker: ib`.

`build.ib_broker_from_blob` makes the broker; `client_ids` (no ib_async needed) tracks the API
client ids; `instruments` maps our instrument codes to IB's (ib_config_futures.csv)."""
