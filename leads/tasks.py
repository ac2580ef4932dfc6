"""Background work of leads (Celery shared tasks)."""
