"""Shared foundations: exceptions, clock, config loading. No domain logic lives here."""
