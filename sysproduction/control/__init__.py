"""Process control: the registry of processes, their config, control state and the runner."""
