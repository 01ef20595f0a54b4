"""``read_content(folder)``: every center and article parsed, cross-checked and rendered,
without touching the database. Raises ContentError (file, line, reason) for the first
problem, so a broken file is refused before anything is written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from webapp.blueprints.content import render as content_render
from webapp.blueprints.content.front_matter import read_article, read_centers
from webapp.blueprints.content.paths import LEVELS_PATH, article_path
from webapp.blueprints.content.records import (
    STORED_ARTICLE_FIELDS,
    STORED_CENTER_FIELDS,
    ArticleData,
    ContentError,
    ContentSet,
)
from webapp.blueprints.content.render import RelatedCard, RenderError
from webapp.core.datafiles import CONTENT_DIR


def _check_markers(article: ArticleData, known_slugs: set[str]) -> dict[int, int]:
    """Validate every marker in the body; returns {citation number: line first cited}."""
    cited: dict[int, int] = {}
    for marker in content_render.scan_markers(article.body_markdown):
        line = article.body_line + marker.line - 1
        try:
            if marker.kind == "citation":
                for number in content_render.citation_numbers(marker.value):
                    cited.setdefault(number, line)
            elif marker.kind == "evidence":
                content_render.parse_levels(marker.value)
            elif marker.value not in known_slugs:
                raise RenderError(f"related card for unknown article {marker.value!r}")
            elif marker.value == article.slug:
                raise RenderError("an article cannot recommend itself")
        except RenderError as exc:
            raise ContentError(article.source_path, str(exc), line=line) from exc
    return cited


def _check_references(article: ArticleData, cited: dict[int, int]) -> None:
    name, references_line = article.source_path, article.references_line
    if article.explicit_references:
        numbers = [r["number"] for r in article.explicit_references]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ContentError(name, f"references must be numbered 1..{len(numbers)} in order, found {numbers}", line=references_line)
        for number, line in cited.items():
            if number not in numbers:
                raise ContentError(name, f"cites [{number}] but the references list has no number {number}", line=line)
        orphans = [n for n in numbers if n not in cited]
        if orphans:
            raise ContentError(name, f"reference(s) {orphans} are never cited in the text", line=references_line)
    elif cited:
        if not article.reference_list_url:
            number, line = min(cited.items())
            raise ContentError(name, f"cites [{number}] but the article has neither references nor a reference_list_url", line=line)
        missing = sorted(set(range(1, max(cited) + 1)) - set(cited))
        if missing:
            raise ContentError(name, f"citation numbers skip {missing}: check for a typo", line=cited[max(cited)])


def _read_articles(folder: Path, center_slugs: list[str]) -> list[ArticleData]:
    articles: list[ArticleData] = []
    seen: dict[str, str] = {}
    for center_slug in center_slugs:
        center_folder = folder / center_slug
        if not center_folder.is_dir():
            continue
        for path in sorted(center_folder.glob("*.md")):
            if path.name.upper() == "README.MD":
                continue
            name = f"{folder.name}/{center_slug}/{path.name}"
            article = read_article(path, name, center_slug)
            if article.slug in seen:
                raise ContentError(name, f"slug {article.slug!r} is already used by {seen[article.slug]}", line=2)
            seen[article.slug] = name
            articles.append(article)
    return articles


def _check_links(articles: list[ArticleData]) -> None:
    slugs = {a.slug for a in articles}
    for article in articles:
        for slug in [*article.related_slugs, *([article.next_slug] if article.next_slug else [])]:
            if slug not in slugs:
                raise ContentError(article.source_path, f"related/next article {slug!r} does not exist", line=2)
            if slug == article.slug:
                raise ContentError(article.source_path, "an article cannot point to itself as related or next", line=2)


def read_content(folder: Path = CONTENT_DIR) -> ContentSet:
    """Parse, validate and render every center and article; ContentError on the first problem."""
    folder = Path(folder)
    centers = read_centers(folder)
    articles = _read_articles(folder, [c.slug for c in centers])
    _check_links(articles)

    topics = {c.slug: c.topic for c in centers}
    cards = {
        a.slug: RelatedCard(slug=a.slug, title=a.short_title, teaser=a.teaser or a.summary,
                            url=article_path(a.center_slug, a.slug),
                            kicker=f"Recommended related to {topics[a.center_slug]}")
        for a in articles
    }
    for article in articles:
        _check_references(article, _check_markers(article, set(cards)))
        try:
            rendered = content_render.render(article.body_markdown, levels_url=LEVELS_PATH, related_cards=cards)
        except RenderError as exc:  # pragma: no cover - _check_markers catches these first
            raise ContentError(article.source_path, str(exc), line=article.body_line) from exc
        article.body_html = rendered.html
        article.toc = rendered.toc
        article.evidence_codes = sorted(set(rendered.evidence_codes))
        article.plain_text = rendered.plain_text
        article.references = _reference_list(article, rendered.citations)
        article.content_hash = _hash({k: getattr(article, k) for k in STORED_ARTICLE_FIELDS if k != "content_hash"}
                                     | {"center": article.center_slug})
    for center in centers:
        center.content_hash = _hash({k: getattr(center, k) for k in STORED_CENTER_FIELDS if k != "content_hash"})
    return ContentSet(centers=centers, articles=articles)


def _reference_list(article: ArticleData, citations: dict[int, list[str]]) -> list[dict]:
    explicit = {r["number"]: r for r in article.explicit_references}
    return [
        {
            "number": number,
            "text": explicit.get(number, {}).get("text"),
            "url": explicit.get(number, {}).get("url"),
            "backlinks": citations[number],
        }
        for number in sorted(citations)
    ]


def _hash(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
