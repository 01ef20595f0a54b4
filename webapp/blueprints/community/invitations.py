"""Invitations to private groups: the owner invites an email address; the invitee accepts or declines.

Nobody joins a private group without accepting. The inviter learns nothing about the
address: whether it has an account, is already a member or was already invited, the
answer is the same (INVITE_SENT). Only an account's owner hears of an invitation; no mail
goes to an address without an account. Invitations come only from approved groups (a
moderator has looked at the group and its owner) and are rate-limited like posting.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.accounts.models import User
from webapp.blueprints.accounts.rules import AccountError, find_by_email, normalize_email
from webapp.blueprints.community import notifications
from webapp.blueprints.community.groups import is_member
from webapp.blueprints.community.models import CommunityGroup, CommunityInvitation, CommunityMembership
from webapp.blueprints.community.moderation.standing import check_may_post
from webapp.blueprints.community.rules import CommunityError, is_moderator
from webapp.core.mail import outbox

INVITE_SENT = ("Thank you. If that address belongs to a HealthDesk member who isn't in the group yet, they will "
               "find your invitation on their community pages and by email, and join only if they accept.")
GONE = "This invitation is no longer open: it was already accepted or declined."


def invite(session: Session, group: CommunityGroup, inviter: User, email: str, invitations_url: str | None = None) -> None:
    """Invite the member with this email address to a private group (if there is one to invite).

    Raises CommunityError for what the inviter may know: they may not invite (yet), or the
    address is not an email address. Everything about the invitee stays silent.
    """
    check_may_invite(session, group, inviter)
    try:
        address = normalize_email(email or "")
    except AccountError as exc:  # says what is wrong with the address as written, nothing about accounts
        raise CommunityError(exc.message, "email") from None
    invitee = find_by_email(session, address)
    if invitee is None or is_member(session, group.id, invitee) or _invited(session, group.id, invitee.id):
        return
    try:
        with session.begin_nested():
            session.add(CommunityInvitation(group_id=group.id, user_id=invitee.id, invited_by_id=inviter.id))
    except IntegrityError:
        return  # the same invitation sent twice at once: the first one stands
    text = f"{inviter.display_name} invited you to the private group “{group.name}”. You join only if you accept."
    notifications.notify(session, invitee.id, "invite", text)
    if invitee.is_verified and notifications.wants_email(session, invitee.id):
        outbox.queue_mail(
            session, to=invitee.email, subject=f"Invitation to the HealthDesk group {group.name}"[:200],
            text=(f"Hello {invitee.display_name},\n\n"
                  f"{inviter.display_name} invited you to join the private group “{group.name}” on HealthDesk.\n\n"
                  "You become a member only if you accept. "
                  + (f"Accept or decline the invitation here: {invitations_url}\n\n" if invitations_url else "\n\n")
                  + "If you don't want to join, decline it or simply ignore this email.\n"),
            category="community-invitation",
        )
    session.flush()


def check_may_invite(session: Session, group: CommunityGroup, inviter: User) -> None:
    """Refuse (CommunityError) unless this member may send invitations to this group now."""
    if group.owner_id != inviter.id and not is_moderator(inviter):
        raise CommunityError("Only the group's owner can invite members.", status=403)
    if group.status != "approved":
        raise CommunityError("You can invite members once a moderator has approved the group.", status=409)
    if not group.is_private:
        raise CommunityError("Anyone can join a public group: share its address instead of inviting.", status=409)
    check_may_post(session, inviter)


def _invited(session: Session, group_id: int, user_id: int) -> bool:
    return session.execute(
        select(exists().where(CommunityInvitation.group_id == group_id, CommunityInvitation.user_id == user_id))
    ).scalar()


def pending_for(session: Session, user) -> list[CommunityInvitation]:
    """The member's open invitations, newest first (with the group and who invited)."""
    if user is None or not user.is_authenticated:
        return []
    return list(session.execute(
        select(CommunityInvitation)
        .options(selectinload(CommunityInvitation.group), selectinload(CommunityInvitation.invited_by))
        .join(CommunityGroup, CommunityGroup.id == CommunityInvitation.group_id)
        .where(CommunityInvitation.user_id == user.id, CommunityGroup.status == "approved")
        .order_by(CommunityInvitation.created_at.desc(), CommunityInvitation.id.desc())
    ).scalars())


def _own_invitation(session: Session, user: User, invitation_id: int) -> CommunityInvitation:
    invitation = session.get(CommunityInvitation, invitation_id)
    if invitation is None or invitation.user_id != user.id:
        raise CommunityError(GONE, status=404)
    return invitation


def accept(session: Session, user: User, invitation_id: int) -> CommunityGroup:
    """The invitee joins the group; the invitation is used up."""
    invitation = _own_invitation(session, user, invitation_id)
    group = invitation.group
    if group.status != "approved":
        raise CommunityError("This group is not open at the moment.", status=409)
    session.execute(delete(CommunityInvitation).where(CommunityInvitation.id == invitation.id))
    if not is_member(session, group.id, user):
        session.add(CommunityMembership(group_id=group.id, user_id=user.id))
    session.flush()
    return group


def decline(session: Session, user: User, invitation_id: int) -> CommunityGroup:
    """The invitee says no: the invitation goes, and the inviter is not told."""
    invitation = _own_invitation(session, user, invitation_id)
    group = invitation.group
    session.execute(delete(CommunityInvitation).where(CommunityInvitation.id == invitation.id))
    session.flush()
    return group
