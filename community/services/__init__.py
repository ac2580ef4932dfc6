"""Community operations, one module per resource: plain functions that flush but never commit;
the caller (view, task, CLI) commits once. Callers import the module: `threads.create_thread`."""
