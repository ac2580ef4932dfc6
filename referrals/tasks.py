"""Background work of referrals (Celery shared tasks)."""
