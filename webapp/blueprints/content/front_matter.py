"""Reading one content file: ``centers.yaml`` into CenterData, an article's Markdown file
(YAML front matter, then the body) into ArticleData. Every field is checked here, with
errors pointing at the line of the key; what needs all the files at once (related
articles, citations) is checked by read.py."""

from __future__ import annotations

from pathlib import Path

from webapp.blueprints.content import render as content_render
from webapp.blueprints.content.models import ARTICLE_KINDS, AUDIENCES
from webapp.blueprints.content.paths import RESERVED_CENTER_SLUGS
from webapp.blueprints.content.records import ArticleData, CenterData, ContentError
from webapp.core.datafiles import Fields, item_key_lines, key_lines, parse_yaml, read_text

CENTERS_FILE = "centers.yaml"
CENTER_KEYS = {"slug", "name", "topic", "summary", "intro", "community_group", "related_drugs"}
ARTICLE_KEYS = {
    "slug", "title", "short_title", "kind", "audience", "position", "summary", "teaser", "sample", "pick", "source",
    "reference_list_url", "references", "sources", "reviewed", "updated", "reviewer", "related", "next",
}
SOURCE_KEYS = {"author", "title", "publisher", "place", "url", "updated", "accessed", "note"}


def read_centers(folder: Path) -> list[CenterData]:
    path = folder / CENTERS_FILE
    name = f"{folder.name}/{CENTERS_FILE}"
    if not path.is_file():
        raise ContentError(name, "file not found", line=1)
    text = read_text(path, name, error=ContentError)
    data = parse_yaml(text, name, error=ContentError)
    if not isinstance(data, list) or not data:
        raise ContentError(name, "expected a list of centers", line=1)
    centers: list[CenterData] = []
    for position, (item, (line, lines)) in enumerate(zip(data, item_key_lines(text), strict=True)):
        fields = Fields(item, name, key_lines=lines, line=line, allowed=CENTER_KEYS, error=ContentError)
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


def split_front_matter(name: str, text: str) -> tuple[str, str, int]:
    """(front matter, body, line number of the body's first line)."""
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ContentError(name, "must start with a front-matter block: a line '---', YAML fields, a line '---'", line=1)
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise ContentError(name, "front matter is not closed by a line '---'", line=1)
    front = text[4:end + 1]
    body = text[end + 5:]
    body_line = front.count("\n") + 3
    return front, body, body_line


def _sources(fields: Fields) -> list[dict]:
    sources = []
    for item in fields.items("sources"):
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or set(item) - {"title", "url"}:
            raise fields.fail("sources", "each source needs a title (and may have an https url)")
        url = Fields(item, fields.file, "sources", line=fields.line("sources"), error=ContentError).url("url")
        sources.append({"title": " ".join(item["title"].split()), "url": url})
    return sources


def _references(fields: Fields) -> list[dict]:
    references = []
    for item in fields.items("references"):
        if not isinstance(item, dict) or not isinstance(item.get("number"), int) or not isinstance(item.get("text"), str) \
                or set(item) - {"number", "text", "url"}:
            raise fields.fail("references", "each reference needs a number and a text (and may have an https url)")
        references.append({"number": item["number"], "text": " ".join(item["text"].split()), "url": item.get("url")})
    return references


def read_article(path: Path, name: str, center_slug: str) -> ArticleData:
    """One article file; `name` is how errors call it (content/<center>/<file>.md)."""
    front, body, body_line = split_front_matter(name, read_text(path, name, error=ContentError))
    data = parse_yaml(front, name, first_line=2, error=ContentError)
    fields = Fields(data, name, key_lines=key_lines(front, 2), line=2, allowed=ARTICLE_KEYS, error=ContentError)
    slug = fields.slug("slug")
    if slug != path.stem:
        raise fields.fail("slug", f"{slug!r} must match the file name {path.stem!r}")
    source = fields.nested("source", allowed=SOURCE_KEYS)
    sources, references, pick = _sources(fields), _references(fields), fields.integer("pick")
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
        raise ContentError(name, "the article has no text after the front matter", line=body_line)
    if article.kind == "pdq-summary" and not (article.source_url and article.source_author):
        raise fields.fail("source", "a PDQ summary needs its source author and url for the attribution")
    if article.is_sample and not (article.sources or article.source_url):
        raise fields.fail("sources", "sample content must list the sources its facts come from")
    return article
