"""The Markdown sanitiser: whatever a member types, nothing executable reaches another member's browser."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from webapp.core import markdown_safe

SHARED = Path(__file__).parents[3].parent / "shared"
BLNS = SHARED / "data" / "blns" / "blns.json"

SAFE_SCHEMES = ("http:", "https:", "mailto:")

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "![pixel](https://tracker.example/p.gif)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "[a](https://ok.example \"x\\\" onmouseover=\\\"alert(1)\")",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "<!-- <script>alert(1)</script> -->",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[x](https://example.org/\"><script>alert(1)</script>)",
    "<details open ontoggle=alert(1)>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    "\x00<script>alert(1)</script>",
]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_safe(html: str) -> None:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in markdown_safe.ALLOWED_TAGS, f"tag <{tag}> in {html!r}"
        allowed = markdown_safe.ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            assert name in allowed, f"attribute {name} on <{tag}> in {html!r}"
            if name == "href":
                href = "".join(ch for ch in (value or "") if ch > " ").lower()
                assert href.startswith(SAFE_SCHEMES) or href.startswith(("/", "#", "?")) or ":" not in href.split("/")[0], \
                    f"unsafe link {value!r} in {html!r}"
        if tag == "a":
            assert ("rel", "nofollow ugc noopener") in attrs, html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_come_back_harmless(payload):
    html = markdown_safe.render(payload)
    assert_safe(html)
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<iframe" not in lowered and "<svg" not in lowered


def test_script_typed_as_text_is_shown_as_text():
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown_safe.render("<script>alert(1)</script>")


def test_javascript_and_data_links_are_not_links():
    for text in ("[x](javascript:alert(1))", "[x](data:text/html,hi)", "[x](vbscript:x)"):
        assert "<a" not in markdown_safe.render(text), text


def test_links_are_marked_nofollow_ugc_noopener():
    html = markdown_safe.render("See [the FDA](https://www.fda.gov/drugs) or <https://medlineplus.gov>.")
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://www.fda.gov/drugs"' in html


def test_no_images_at_all():
    html = markdown_safe.render("![chart](https://other.example/chart.png)")
    assert "<img" not in html
    assert 'href="https://other.example/chart.png"' in html  # at most a plain link, never loaded


def test_everyday_markdown_still_works():
    html = markdown_safe.render("**Bold**, *italic*, `code`\n\n- one\n- two\n\n> quoted\n\n1. first")
    for fragment in ("<strong>Bold</strong>", "<em>italic</em>", "<code>code</code>", "<li>one</li>", "<blockquote>", "<ol>"):
        assert fragment in html


def test_headings_do_not_break_the_page_outline():
    assert "<h1" not in markdown_safe.render("# Big\n\nSub\n===")


def test_empty_and_none():
    assert markdown_safe.render("") == ""
    assert markdown_safe.render(None) == ""


def test_count_links_and_plain_text():
    assert markdown_safe.count_links("a https://a.example b www.b.example [c](/x)") == 3
    assert markdown_safe.plain_text("**Hello** [world](https://x.example)") == "Hello world https://x.example"
    assert len(markdown_safe.plain_text("word " * 200, limit=50)) <= 50


@pytest.mark.skipif(not BLNS.exists(), reason=f"the Big List of Naughty Strings is not at {BLNS} (../shared is absent)")
def test_big_list_of_naughty_strings_never_executable():
    strings = json.loads(BLNS.read_text(encoding="utf-8"))
    assert len(strings) > 500
    for text in strings:
        html = markdown_safe.render(text)
        assert_safe(html)
        assert "<script" not in html.lower() and "<img" not in html.lower(), text
