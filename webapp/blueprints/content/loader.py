"""Load the health centers and articles in webapp/content/ into the database: the
`flask seed` step and the names `flask content sync` and the views use.

Layout: ``centers.yaml`` lists the centers; each center's articles are Markdown files with
YAML front matter in the folder named after the center's slug (``pancreatic-cancer/*.md``).
See webapp/content/README.md for every front-matter field.

The work is done, in order, by front_matter.py (one file into a record, every field
checked), read.py (``read_content``: all files cross-checked and rendered, nothing
written), sync.py (``sync``: the upsert and its report) and indexing.py (the site search).

Other modules import ``read_content``, ``sync``, ``ContentError`` and the path helpers
from here, as they did before the split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from sqlalchemy.orm import Session

from webapp.blueprints.content.paths import LEVELS_PATH as LEVELS_PATH
from webapp.blueprints.content.paths import article_path as article_path
from webapp.blueprints.content.read import read_content as read_content
from webapp.blueprints.content.records import ArticleData
from webapp.blueprints.content.records import ContentError as ContentError
from webapp.blueprints.content.sync import sync
from webapp.core.datafiles import CONTENT_DIR
from webapp.core.datafiles import SLUG as SLUG


def seed(session: Session, echo: Callable[[str], None]) -> None:
    """`flask seed` step: load webapp/content/."""
    sync(session, CONTENT_DIR, echo)


def as_dict(article: ArticleData) -> dict:  # handy in tests and debugging
    return asdict(article)
