"""Rendering for people: text tables and PNG charts of data the layers above have read."""
