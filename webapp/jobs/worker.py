"""Where Celery finds the app: `celery -A webapp.jobs.worker worker` and `celery -A webapp.jobs.worker beat`.

The worker builds the Flask app with the same factory as gunicorn (settings from the
environment), and runs every task inside its app context (webapp/jobs/queue.py).
"""

from webapp import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
