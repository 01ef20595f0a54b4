"""Members' Markdown turned into HTML that is safe to show to other members.

Two layers: markdown-it-py with raw HTML switched off (so `<script>` typed by a member
comes out as text), then nh3 (the Rust ammonia sanitiser) with a small allow-list, which
removes anything that slipped through: unknown tags, every attribute but a link's href and
title, and every URL scheme but http, https and mailto (no javascript:, vbscript:, data:).
Links get rel="nofollow ugc noopener". Images are not rendered at all (no remote images,
no tracking pixels), and headings are off so a post cannot break the page's heading order.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable(["table", "strikethrough"])
    .disable(["image", "heading", "lheading", "html_block", "html_inline"])
)

_LINK_RE = re.compile(r"https?://|www\.|\]\(", re.IGNORECASE)


def clean_html(html: str) -> str:
    """Sanitise HTML to the allow-list (used on our own Markdown output, and by anyone else)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(text: str | None) -> str:
    """Markdown as written by a member -> safe HTML fragment (a str, ready to mark safe)."""
    if not text:
        return ""
    text = text.replace("\x00", "\ufffd")
    return clean_html(_md.render(text))


def count_links(text: str | None) -> int:
    """How many links a text carries (URLs and Markdown links); spam usually has many."""
    return len(_LINK_RE.findall(text or ""))


def plain_text(text: str | None, limit: int = 200) -> str:
    """A short plain-text excerpt of a Markdown body, for lists, notifications and mail."""
    words = " ".join(re.sub(r"[*_`>#\[\]()~|-]+", " ", text or "").split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"
