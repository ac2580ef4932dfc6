"""Background work of community (Celery shared tasks)."""
