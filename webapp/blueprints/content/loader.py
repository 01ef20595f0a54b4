"""Load the health centers and articles in webapp/content/ into the database.

Layout: ``centers.yaml`` lists the centers; each center's articles are Markdown files with
YAML front matter in the folder named after the center's slug (``pancreatic-cancer/*.md``).
See webapp/content/README.md for every front-matter field.

``read_content(folder)`` parses, validates and renders everything without touching the
database and raises ContentError (file, line, reason) for the first problem, so a broken
file is refused before anything is written. ``sync(session, folder, echo)`` then upserts
the rows, removes what no longer has a file, keeps the site search index in step and
reports what it added, changed and removed. Running it again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.content import render as content_render
from webapp.blueprints.content.models import ARTICLE_KINDS, AUDIENCES, Article, HealthCenter
from webapp.blueprints.content.render import RelatedCard, RenderError
from webapp.core.datafiles import CONTENT_DIR
from webapp.core.search import index as site_search

CENTERS_FILE = "centers.yaml"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
URL = re.compile(r"https://[^\s<>\"']+")
# Paths under /health-centers/ that are pages, not centers.
RESERVED_CENTER_SLUGS = frozenset({"levels-of-evidence", "search", "about"})

HEALTH_CENTERS_PATH = "/health-centers"
LEVELS_PATH = "/health-centers/levels-of-evidence"
SEARCH_KIND_ARTICLE = "article"
SEARCH_KIND_CENTER = "center"
SEARCH_KIND_PAGE = "page"


def center_path(center_slug: str) -> str:
    return f"{HEALTH_CENTERS_PATH}/{center_slug}"


def article_path(center_slug: str, article_slug: str) -> str:
    return f"{HEALTH_CENTERS_PATH}/{center_slug}/{article_slug}"


class ContentError(Exception):
    """A content file we refuse to load: where and why."""

    def __init__(self, path: str, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass
class CenterData:
    slug: str
    name: str
    topic: str
    summary: str
    intro_html: str
    position: int
    related_drugs: list[str]
    community_group: str | None
    content_hash: str = ""


@dataclass
class ArticleData:
    slug: str
    center_slug: str
    title: str
    short_title: str
    kind: str
    audience: str
    position: int
    summary: str
    teaser: str
    is_sample: bool
    pick_order: int | None
    source_author: str | None
    source_title: str | None
    source_publisher: str | None
    source_place: str | None
    source_url: str | None
    source_updated: date | None
    source_accessed: date | None
    source_note: str | None
    reviewed_on: date
    updated_on: date
    reviewer: str
    reference_list_url: str | None
    sources: list[dict]
    related_slugs: list[str]
    next_slug: str | None
    source_path: str
    body_markdown: str = field(repr=False, default="")
    body_line: int = 1
    explicit_references: list[dict] = field(default_factory=list)
    references_line: int = 2
    # Filled in by rendering:
    body_html: str = ""
    toc: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    evidence_codes: list[str] = field(default_factory=list)
    plain_text: str = ""
    content_hash: str = ""


STORED_ARTICLE_FIELDS = (
    "title", "short_title", "kind", "audience", "position", "summary", "teaser", "is_sample", "pick_order",
    "source_author", "source_title", "source_publisher", "source_place", "source_url", "source_updated",
    "source_accessed", "source_note", "reviewed_on", "updated_on", "reviewer", "reference_list_url", "sources",
    "related_slugs", "next_slug", "source_path", "body_html", "toc", "references", "evidence_codes", "content_hash",
)
STORED_CENTER_FIELDS = ("name", "topic", "summary", "intro_html", "position", "related_drugs", "community_group", "content_hash")


@dataclass
class ContentSet:
    centers: list[CenterData]
    articles: list[ArticleData]


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, unchanged {self.unchanged}"


# --- reading and validating ------------------------------------------------------------------

class _Fields:
    """Typed access to one YAML mapping, with errors pointing at the key's line."""

    def __init__(self, path: str, data: Any, key_lines: dict[str, int], line: int, allowed: set[str]):
        if not isinstance(data, dict):
            raise ContentError(path, line, "expected a mapping of field: value")
        self.path, self.data, self.key_lines, self.line0 = path, data, key_lines, line
        for key in data:
            if key not in allowed:
                raise ContentError(path, self.line(key), f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")

    def line(self, key: str) -> int:
        return self.key_lines.get(key, self.line0)

    def fail(self, key: str, reason: str) -> ContentError:
        return ContentError(self.path, self.line(key), f"{key}: {reason}")

    def text(self, key: str, *, required: bool = True, max_len: int = 10_000, multiline: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(key, "is required") if key not in self.data else self.fail(key, "must not be empty")
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"must be text, not {type(value).__name__}")
        value = value.strip() if multiline else " ".join(value.split())
        if len(value) > max_len:
            raise self.fail(key, f"is {len(value)} characters; at most {max_len}")
        return value

    def slug(self, key: str, *, required: bool = True) -> str | None:
        value = self.text(key, required=required, max_len=120)
        if value is not None and not SLUG.fullmatch(value):
            raise self.fail(key, f"{value!r} is not a slug (lowercase letters, digits and single hyphens)")
        return value

    def url(self, key: str, *, required: bool = False) -> str | None:
        value = self.text(key, required=required, max_len=500)
        if value is not None and not URL.fullmatch(value):
            raise self.fail(key, f"{value!r} is not an https:// address")
        return value

    def date(self, key: str, *, required: bool = True) -> date | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required (YYYY-MM-DD)")
            return None
        if not isinstance(value, date):
            raise self.fail(key, f"{value!r} is not a date (YYYY-MM-DD)")
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def integer(self, key: str, *, default: int | None = None) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
            raise self.fail(key, "must be a whole number from 0 to 10000")
        return value

    def boolean(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def slug_list(self, key: str) -> list[str]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and SLUG.fullmatch(v) for v in value):
            raise self.fail(key, "must be a list of slugs, e.g. [whipple-procedure]")
        if len(set(value)) != len(value):
            raise self.fail(key, "lists a slug twice")
        return list(value)

    def mapping(self, key: str) -> dict:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            raise self.fail(key, "must be a mapping of field: value")
        return value

    def items(self, key: str) -> list:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        return value


def _key_lines(text: str, first_line: int) -> dict[str, int]:
    """Line (1-based, in the file) of each top-level key of a YAML mapping."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: first_line + k.start_mark.line for k, _v in node.value if isinstance(k, yaml.ScalarNode)}


def _load_yaml(path: str, text: str, first_line: int) -> tuple[Any, dict[str, int]]:
    try:
        return yaml.safe_load(text), _key_lines(text, first_line)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(path, line, f"invalid YAML: {reason}") from exc


CENTER_KEYS = {"slug", "name", "topic", "summary", "intro", "community_group", "related_drugs"}
ARTICLE_KEYS = {
    "slug", "title", "short_title", "kind", "audience", "position", "summary", "teaser", "sample", "pick", "source",
    "reference_list_url", "references", "sources", "reviewed", "updated", "reviewer", "related", "next",
}
SOURCE_KEYS = {"author", "title", "publisher", "place", "url", "updated", "accessed", "note"}


def _read_centers(folder: Path) -> list[CenterData]:
    path = folder / CENTERS_FILE
    name = f"{folder.name}/{CENTERS_FILE}"
    if not path.is_file():
        raise ContentError(name, 1, "file not found")
    text = _read_text(path, name)
    data, _ = _load_yaml(name, text, 1)
    if not isinstance(data, list) or not data:
        raise ContentError(name, 1, "expected a list of centers")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    centers: list[CenterData] = []
    for position, (item, item_node) in enumerate(zip(data, node.value, strict=True)):
        key_lines = {k.value: 1 + k.start_mark.line for k, _v in getattr(item_node, "value", []) if isinstance(k, yaml.ScalarNode)}
        fields = _Fields(name, item, key_lines, 1 + item_node.start_mark.line, CENTER_KEYS)
        slug = fields.slug("slug")
        if slug in RESERVED_CENTER_SLUGS:
            raise fields.fail("slug", f"{slug!r} is reserved for a page of the site")
        if any(c.slug == slug for c in centers):
            raise fields.fail("slug", f"{slug!r} is used by two centers")
        centers.append(CenterData(
            slug=slug,
            name=fields.text("name", max_len=120),
            topic=fields.text("topic", max_len=120),
            summary=fields.text("summary", max_len=400),
            intro_html=content_render.render_inline_markdown(fields.text("intro", max_len=5000, multiline=True)),
            position=position,
            related_drugs=fields.slug_list("related_drugs"),
            community_group=fields.slug("community_group", required=False),
        ))
    return centers


def _read_text(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ContentError(name, line, "not valid UTF-8") from exc


def split_front_matter(name: str, text: str) -> tuple[str, str, int]:
    """(front matter, body, line number of the body's first line)."""
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ContentError(name, 1, "must start with a front-matter block: a line '---', YAML fields, a line '---'")
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise ContentError(name, 1, "front matter is not closed by a line '---'")
    front = text[4:end + 1]
    body = text[end + 5:]
    body_line = front.count("\n") + 3
    return front, body, body_line


def _read_article(path: Path, name: str, center_slug: str) -> ArticleData:
    text = _read_text(path, name)
    front, body, body_line = split_front_matter(name, text)
    data, key_lines = _load_yaml(name, front, 2)
    fields = _Fields(name, data, key_lines, 2, ARTICLE_KEYS)
    slug = fields.slug("slug")
    if slug != path.stem:
        raise fields.fail("slug", f"{slug!r} must match the file name {path.stem!r}")
    source = _Fields(name, fields.mapping("source"), {k: fields.line("source") for k in SOURCE_KEYS}, fields.line("source"), SOURCE_KEYS)
    sources = []
    for item in fields.items("sources"):
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or set(item) - {"title", "url"}:
            raise fields.fail("sources", "each source needs a title (and may have an https url)")
        url = item.get("url")
        if url is not None and not (isinstance(url, str) and URL.fullmatch(url)):
            raise fields.fail("sources", f"{url!r} is not an https:// address")
        sources.append({"title": " ".join(item["title"].split()), "url": url})
    references = []
    for item in fields.items("references"):
        if not isinstance(item, dict) or not isinstance(item.get("number"), int) or not isinstance(item.get("text"), str) \
                or set(item) - {"number", "text", "url"}:
            raise fields.fail("references", "each reference needs a number and a text (and may have an https url)")
        references.append({"number": item["number"], "text": " ".join(item["text"].split()), "url": item.get("url")})
    pick = fields.integer("pick")
    article = ArticleData(
        slug=slug,
        center_slug=center_slug,
        title=fields.text("title", max_len=300),
        short_title=fields.text("short_title", required=False, max_len=160) or fields.text("title", max_len=160),
        kind=fields.choice("kind", ARTICLE_KINDS),
        audience=fields.choice("audience", AUDIENCES),
        position=fields.integer("position", default=100),
        summary=fields.text("summary", max_len=400),
        teaser=fields.text("teaser", required=False, max_len=1000) or "",
        is_sample=fields.boolean("sample"),
        pick_order=pick,
        source_author=source.text("author", required=False, max_len=200),
        source_title=source.text("title", required=False, max_len=300),
        source_publisher=source.text("publisher", required=False, max_len=200),
        source_place=source.text("place", required=False, max_len=120),
        source_url=source.url("url"),
        source_updated=source.date("updated", required=False),
        source_accessed=source.date("accessed", required=False),
        source_note=source.text("note", required=False, max_len=2000),
        reviewed_on=fields.date("reviewed"),
        updated_on=fields.date("updated"),
        reviewer=fields.text("reviewer", max_len=200),
        reference_list_url=fields.url("reference_list_url"),
        sources=sources,
        related_slugs=fields.slug_list("related"),
        next_slug=fields.slug("next", required=False),
        source_path=name,
        body_markdown=body,
        body_line=body_line,
        explicit_references=references,
        references_line=fields.line("references"),
    )
    if not body.strip():
        raise ContentError(name, body_line, "the article has no text after the front matter")
    if article.kind == "pdq-summary" and not (article.source_url and article.source_author):
        raise fields.fail("source", "a PDQ summary needs its source author and url for the attribution")
    if article.is_sample and not (article.sources or article.source_url):
        raise fields.fail("sources", "sample content must list the sources its facts come from")
    return article


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
            raise ContentError(article.source_path, line, str(exc)) from exc
    return cited


def _check_references(article: ArticleData, cited: dict[int, int]) -> None:
    name = article.source_path
    if article.explicit_references:
        numbers = [r["number"] for r in article.explicit_references]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ContentError(name, article.references_line, f"references must be numbered 1..{len(numbers)} in order, found {numbers}")
        for number, line in cited.items():
            if number not in numbers:
                raise ContentError(name, line, f"cites [{number}] but the references list has no number {number}")
        orphans = [n for n in numbers if n not in cited]
        if orphans:
            raise ContentError(name, article.references_line, f"reference(s) {orphans} are never cited in the text")
    elif cited:
        if not article.reference_list_url:
            number, line = min(cited.items())
            raise ContentError(name, line, f"cites [{number}] but the article has neither references nor a reference_list_url")
        missing = sorted(set(range(1, max(cited) + 1)) - set(cited))
        if missing:
            raise ContentError(name, cited[max(cited)], f"citation numbers skip {missing}: check for a typo")


def read_content(folder: Path = CONTENT_DIR) -> ContentSet:
    """Parse, validate and render every center and article; ContentError on the first problem."""
    folder = Path(folder)
    centers = _read_centers(folder)
    articles: list[ArticleData] = []
    seen: dict[str, str] = {}
    for center in centers:
        center_folder = folder / center.slug
        if not center_folder.is_dir():
            continue
        for path in sorted(center_folder.glob("*.md")):
            if path.name.upper() == "README.MD":
                continue
            name = f"{folder.name}/{center.slug}/{path.name}"
            article = _read_article(path, name, center.slug)
            if article.slug in seen:
                raise ContentError(name, 2, f"slug {article.slug!r} is already used by {seen[article.slug]}")
            seen[article.slug] = name
            articles.append(article)

    by_slug = {a.slug: a for a in articles}
    centers_by_slug = {c.slug: c for c in centers}
    for article in articles:
        for slug in [*article.related_slugs, *([article.next_slug] if article.next_slug else [])]:
            if slug not in by_slug:
                raise ContentError(article.source_path, 2, f"related/next article {slug!r} does not exist")
            if slug == article.slug:
                raise ContentError(article.source_path, 2, "an article cannot point to itself as related or next")

    cards = {
        a.slug: RelatedCard(slug=a.slug, title=a.short_title, teaser=a.teaser or a.summary,
                            url=article_path(a.center_slug, a.slug),
                            kicker=f"Recommended related to {centers_by_slug[a.center_slug].topic}")
        for a in articles
    }
    for article in articles:
        cited = _check_markers(article, set(by_slug))
        _check_references(article, cited)
        try:
            rendered = content_render.render(article.body_markdown, levels_url=LEVELS_PATH, related_cards=cards)
        except RenderError as exc:  # pragma: no cover - _check_markers catches these first
            raise ContentError(article.source_path, article.body_line, str(exc)) from exc
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


# --- writing ---------------------------------------------------------------------------------

def sync(session: Session, folder: Path = CONTENT_DIR, echo: Callable[[str], None] = print) -> tuple[SyncReport, SyncReport]:
    """Make the database match the content files. Returns (centers report, articles report).

    Does not commit: the caller does (the CLI and `flask seed` both do)."""
    content = read_content(folder)
    center_report, article_report = SyncReport(), SyncReport()

    existing_centers = {c.slug: c for c in session.execute(select(HealthCenter)).scalars()}
    centers: dict[str, HealthCenter] = {}
    for data in content.centers:
        row = existing_centers.get(data.slug)
        if row is None:
            row = HealthCenter(slug=data.slug)
            session.add(row)
            center_report.added.append(data.slug)
        elif row.content_hash != data.content_hash:
            center_report.changed.append(data.slug)
        else:
            center_report.unchanged += 1
        for key in STORED_CENTER_FIELDS:
            if getattr(row, key) != getattr(data, key):
                setattr(row, key, getattr(data, key))
        centers[data.slug] = row
    session.flush()

    existing_articles = {a.slug: a for a in session.execute(select(Article)).scalars()}
    wanted = {a.slug for a in content.articles}
    for slug, row in existing_articles.items():
        if slug not in wanted:
            session.delete(row)
            article_report.removed.append(slug)
    for data in content.articles:
        row = existing_articles.get(data.slug)
        if row is None:
            row = Article(slug=data.slug)
            session.add(row)
            article_report.added.append(data.slug)
        elif row.content_hash != data.content_hash or row.center_id != centers[data.center_slug].id:
            article_report.changed.append(data.slug)
        else:
            article_report.unchanged += 1
        for key in STORED_ARTICLE_FIELDS:
            if getattr(row, key) != getattr(data, key):
                setattr(row, key, getattr(data, key))
        if row.center_id != centers[data.center_slug].id:
            row.center_id = centers[data.center_slug].id
    session.flush()
    for slug, row in existing_centers.items():
        if slug not in centers:
            session.delete(row)
            center_report.removed.append(slug)
    session.flush()

    _index_for_search(session, content)
    echo(f"Health centers: {center_report.summary()}")
    echo(f"Articles: {article_report.summary()}")
    for label, slugs in (("added", article_report.added), ("changed", article_report.changed), ("removed", article_report.removed)):
        for slug in slugs:
            echo(f"  {label}: {slug}")
    return center_report, article_report


def _index_for_search(session: Session, content: ContentSet) -> None:
    # A no-op once the migrations have made the search objects; lets a fresh database seed anyway.
    site_search.install(session.connection())
    for center in content.centers:
        site_search.index_document(session, SEARCH_KIND_CENTER, center.slug, center.name,
                                   f"{center.summary} {content_render.plain_text(center.intro_html)}", center_path(center.slug))
    for article in content.articles:
        site_search.index_document(session, SEARCH_KIND_ARTICLE, article.slug, article.title,
                                   f"{article.summary} {article.plain_text}", article_path(article.center_slug, article.slug))
    site_search.index_document(session, SEARCH_KIND_PAGE, "levels-of-evidence", "Levels of evidence for cancer treatment studies",
                               levels_page_text(), LEVELS_PATH)
    site_search.remove_kind(session, SEARCH_KIND_CENTER, keep={c.slug for c in content.centers})
    site_search.remove_kind(session, SEARCH_KIND_ARTICLE, keep={a.slug for a in content.articles})


def levels_page_text() -> str:
    parts = ["How the PDQ editorial boards rank the strength of evidence: study design and end points."]
    for table in (content_render.STUDY_DESIGNS, content_render.END_POINTS):
        parts.extend(f"{code} {name}. {text}" for code, (name, text) in table.items())
    return " ".join(parts)


def seed(session: Session, echo: Callable[[str], None]) -> None:
    """`flask seed` step: load webapp/content/."""
    sync(session, CONTENT_DIR, echo)


def as_dict(article: ArticleData) -> dict:  # handy in tests and debugging
    return asdict(article)
