"""Journey operations, one module per concern: plain functions that flush but never commit; the caller
(view, task, CLI) commits once. Callers import the module: `stages.refresh_journeys`."""
