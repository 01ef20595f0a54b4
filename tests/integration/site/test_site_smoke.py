"""Site-wide smoke tests: every route of the app, as a visitor and as a member, on the seeded data.

What per-area tests miss: a page that 500s only with real data, a security header or the CSP
broken by one template, an inline script or style="" slipped in, a second <h1>, an unlabelled
input, a personal page that can be cached or read without logging in, hostile query strings
and form posts that crash a view, and stored markup that comes back unescaped.

One app and one seeded database serve the whole module (seeding takes seconds); tests that
change data (the POST sweep) run last, and the re-crawl after them checks what they left.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from config import TestConfig
from tests.conftest import PASSWORD, drop_postgres_schema, reset_postgres_schema, with_search_path
from webapp import create_app
from webapp.blueprints.accounts import passwords
from webapp.core.search import setup as search_setup
from webapp.extensions import db
from webapp.seeding import run_seed

# ---------------------------------------------------------------------------------------------
# The routes, read from an app built at import time (no database is touched).

_ROUTE_APP = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
with _ROUTE_APP.app_context():
    db.engine.dispose()
RULES = [r for r in _ROUTE_APP.url_map.iter_rules() if r.endpoint != "static"]
GET_ENDPOINTS = sorted({r.endpoint for r in RULES if "GET" in r.methods})
POST_ENDPOINTS = sorted({r.endpoint for r in RULES if "POST" in r.methods},
                        # the ones that could end the session or the account go last
                        key=lambda e: (e in {"auth.logout", "account.delete", "account.change_password"}, e))
RULE_BY_ENDPOINT = {r.endpoint: r for r in RULES}

# Pages that must send a visitor to /login (My Medicine's index shows visitors an introduction).
LOGIN_REQUIRED = {
    "account.settings", "account.export", "account.delete",
    "mymeds.alerts", "mymeds.alert_settings", "mymeds.new_profile", "mymeds.profile",
    "mymeds.wallet_card", "mymeds.edit_profile", "mymeds.delete_profile", "mymeds.export_csv",
    "mymeds.export_json", "mymeds.edit_medicine",
    "community.notifications", "community.open_notification", "community.ask", "community.new_group",
    "community.reply", "community.edit", "community.report",
    "drugs.review_new", "drugs.review_edit", "drugs.review_report",
}
LOGIN_REQUIRED &= set(GET_ENDPOINTS)

# Pages with personal data: never stored by a browser or proxy.
NO_STORE = {e for e in GET_ENDPOINTS if e.startswith(("account.", "mymeds."))} - {
    "mymeds.interaction_checker", "mymeds.recalls", "mymeds.recall"}  # public pages
NO_STORE |= {"community.notifications", "community.open_notification", "newsletter.preferences",
             "newsletter.unsubscribe", "newsletter.confirm"} & set(GET_ENDPOINTS)

# Pages a member opens with the values below and should simply see (200).
MEMBER_SEES = set(GET_ENDPOINTS) - {
    "community.moderation_queue", "community.moderation_log", "community.moderate_post",  # staff only
    "community.open_notification",  # redirects to the post
    "drugs.product", "drugs.product_by_id",  # the embedded data has no Drugs@FDA products
    "account.confirm_email", "auth.verify_email", "auth.reset_password", "newsletter.confirm",  # made-up tokens
    "auth.signup", "auth.login", "auth.forgot_password", "auth.check_email",  # logged-in members are sent on
    "newsletter.check_email",
    "mymeds.recall",  # the embedded data has no FDA recalls
    "pills.api_search",  # the API wants search terms (400 without)
    "pills.photo",  # the embedded labels ship no photos (tests/integration/pills/test_pills_import.py serves one)
    "main.hello",  # a bare benchmark route, plain text
}
NOT_PAGES = {"main.hello", "main.healthz"}  # not pages a person reads: no page checks

SCRIPT = "<script>alert(1)</script>"
HOSTILE_QUERIES = {
    "script": "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "10k": "a" * 10_000,
    "nul": "ab%00cd",
    "invalid-utf8": "%ff%fe",
    "lone-surrogate": "%ED%A0%80",  # U+D800 encoded as if it were a character
    "lone-ff": "%FF",
    "sql": "%27%20OR%201%3D1--%20%3B%20DROP%20TABLE%20users%3B--",
    "emoji": "%F0%9F%92%8A%F0%9F%98%80%E2%80%8F",
}
EXTRA_QUERIES = ["page=-1", "page=99999999999999999999999", "page=abc", "sort=%27", "letter=%00",
                 "next=%2F%2Fevil.example", "q=&q=%3Cscript%3E"]
GENERIC_FIELDS = ["q", "name", "email", "password", "body", "title", "reason", "note", "details", "size", "next",
                  "medicines", "kind", "item_id", "confirm", "display_name", "new_email", "current_password",
                  "new_password", "topics", "group", "rating", "effectiveness", "ease_of_use", "satisfaction",
                  "condition_id", "relation", "scope", "days", "tags", "drug", "description", "rules", "visibility"]


# ---------------------------------------------------------------------------------------------
# HTML inspection (standard library only)


@dataclass
class PageFacts:
    h1: int = 0
    inline_scripts: list[dict] = field(default_factory=list)
    style_tags: int = 0
    style_attrs: list[str] = field(default_factory=list)
    imgs_without_alt: list[str] = field(default_factory=list)
    controls: list[dict] = field(default_factory=list)  # inputs needing a label
    label_for: set[str] = field(default_factory=set)
    forms: list[dict] = field(default_factory=list)  # {"method", "action", "fields": set}
    ids: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)  # levels, in document order
    links: list[str] = field(default_factory=list)


class _Inspector(HTMLParser):
    LABELLED_ELSEWHERE = {"hidden", "submit", "button", "image", "reset"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self._label_depth = 0
        self._script: dict | None = None
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.facts.ids.append(a["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self.facts.headings.append(int(tag[1]))
        if tag == "a" and a.get("href"):
            self.facts.links.append(a["href"])
        if "style" in a:
            self.facts.style_attrs.append(f"<{tag} style={a['style']!r}>")
        if tag == "h1":
            self.facts.h1 += 1
        elif tag == "style":
            self.facts.style_tags += 1
        elif tag == "script":
            if "src" not in a:
                self._script = a
        elif tag == "img" and "alt" not in a:
            self.facts.imgs_without_alt.append(a.get("src", "?"))
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.facts.label_for.add(a["for"])
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "", "fields": set()}
            self.facts.forms.append(self._form)
        if tag in {"input", "select", "textarea", "button"} and self._form is not None and a.get("name"):
            self._form["fields"].add(a["name"])
        if tag in {"input", "select", "textarea"}:
            kind = (a.get("type") or "text").lower()
            if tag != "input" or kind not in self.LABELLED_ELSEWHERE:
                self.facts.controls.append({
                    "tag": tag, "type": kind, "name": a.get("name"), "id": a.get("id"),
                    "wrapped": self._label_depth > 0,
                    "aria": bool(a.get("aria-label") or a.get("aria-labelledby")),
                })

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
        elif tag == "script" and self._script is not None:
            self.facts.inline_scripts.append(self._script)
            self._script = None
        elif tag == "form":
            self._form = None


def inspect(html: str) -> PageFacts:
    parser = _Inspector()
    parser.feed(html)
    parser.close()
    return parser.facts


def html_problems(response) -> list[str]:
    """Everything wrong with one HTML response, in words."""
    problems: list[str] = []
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    if not csp:
        problems.append("no Content-Security-Policy header")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"CSP allows unsafe code: {csp}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    facts = inspect(response.get_data(as_text=True))
    # No nonce: a page must be the same bytes for every reader to be cached, and nothing
    # inline runs (a JSON-LD block is data, which script-src does not govern).
    if "nonce-" in csp or "script-src 'self';" not in csp:
        problems.append(f"CSP is not the one fixed policy: {csp}")
    for script in facts.inline_scripts:
        if script.get("type") != "application/ld+json":
            problems.append(f"inline <script> {script}")
        elif script.get("nonce"):
            problems.append("JSON-LD <script> with a nonce (the page would differ per response)")
    if facts.style_tags:
        problems.append(f"{facts.style_tags} <style> tag(s)")
    if facts.style_attrs:
        problems.append(f"style attributes: {facts.style_attrs[:3]}")
    if response.status_code == 200 and facts.h1 != 1:
        problems.append(f"{facts.h1} <h1> elements (want exactly 1)")
    duplicates = sorted({i for i in facts.ids if facts.ids.count(i) > 1})
    if duplicates:
        problems.append(f"duplicate id attributes: {duplicates[:5]}")
    if facts.imgs_without_alt:
        problems.append(f"<img> without alt: {facts.imgs_without_alt[:3]}")
    unlabelled = [c for c in facts.controls
                  if not (c["wrapped"] or c["aria"] or (c["id"] and c["id"] in facts.label_for))]
    if unlabelled:
        problems.append(f"form controls without a label: {[(c['tag'], c['type'], c['name']) for c in unlabelled]}")
    return problems


# ---------------------------------------------------------------------------------------------
# The seeded site


@dataclass
class Site:
    app: object
    values: dict  # (endpoint or "*", argument) -> value
    member_email: str
    other_email: str
    moderator_email: str
    member_forms: dict = field(default_factory=dict)  # endpoint -> field names seen in its forms
    get_params: dict = field(default_factory=dict)  # endpoint -> names of its GET form fields

    def url(self, endpoint: str) -> str:
        rule = RULE_BY_ENDPOINT[endpoint]
        args = {}
        for name in rule.arguments:
            args[name] = self.values.get((endpoint, name), self.values.get(("*", name)))
            if args[name] is None:  # a route added after this file was written: any value will do
                args[name] = 1 if "int" in str(rule._converters.get(name, "")).lower() else "no-such-thing"
        with self.app.test_request_context():
            from flask import url_for

            return url_for(endpoint, **args)

    def client(self, email: str | None = None):
        client = self.app.test_client()
        if email:
            response = client.post("/login", data={"email": email, "password": PASSWORD})
            assert response.status_code == 302, f"log-in as {email} failed: {response.status_code}"
        return client


def _make_user(email: str, name: str, role: str = "member"):
    from webapp.blueprints.accounts.models import User

    user = User(email=email, display_name=name, role=role, email_verified_at=datetime.now(timezone.utc),
                password_hash=passwords.hash_password(PASSWORD, TestConfig.PASSWORD_HASH_METHOD))
    db.session.add(user)
    db.session.commit()
    return user.id


def _first(stmt):
    return db.session.execute(stmt.limit(1)).scalar()


def _database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql"):
        schema = f"hd_smoke_{os.getpid()}"
        reset_postgres_schema(url, schema)
        return with_search_path(url, schema), (url, schema)
    return f"sqlite:///{tmp_path_factory.mktemp('smoke') / 'smoke.sqlite3'}", None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from webapp.blueprints.community.models import CommunityGroup, CommunityNotification, CommunityPost, CommunityStanding, CommunityThread
    from webapp.blueprints.content.models import Article, HealthCenter
    from webapp.blueprints.drugs.catalogue.substances import substance_slug
    from webapp.blueprints.drugs.models import Condition, Drug, Ingredient, Product, ProductIngredient, Review, drug_ingredients
    from webapp.blueprints.mymeds.models import MedProfile, Recall, SavedMedicine
    from webapp.blueprints.newsletter import signup as newsletter_signup
    from webapp.blueprints.newsletter.models import NewsletterSubscriber
    from webapp.blueprints.pills.models import Pill

    url, pg = _database_url(tmp_path_factory)
    # Errors become the 500 page (and are logged with their traceback) so one bad value does not
    # hide the next: the tests count 500s instead of stopping at the first exception.
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                                  "PROPAGATE_EXCEPTIONS": False})
    values: dict = {}
    with app.app_context():
        db.create_all()
        search_setup.install(db.engine)
        run_seed(db.session, lambda _m: None)
        member = _make_user("member@example.com", "Morgan Member")
        other = _make_user("other@example.com", "Olive Other")
        _make_user("mod@example.com", "Max Moderator", role="moderator")
        for uid in (member, other):
            db.session.add(CommunityStanding(user_id=uid, approved_posts=3, warnings=0, email_notifications=True))
        db.session.commit()
        (drug_slug, drug_name), (second_drug, _name) = db.session.execute(
            select(Drug.slug, Drug.name).order_by(Drug.popularity.desc(), Drug.slug).limit(2)).all()
        group_slug = _first(select(CommunityGroup.slug).where(CommunityGroup.status == "approved").order_by(CommunityGroup.id))

    site = Site(app, values, "member@example.com", "other@example.com", "mod@example.com")
    member_client, other_client = site.client(site.member_email), site.client(site.other_email)

    # The member's own data, made through the site as a member would.
    r = member_client.post("/community/ask", data={"group": group_slug, "title": "Does ibuprofen upset the stomach?",
                                                   "body": "Sample question written by the smoke test."})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    # Sam's allergy to the first drug puts "Allergy warning for Sam" on that drug's page.
    r = member_client.post("/my-medicine/profiles/new", data={"name": "Sam", "relation": "child", "allergies": drug_name})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    r = member_client.post(f"/drugs/{drug_slug}/reviews/new",
                           data={"effectiveness": "4", "ease_of_use": "4", "satisfaction": "4", "body": "Sample review."})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    r = other_client.post(f"/drugs/{drug_slug}/reviews/new",
                          data={"effectiveness": "3", "ease_of_use": "3", "satisfaction": "3", "body": "Other sample."})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    # And the other member's own profile, which the member must never reach.
    r = other_client.post("/my-medicine/profiles/new", data={"name": "Olive's child", "relation": "child"})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]

    with app.app_context():
        thread_id = _first(select(CommunityThread.id).order_by(CommunityThread.id))
        question_post = _first(select(CommunityPost.id).where(CommunityPost.thread_id == thread_id).order_by(CommunityPost.id))
    r = other_client.post(f"/community/threads/{thread_id}/answer", data={"body": "Sample answer from another member."})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]

    with app.app_context():
        profile_id = _first(select(MedProfile.id).where(MedProfile.user_id == member).order_by(MedProfile.id.desc()))
        other_profile = _first(select(MedProfile.id).where(MedProfile.user_id == other).order_by(MedProfile.id.desc()))
    r = member_client.post(f"/my-medicine/profiles/{profile_id}/medicines", data={"name": "Ibuprofen"})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    r = other_client.post(f"/my-medicine/profiles/{other_profile}/medicines", data={"name": "Ibuprofen"})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]

    with app.app_context():
        answer_post = _first(select(CommunityPost.id).where(CommunityPost.thread_id == thread_id,
                                                            CommunityPost.id != question_post).order_by(CommunityPost.id))
        notification = _first(select(CommunityNotification.id).where(CommunityNotification.user_id == member))
        subscriber = NewsletterSubscriber(email="member@example.com", user_id=member, status="confirmed",
                                          confirmed_at=datetime.now(timezone.utc))
        db.session.add(subscriber)
        db.session.commit()
        manage = newsletter_signup.manage_token(app.config["SECRET_KEY"], subscriber)
        center, article = db.session.execute(
            select(HealthCenter.slug, Article.slug).join(Article, Article.center_id == HealthCenter.id).limit(1)).one()
        values.update({
            ("*", "slug"): drug_slug,
            ("community.group", "slug"): group_slug,
            ("community.invite", "slug"): group_slug,
            ("community.join", "slug"): group_slug,
            ("community.leave", "slug"): group_slug,
            ("drugs.condition", "slug"): _first(select(Condition.slug).order_by(Condition.slug)),
            ("content.center", "slug"): center,
            ("*", "center_slug"): center,
            ("*", "article_slug"): article,
            ("*", "pill_id"): _first(select(Pill.id).order_by(Pill.id)),
            ("drugs.product", "key"): _first(select(Product.slug)) or "no-such-product",
            ("drugs.product_by_id", "key"): _first(select(Product.id)) or 999_999,
            # A catalogue medicine without a monograph (one with a monograph redirects to it).
            ("drugs.substance", "slug"): substance_slug(_first(
                select(Ingredient.name).join(ProductIngredient).where(Ingredient.id.not_in(
                    select(drug_ingredients.c.ingredient_id))).order_by(Ingredient.name)) or "no-such-substance"),
            ("*", "thread_id"): thread_id,
            ("*", "post_id"): question_post,
            ("community.best", "post_id"): answer_post,
            ("community.helpful", "post_id"): answer_post,
            ("community.report", "post_id"): answer_post,
            ("community.reply", "post_id"): answer_post,
            ("drugs.review_new", "slug"): second_drug,
            ("*", "notification_id"): notification or 999_999,
            ("*", "review_id"): _first(select(Review.id).where(Review.user_id == other)),
            ("*", "profile_id"): profile_id,
            ("*", "medicine_id"): _first(select(SavedMedicine.id).where(SavedMedicine.profile_id == profile_id)),
            ("*", "group_id"): _first(select(CommunityGroup.id)),
            ("*", "action"): "hide",
            ("*", "recall_number"): _first(select(Recall.recall_number)) or "Z-0000-2026",
            ("*", "token"): "not-a-real-token",
            ("main.sitemap_section", "name"): "pages",
            ("newsletter.preferences", "token"): manage,
            ("newsletter.unsubscribe", "token"): manage,
        })
        values["other_profile"] = other_profile
        values["other_medicine"] = _first(select(SavedMedicine.id).where(SavedMedicine.profile_id == other_profile))
        db.session.remove()

    # The fields of every form a member sees, by the endpoint each form posts to.
    adapter = app.url_map.bind("localhost")
    for endpoint in GET_ENDPOINTS:
        response = member_client.get(site.url(endpoint))
        if response.mimetype != "text/html":
            continue
        for form in inspect(response.get_data(as_text=True)).forms:
            path = urlsplit(form["action"]).path or site.url(endpoint)
            try:
                target, _args = adapter.match(path, method="POST" if form["method"] == "post" else "GET")
            except HTTPException:  # a form to a path or method the app does not serve
                target = None
            if target is None:
                continue
            book = site.member_forms if form["method"] == "post" else site.get_params
            book.setdefault(target, set()).update(form["fields"])
            if form["method"] != "post":
                site.get_params.setdefault(endpoint, set()).update(form["fields"])
    yield site

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if pg:
        drop_postgres_schema(*pg)


@pytest.fixture(scope="module")
def member(site):
    return site.client(site.member_email)


@pytest.fixture
def visitor(site):
    # A fresh client per test: a visitor who opened a form page earlier holds a session cookie
    # and is no longer the cookie-less reader a shared cache serves.
    return site.app.test_client()


def _location_path(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


# ---------------------------------------------------------------------------------------------
# 1. Every GET route, as a visitor and as a member


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_visitor_get(site, visitor, endpoint):
    url = site.url(endpoint)
    response = visitor.get(url)
    assert response.status_code < 500, f"GET {url} as a visitor: {response.status_code}"
    if endpoint in LOGIN_REQUIRED:
        assert response.status_code == 302 and _location_path(response) == "/login", (
            f"GET {url} as a visitor should redirect to /login, got {response.status_code} "
            f"{response.headers.get('Location')}")
    if response.mimetype == "text/html" and response.status_code != 302 and endpoint not in NOT_PAGES:
        problems = html_problems(response)
        assert not problems, f"GET {url} as a visitor ({response.status_code}):\n" + "\n".join(problems)


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_member_get(site, member, endpoint):
    url = site.url(endpoint)
    response = member.get(url)
    assert response.status_code < 500, f"GET {url} as a member: {response.status_code}"
    if endpoint in MEMBER_SEES:
        assert response.status_code == 200, f"GET {url} as a member: {response.status_code} {response.headers.get('Location')}"
    if endpoint in NO_STORE:
        assert "no-store" in response.headers.get("Cache-Control", ""), (
            f"GET {url} has personal data but Cache-Control is {response.headers.get('Cache-Control')!r}")
    if response.mimetype == "text/html" and response.status_code != 302 and endpoint not in NOT_PAGES:
        problems = html_problems(response)
        assert not problems, f"GET {url} as a member ({response.status_code}):\n" + "\n".join(problems)


def test_no_response_made_for_a_member_is_stored(site, member, visitor):
    """Every page a member gets (it names them, lists their profiles, their groups) is no-store.
    An answer may be cached only if it is the very answer a visitor gets, so that nothing in it
    depends on who asked (the drug and pill API, autocomplete, the OpenAPI document, /hello)."""
    failures, checked = [], 0
    for endpoint in GET_ENDPOINTS:
        url = site.url(endpoint)
        response = member.get(url)
        if response.status_code != 200 or response.mimetype not in ("text/html", "application/json"):
            continue
        checked += 1
        cache_control = response.headers.get("Cache-Control", "")
        if "no-store" in cache_control:
            continue
        if visitor.get(url).get_data() != response.get_data():
            failures.append(f"GET {url} as a member: Cache-Control {cache_control!r}")
    assert checked > 50
    assert not failures, "\n".join(failures)


def test_no_answer_to_a_member_is_ever_public_and_public_answers_are_everyones(site, member):
    """Over every GET route: a member's answer is never marked for a shared cache, and an
    answer marked public sets no cookie and is the very bytes another visitor gets."""
    failures, public = [], 0
    for endpoint in GET_ENDPOINTS:
        url = site.url(endpoint)
        mine = member.get(url)
        if "public" in mine.headers.get("Cache-Control", "") or "xkey" in mine.headers:
            failures.append(f"GET {url} as a member: {mine.headers.get('Cache-Control')!r}")
        first, second = site.app.test_client().get(url), site.app.test_client().get(url)
        if "public" not in first.headers.get("Cache-Control", ""):
            continue
        public += 1
        if "Set-Cookie" in first.headers or first.get_data() != second.get_data():
            failures.append(f"GET {url} as a visitor is public but sets a cookie or differs between visitors")
    assert public > 20
    assert not failures, "\n".join(failures)


def test_pages_naming_the_members_profiles_are_not_stored_and_visitors_pages_are_unchanged(site, member, visitor):
    drug_page, pill_page = site.url("drugs.detail"), site.url("pills.detail")
    for url, personal in ((drug_page, "Allergy warning for Sam"), (pill_page, "Sam"),
                          (site.url("community.group"), "Morgan Member : account settings"),
                          (site.url("community.thread"), "Morgan Member : account settings")):
        response = member.get(url)
        text = " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())
        assert personal in text, url
        assert response.headers["Cache-Control"] == "private, no-store", url
        assert "Cookie" in response.headers.get("Vary", ""), url
        # A visitor's copy is the same for every visitor: a shared cache may keep it.
        shared = visitor.get(url)
        assert shared.headers["Cache-Control"].startswith("public, "), url
        assert "Set-Cookie" not in shared.headers and personal not in shared.get_data(as_text=True), url
    assert "Cache-Control" not in visitor.get(site.url("drugs.api_list")).headers
    assert visitor.get(site.url("drugs.autocomplete")).headers["Cache-Control"] == "public, max-age=300"
    # The site search's results and suggestions are shared pages for visitors, private for members.
    for url in ("/search?q=ibuprof", "/search/suggest?q=ibu"):
        shared, mine = site.app.test_client().get(url), member.get(url)
        assert shared.status_code == 200 and shared.headers["Cache-Control"].startswith("public, "), url
        assert "Set-Cookie" not in shared.headers and "public" not in mine.headers.get("Cache-Control", ""), url


@pytest.mark.parametrize("endpoint", sorted(e for e in GET_ENDPOINTS if e.startswith("community.moderat")))
def test_moderator_get(site, endpoint):
    url = site.url(endpoint)
    response = site.client(site.moderator_email).get(url)
    assert response.status_code == 200, f"GET {url} as a moderator: {response.status_code}"
    problems = html_problems(response)
    assert not problems, f"GET {url} as a moderator:\n" + "\n".join(problems)


def test_member_cannot_open_another_members_medicine_list(site, member):
    other_profile, other_medicine = site.values["other_profile"], site.values["other_medicine"]
    paths = [f"/my-medicine/profiles/{other_profile}", f"/my-medicine/profiles/{other_profile}/card",
             f"/my-medicine/profiles/{other_profile}/edit", f"/my-medicine/profiles/{other_profile}/export.csv",
             f"/my-medicine/profiles/{other_profile}/export.json", f"/my-medicine/medicines/{other_medicine}/edit"]
    leaks = [(p, member.get(p).status_code) for p in paths]
    assert all(status in (403, 404) for _p, status in leaks), f"another member's list reachable: {leaks}"
    body = "\n".join(member.get(p).get_data(as_text=True) for p in paths)
    assert "Olive&#39;s child" not in body and "Olive's child" not in body


@pytest.mark.parametrize("path", ["/no-such-page", "/drugs/no-such-drug", "/logout", "/font-size"])
def test_error_pages_are_real_pages(site, visitor, path):
    response = visitor.get(path)
    assert response.status_code in (404, 405), f"GET {path}: {response.status_code}"
    assert response.mimetype == "text/html"
    problems = html_problems(response)
    assert not problems, f"GET {path} ({response.status_code}):\n" + "\n".join(problems)
    assert inspect(response.get_data(as_text=True)).h1 == 1, f"GET {path}: the error page needs one <h1>"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                                    "\\evil.example", "/%2F%2Fevil.example", " //evil.example"])
def test_font_size_never_redirects_off_site(site, visitor, target):
    response = visitor.post("/font-size", data={"size": "larger", "next": target})
    assert response.status_code in (302, 303), response.status_code
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost") and location.scheme in ("", "http"), (
        f"POST /font-size next={target!r} redirects to {response.headers['Location']}")
    assert not response.headers["Location"].lstrip().startswith(("//", "/\\", "\\")), response.headers["Location"]


def test_headings_never_skip_a_level(site, member):
    """h1 then h2, h3 ... going down one level at a time (going back up any amount is fine)."""
    failures = []
    for endpoint in GET_ENDPOINTS:
        url = site.url(endpoint)
        response = member.get(url)
        if response.status_code != 200 or response.mimetype != "text/html" or endpoint in NOT_PAGES:
            continue
        levels = inspect(response.get_data(as_text=True)).headings
        skips = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        if levels and levels[0] != 1 and 1 in levels:
            failures.append(f"{url}: a heading comes before the <h1> (levels {levels[:8]})")
        if skips:
            failures.append(f"{url}: heading levels skip {skips[:3]} (levels {levels[:12]})")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_internal_links_lead_somewhere(site, who):
    """Every link on every page opens: no 404 or 500 behind a link the site itself shows."""
    client = site.client(site.member_email if who == "member" else None)
    links: dict[str, str] = {}
    for endpoint in GET_ENDPOINTS:
        url = site.url(endpoint)
        response = client.get(url)
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        for href in inspect(response.get_data(as_text=True)).links:
            parts = urlsplit(href)
            if parts.scheme in ("", "http") and parts.netloc in ("", "localhost") and parts.path.startswith("/"):
                links.setdefault(parts.path + (f"?{parts.query}" if parts.query else ""), url)
    assert links, "no links found"
    broken = []
    for link, found_on in sorted(links.items())[:1500]:
        response = client.get(link)
        if response.status_code >= 400:
            broken.append(f"{link} -> {response.status_code} (linked from {found_on})")
    assert not broken, f"{len(broken)} broken link(s) out of {len(links)}:\n" + "\n".join(broken[:40])


# ---------------------------------------------------------------------------------------------
# 2. Hostile query strings on every GET route


def _query_names(site, endpoint) -> list[str]:
    return sorted(site.get_params.get(endpoint, set()) | {"q", "page"})


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_hostile_query_strings(site, visitor, member, endpoint):
    base = site.url(endpoint)
    names = _query_names(site, endpoint)
    failures = []
    for label, value in HOSTILE_QUERIES.items():
        queries = ["&".join(f"{n}={value}" for n in names)]
        if label in ("script", "invalid-utf8", "nul", "lone-surrogate", "lone-ff"):
            queries += [f"{n}={value}" for n in names]
        for query in queries:
            for who, client in (("visitor", visitor), ("member", member)):
                response = client.get(f"{base}?{query}")
                if response.status_code >= 500:
                    failures.append(f"{who} GET {base}?{query[:120]} -> {response.status_code}")
                elif response.mimetype == "text/html" and SCRIPT in response.get_data(as_text=True):
                    failures.append(f"{who} GET {base}?{query[:120]} echoes {SCRIPT} unescaped")
    for query in EXTRA_QUERIES:
        response = member.get(f"{base}?{query}")
        if response.status_code >= 500:
            failures.append(f"member GET {base}?{query} -> {response.status_code}")
    assert not failures, "\n".join(failures)


HOSTILE_PATH_VALUES = ["%3Cscript%3Ealert(1)%3C%2Fscript%3E", "a" * 5_000, "%00", "%ff%fe", "%27%20OR%201%3D1--",
                      "%F0%9F%92%8A", "..%2F..%2Fetc%2Fpasswd", "-1", "99999999999999999999999"]
STRING_ARG_ROUTES = sorted({e for e in GET_ENDPOINTS
                            if any(not str(c.__class__.__name__).startswith(("Integer", "Path"))
                                   for c in RULE_BY_ENDPOINT[e]._converters.values())})


@pytest.mark.parametrize("endpoint", STRING_ARG_ROUTES)
def test_hostile_path_values(site, member, endpoint):
    rule = RULE_BY_ENDPOINT[endpoint]
    failures = []
    for value in HOSTILE_PATH_VALUES:
        path = rule.rule
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                path = path.replace(f"<int:{name}>", str(site.values.get((endpoint, name), site.values.get(("*", name), 1))))
            else:
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", value, path)
        response = member.get(path)
        if response.status_code >= 500:
            failures.append(f"GET {path[:150]} -> {response.status_code}")
        elif response.mimetype == "text/html" and SCRIPT in response.get_data(as_text=True):
            failures.append(f"GET {path[:150]} echoes {SCRIPT} unescaped")
    assert not failures, "\n".join(failures)


INT_ARG_ROUTES = sorted({r.endpoint for r in RULES if any(isinstance(c, IntegerConverter)
                                                          for c in r._converters.values())})


@pytest.mark.parametrize("endpoint", INT_ARG_ROUTES)
def test_out_of_range_ids(site, endpoint):
    """An id bigger than the database's integers is simply not found (404), for GET and POST."""
    client = site.client(site.member_email)
    rule = RULE_BY_ENDPOINT[endpoint]
    failures = []
    for number in ("0", "2147483648", "9223372036854775808", "99999999999999999999999"):
        path = rule.rule
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                path = path.replace(f"<int:{name}>", number)
            else:
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(site.values.get((endpoint, name), site.values.get(("*", name)))), path)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(path, method=method)
            if response.status_code >= 500:
                failures.append(f"{method} {path} -> {response.status_code}")
    assert not failures, "\n".join(failures)


def test_session_cookie_is_protected(site):
    client = site.app.test_client()
    response = client.post("/login", data={"email": site.member_email, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "log-in set no cookie"
    for cookie in cookies:
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=lax" in lowered or "samesite=strict" in lowered, cookie


# ---------------------------------------------------------------------------------------------
# 3. Every POST endpoint: empty, huge and markup, as a member

MARKUP = SCRIPT + '<img src=x onerror=alert(1)>"\'><b>bold</b>'
NAUGHTY = "\x00 \U0001F48A ' OR 1=1 -- \u202e ﷽"


def _lists_nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# JSON bodies that crashed views (a parser's RecursionError; text that is not Unicode; form
# fields that are not text): every POST endpoint refuses them with 400.
HOSTILE_JSON_BODIES = {
    "nested 100,000 deep": lambda names: "[" * 100_000 + "]" * 100_000,
    "nested 33 deep": lambda names: json.dumps({names[0]: _lists_nested(32)}),
    "lone surrogate": lambda names: "{" + ", ".join(f'"{n}": "\\ud800"' for n in names) + "}",
    "lone surrogate in a list": lambda names: json.dumps({n: ["ok", "\ud800"] for n in names}),
    "not an object": lambda names: json.dumps([[n, "x"] for n in names]),
    "numbers": lambda names: json.dumps({n: 5 for n in names}),
    "not JSON": lambda names: "{" + names[0],
}


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_post_bad_input(site, endpoint):
    client = site.client(site.member_email)
    url = site.url(endpoint)
    names = sorted(site.member_forms.get(endpoint, set()) - {"csrf_token"}) or GENERIC_FIELDS
    variants = {
        "empty": {},
        "blank": {n: "   " for n in names},
        "huge": {n: "x" * 20_000 for n in names},
        "markup": {n: MARKUP for n in names},
        "naughty": {n: NAUGHTY for n in names},
        "repeated": MultiDict([(n, v) for n in names for v in ("1", MARKUP)]),
    }
    failures = []
    for label, data in variants.items():
        response = client.post(url, data=data)
        if response.status_code >= 500:
            failures.append(f"POST {url} ({label}, fields {names}) -> {response.status_code}")
        elif response.mimetype == "text/html" and SCRIPT in response.get_data(as_text=True):
            failures.append(f"POST {url} ({label}) echoes {SCRIPT} unescaped")
        json_response = client.post(url, json={n: MARKUP for n in names})
        if json_response.status_code >= 500:
            failures.append(f"POST {url} (JSON body) -> {json_response.status_code}")
    for label, body in HOSTILE_JSON_BODIES.items():
        response = client.post(url, data=body(names), content_type="application/json")
        if response.status_code != 400:
            failures.append(f"POST {url} (JSON: {label}) -> {response.status_code}, want 400")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# 4. After all those posts: still no 500 anywhere, and stored markup comes back escaped


@pytest.mark.parametrize("who", ["visitor", "member", "moderator"])
def test_recrawl_after_posts(site, who):
    emails = {"visitor": None, "member": site.member_email, "moderator": site.moderator_email}
    client = site.client(emails[who])
    failures = []
    for endpoint in GET_ENDPOINTS:
        url = site.url(endpoint)
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"GET {url} -> {response.status_code}")
        elif response.mimetype == "text/html" and SCRIPT in response.get_data(as_text=True):
            failures.append(f"GET {url} shows stored {SCRIPT} unescaped")
    assert not failures, "\n".join(failures)
