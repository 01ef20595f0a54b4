"""Invitations to private groups (security issue #13, finding 2): an invite never tells the
inviter whether an address has an account, comes only from an approved private group, and
makes nobody a member until they accept."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from tests.integration._community import ask, client_as, group_id, invitation_forms, private_group, thread_id_from
from webapp.blueprints.accounts.models import User
from webapp.blueprints.community.models import CommunityInvitation, CommunityMembership, CommunityNotification
from webapp.extensions import db

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def circle(app, other, mod):
    """Quiet Circle: private, approved, owned by Olive Other (`other`), with one question in it."""
    slug = private_group(app, other, mod)
    thread_id = thread_id_from(ask(other, title="A private matter", group=slug))
    other.get("/community")  # the messages so far are read
    return slug, thread_id


def invite(client, email, slug="quiet-circle"):
    return client.post(f"/community/groups/{slug}/invite", data={"email": email})


def flashes(response) -> list[tuple[str, str]]:
    found = re.findall(r'<p class="flash flash-([\w-]+)">(.*?)</p>', response.get_data(as_text=True), re.S)
    return [(category, unescape(text)) for category, text in found]


def _without_tokens(html: str) -> str:
    """A page without its per-request values (CSRF tokens, CSP nonces), to compare two renderings."""
    html = re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", html)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


def counts(app) -> tuple[int, int, int]:
    """(invitations, memberships, notifications) in the whole database."""
    with app.app_context():
        return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                     for model in (CommunityInvitation, CommunityMembership, CommunityNotification))


def is_member(app, email, slug="quiet-circle") -> bool:
    from webapp.blueprints.community.models import CommunityGroup

    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(CommunityMembership)
            .join(CommunityGroup, CommunityGroup.id == CommunityMembership.group_id)
            .join(User, User.id == CommunityMembership.user_id)
            .where(CommunityGroup.slug == slug, User.email == email)
        ).scalar_one() == 1


# ---------------------------------------------------------------- what the inviter learns


def test_the_inviter_sees_the_same_answer_for_every_address(app, people, circle, other):
    """A member, a stranger, the same member again (already invited), the owner (already a
    member) and the member's address in other capitals: one answer, one page."""
    addresses = ["asker@example.com", "nobody@example.com", "asker@example.com", "other@example.com", "ASKER@Example.com",
                 "new@example.com", "nobody-else@example.com"]
    pages = []
    for address in addresses:
        response = invite(other, address)
        assert (response.status_code, response.headers["Location"]) == (302, "/community/groups/quiet-circle"), address
        pages.append(other.get(response.headers["Location"]))
    messages = [flashes(page) for page in pages]
    assert all(m == messages[0] for m in messages), messages
    [(category, text)] = messages[0]
    assert category == "success" and "join only if they accept" in text
    assert "Alex Asker" not in text and "No HealthDesk member" not in text and "already" not in text
    # Not only the message: the whole page the inviter sees next is the same.
    assert len({_without_tokens(page.get_data(as_text=True)) for page in pages}) == 1


def test_no_mail_or_notification_for_an_address_without_an_account(app, circle, other, sent_mail):
    before = counts(app)
    assert invite(other, "nobody@example.com").status_code == 302
    assert counts(app) == before
    assert sent_mail("nobody@example.com") == []


# ---------------------------------------------------------------- the invitee decides


def test_the_invitee_is_not_a_member_until_they_accept(app, people, circle, other, asker, sent_mail):
    slug, thread_id = circle
    app.config["SITE_URL"] = "https://healthdesk.example"
    invite(other, "asker@example.com")
    assert not is_member(app, "asker@example.com")
    assert asker.get(f"/community/threads/{thread_id}").status_code == 404
    assert asker.get(f"/community/groups/{slug}").status_code == 403

    # The invitation: on the community page, on the notifications page, in a notification and by email.
    for page in ("/community", "/community/notifications"):
        forms = invitation_forms(asker, page)
        assert set(forms["Quiet Circle"]) == {"accept", "decline"}, page
    notices = asker.get("/community/notifications").get_data(as_text=True)
    assert "Olive Other invited you to the private group “Quiet Circle”" in notices
    assert "no-store" in asker.get("/community").headers["Cache-Control"]
    mails = sent_mail("asker@example.com")
    assert len(mails) == 1 and "Quiet Circle" in mails[0].subject
    assert "https://healthdesk.example/community/notifications#invitations" in mails[0].body_text
    assert "only if you accept" in mails[0].body_text

    response = asker.post(forms["Quiet Circle"]["accept"])
    assert response.status_code == 302 and response.headers["Location"] == f"/community/groups/{slug}"
    assert "You joined Quiet Circle." in asker.get(response.headers["Location"]).get_data(as_text=True)
    assert is_member(app, "asker@example.com")
    assert "A private matter" in asker.get(f"/community/threads/{thread_id}").get_data(as_text=True)
    assert invitation_forms(asker) == {} and counts(app)[0] == 0
    # Accepting again (a second click): a calm message, nothing changes.
    again = asker.post(forms["Quiet Circle"]["accept"], follow_redirects=True)
    assert again.status_code == 200 and "no longer open" in again.get_data(as_text=True)


def test_declining_removes_the_invitation(app, circle, other, asker):
    invite(other, "asker@example.com")
    forms = invitation_forms(asker)["Quiet Circle"]
    response = asker.post(forms["decline"], headers={"Referer": "http://localhost/community"})
    assert response.status_code == 302 and response.headers["Location"] == "/community"
    assert "You declined the invitation to Quiet Circle." in asker.get("/community").get_data(as_text=True)
    assert not is_member(app, "asker@example.com")
    assert counts(app)[0] == 0 and invitation_forms(asker) == {}
    assert asker.post(forms["accept"]).status_code == 302  # the declined invitation can't be accepted afterwards
    assert not is_member(app, "asker@example.com")


def test_nobody_else_can_use_an_invitation(app, people, circle, other, asker):
    invite(other, "asker@example.com")
    forms = invitation_forms(asker)["Quiet Circle"]
    newbie = client_as(app, people.newbie.email)
    for action in ("accept", "decline"):
        page = newbie.post(forms[action], follow_redirects=True).get_data(as_text=True)
        assert "no longer open" in page
    assert not is_member(app, "new@example.com") and counts(app)[0] == 1
    visitor = app.test_client()
    assert visitor.post(forms["accept"]).headers["Location"].startswith("/login")


def test_unknown_invitation_ids_are_not_found(asker):
    for number in (0, 999_999, 2**31, 2**63):
        response = asker.post(f"/community/invitations/{number}/accept")
        assert response.status_code in (302, 404), number


# ---------------------------------------------------------------- who may invite, and from where


def test_a_group_awaiting_approval_cannot_invite(app, people, other, mod, sent_mail):
    slug = private_group(app, other, mod, name="Waiting Room", approve=False)
    page = other.get(f"/community/groups/{slug}").get_data(as_text=True)
    assert "You can invite members once a moderator has approved the group." in page
    assert f'action="/community/groups/{slug}/invite"' not in page
    before = counts(app)
    for address in ("asker@example.com", "nobody@example.com", "", SCRIPT):
        response = invite(other, address, slug)
        assert response.status_code == 302
        assert flashes(other.get(response.headers["Location"])) == [
            ("error", "You can invite members once a moderator has approved the group.")]
    assert counts(app) == before and sent_mail("asker@example.com") == []


def test_a_public_group_needs_no_invitations(app, other, mod):
    other.post("/community/groups/new", data={"name": "Open Circle", "description": "Public.", "visibility": "public"})
    group = group_id(app, "open-circle")
    mod.post(f"/community/moderation/groups/{group}", data={f"g{group}-approve": "Approve"})
    response = invite(other, "asker@example.com", "open-circle")
    assert "Anyone can join a public group" in other.get(response.headers["Location"]).get_data(as_text=True)
    assert counts(app)[0] == 0


def test_only_the_owner_invites(app, people, circle, other, asker, client):
    invite(other, "asker@example.com")
    asker.post(invitation_forms(asker)["Quiet Circle"]["accept"])
    asker.get("/community")
    response = invite(asker, "new@example.com")  # a member, not the owner
    assert flashes(asker.get(response.headers["Location"])) == [("error", "Only the group's owner can invite members.")]
    newbie = client_as(app, people.newbie.email)
    assert invite(newbie, "asker@example.com").status_code == 404  # not even readable
    assert invite(client, "asker@example.com").headers["Location"].startswith("/login")
    assert counts(app)[0] == 0


def test_a_suspended_owner_cannot_invite(app, people, circle, other):
    from datetime import datetime, timedelta, timezone

    from webapp.blueprints.community.models import CommunityStanding

    with app.app_context():
        db.session.get(CommunityStanding, people.other.id).suspended_until = datetime.now(timezone.utc) + timedelta(days=2)
        db.session.commit()
    response = invite(other, "asker@example.com")
    assert "suspended" in other.get(response.headers["Location"]).get_data(as_text=True)
    assert counts(app)[0] == 0


# ---------------------------------------------------------------- duplicates, races, limits


def test_inviting_twice_makes_one_invitation_one_notification_one_mail(app, circle, other, sent_mail):
    before = counts(app)
    for _ in range(3):
        assert invite(other, "asker@example.com").status_code == 302
    invitations, memberships, notifications = counts(app)
    assert (invitations, memberships, notifications) == (before[0] + 1, before[1], before[2] + 1)
    assert len(sent_mail("asker@example.com")) == 1


def test_two_invites_at_once_make_one_row_and_no_500(app, circle, other, monkeypatch):
    from webapp.blueprints.community import invitations as community_invitations

    # The second request slips past the "already invited?" check, as when two arrive at once.
    monkeypatch.setattr(community_invitations, "_invited", lambda *_args: False)
    first, second = invite(other, "asker@example.com"), invite(other, "asker@example.com")
    assert first.status_code == second.status_code == 302
    assert flashes(other.get(first.headers["Location"]))[0][1] == community_invitations.INVITE_SENT
    assert counts(app)[0] == 1


def test_inviting_is_rate_limited(app, circle, other):
    statuses = [invite(other, f"person{n}@example.com").status_code for n in range(11)]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("email, message", [
    ("", "Enter the member's email address."),
    ("   ", "Enter the member's email address."),
    ("x" * 300 + "@example.com", "at most 254 characters"),
    ("x" * 20_000, "at most 254 characters"),
    (SCRIPT, "Enter a valid email address"),
    ('"><b>bold</b>@example.com', "Enter a valid email address"),
    ("😀@😀.com", "Enter a valid email address"),
    ("asker@", "Enter a valid email address"),
    ("\u202easker@example.com", "Enter a valid email address"),
    ("asker@example.com\x00", "control characters"),
    ("ａｓｋｅｒ＠example.com\x1b", "control characters"),
])
def test_bad_addresses_get_a_form_error(app, circle, other, email, message):
    response = invite(other, email)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in unescape(html) and 'aria-invalid="true"' in html
    assert SCRIPT not in html
    assert counts(app)[0] == 0


def test_unicode_addresses_are_accepted_and_matched_like_log_in(app, circle, other, asker):
    response = invite(other, "josé@exämple.com")
    assert response.status_code == 302
    invite(other, "Asker@EXAMPLE.com ")
    assert "Quiet Circle" in invitation_forms(asker)


def test_accept_and_decline_need_the_csrf_token(make_app, people):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from webapp.blueprints.community.models import CommunityGroup

        group = CommunityGroup(slug="csrf-circle", name="CSRF Circle", visibility="private", status="approved",
                               owner_id=people.other.id)
        db.session.add(group)
        db.session.flush()
        invitation = CommunityInvitation(group_id=group.id, user_id=people.asker.id, invited_by_id=people.other.id)
        db.session.add(invitation)
        db.session.commit()
        invitation_id = invitation.id
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"email": "asker@example.com", "password": "correct horse battery",
                                       "csrf_token": token}).status_code == 302
    for action in ("accept", "decline"):
        assert client.post(f"/community/invitations/{invitation_id}/{action}").status_code == 400
    page = client.get("/community/notifications").get_data(as_text=True)
    assert f'action="/community/invitations/{invitation_id}/accept"' in page and 'name="csrf_token"' in page
    with app.app_context():
        assert db.session.get(CommunityInvitation, invitation_id) is not None


# ---------------------------------------------------------------- the invitee's data


def test_export_lists_invitations_received_not_sent(app, circle, other, asker):
    invite(other, "asker@example.com")
    received = json.loads(asker.get("/account/export").get_data(as_text=True))["community"]["group_invitations"]
    assert [(i["slug"], i["name"]) for i in received] == [("quiet-circle", "Quiet Circle")] and received[0]["invited_at"]
    sent = json.loads(other.get("/account/export").get_data(as_text=True))
    assert sent["community"]["group_invitations"] == []
    assert "asker@example.com" not in json.dumps(sent)


@pytest.mark.parametrize("who", ["invitee", "inviter"])
def test_deleting_either_account_removes_the_invitation(app, people, circle, other, who):
    invite(other, "asker@example.com")
    assert counts(app)[0] == 1
    with app.app_context():
        db.session.delete(db.session.get(User, (people.asker if who == "invitee" else people.other).id))
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(CommunityInvitation)).scalar_one() == 0
