"""The daily price jobs (FX, sampled contracts, contract prices, roll states, multiple/adjusted
prices) and the checks they share (spikes, stale prices)."""
