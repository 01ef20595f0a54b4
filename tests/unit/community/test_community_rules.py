"""Community rules without a database: who may edit, delete, sanction; what is held; crisis words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community import rules
from webapp.blueprints.community.moderation.actions import may_sanction

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def person(uid: int, role: str = "member") -> User:
    return User(id=uid, role=role, email=f"u{uid}@example.com", display_name=f"U{uid}")


def post(author_id: int | None, *, minutes_ago: int = 5, status: str = "visible"):
    return SimpleNamespace(author_id=author_id, created_at=NOW - timedelta(minutes=minutes_ago), status=status)


def test_author_edits_within_30_minutes_only():
    author = person(1)
    assert rules.can_edit(author, post(1, minutes_ago=29), NOW)
    assert not rules.can_edit(author, post(1, minutes_ago=31), NOW)


def test_others_cannot_edit_but_moderators_always_can():
    assert not rules.can_edit(person(2), post(1), NOW)
    assert not rules.can_edit(person(2, "expert"), post(1), NOW)
    assert rules.can_edit(person(3, "moderator"), post(1, minutes_ago=600), NOW)
    assert rules.can_edit(person(4, "admin"), post(1, minutes_ago=600), NOW)


def test_hidden_or_deleted_posts_cannot_be_edited_by_their_author():
    assert not rules.can_edit(person(1), post(1, status="hidden"), NOW)
    assert not rules.can_edit(person(1), post(1, status="deleted"), NOW)


def test_delete_own_or_as_moderator():
    assert rules.can_delete(person(1), post(1, minutes_ago=10_000))
    assert not rules.can_delete(person(2), post(1))
    assert rules.can_delete(person(3, "moderator"), post(1))
    assert not rules.can_delete(person(1), post(1, status="deleted"))


def test_held_and_hidden_bodies_show_to_author_and_moderators_only():
    for status in ("held", "hidden"):
        assert rules.can_see_post_body(person(1), post(1, status=status))
        assert rules.can_see_post_body(person(9, "moderator"), post(1, status=status))
        assert not rules.can_see_post_body(person(2), post(1, status=status))
    assert not rules.can_see_post_body(person(1), post(1, status="deleted"))


@pytest.mark.parametrize("actor, target, allowed", [
    ("moderator", "member", True),
    ("moderator", "expert", True),
    ("moderator", "moderator", False),
    ("admin", "moderator", True),
    ("admin", "admin", False),
    ("member", "member", False),
    ("expert", "member", False),
])
def test_who_may_warn_suspend_or_ban(actor, target, allowed):
    assert may_sanction(person(1, actor), person(2, target)) is allowed


def test_nobody_sanctions_themselves():
    mod = person(1, "moderator")
    assert not may_sanction(mod, mod)


def test_banned_or_suspended_members_are_blocked():
    assert rules.posting_block(rules.Standing(), NOW) is None
    assert "banned" in rules.posting_block(rules.Standing(banned_at=NOW - timedelta(days=1)), NOW)
    assert "suspended until" in rules.posting_block(rules.Standing(suspended_until=NOW + timedelta(days=2)), NOW)
    assert rules.posting_block(rules.Standing(suspended_until=NOW - timedelta(seconds=1)), NOW) is None


def test_first_posts_and_link_heavy_posts_are_held():
    new, trusted = rules.Standing(approved_posts=0), rules.Standing(approved_posts=3)
    assert "first posts" in rules.hold_reason(person(1), new, "Hello")
    assert rules.hold_reason(person(1), trusted, "Hello") is None
    links = "See https://a.example and https://b.example and https://c.example"
    assert "links" in rules.hold_reason(person(1), trusted, links)
    assert rules.hold_reason(person(2, "expert"), new, links) is None
    assert rules.hold_reason(person(3, "moderator"), new, links) is None


@pytest.mark.parametrize("text", [
    "Some days I think about suicide", "I want to kill myself", "I just want to die", "thinking of self-harm",
    "I'd be better off dead", "SUICIDAL thoughts since the diagnosis",
])
def test_crisis_words_are_noticed(text):
    assert rules.mentions_crisis(text)


@pytest.mark.parametrize("text", ["Metformin made me tired", "My dad died of pancreatic cancer", "Kill the pain with ibuprofen?"])
def test_everyday_words_are_not_a_crisis(text):
    assert not rules.mentions_crisis(text)


def test_titles():
    assert rules.clean_title("  Is   metformin safe? ") == "Is metformin safe?"
    for bad in ("", "   ", "🙂🙂🙂", "?!?!"):
        with pytest.raises(rules.CommunityError) as info:
            rules.clean_title(bad)
        assert info.value.field == "title"
    with pytest.raises(rules.CommunityError, match="150 characters"):
        rules.clean_title("x" * 151)
    assert rules.clean_title("Insulin 💉 question") == "Insulin 💉 question"


def test_bodies():
    for bad in ("", "   \n\t  ", None):
        with pytest.raises(rules.CommunityError, match="Write something"):
            rules.clean_body(bad)
    with pytest.raises(rules.CommunityError, match="100,000"):
        rules.clean_body("a" * 100_000)
    assert rules.clean_body("line\r\nnext\x00") == "line\nnext"


def test_tags():
    assert rules.normalise_tags("Insulin, side  effects, insulin,,") == ["insulin", "side effects"]
    assert rules.normalise_tags("") == []
    with pytest.raises(rules.CommunityError):
        rules.normalise_tags("a,b,c,d,e,f")
    with pytest.raises(rules.CommunityError):
        rules.normalise_tags("<script>")
