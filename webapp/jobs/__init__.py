"""Background jobs: mail delivery, newsletter sends, recall imports and the retention purge.

A job is a plain function `run(ctx, **params)` registered with `@job(name)` in its area's
tasks.py. With REDIS_URL set it runs on Celery workers (queue.py; Redis is the broker, Celery
beat the scheduler); without it, in the process that started it (runner.py). Either way the
same function runs and its progress, retries and outcome are kept in the `jobs` table
(tracking.py), which `flask jobs status` reads.
"""

from webapp.jobs.registry import job
from webapp.jobs.runner import JobFailed, Started, start

__all__ = ["JobFailed", "Started", "job", "start"]
