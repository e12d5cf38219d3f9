"""Brokers: the `Broker` protocol (`broker.py`), the simulated broker (`sim/`, the embedded
default) and `factory.broker_from_blob`, which builds the one the config names."""
