"""The jobs there are: `@job("mail.deliver")` registers a function `run(ctx, **params) -> summary`.

Parameters must be JSON values (they travel through Redis and are stored in the jobs table).
A job must be safe to run again after a failure or a lost worker (delivery claims its
messages, a newsletter send resumes, a recall import is an upsert): that is what makes
retrying it, and running several at once, harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: Callable[..., str]
    retries: int | None  # None: the app's JOBS_MAX_RETRIES
    permanent: tuple[type[BaseException], ...]  # errors that another attempt cannot fix: failed at once


JOBS: dict[str, JobSpec] = {}


def job(name: str, *, retries: int | None = None, permanent: tuple[type[BaseException], ...] = ()):
    def register(run: Callable[..., str]) -> Callable[..., str]:
        JOBS[name] = JobSpec(name, run, retries, permanent)
        return run

    return register
