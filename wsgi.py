"""Entry points.

- `gunicorn wsgi:app`: the service; /r/<code> goes to the lean links app, the rest to the main app.
- `flask --app wsgi ...`: the main Flask app (`application`), for the CLI.
- `celery -A wsgi.celery_app worker`: the Celery worker.
"""

from core.app import HotPathDispatcher, create_app, create_links_app

application = create_app()
app = HotPathDispatcher(application, create_links_app())
celery_app = application.extensions["celery"]
