"""The decorators a member's page needs, stacked once: signed in, rate-limited, never cached.

Rate limits are named here so every area uses the same numbers for the same kind of work.
"""

from __future__ import annotations

from flask_login import login_required

from webapp.extensions import limiter
from webapp.security import no_store

# Saving one's own data (profiles, medicines, reviews): generous, but a script is stopped.
MEMBER_WRITE_LIMIT = "30 per minute; 300 per hour"
# Writing something other people read (questions, answers, replies, invitations).
COMMUNITY_POST_LIMIT = "10 per minute; 60 per hour"


def member_page(view=None, *, limit: str | None = MEMBER_WRITE_LIMIT):
    """`@member_page` or `@member_page(limit=...)`: login_required, the POST rate limit
    (None for none) and no_store, in the order Flask needs them."""

    def decorate(function):
        wrapped = no_store(function)
        if limit:
            wrapped = limiter.limit(limit, methods=["POST"])(wrapped)
        return login_required(wrapped)

    return decorate(view) if view is not None else decorate
