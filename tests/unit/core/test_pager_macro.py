"""templates/_macros/pager.html: the one pager, drawn for a Page."""

import pytest
from flask import Flask, render_template_string

from webapp.core.paging import Page

TEMPLATES = __file__.rsplit("/tests/", 1)[0] + "/templates"


@pytest.fixture
def app():
    app = Flask(__name__, template_folder=TEMPLATES)
    app.add_url_rule("/list", "listing", lambda: "")
    return app


def _draw(app, page, **kwargs):
    with app.test_request_context():
        return render_template_string(
            '{% from "_macros/pager.html" import pager %}{{ pager(page, "listing", **kwargs) }}', page=page, kwargs=kwargs)


def test_one_page_draws_nothing(app):
    assert _draw(app, Page(items=[], total=3)).strip() == ""


def test_links_keep_the_other_parameters_and_drop_empty_ones(app):
    html = _draw(app, Page(items=[], total=45, page=2), label="Result pages", params={"q": "ab c", "kind": None}, sort="new")
    assert 'aria-label="Result pages"' in html and "Page 2 of 3" in html
    assert 'href="/list?q=ab+c&amp;sort=new&amp;page=1" rel="prev"' in html
    assert 'href="/list?q=ab+c&amp;sort=new&amp;page=3" rel="next"' in html
    assert "kind" not in html


def test_first_and_last_pages_link_one_way(app):
    first = _draw(app, Page(items=[], total=45, page=1))
    last = _draw(app, Page(items=[], total=45, page=3))
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in last and 'rel="next"' not in last
