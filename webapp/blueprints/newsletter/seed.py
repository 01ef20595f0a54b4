"""`flask seed` step: the newsletter topics (idempotent upsert by slug)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.newsletter.models import NewsletterTopic

# (slug, name, description), in the order they are offered.
TOPICS = [
    ("cancer", "Cancer", "New and updated articles from our cancer health centers."),
    ("drug-safety", "Drug Safety & Recalls", "FDA drug recalls and safety news."),
    ("healthy-living", "Healthy Living", "Everyday health features and practical tips."),
    ("caregiving", "Caregiving", "Articles and community questions for people caring for someone."),
    ("community-highlights", "Community Highlights", "The most helpful recent questions and answers from our community."),
]


def seed(session: Session, echo: Callable[[str], None]) -> None:
    existing = {topic.slug: topic for topic in session.execute(select(NewsletterTopic)).scalars()}
    added = updated = 0
    for position, (slug, name, description) in enumerate(TOPICS):
        topic = existing.get(slug)
        if topic is None:
            session.add(NewsletterTopic(slug=slug, name=name, description=description, position=position))
            added += 1
        elif (topic.name, topic.description, topic.position) != (name, description, position):
            topic.name, topic.description, topic.position = name, description, position
            updated += 1
    session.flush()
    echo(f"Newsletter topics: {added} added, {updated} updated, {len(TOPICS)} in total.")
