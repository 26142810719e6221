"""Background jobs (persisted, resumed after a crash) and the scheduler that fires timers."""
