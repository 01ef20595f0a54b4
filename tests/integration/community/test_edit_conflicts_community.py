"""Editing a post never silently overwrites an edit made elsewhere: two tabs, or the author and a moderator."""

from __future__ import annotations

import re
import time

from tests.integration._community import client_as, post_ids
from tests.integration.concurrency import at_the_same_moment
from webapp.blueprints.community import posting
from webapp.blueprints.community.models import CommunityPost, CommunityThread
from webapp.extensions import db

CONFLICT = "was changed somewhere else"


def shown_version(html: str, name: str = "shown_version") -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no hidden {name} field"
    value = re.search(r'value="([0-9a-f]*)"', match.group(0))
    assert value and value.group(1), match.group(0)
    return value.group(1)


def open_form(client, url: str, name: str = "shown_version") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return shown_version(response.get_data(as_text=True), name)


def stored(app, post_id: int) -> tuple[str, str]:
    with app.app_context():
        post = db.session.get(CommunityPost, post_id)
        return db.session.get(CommunityThread, post.thread_id).title, post.body


def test_two_tabs_editing_a_question(app, asker, thread_id):
    pid = post_ids(app, thread_id)[0]
    url = f"/community/posts/{pid}/edit"
    tab_a, tab_b = open_form(asker, url), open_form(asker, url)
    assert tab_a == tab_b

    saved_b = asker.post(url, data={"title": "Tired on metformin", "body": "Tab B says **very** tired", "shown_version": tab_b})
    assert saved_b.status_code == 302

    typed = "Tab A <script>alert(1)</script> & more"
    refused = asker.post(url, data={"title": "Tab A title", "body": typed, "shown_version": tab_a})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert stored(app, pid) == ("Tired on metformin", "Tab B says **very** tired")
    assert 'role="alert"' in html and CONFLICT in html
    # What A typed is still in the form, escaped; the current version is shown rendered.
    assert "Tab A &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html and "<script>alert(1)" not in html
    assert 'value="Tab A title"' in html
    assert "Tab B says <strong>very</strong> tired" in html and "Tired on metformin" in html

    again = asker.post(url, data={"title": "Tab A title", "body": typed, "shown_version": shown_version(html)})
    assert again.status_code == 302
    assert stored(app, pid) == ("Tab A title", typed)


def test_a_title_change_elsewhere_is_a_conflict_too(app, asker, thread_id):
    pid = post_ids(app, thread_id)[0]
    url = f"/community/posts/{pid}/edit"
    tab_a, tab_b = open_form(asker, url), open_form(asker, url)
    _, body = stored(app, pid)
    assert asker.post(url, data={"title": "Only the title changed", "body": body, "shown_version": tab_b}).status_code == 302
    refused = asker.post(url, data={"title": "Mine", "body": "Mine too", "shown_version": tab_a})
    assert refused.status_code == 409
    assert stored(app, pid) == ("Only the title changed", body)


def test_two_tabs_editing_an_answer(app, other, thread_id):
    assert other.post(f"/community/threads/{thread_id}/answer", data={"body": "First answer"}).status_code == 302
    aid = post_ids(app, thread_id)[1]
    url = f"/community/posts/{aid}/edit"
    tab_a, tab_b = open_form(other, url), open_form(other, url)
    assert other.post(url, data={"body": "Answer from tab B", "shown_version": tab_b}).status_code == 302
    refused = other.post(url, data={"body": "Answer from tab A", "shown_version": tab_a})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Answer from tab A" in html and "<p>Answer from tab B</p>" in html
    assert stored(app, aid)[1] == "Answer from tab B"
    assert other.post(url, data={"body": "Answer from tab A", "shown_version": shown_version(html)}).status_code == 302
    assert stored(app, aid)[1] == "Answer from tab A"


def test_changes_the_form_does_not_edit_do_not_block_a_save(app, asker, other, thread_id):
    pid = post_ids(app, thread_id)[0]
    url = f"/community/posts/{pid}/edit"
    version = open_form(asker, url)
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "An answer meanwhile"})
    other.post(f"/community/posts/{pid}/report", data={"reason": "spam", "note": ""})
    assert asker.post(url, data={"title": "Still mine", "body": "Edited", "shown_version": version}).status_code == 302
    assert stored(app, pid) == ("Still mine", "Edited")


def test_the_moderators_redaction_is_not_overwritten_by_the_author(app, asker, mod, thread_id):
    pid = post_ids(app, thread_id)[0]
    author_version = open_form(asker, f"/community/posts/{pid}/edit")
    mod_version = open_form(mod, f"/community/moderation/posts/{pid}", "redact-shown_version")
    redacted = mod.post(f"/community/moderation/posts/{pid}/redact", data={"redact-body": "Details [removed]",
                                                                           "redact-shown_version": mod_version})
    assert redacted.status_code == 302

    title, _ = stored(app, pid)
    refused = asker.post(f"/community/posts/{pid}/edit", data={"title": title, "body": "My phone is 555-0100",
                                                               "shown_version": author_version})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and CONFLICT in html
    assert stored(app, pid)[1] == "Details [removed]"
    assert "<p>Details [removed]</p>" in html and "My phone is 555-0100" in html


def test_the_authors_edit_is_not_overwritten_by_a_moderator(app, asker, mod, thread_id):
    pid = post_ids(app, thread_id)[0]
    page = f"/community/moderation/posts/{pid}"
    mod_version = open_form(mod, page, "redact-shown_version")
    author_version = open_form(asker, f"/community/posts/{pid}/edit")
    title, _ = stored(app, pid)
    assert asker.post(f"/community/posts/{pid}/edit", data={"title": title, "body": "Author's *new* text",
                                                            "shown_version": author_version}).status_code == 302

    refused = mod.post(f"/community/moderation/posts/{pid}/redact", data={"redact-body": "Moderator <b>cut</b>",
                                                                          "redact-shown_version": mod_version})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and 'role="alert"' in html and CONFLICT in html
    assert stored(app, pid)[1] == "Author's *new* text"
    assert "<p>Author's <em>new</em> text</p>" in html and "Moderator &lt;b&gt;cut&lt;/b&gt;" in html

    again = mod.post(f"/community/moderation/posts/{pid}/redact", data={
        "redact-body": "Moderator cut", "redact-shown_version": shown_version(html, "redact-shown_version")})
    assert again.status_code == 302
    assert stored(app, pid)[1] == "Moderator cut"


def test_a_save_without_the_shown_version_is_refused(app, asker, mod, thread_id):
    pid = post_ids(app, thread_id)[0]
    title, body = stored(app, pid)
    response = asker.post(f"/community/posts/{pid}/edit", data={"title": "Hand-made", "body": "request"})
    assert response.status_code == 409 and CONFLICT in response.get_data(as_text=True)
    response = mod.post(f"/community/moderation/posts/{pid}/redact", data={"redact-body": "Hand-made"})
    assert response.status_code == 409 and CONFLICT in response.get_data(as_text=True)
    response = asker.post(f"/community/posts/{pid}/edit", data={"title": "Forged", "body": "x", "shown_version": "0" * 32})
    assert response.status_code == 409
    assert stored(app, pid) == (title, body)


def test_two_saves_at_the_same_moment_take_turns(app, people, asker, thread_id, monkeypatch):
    """Two devices send the same shown version at once: one save wins, the other gets the conflict page."""
    pid = post_ids(app, thread_id)[0]
    url = f"/community/posts/{pid}/edit"
    version = open_form(asker, url)
    title, _ = stored(app, pid)
    edit_post = posting.edit_post

    def slow_edit(*args, **kwargs):  # widen the window between the check and the commit
        result = edit_post(*args, **kwargs)
        time.sleep(0.4)
        return result

    monkeypatch.setattr(posting, "edit_post", slow_edit)
    def save(client, body):
        return lambda: client.post(url, data={"title": title, "body": body, "shown_version": version}).status_code

    results = at_the_same_moment(save(asker, "Device 0"), save(client_as(app, people.asker.email), "Device 1"))
    statuses = dict(zip(["Device 0", "Device 1"], results, strict=True))
    assert sorted(statuses.values()) == [302, 409], statuses
    assert stored(app, pid)[1] == next(body for body, status in statuses.items() if status == 302)
