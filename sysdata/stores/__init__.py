"""Generic stores: a time-series store and a document store, each with pluggable backends."""
