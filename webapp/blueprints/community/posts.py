"""Kept only until two callers outside the area move: personalisation/signals.py imports
readable_threads_clause and main/sitemap.py imports visible_threads_stmt from here. Both now
live in threads.py; once those imports name threads.py, delete this module."""

from webapp.blueprints.community.threads import readable_threads_clause, visible_threads_stmt

__all__ = ["readable_threads_clause", "visible_threads_stmt"]
