"""Execution: order stacks, spawning by roll state, algos, fills and the stack handler's steps."""
