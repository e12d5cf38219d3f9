"""The simulated broker: a synthetic (or replayed) market, the SimBroker trading it with its state
in the DocumentStore, and fault injection. See docs/brokers.md."""
